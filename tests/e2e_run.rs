//! End to end: `verdict run` on a small realistic eval (tests/fixtures/mini: 36 hand-written
//! tickets, four departments and a flag, two offline variants), checking what it wrote and
//! printed, not only that it wrote something.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use verdict::gold::{FieldKind, GoldValue};

const EVAL: &str = "tests/fixtures/mini/eval.yaml";
const GOLD: &str = "tests/fixtures/mini/gold.yaml";
const VARIANTS: [&str; 2] = ["local-char", "local-word"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn verdict(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

/// Every file below `dir` with its bytes.
fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// One run of the mini eval into a fresh folder, shared by the tests that only read it.
struct Run {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    stdout: String,
}

fn run_mini(extra: &[&str]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let fixture_before = snapshot_tree(&root().join("tests/fixtures/mini"));
    let mut args = vec!["run", EVAL, "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = verdict(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "verdict run failed:\n{stderr}");
    assert_eq!(
        snapshot_tree(&root().join("tests/fixtures/mini")),
        fixture_before,
        "the run changed its input files"
    );
    Run {
        _tmp: tmp,
        dir,
        stdout: String::from_utf8(out.stdout).unwrap(),
    }
}

/// The gold labels by ticket id, as label names (or booleans), via the loader.
fn gold_labels() -> (
    Vec<String>,
    HashMap<String, BTreeMap<String, serde_json::Value>>,
) {
    let eval = verdict::config::load_eval(&root().join(EVAL)).unwrap();
    let mut by_id = HashMap::new();
    let mut ids = Vec::new();
    for t in &eval.gold.tickets {
        let mut labels = BTreeMap::new();
        for (f, v) in eval.gold.fields.iter().zip(&t.labels) {
            labels.insert(f.name.clone(), v.to_json(f));
        }
        ids.push(t.id.clone());
        by_id.insert(t.id.clone(), labels);
    }
    // The fixture is what the test thinks it is.
    assert_eq!(eval.gold.tickets.len(), 36);
    assert_eq!(eval.gold.fields[0].kind, FieldKind::Label);
    assert_eq!(
        eval.gold.fields[0].values,
        ["billing", "technical", "sales", "account"]
    );
    assert_eq!(eval.gold.fields[1].kind, FieldKind::Flag);
    assert!(matches!(
        eval.gold.tickets[0].labels[1],
        GoldValue::Flag(false)
    ));
    (ids, by_id)
}

fn read_predictions(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("predictions.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad journal line {l:?}: {e}")))
        .collect()
}

/// Accuracy of each variant on `field`, recomputed from the journal and the gold labels.
fn recomputed_accuracy(
    preds: &[serde_json::Value],
    gold: &HashMap<String, BTreeMap<String, serde_json::Value>>,
    field: &str,
) -> BTreeMap<String, f64> {
    let mut correct: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for p in preds {
        let variant = p["variant"].as_str().unwrap().to_string();
        let ticket = p["ticket"].as_str().unwrap();
        let e = correct.entry(variant).or_default();
        e.1 += 1;
        if p["outputs"][field] == gold[ticket][field] {
            e.0 += 1;
        }
    }
    correct
        .into_iter()
        .map(|(v, (c, n))| (v, c as f64 / n as f64))
        .collect()
}

#[test]
fn run_writes_correct_predictions_run_json_and_tables() {
    let run = run_mini(&[]);
    let (ids, gold) = gold_labels();

    // predictions.jsonl: exactly variants x tickets lines, each well-formed and valid.
    let preds = read_predictions(&run.dir);
    assert_eq!(preds.len(), VARIANTS.len() * ids.len());
    let mut seen = BTreeSet::new();
    for p in &preds {
        assert_eq!(p["v"], 1, "{p}");
        let variant = p["variant"].as_str().unwrap();
        let ticket = p["ticket"].as_str().unwrap();
        assert!(VARIANTS.contains(&variant), "{p}");
        assert!(gold.contains_key(ticket), "unknown ticket in {p}");
        assert_eq!(p["repeat"], 0);
        assert!(
            seen.insert((variant.to_string(), ticket.to_string())),
            "duplicate line {p}"
        );
        assert_eq!(p["outcome"], "ok", "{p}");
        assert!(p["error"].is_null(), "{p}");
        let outputs = p["outputs"].as_object().unwrap();
        let dept = outputs["department"].as_str().unwrap();
        assert!(
            ["billing", "technical", "sales", "account"].contains(&dept),
            "{p}"
        );
        assert!(outputs["requires_human"].is_boolean(), "{p}");
        assert_eq!(outputs.len(), 2, "only gold fields are predicted: {p}");
        let conf = p["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&conf), "{p}");
    }
    // Every variant classified every ticket.
    for v in VARIANTS {
        for id in &ids {
            assert!(seen.contains(&(v.to_string(), id.clone())), "{v} {id}");
        }
    }

    // run.json: version, status, spec, metrics.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["status"], "complete");
    let spec = &doc["spec"];
    assert_eq!(spec["eval_name"], "mini-support");
    let gold_sha = hex::encode(Sha256::digest(std::fs::read(root().join(GOLD)).unwrap()));
    assert_eq!(spec["gold_sha256"], gold_sha.as_str());
    let eval_sha = hex::encode(Sha256::digest(std::fs::read(root().join(EVAL)).unwrap()));
    assert_eq!(spec["eval_sha256"], eval_sha.as_str());
    assert_eq!(spec["gold_tickets"], 36);
    let spec_variants: Vec<&str> = spec["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        spec_variants, VARIANTS,
        "variants in glob (file name) order"
    );
    for v in spec["variants"].as_array().unwrap() {
        let file = root().join(v["file"].as_str().unwrap());
        let sha = hex::encode(Sha256::digest(std::fs::read(&file).unwrap()));
        assert_eq!(v["sha256"], sha.as_str(), "{}", file.display());
        assert_eq!(v["provider"], "local");
    }
    assert_eq!(spec["seed"], 11);
    assert_eq!(spec["repeats"], 1);

    let expected = recomputed_accuracy(&preds, &gold, "department");
    let metrics = &doc["metrics"];
    assert_eq!(metrics["n_tickets"], 36);
    let mut reported = BTreeMap::new();
    for v in metrics["variants"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap().to_string();
        assert_eq!(v["n_records"], 36);
        assert_eq!(v["outcomes"]["ok"], 36);
        let dept = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "department")
            .unwrap_or_else(|| panic!("no department metrics for {name}"));
        let label = &dept["label"];
        let acc = label["accuracy"].as_f64().unwrap();
        let correct = label["correct"].as_u64().unwrap();
        assert_eq!(label["n"], 36);
        assert!((acc - correct as f64 / 36.0).abs() < 1e-12);
        reported.insert(name, acc);
    }
    assert_eq!(reported.len(), VARIANTS.len());
    for (v, acc) in &expected {
        assert!(
            (reported[v] - acc).abs() < 1e-12,
            "{v}: run.json says {} but the journal gives {acc}",
            reported[v]
        );
    }
    // The fixture is hard enough that the two variants differ and neither is perfect-or-bust.
    assert!(expected.values().all(|a| *a > 0.5));

    // stdout: the comparison table names each variant and prints its accuracy as recomputed.
    let header = run
        .stdout
        .lines()
        .find(|l| VARIANTS.iter().all(|v| l.contains(v)))
        .unwrap_or_else(|| panic!("no table header with every variant:\n{}", run.stdout));
    let acc_line = run
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("accuracy"))
        .unwrap_or_else(|| panic!("no accuracy row:\n{}", run.stdout));
    let mut order: Vec<(usize, &str)> = VARIANTS
        .iter()
        .map(|v| (header.find(v).unwrap(), *v))
        .collect();
    order.sort();
    let cells: Vec<&str> = acc_line
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells[0], "accuracy");
    for (i, (_, v)) in order.iter().enumerate() {
        assert_eq!(
            cells[i + 1],
            format!("{:.1}%", expected[*v] * 100.0),
            "accuracy of {v} in {acc_line:?}"
        );
    }
}

