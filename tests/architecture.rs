//! The direction of imports, checked over the source text (issue 8 item 4).
//!
//! Domain modules (the gold set, variants, templates, metrics, statistics, the classifier,
//! grading, the eval log) take data and return data: they must not import the loaders
//! (`crate::config`) or the YAML reader (`crate::yaml`). Positions and diagnostics, which
//! they may carry, live in `crate::diag`. A new `use crate::config::...` in one of them fails
//! here, in CI, with the file and line.

use std::path::{Path, PathBuf};

/// Files and folders under `src/` whose code is domain code.
const DOMAIN: &[&str] = &[
    "gold.rs",
    "variant.rs",
    "template.rs",
    "diag.rs",
    "metrics",
    "stats",
    "classifier",
    "score",
    "eval_log",
    "onesided.rs",
    "compare",
    "gate/mod.rs",
    "gate/evaluate.rs",
    "gate/metric.rs",
    "gate/output.rs",
];

/// Modules the domain must not import.
const FORBIDDEN: &[&str] = &["config", "yaml"];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The module paths a line of Rust names below `crate::` (or `super::` at the top level):
/// `use crate::{config::check, gold::Field}` names `config` and `gold`.
fn crate_modules(line: &str, top_level: bool) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut out = Vec::new();
    let mut prefixes = vec!["crate::"];
    if top_level {
        prefixes.push("super::");
    }
    for prefix in prefixes {
        for (i, _) in code.match_indices(prefix) {
            let rest = &code[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                out.extend(
                    inner
                        .split(',')
                        .map(|p| p.trim().split("::").next().unwrap_or_default().to_string()),
                );
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn domain_modules_do_not_import_config_or_yaml() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for entry in DOMAIN {
        let p = src.join(entry);
        // A module that moved (stats.rs -> stats/) must be renamed here, not skipped.
        assert!(
            p.exists(),
            "domain module src/{entry} does not exist; update DOMAIN"
        );
        rust_files(&p, &mut files);
    }
    assert!(files.len() >= 5, "domain files not found: {files:?}");
    let offences = imports_of(&src, &files, FORBIDDEN);
    assert!(
        offences.is_empty(),
        "domain modules import the loaders or the YAML reader (move the type they need into \
         the domain or into crate::diag):\n{}",
        offences.join("\n")
    );
}

/// Where `files` (under `src`) import one of the `forbidden` top-level modules: one
/// `file:line: imports crate::m: statement` per import.
fn imports_of(src: &Path, files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut offences = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        // `super::` means the crate root only in a file directly under src/.
        let top_level = file.parent() == Some(src);
        // A `use crate::{...}` group may span lines: join each statement first.
        let mut statement = String::new();
        let mut start = 0;
        for (i, line) in text.lines().enumerate() {
            if statement.is_empty() {
                start = i + 1;
            }
            statement.push_str(line.split("//").next().unwrap_or_default());
            statement.push(' ');
            let open = statement.matches('{').count() > statement.matches('}').count();
            if open && statement.trim_start().starts_with("use ") {
                continue;
            }
            for m in crate_modules(&statement, top_level) {
                if forbidden.contains(&m.as_str()) {
                    offences.push(format!(
                        "{}:{start}: imports crate::{m}: {}",
                        file.strip_prefix(src).unwrap().display(),
                        statement.trim()
                    ));
                }
            }
            statement.clear();
        }
    }
    offences
}

/// Issue 8 item 1: clap's types stay at the edge. Only `cli/` (which turns them into the
/// library's `app::Invocation`) names `crate::cli`; every command takes plain option structs,
/// so a test or another front end calls it without a command line.
#[test]
fn only_the_edge_names_the_command_line_types() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.starts_with(src.join("cli")));
    assert!(files.len() >= 50, "src files not found: {}", files.len());
    let offences = imports_of(&src, &files, &["cli"]);
    assert!(
        offences.is_empty(),
        "library modules name clap's types (take a plain struct built in cli/ instead):\n{}",
        offences.join("\n")
    );
}

/// The check itself sees both forms of import.
#[test]
fn the_check_reads_grouped_and_plain_imports() {
    assert_eq!(
        crate_modules("use crate::config::check::list;", true),
        ["config"]
    );
    assert_eq!(
        crate_modules("use crate::{gold::Field, yaml::Pos};", true),
        ["gold", "yaml"]
    );
    assert_eq!(crate_modules("x = super::yaml::parse(t);", true), ["yaml"]);
    assert!(crate_modules("x = super::yaml::parse(t);", false).is_empty());
    assert!(crate_modules("// crate::config in a comment", true).is_empty());
}
