//! `verdict init [DIR]`: a small eval to start from, written into DIR.
//!
//! The files are templates under `templates/init/`, embedded in the binary: a gold set of
//! twelve hand-written support tickets, an offline TF-IDF variant with its own training
//! examples (it runs at once, with no key), a Claude variant with a forced tool call, and an
//! eval with `routing:` and `gate:` sections. Each YAML file's first line points editors at
//! the JSON Schema of its kind (`# yaml-language-server: $schema=...`), which init writes too,
//! under `DIR/.verdict/schemas/`, so completion works offline and matches this verdict.
//!
//! Init never overwrites: if any file it would write exists, it writes nothing (exit 2, naming
//! the file). If writing fails halfway (a full disk), what it wrote is removed again.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{display_path, Error, Result};
use crate::exit::Exit;
use crate::schema::FileKind;

/// Where the schemas go, relative to DIR; the templates' `$schema=` lines point here.
pub const SCHEMA_DIR: &str = ".verdict/schemas";

/// The variant that runs offline, and the one that needs the Anthropic API (or the fake).
pub const LOCAL_VARIANT: &str = "local-tfidf";
pub const CLAUDE_VARIANT: &str = "claude-tool";

/// One file of the scaffold: its path relative to DIR, what it is, and its text.
pub struct ScaffoldFile {
    pub path: PathBuf,
    pub about: &'static str,
    pub text: &'static str,
}

/// Every file `verdict init` writes, in the order it writes them.
pub fn files() -> Vec<ScaffoldFile> {
    let file = |path: &str, about, text| ScaffoldFile {
        path: PathBuf::from(path),
        about,
        text,
    };
    let mut out = vec![
        file(
            "eval.yaml",
            "the eval: gold set, variants, routing policy, gate rules",
            include_str!("../templates/init/eval.yaml"),
        ),
        file(
            "gold.yaml",
            "12 labeled support tickets",
            include_str!("../templates/init/gold.yaml"),
        ),
        file(
            "variants/local-tfidf.yaml",
            "offline TF-IDF classifier with its own training examples",
            include_str!("../templates/init/variants/local-tfidf.yaml"),
        ),
        file(
            "variants/claude-tool.yaml",
            "Claude with a forced classify_ticket tool call",
            include_str!("../templates/init/variants/claude-tool.yaml"),
        ),
    ];
    for kind in FileKind::ALL {
        out.push(ScaffoldFile {
            path: Path::new(SCHEMA_DIR).join(kind.file_name()),
            about: match kind {
                FileKind::Eval => "JSON Schema of an eval (what editors check against)",
                FileKind::Gold => "JSON Schema of a gold set",
                FileKind::Variant => "JSON Schema of a variant",
            },
            text: kind.schema(),
        });
    }
    out
}

/// `verdict init DIR`: writes the scaffold and prints what it wrote and what to run next.
pub fn init_command(dir: &Path) -> Result<Exit> {
    let written = write(dir)?;
    crate::commands::print(&summary(dir, &written))?;
    Ok(Exit::Ok)
}

/// Writes every file of the scaffold into `dir`, or none: an existing file (or anything else
/// in its place) is an error naming it, before anything is written.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{} exists and is not a folder; give verdict init a folder (new or existing)",
            display_path(dir)
        )));
    }
    let files = files();
    for f in &files {
        let path = dir.join(&f.path);
        if path.symlink_metadata().is_ok() {
            return Err(Error::Usage(format!(
                "{} already exists; verdict init writes only new files, so nothing was written (choose another folder, e.g. `verdict init my-eval`, or move the file away)",
                display_path(&path)
            )));
        }
    }
    let mut created = Created::default();
    for f in &files {
        let path = dir.join(&f.path);
        if let Err(e) = created.file(&path, f.text) {
            created.undo();
            return Err(e);
        }
    }
    Ok(created.files)
}