#[test]
fn a_second_run_into_the_same_folder_is_refused_and_changes_nothing() {
    let run = run_mini(&[]);
    let before = snapshot_tree(&run.dir);
    let out = verdict(&["run", EVAL, "--out", run.dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    // A finished run: said as much, and where to see it (a resume would have nothing to do).
    assert!(stderr.contains("already holds a finished run"), "{stderr}");
    assert!(stderr.contains("verdict report"), "{stderr}");
    assert_eq!(
        snapshot_tree(&run.dir),
        before,
        "the run folder was changed"
    );
}

#[test]
fn unknown_variant_is_refused_with_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let out = verdict(&[
        "run",
        EVAL,
        "--out",
        dir.to_str().unwrap(),
        "--variant",
        "local-wrd",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: --variant \"local-wrd\" is not a variant of this eval (did you mean \"local-word\"? variants: local-char, local-word)\n"
    );
    assert!(!dir.exists(), "nothing is written for a refused run");

    let out = verdict(&[
        "run",
        EVAL,
        "--out",
        dir.to_str().unwrap(),
        "--variant",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("(variants: local-char, local-word)") && !stderr.contains("did you mean"),
        "{stderr}"
    );
    assert!(!dir.exists());
}

#[test]
fn variant_selection_runs_only_that_variant() {
    let run = run_mini(&["--variant", "local-word"]);
    let preds = read_predictions(&run.dir);
    assert_eq!(preds.len(), 36);
    assert!(preds.iter().all(|p| p["variant"] == "local-word"));
    assert!(run.stdout.contains("local-word") && !run.stdout.contains("local-char"));
}

#[test]
fn report_renders_the_same_tables_and_json_parses() {
    let run = run_mini(&[]);
    let out = verdict(&["report", run.dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), run.stdout);

    let out = verdict(&["report", run.dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.dir.join("run.json")).unwrap()).unwrap();
    // The summary comes first, then every metric of run.json.
    let summary = report.as_object_mut().unwrap().remove("summary").unwrap();
    assert_eq!(summary["gate"], "no gate rules set");
    assert_eq!(report, run_json["metrics"]);
}

#[test]
fn run_with_json_format_prints_json() {
    let run = run_mini(&["--format", "json"]);
    let mut doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", run.stdout));
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.dir.join("run.json")).unwrap()).unwrap();
    assert!(doc.as_object_mut().unwrap().remove("summary").is_some());
    assert_eq!(doc, run_json["metrics"]);
    assert_eq!(doc["variants"].as_array().unwrap().len(), 2);
}

/// `verdict ... | head -0`: stdout closed before anything is printed ends quietly, no panic.
#[test]
fn closed_stdout_does_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let bin = assert_cmd::cargo::cargo_bin("verdict");
    for args in [
        vec!["run", EVAL, "--out", dir.to_str().unwrap()],
        vec!["report", dir.to_str().unwrap()],
        vec!["report", dir.to_str().unwrap(), "--format", "json"],
        vec!["validate", EVAL],
    ] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(root())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away at once
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
    // The run itself was complete even though nobody read its tables.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(doc["status"], "complete");
}

