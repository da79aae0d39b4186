//! Issue 12 item 5: `verdict init` and `verdict schema`.
//!
//! - The scaffold validates, runs offline (its local variant) and passes its own gate; a
//!   second `verdict init` into the same folder is refused with exit 2 and writes nothing.
//! - Its Claude variant runs against the fake server binary (`verdict-fake-server`, next to
//!   `verdict` in target/), started with the very commands `verdict init` prints.
//! - Every shipped eval, gold and variant file validates against its schema, and the schemas
//!   reject every key or type error among the invalid-input fixtures of
//!   `tests/validate_errors.rs` (the list below says which fixtures are checked, and why the
//!   others cannot be caught by a schema).

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use verdict::schema::FileKind;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `verdict ARGS` in `cwd`, with no API key and the cache inside `cwd`.
fn verdict(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_verdict"));
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("XDG_CACHE_HOME", cwd.join(".cache"))
        .env("CI", "1");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run verdict");
    eprintln!(
        "{cmd:?} exited {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Every file below `dir` (relative) with its bytes.
fn snapshot(dir: &Path) -> BTreeSet<(PathBuf, Vec<u8>)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.insert((p.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out
}

fn journal(run_dir: &Path) -> Vec<verdict::eval_log::PredictionRecord> {
    verdict::eval_log::read_journal(&run_dir.join("predictions.jsonl")).unwrap()
}

// ---------------------------------------------------------------------------------------
// verdict init

#[test]
fn init_then_validate_run_offline_and_gate_succeed_and_a_second_init_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&mut verdict(tmp.path(), &["init", "my-eval"]));
    assert_eq!(out.status.code(), Some(0));
    let printed = stdout(&out);
    for f in [
        "my-eval/eval.yaml",
        "my-eval/gold.yaml",
        "my-eval/variants/local-tfidf.yaml",
        "my-eval/variants/claude-tool.yaml",
        "my-eval/.verdict/schemas/eval.schema.json",
        "my-eval/.verdict/schemas/gold.schema.json",
        "my-eval/.verdict/schemas/variant.schema.json",
    ] {
        assert!(printed.contains(f), "init does not list {f}");
        assert!(tmp.path().join(f).is_file(), "{f} was not written");
    }
    assert!(printed.contains("verdict validate my-eval/eval.yaml"));
    assert!(printed.contains("verdict run my-eval/eval.yaml --variant local-tfidf"));

    let out = run(&mut verdict(tmp.path(), &["validate", "my-eval/eval.yaml"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "my-eval/eval.yaml: ok: 12 tickets, 4 fields, 2 variants (1 local)\n"
    );
    assert!(out.stderr.is_empty(), "validate warned");

    // Offline: the local variant only, no key, no network.
    let out = run(&mut verdict(
        tmp.path(),
        &[
            "run",
            "my-eval/eval.yaml",
            "--variant",
            "local-tfidf",
            "--out",
            "my-eval/runs/local",
        ],
    ));
    assert_eq!(out.status.code(), Some(0));
    let records = journal(&tmp.path().join("my-eval/runs/local"));
    assert_eq!(records.len(), 12);
    assert!(records.iter().all(|r| r.variant == "local-tfidf"));
    // The eval's gate: the scaffold's local variant passes its own rules.
    let out = run(&mut verdict(tmp.path(), &["gate", "my-eval/runs/local"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "the local variant fails the gate"
    );

    // Twice: refused, naming the first file that exists, and nothing changes.
    let before = snapshot(tmp.path());
    let out = run(&mut verdict(tmp.path(), &["init", "my-eval"]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("my-eval/eval.yaml already exists")
            && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(snapshot(tmp.path()), before, "a refused init changed files");
}

#[test]
fn init_defaults_to_the_current_folder_and_writes_nothing_next_to_an_existing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&mut verdict(tmp.path(), &["init"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("verdict validate eval.yaml\n"));
    assert!(tmp.path().join("eval.yaml").is_file());
    assert!(tmp
        .path()
        .join(".verdict/schemas/variant.schema.json")
        .is_file());

    // A folder that holds one of the files (here the last one written): nothing is written.
    let other = tempfile::tempdir().unwrap();
    let schemas = other.path().join(".verdict/schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::write(schemas.join("variant.schema.json"), "{}").unwrap();
    let before = snapshot(other.path());
    let out = run(&mut verdict(other.path(), &["init", "."]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(".verdict/schemas/variant.schema.json already exists"));
    assert_eq!(snapshot(other.path()), before);
}

/// The fake server binary, built next to `verdict` (`cargo build --release` builds both; the
/// README's `cargo run --release --bin verdict-fake-server` too).
fn fake_server_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_verdict")).with_file_name(format!(
        "verdict-fake-server{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --release --bin verdict-fake-server`",
        bin.display()
    );
    bin
}

/// Kills the fake server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The words of the printed line that contains `marker`, from `marker` on.
fn printed_command<'a>(printed: &'a str, marker: &str) -> Vec<&'a str> {
    let line = printed
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker:?} in:\n{printed}"));
    let from = line.find(marker).unwrap();
    line[from..].split_whitespace().collect()
}

#[test]
fn the_claude_variant_runs_against_the_fake_server_as_init_says() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&mut verdict(tmp.path(), &["init", "my-eval"]));
    assert_eq!(out.status.code(), Some(0));
    let printed = stdout(&out);

    // `cargo run --release --bin verdict-fake-server -- ARGS`: the binary with those ARGS.
    let fake = printed_command(&printed, "verdict-fake-server -- ");
    let mut child = Command::new(fake_server_bin());
    child
        .current_dir(tmp.path())
        .args(&fake[2..])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut server = Server(child.spawn().expect("start verdict-fake-server"));
    let mut url = String::new();
    std::io::BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    // `ANTHROPIC_BASE_URL=http://127.0.0.1:PORT ANTHROPIC_API_KEY=fake verdict run ...`
    let words = printed_command(&printed, "ANTHROPIC_BASE_URL=");
    let mut cmd = verdict(tmp.path(), &[]);
    let mut args = Vec::new();
    for w in &words {
        match w.split_once('=') {
            Some(("ANTHROPIC_BASE_URL", _)) => {
                cmd.env("ANTHROPIC_BASE_URL", &url);
            }
            Some((k, v))
                if args.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
            {
                cmd.env(k, v);
            }
            _ if *w == "verdict" && args.is_empty() => {}
            _ => args.push(*w),
        }
    }
    assert_eq!(args[..2], ["run", "my-eval/eval.yaml"]);
    let out = run(cmd.args(args));
    assert_eq!(out.status.code(), Some(0));
    let runs: Vec<PathBuf> = std::fs::read_dir(tmp.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1);
    let records = journal(&runs[0]);
    assert_eq!(records.len(), 12);
    assert!(
        records
            .iter()
            .all(|r| r.variant == "claude-tool" && r.outcome == verdict::eval_log::Outcome::Ok),
        "{records:?}"
    );
    // Gold-aware: the fake found each ticket in the request and answered its gold label with
    // probability 0.8 (seeded), so most departments are right; a fake that did not find the
    // tickets would answer the first enum value every time.
    let gold = verdict::config::gold::load_path(&tmp.path().join("my-eval/gold.yaml")).unwrap();
    let right = records
        .iter()
        .filter(|r| {
            let t = gold.tickets.iter().find(|t| t.id == r.ticket).unwrap();
            let (fi, field) = gold.field("department").unwrap();
            let verdict::gold::GoldValue::Label(i) = &t.labels[fi] else {
                unreachable!()
            };
            r.outputs.get("department").and_then(|v| v.as_str())
                == Some(field.values[*i as usize].as_str())
        })
        .count();
    assert!(right >= 7, "only {right} of 12 departments right");
}

// ---------------------------------------------------------------------------------------
// verdict schema

fn schema_json(kind: FileKind) -> serde_json::Value {
    serde_json::from_str(kind.schema()).unwrap()
}

fn validator(kind: FileKind) -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema_json(kind)).unwrap()
}