/// What a write created so far, to remove it again when a later file fails.
#[derive(Default)]
struct Created {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Created {
    fn file(&mut self, path: &Path, text: &str) -> Result<()> {
        if let Some(parent) = path.parent() {
            // The folders that do not exist yet, outermost first.
            let mut missing: Vec<&Path> = parent
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty() && !a.exists())
                .collect();
            missing.reverse();
            for d in missing {
                std::fs::create_dir(d).map_err(|e| Error::io(d, e))?;
                self.dirs.push(d.to_path_buf());
            }
        }
        // `create_new`: a file that appeared since the check is not overwritten either.
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        self.files.push(path.to_path_buf());
        out.write_all(text.as_bytes())
            .and_then(|_| out.sync_all())
            .map_err(|e| Error::io(path, e))
    }

    fn undo(&self) {
        for f in self.files.iter().rev() {
            let _ = std::fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// A path for a command line: as the user would type it from here, quoted when needed.
fn arg(path: &Path) -> String {
    let s = display_path(path);
    let s = if s.is_empty() { ".".to_string() } else { s };
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What was written and the commands to run next.
pub fn summary(dir: &Path, written: &[PathBuf]) -> String {
    // `verdict init` (DIR `.`): paths as `eval.yaml`, not `./eval.yaml`.
    let at = |rel: &str| -> PathBuf {
        if dir == Path::new(".") {
            PathBuf::from(rel)
        } else {
            dir.join(rel)
        }
    };
    let shown = |p: &Path| -> String {
        match p.strip_prefix(".") {
            Ok(rel) if dir == Path::new(".") => display_path(rel),
            _ => display_path(p),
        }
    };
    let mut out = format!("created a starter eval in {}:\n", arg(dir));
    let abouts = files();
    let width = written.iter().map(|p| shown(p).len()).max().unwrap_or(0);
    for (p, f) in written.iter().zip(&abouts) {
        out.push_str(&format!("  {:<width$}  {}\n", shown(p), f.about));
    }
    let eval = arg(&at("eval.yaml"));
    let gold = arg(&at("gold.yaml"));
    let run_dir = arg(&at("runs/local"));
    out.push_str(&format!(
        "\nnext, offline (no API key): check every file, run the local variant, apply the gate:\n\
         \x20 verdict validate {eval}\n\
         \x20 verdict run {eval} --variant {LOCAL_VARIANT} --out {run_dir}\n\
         \x20 verdict gate {run_dir}\n\
         \n\
         the Claude variant with no API key, against verdict's fake Anthropic server (a test tool\n\
         in a clone of verdict; it answers each ticket's gold label with probability 0.8):\n\
         \x20 cargo run --release --bin verdict-fake-server -- --gold {gold} --accuracy 0.8\n\
         \x20 # it prints its URL, http://127.0.0.1:PORT; then, in another terminal:\n\
         \x20 ANTHROPIC_BASE_URL=http://127.0.0.1:PORT ANTHROPIC_API_KEY=fake verdict run {eval} --variant {CLAUDE_VARIANT}\n\
         \n\
         with a real key (export ANTHROPIC_API_KEY=...): `verdict run {eval} --dry-run` shows the\n\
         cost and sends nothing; `verdict run {eval}` compares both variants.\n\
         editors read the `# yaml-language-server: $schema=` first line of each YAML file;\n\
         `verdict schema eval|gold|variant` prints the schemas.\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_yaml_template_points_at_its_schema_file() {
        let files = files();
        for f in files
            .iter()
            .filter(|f| f.path.extension().unwrap() == "yaml")
        {
            let first = f.text.lines().next().unwrap();
            let target = first
                .strip_prefix("# yaml-language-server: $schema=")
                .unwrap_or_else(|| panic!("{}: first line {first:?}", f.path.display()));
            // `variants/../.verdict/...` -> `.verdict/...`
            let mut resolved = PathBuf::new();
            for c in f.path.parent().unwrap().join(target).components() {
                match c {
                    std::path::Component::ParentDir => assert!(resolved.pop()),
                    other => resolved.push(other),
                }
            }
            assert!(
                files.iter().any(|s| s.path == resolved),
                "{}: {target} is not a file init writes",
                f.path.display()
            );
        }
    }

    #[test]
    fn an_existing_file_stops_init_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("variants")).unwrap();
        std::fs::write(tmp.path().join("variants/claude-tool.yaml"), "mine").unwrap();
        let err = write(tmp.path()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("claude-tool.yaml already exists"));
        assert!(!tmp.path().join("eval.yaml").exists());
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("variants/claude-tool.yaml")).unwrap(),
            "mine"
        );
    }
}