/// Copies the mini eval into `dir`.
fn copy_mini(dir: &Path) {
    let from = root().join("tests/fixtures/mini");
    let mut stack = vec![from.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            let dest = dir.join(p.strip_prefix(&from).unwrap());
            if p.is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
                stack.push(p);
            } else {
                std::fs::copy(&p, &dest).unwrap();
            }
        }
    }
}

/// `--resume` after the eval's files were edited used to refuse (a renamed variant, an edited
/// variant file) or mix two prompts' answers. A run folder now stands alone: the resume names
/// the files that differ, continues with the snapshot taken at the start (the renamed variant
/// included), and finishes the run as it began.
#[test]
fn resume_after_a_variant_was_renamed_or_edited_names_the_files_and_uses_the_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    copy_mini(tmp.path());
    let eval = tmp.path().join("eval.yaml");
    let dir = tmp.path().join("run");
    let out = verdict(&[
        "run",
        eval.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let complete = read_predictions(&dir);
    // An interrupted run: half the journal, status running.
    let journal = dir.join("predictions.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .take(40)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&journal, lines.concat()).unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    doc["status"] = "running".into();
    doc.as_object_mut().unwrap().remove("metrics");
    std::fs::write(dir.join("run.json"), doc.to_string()).unwrap();

    // The variant renamed and edited: the resume names the file and runs the snapshot's.
    let variant = tmp.path().join("prompts/local-word.yaml");
    let original = std::fs::read_to_string(&variant).unwrap();
    let edited = format!(
        "{}# tuned\n",
        original.replace("name: local-word\n", "name: local-words\n")
    );
    assert_ne!(edited, original);
    std::fs::write(&variant, edited).unwrap();
    let out = verdict(&["run", "--resume", dir.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("local-word.yaml (changed)"), "{stderr}");
    assert!(stderr.contains("continues with its snapshot"), "{stderr}");
    let resumed = read_predictions(&dir);
    assert_eq!(resumed.len(), 72);
    // The same classifier as the uninterrupted run (training is deterministic).
    let key = |p: &serde_json::Value| {
        (
            p["variant"].as_str().unwrap().to_string(),
            p["ticket"].as_str().unwrap().to_string(),
            p["outputs"].to_string(),
        )
    };
    let mut a: Vec<_> = complete.iter().map(key).collect();
    let mut b: Vec<_> = resumed.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

/// `--concurrency 0` used to be taken as 1 (while `run.concurrency: 0` is an error), and
/// `--max-cost nan` turned the budget off. Both are usage errors now (exit 2, nothing run).
#[test]
fn concurrency_zero_and_nan_max_cost_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    for (flag, value, expect) in [
        ("--concurrency", "0", "from 1 to 1024"),
        ("--concurrency", "5000", "from 1 to 1024"),
        ("--max-cost", "nan", "amount of US dollars"),
        ("--max-cost", "inf", "amount of US dollars"),
    ] {
        let out = verdict(&["run", EVAL, "--out", dir.to_str().unwrap(), flag, value]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(expect), "{flag} {value}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(!dir.exists(), "{flag} {value}: a run folder was made");
    }
    let out = verdict(&[
        "run",
        EVAL,
        "--dry-run",
        "--concurrency",
        "16",
        "--max-cost",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

/// `verdict report` / `run --resume` on a folder that is not a run (or on a file, or nothing)
/// used to print the OS error of `<dir>/run.json` ("No such file or directory", "Not a
/// directory"); they say what the folder is not, exit 2 and write nothing.
#[test]
fn report_and_resume_on_a_folder_that_is_not_a_run_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let missing = tmp.path().join("missing");
    for (dir, expect) in [
        (&empty, "is not a verdict run folder (it has no run.json)"),
        (&file, "is not a folder (expected a run folder"),
        (&missing, "is not a folder (expected a run folder"),
    ] {
        let d = dir.to_str().unwrap();
        for args in [vec!["report", d], vec!["run", "--resume", d]] {
            let before = snapshot_tree(tmp.path());
            let out = verdict(&args);
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(expect), "{args:?}: {stderr}");
            assert!(out.stdout.is_empty());
            assert_eq!(
                snapshot_tree(tmp.path()),
                before,
                "{args:?} wrote something"
            );
            assert!(!missing.exists());
        }
    }
}

/// `--out` naming an existing file used to fail with "<file>/predictions.jsonl: Not a
/// directory"; it says the file is not a folder, exits 2 and leaves the file alone.
#[test]
fn out_pointing_at_a_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("results.txt");
    std::fs::write(&file, "keep me").unwrap();
    let out = verdict(&["run", EVAL, "--out", file.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a file; name a folder"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// `--format table,md,json` prints the table and saves the others into the run folder as
/// report.<ext>, the same documents `verdict report RUN --format md|json` prints (issue 8).
#[test]
fn a_format_list_prints_the_first_and_saves_the_rest_into_the_run_folder() {
    let run = run_mini(&["--format", "table,md,json"]);
    assert!(run.stdout.contains("department"), "{}", run.stdout);
    let md = std::fs::read_to_string(run.dir.join("report.md")).unwrap();
    let json = std::fs::read_to_string(run.dir.join("report.json")).unwrap();
    assert!(run.dir.join("report.html").exists());
    let out = verdict(&["report", run.dir.to_str().unwrap(), "--format", "md"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), md);
    let out = verdict(&["report", run.dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), json);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["n_tickets"], 36);
    // `verdict score` writes nothing, so it takes one format.
    let out = verdict(&["score", run.dir.to_str().unwrap(), "--format", "table,json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one format"));
}

/// `verdict report RUN --format html` shows the tickets from the folder's own snapshot, so a
/// run folder downloaded from CI (no project beside it) still has them.
#[test]
fn the_html_report_of_a_copied_run_folder_shows_its_tickets() {
    let run = run_mini(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&run.dir).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(tmp.path())
        .args(["report", copy.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        !page.contains("The tickets are not shown"),
        "tickets missing"
    );
    let gold = std::fs::read_to_string(copy.join("gold.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(gold.lines().next().unwrap()).unwrap();
    let id = first["id"].as_str().unwrap();
    assert!(page.contains(id), "ticket {id} not in the page");
}

/// Issue 9 item 5, the resume side: a journal line whose `repeat` is not one of the run's
/// (`"repeat": 20000000` in a run of 1 repeat) is refused at its line by `verdict score RUN`
/// and `verdict run --resume RUN`, with exit 2, before anything is allocated for it.
#[test]
fn a_journal_repeat_beyond_the_runs_repeats_is_refused_at_its_line() {
    let run = run_mini(&[]);
    let journal = run.dir.join("predictions.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let n_lines = text.lines().count();
    let mut rec: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    rec["repeat"] = serde_json::json!(20_000_000u64);
    std::fs::write(&journal, format!("{text}{rec}\n")).unwrap();
    let want = format!(
        "predictions.jsonl:{}:1: repeat: repeat 20000000 of ticket",
        n_lines + 1
    );
    let out = verdict(&["score", run.dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&want), "{stderr}");
    assert!(stderr.contains("valid: 0 to 0"), "{stderr}");
    // Mark the run unfinished so the resume reads its journal.
    let run_json = run.dir.join("run.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run_json).unwrap()).unwrap();
    doc["status"] = serde_json::json!("running");
    std::fs::write(&run_json, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let out = verdict(&["run", "--resume", run.dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&want), "{stderr}");
}