/// A YAML file as JSON, as the loaders read it (verdict's own YAML reader).
fn yaml_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    verdict::yaml::parse(&text)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message))
        .to_json()
}

/// The schema's complaints about a file, one line each: `/path: message`.
fn schema_errors(kind: FileKind, path: &Path) -> Vec<String> {
    let value = yaml_json(path);
    let validator = validator(kind);
    let errors = validator
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    errors
}

fn assert_valid(kind: FileKind, path: &Path) {
    let errors = schema_errors(kind, path);
    assert!(
        errors.is_empty(),
        "{} does not validate against the {} schema:\n{}",
        path.display(),
        kind.name(),
        errors.join("\n")
    );
}

#[test]
fn schema_prints_each_schema_and_refuses_an_unknown_kind() {
    let tmp = tempfile::tempdir().unwrap();
    for kind in FileKind::ALL {
        let out = run(&mut verdict(tmp.path(), &["schema", kind.name()]));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out), kind.schema());
        let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::draft202012::meta::validate(&schema).unwrap();
    }
    let out = run(&mut verdict(tmp.path(), &["schema", "rules"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_gold_source_is_described_alike_in_the_eval_and_variant_schemas() {
    // A gold set (eval `gold:`) and a training set (variant `local.train:`) are read by the
    // same code; the two schemas must agree.
    let eval = schema_json(FileKind::Eval);
    let variant = schema_json(FileKind::Variant);
    for def in ["goldSource", "strings", "scalar"] {
        assert_eq!(eval["$defs"][def], variant["$defs"][def], "$defs.{def}");
    }
}

/// The `gold:` of an eval, and the `local.train:` of its variants, when they are YAML files.
fn gold_path(base: &Path, source: &serde_json::Value) -> Option<PathBuf> {
    let s = source.as_str()?;
    Some(base.parent().unwrap().join(s))
}

/// Validates an eval and every YAML file it names; returns the files checked.
fn validate_eval_tree(eval: &Path) -> Vec<PathBuf> {
    assert_valid(FileKind::Eval, eval);
    let mut checked = vec![eval.to_path_buf()];
    let value = yaml_json(eval);
    if let Some(gold) = gold_path(eval, &value["gold"]) {
        assert_valid(FileKind::Gold, &gold);
        checked.push(gold);
    }
    let patterns: Vec<String> = match &value["variants"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        _ => vec![],
    };
    for pat in patterns {
        let full = eval.parent().unwrap().join(&pat);
        for file in glob::glob(full.to_str().unwrap()).unwrap() {
            let file = file.unwrap();
            assert_valid(FileKind::Variant, &file);
            let v = yaml_json(&file);
            if let Some(train) = gold_path(&file, &v["local"]["train"]) {
                assert_valid(FileKind::Gold, &train);
                checked.push(train);
            }
            checked.push(file);
        }
    }
    checked
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for pattern in ["**/*.yaml", "**/*.yml"] {
        let full = dir.join(pattern);
        out.extend(
            glob::glob(full.to_str().unwrap())
                .unwrap()
                .map(Result::unwrap),
        );
    }
    out
}

#[test]
fn every_shipped_eval_gold_and_variant_file_validates_against_its_schema() {
    let root = repo();
    let mut checked: BTreeSet<PathBuf> = BTreeSet::new();
    let evals = yaml_files(&root.join("evals"))
        .into_iter()
        .filter(|p| p.parent() == Some(root.join("evals").as_path()));
    for eval in evals {
        checked.extend(validate_eval_tree(&eval));
    }
    // Every file under evals/ and prompts/ is one of those (a gold or training set, a variant).
    for dir in ["evals", "prompts"] {
        for f in yaml_files(&root.join(dir)) {
            let f = f.canonicalize().unwrap();
            assert!(
                checked.iter().any(|c| c.canonicalize().unwrap() == f),
                "{} is not named by any shipped eval; say which schema it follows",
                f.display()
            );
        }
    }
    // examples/: YAML files there are evals, gold sets or variants by their keys.
    for f in yaml_files(&root.join("examples")) {
        let v = yaml_json(&f);
        let kind = if v.get("variants").is_some() {
            FileKind::Eval
        } else if v.get("tickets").is_some() {
            FileKind::Gold
        } else {
            FileKind::Variant
        };
        assert_valid(kind, &f);
    }
    // The scaffold: each YAML file names its schema on its first line; that file is the schema
    // of its kind, and the YAML validates against it.
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&mut verdict(tmp.path(), &["init", "s"]));
    assert_eq!(out.status.code(), Some(0));
    let scaffold = yaml_files(&tmp.path().join("s"));
    assert_eq!(scaffold.len(), 4);
    for f in scaffold {
        let text = std::fs::read_to_string(&f).unwrap();
        let target = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# yaml-language-server: $schema="))
            .unwrap_or_else(|| panic!("{}: no $schema line first", f.display()));
        assert!(!target.contains("://"), "{target}: a local file, not a URL");
        let schema_file = f.parent().unwrap().join(target);
        let schema = std::fs::read_to_string(&schema_file).unwrap();
        let kind = FileKind::ALL
            .into_iter()
            .find(|k| k.schema() == schema)
            .unwrap_or_else(|| panic!("{} is not one of verdict's schemas", schema_file.display()));
        let expected = match f.file_name().unwrap().to_str().unwrap() {
            "eval.yaml" => FileKind::Eval,
            "gold.yaml" => FileKind::Gold,
            _ => FileKind::Variant,
        };
        assert_eq!(kind, expected, "{}", f.display());
        assert_valid(kind, &f);
    }
    // The test fixtures other than the invalid ones (kind by file name, as in those).
    let fixtures = root.join("tests/fixtures");
    for f in yaml_files(&fixtures) {
        let rel = f.strip_prefix(&fixtures).unwrap();
        if !rel.starts_with("invalid") {
            assert_valid(fixture_kind(rel), &f);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The invalid-input fixtures (tests/fixtures/invalid, tests/validate_errors.rs)

/// Fixtures with a key or type error (an unknown key, a missing required key, a value of the
/// wrong type, a value outside its range, enum or pattern) that the schemas must reject: the
/// file, its kind, and a word the schema's complaint must contain (the key or value at fault).
const REJECTED: &[(&str, &str, FileKind, &str)] = &[
    // unknown keys
    (
        "unknown_key_no_suggestion",
        "eval.yaml",
        FileKind::Eval,
        "colour_scheme",
    ),
    (
        "unknown_key_suggestion",
        "eval.yaml",
        FileKind::Eval,
        "varients",
    ),
    ("many_problems", "eval.yaml", FileKind::Eval, "descripton"),
    (
        "variant_glob_matches_stray_yaml",
        "prompts/train.yaml",
        FileKind::Variant,
        "tickets",
    ),
    // missing required keys
    (
        "missing_required_field",
        "variant.yaml",
        FileKind::Variant,
        "name",
    ),
    // wrong types
    (
        "wrong_type_list_for_mapping",
        "eval.yaml",
        FileKind::Eval,
        "/run",
    ),
    (
        "wrong_type_string_for_number",
        "eval.yaml",
        FileKind::Eval,
        "eight",
    ),
    ("many_problems", "variant.yaml", FileKind::Variant, "many"),
    ("tickets_null", "gold.yaml", FileKind::Gold, "/tickets"),
    // out of range, not in an enum, not matching a pattern
    (
        "number_out_of_range",
        "variant.yaml",
        FileKind::Variant,
        "3.5",
    ),
    ("many_problems", "eval.yaml", FileKind::Eval, "/run/repeats"),
    ("routing_all_at_once", "eval.yaml", FileKind::Eval, "1.5"),
    (
        "tool_choice_none_with_outputs",
        "variant.yaml",
        FileKind::Variant,
        "none",
    ),
    (
        "eval_name_escapes_reports_folder",
        "eval.yaml",
        FileKind::Eval,
        "escaped",
    ),
    (
        "invalid_local_feature",
        "local.yaml",
        FileKind::Variant,
        "chars_2_5",
    ),
    (
        "empty_ticket_text",
        "gold.yaml",
        FileKind::Gold,
        "/tickets/2/text",
    ),
    (
        "many_problems",
        "gold.yaml",
        FileKind::Gold,
        "/tickets/2/text",
    ),
];

/// Fixtures whose error a schema of one file cannot express, and why.
const NOT_A_SCHEMA_ERROR: &[(&str, &str)] = &[
    // Before any value exists: the text is not a YAML document the schema could apply to.
    ("duplicate_yaml_key", "YAML syntax"),
    ("merge_key_not_a_mapping", "YAML syntax"),
    ("yaml_syntax_error", "YAML syntax"),
    ("invalid_utf8", "encoding"),
    ("nul_byte", "encoding"),
    ("utf16_file", "encoding"),
    ("utf16_no_bom", "encoding"),
    // Files on disk, and table contents (a schema sees the YAML, not the CSV/JSONL it names).
    ("missing_gold_file", "a file that does not exist"),
    ("missing_train_file", "a file that does not exist"),
    ("missing_variant_file", "a file that does not exist"),
    (
        "variant_glob_matches_nothing",
        "a glob that matches no file",
    ),
    ("csv_bad_row", "CSV content"),
    ("csv_column_missing", "a column of the CSV file"),
    ("csv_duplicate_header", "CSV content"),
    ("csv_label_with_spaces", "CSV content"),
    ("csv_list_column_undeclared", "CSV content"),
    ("csv_semicolon_delimiter", "CSV content"),
    ("csv_unclosed_quote", "CSV content"),
    ("jsonl_array_column_undeclared", "JSONL content"),
    ("jsonl_malformed_line", "JSONL content"),
    ("jsonl_duplicate_key", "JSONL content"),
    // A value checked against another part of the file, or another file (the gold set's
    // fields and values, the tool's properties): JSON Schema cannot refer to data.
    ("label_for_unknown_field", "the gold set's declared fields"),
    ("ticket_missing_label", "the gold set's declared fields"),
    (
        "flag_not_boolean",
        "the field's kind, declared under fields",
    ),
    ("label_not_a_value", "the field's declared values"),
    ("labels_value_not_a_value", "the field's declared values"),
    ("duplicate_ticket_id", "uniqueness of a key across tickets"),
    ("duplicate_variant_names", "uniqueness across files"),
    (
        "output_property_not_in_schema",
        "the tool's own input_schema",
    ),
    ("output_unknown_gold_field", "the gold set's fields"),
    ("tool_enum_extra_value", "the gold set's values"),
    ("tool_enum_lacks_value", "the gold set's values"),
    ("tool_choice_unknown_tool", "the variant's tool names"),
    (
        "tool_schema_ref_points_nowhere",
        "a $ref inside the tool's input_schema",
    ),
    ("routing_on_non_label_field", "the gold set's field kinds"),
    ("clarify_above_route", "a comparison of two values"),
    ("local_no_features", "what the training texts yield"),
    ("local_trains_no_field", "the gold set's fields"),
    // Template grammar inside a string (placeholders, the {{"{{"}} escape).
    ("template_placeholder_in_system", "template grammar"),
    ("template_unknown_placeholder", "template grammar"),
];

/// The schema a fixture file follows, by its name.
fn fixture_kind(rel: &Path) -> FileKind {
    match rel.file_name().unwrap().to_str().unwrap() {
        "eval.yaml" => FileKind::Eval,
        "gold.yaml" | "train.yaml" => FileKind::Gold,
        _ => FileKind::Variant,
    }
}

#[test]
fn the_schemas_reject_every_key_or_type_error_of_the_invalid_fixtures() {
    let dir = repo().join("tests/fixtures/invalid");
    let fixtures: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    // Each fixture is decided: checked, or said why not.
    let rejected: BTreeSet<String> = REJECTED.iter().map(|r| r.0.to_string()).collect();
    let excluded: BTreeSet<String> = NOT_A_SCHEMA_ERROR.iter().map(|r| r.0.to_string()).collect();
    assert!(
        rejected.is_disjoint(&excluded),
        "{:?}",
        rejected.intersection(&excluded)
    );
    let decided: BTreeSet<String> = rejected.union(&excluded).cloned().collect();
    assert_eq!(
        fixtures, decided,
        "a fixture is neither in REJECTED nor in NOT_A_SCHEMA_ERROR (or no longer exists)"
    );

    for (fixture, file, kind, word) in REJECTED {
        let path = dir.join(fixture).join(file);
        let errors = schema_errors(*kind, &path);
        assert!(
            errors.iter().any(|e| e.contains(word)),
            "{fixture}/{file}: the {} schema should reject it about {word:?}; its complaints:\n{}",
            kind.name(),
            errors.join("\n")
        );
    }

    // The other files of every fixture are valid as far as a schema can tell: their errors
    // (a label that is not a value, a tool's enum) are beyond it, so it must not reject them.
    // (Files that are not a YAML document are left out: there is nothing to validate.)
    let unreadable = |f: &str| {
        NOT_A_SCHEMA_ERROR
            .iter()
            .any(|(n, why)| *n == f && ["encoding", "YAML syntax"].contains(why))
    };
    for fixture in fixtures.iter().filter(|f| !unreadable(f)) {
        for path in yaml_files(&dir.join(fixture)) {
            let rel = path.strip_prefix(dir.join(fixture)).unwrap();
            if REJECTED
                .iter()
                .any(|r| r.0 == fixture.as_str() && Path::new(r.1) == rel)
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let node = verdict::yaml::parse(&text).unwrap();
            let kind = fixture_kind(rel);
            let errors: Vec<String> = validator(kind)
                .iter_errors(&node.to_json())
                .map(|e| format!("{}: {e}", e.instance_path))
                .collect();
            assert!(
                errors.is_empty(),
                "{fixture}/{}: the {} schema rejects what only `verdict validate` should:\n{}",
                rel.display(),
                kind.name(),
                errors.join("\n")
            );
        }
    }
}
