//! Fuzz-ish robustness: every shipped YAML file (and the fixtures' valid files), truncated
//! and garbled in many seeded ways, must make `verdict validate` exit 0 or 2 with a usable
//! message — never panic (exit 101), never die of a signal.
//!
//! Each eval tree is copied into a temp folder (large gold and training files are cut down to
//! a few dozen tickets so a load stays cheap in a debug build; the file being mutated is always
//! whole). One file at a time is overwritten with a mutated version. A few hundred cases go
//! through the binary; a few thousand more through `verdict::config::load_eval` in-process,
//! under `catch_unwind`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use verdict::error::Error;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A gold-format YAML file cut after its first `n` tickets (still valid).
fn first_tickets(rel: &str, n: usize) -> Vec<u8> {
    let text = String::from_utf8(read(rel)).unwrap();
    let mut out = String::new();
    let mut seen = 0;
    for line in text.lines() {
        if line.starts_with("  - id:") || line.starts_with("  - {id:") {
            seen += 1;
            if seen > n {
                break;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// The rows of a Banking77 CSV whose category is one of `keep`, header included.
fn csv_rows(rel: &str, keep: &[&str]) -> Vec<u8> {
    let bytes = read(rel);
    let mut rdr = csv::Reader::from_reader(&bytes[..]);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(rdr.headers().unwrap()).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if keep.contains(&&rec[1]) {
            w.write_record(&rec).unwrap();
        }
    }
    w.into_inner().unwrap()
}

const KEEP: &[&str] = &[
    "card_arrival",
    "card_linking",
    "exchange_rate",
    "lost_or_stolen_card",
];

/// A temp copy of an eval tree: (path inside the tree, bytes) for every file.
struct Tree {
    dir: tempfile::TempDir,
    eval: PathBuf,
    files: Vec<(String, Vec<u8>)>,
}

impl Tree {
    fn new(eval: &str, files: Vec<(String, Vec<u8>)>) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (rel, bytes) in &files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let tree = Tree {
            eval: PathBuf::from(eval),
            dir,
            files,
        };
        // The unmutated tree is valid, so every failure below comes from the mutation.
        if let Err(e) = verdict::config::load_eval(&tree.dir.path().join(&tree.eval)) {
            panic!("the base tree of {eval} is invalid: {e}");
        }
        tree
    }

    fn original(&self, rel: &str) -> &[u8] {
        &self.files.iter().find(|(r, _)| r == rel).unwrap().1
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join(rel), bytes).unwrap();
    }
}

fn as_files(pairs: &[(&str, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(r, b)| (r.to_string(), b.clone()))
        .collect()
}

/// evals/support.yaml and its prompts; gold and train cut down unless `full` names them.
fn support_tree(full: &[&str]) -> Tree {
    let mut files = vec![
        ("evals/support.yaml", read("evals/support.yaml")),
        (
            "evals/support/gold.yaml",
            if full.contains(&"gold") {
                read("evals/support/gold.yaml")
            } else {
                first_tickets("evals/support/gold.yaml", 10)
            },
        ),
        (
            "evals/support/train.yaml",
            if full.contains(&"train") {
                read("evals/support/train.yaml")
            } else {
                first_tickets("evals/support/train.yaml", 15)
            },
        ),
    ];
    for p in std::fs::read_dir(root().join("prompts/support")).unwrap() {
        let p = p.unwrap().path();
        let rel = format!(
            "prompts/support/{}",
            p.file_name().unwrap().to_str().unwrap()
        );
        files.push((Box::leak(rel.into_boxed_str()), std::fs::read(&p).unwrap()));
    }
    Tree::new("evals/support.yaml", as_files(&files))
}

/// evals/banking77.yaml and its prompts, on four intents of the CSVs; plus a JSONL gold of
/// the same rows (evals/jsonl.yaml) to garble JSONL too.
fn banking_tree() -> Tree {
    let test = csv_rows("evals/banking77/test.csv", KEEP);
    let mut jsonl = Vec::new();
    let mut rdr = csv::Reader::from_reader(&test[..]);
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let line =
            serde_json::json!({"id": format!("b-{i}"), "text": &rec[0], "intent": &rec[1], "n": i});
        jsonl.extend_from_slice(line.to_string().as_bytes());
        jsonl.push(b'\n');
    }
    let files = vec![
        ("evals/banking77.yaml", read("evals/banking77.yaml")),
        ("evals/banking77/test.csv", test),
        (
            "evals/banking77/train.csv",
            csv_rows("evals/banking77/train.csv", KEEP),
        ),
        (
            "prompts/banking77/tfidf-word.yaml",
            read("prompts/banking77/tfidf-word.yaml"),
        ),
        (
            "prompts/banking77/tfidf-word-char.yaml",
            read("prompts/banking77/tfidf-word-char.yaml"),
        ),
        (
            "evals/jsonl.yaml",
            b"name: jsonl\ngold: {path: jsonl/gold.jsonl, text: text, id: id, labels: {intent: intent}}\nvariants: [../prompts/banking77/tfidf-word.yaml]\n".to_vec(),
        ),
        ("evals/jsonl/gold.jsonl", jsonl),
    ];
    Tree::new("evals/banking77.yaml", as_files(&files))
}

/// Every file of a fixture folder.
fn fixture_tree(folder: &str) -> Tree {
    let mut files = Vec::new();
    let base = root().join(folder);
    let mut stack = vec![base.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(&base).unwrap().to_str().unwrap().to_string();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    Tree::new("eval.yaml", files)
}

/// Truncations: every 37th byte (thinned out to at most `max`), a random sample, and cuts in
/// the middle of multi-byte UTF-8 characters.
fn truncations(orig: &[u8], rng: &mut ChaCha8Rng, max: usize) -> Vec<(String, Vec<u8>)> {
    let grid: Vec<usize> = (0..orig.len()).step_by(37).collect();
    let stride = grid.len().div_ceil(max.max(1)).max(1);
    let mut offsets: Vec<usize> = grid.into_iter().step_by(stride).collect();
    for _ in 0..max / 4 + 1 {
        offsets.push(rng.gen_range(0..=orig.len()));
    }
    // Continuation bytes: cutting before one splits a character.
    let mid_char: Vec<usize> = (0..orig.len())
        .filter(|&i| orig[i] & 0xC0 == 0x80)
        .collect();
    for _ in 0..mid_char.len().min(5) {
        offsets.push(mid_char[rng.gen_range(0..mid_char.len())]);
    }
    offsets.sort_unstable();
    offsets.dedup();
    offsets
        .into_iter()
        .map(|o| (format!("truncated at byte {o}"), orig[..o].to_vec()))
        .collect()
}

const UNICODE: &[&str] = &[
    "é", "€", "😀", "\u{feff}", "\u{0}", "\u{200b}", "\r", "\u{2028}", "\u{85}", "ﬁ", "Ω",
    "\u{301}",
];
const YAML_BITS: &[&str] = &[
    ":",
    ": ",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!str ",
    "!!int ",
    "|",
    ">",
    "#",
    "'",
    "\"",
    "%",
    "@",
    "`",
    ",",
    "? ",
    "---\n",
    "...\n",
    "<<: *a\n",
    "~",
    "null",
    "true",
    "1e999",
    "-9223372036854775809",
    "0x",
    ".nan",
    "{{text}}",
];

/// One seeded garbling of `orig`.
fn garble(orig: &[u8], rng: &mut ChaCha8Rng) -> (String, Vec<u8>) {
    let mut lines: Vec<Vec<u8>> = orig
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    let n = lines.len();
    let kind = rng.gen_range(0..10);
    let pos = rng.gen_range(0..=orig.len());
    let (desc, out) = match kind {
        0 => {
            let mut out = orig.to_vec();
            let flips = rng.gen_range(1..4);
            for _ in 0..flips {
                if !out.is_empty() {
                    let i = rng.gen_range(0..out.len());
                    out[i] ^= rng.gen_range(1..=255u8);
                }
            }
            (format!("{flips} byte flips"), out)
        }
        1 => {
            let i = rng.gen_range(0..n);
            lines.remove(i);
            (format!("line {} deleted", i + 1), lines.concat())
        }
        2 => {
            let (i, j) = (rng.gen_range(0..n), rng.gen_range(0..n));
            lines.swap(i, j);
            (
                format!("lines {} and {} swapped", i + 1, j + 1),
                lines.concat(),
            )
        }
        3 => {
            let i = rng.gen_range(0..n);
            let l = lines[i].clone();
            lines.insert(i, l);
            (format!("line {} duplicated", i + 1), lines.concat())
        }
        4 => {
            let i = rng.gen_range(0..n);
            let body: Vec<u8> = lines[i]
                .iter()
                .copied()
                .skip_while(|&b| b == b' ')
                .collect();
            let indent = [0usize, 1, 3, 5, 8][rng.gen_range(0..5)];
            let mut l = vec![b' '; indent];
            l.extend(body);
            lines[i] = l;
            (
                format!("line {} re-indented to {indent}", i + 1),
                lines.concat(),
            )
        }
        5 => {
            let i = rng.gen_range(0..n);
            let body: Vec<u8> = lines[i]
                .iter()
                .copied()
                .skip_while(|&b| b == b' ')
                .collect();
            let mut l = vec![b'\t'];
            l.extend(body);
            lines[i] = l;
            (
                format!("line {} indented with a tab", i + 1),
                lines.concat(),
            )
        }
        6 => {
            let mut out = orig.to_vec();
            out.insert(pos, b'\t');
            (format!("tab inserted at byte {pos}"), out)
        }
        7 => {
            let s = UNICODE[rng.gen_range(0..UNICODE.len())];
            let mut out = orig.to_vec();
            out.splice(pos..pos, s.bytes());
            (format!("{s:?} inserted at byte {pos}"), out)
        }
        8 => {
            let s = YAML_BITS[rng.gen_range(0..YAML_BITS.len())];
            let mut out = orig.to_vec();
            out.splice(pos..pos, s.bytes());
            (format!("{s:?} inserted at byte {pos}"), out)
        }
        _ => {
            // A run of random bytes, valid UTF-8 or not.
            let len = rng.gen_range(1..12);
            let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            let mut out = orig.to_vec();
            out.splice(pos..pos, bytes.iter().copied());
            (format!("{len} random bytes inserted at byte {pos}"), out)
        }
    };
    (desc, out)
}

/// Truncations and garblings of one file, `n_garble` of the latter.
fn cases(orig: &[u8], seed: u64, max_trunc: usize, n_garble: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = truncations(orig, &mut rng, max_trunc);
    for _ in 0..n_garble {
        out.push(garble(orig, &mut rng));
    }
    out
}

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Loads the tree in-process; returns a description of what is wrong, if anything.
fn check_in_process(tree: &Tree, rel: &str, mutated: &[u8]) -> Option<String> {
    let eval = tree.dir.path().join(&tree.eval);
    let result = catch_unwind(AssertUnwindSafe(|| {
        verdict::config::load_eval(&eval).map(|_| ())
    }));
    let n_lines = mutated.split(|&b| b == b'\n').count();
    match result {
        Err(_) => Some("panicked".into()),
        Ok(Ok(())) => None,
        Ok(Err(Error::Invalid(diags))) => {
            if diags.is_empty() {
                return Some("Invalid with no diagnostic".into());
            }
            for d in &diags {
                let text = d.to_string();
                if d.message.trim().is_empty() {
                    return Some(format!("empty message: {text}"));
                }
                if let Some(p) = d.pos {
                    if p.line == 0 || p.col == 0 {
                        return Some(format!("0-based position: {text}"));
                    }
                    // A position in the mutated file lies within it.
                    if d.file.ends_with(rel) && p.line > n_lines + 1 {
                        return Some(format!("line past the end ({n_lines} lines): {text}"));
                    }
                }
            }
            None
        }
        Ok(Err(Error::Usage(msg))) if !msg.is_empty() && !msg.contains('\n') => None,
        Ok(Err(other)) => Some(format!("unexpected error kind: {other:?}")),
    }
}

/// Runs the binary; returns a description of what is wrong, if anything.
fn check_binary(tree: &Tree) -> Option<String> {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("verdict"))
        .current_dir(tree.dir.path())
        .arg("validate")
        .arg(&tree.eval)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        None => Some(format!("killed by a signal: {:?}", out.status)),
        Some(0) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            (!stdout.contains(": ok: ")).then(|| format!("exit 0 without ok: {stdout}"))
        }
        Some(2) => {
            let lines: Vec<&str> = stderr.lines().collect();
            let positioned = lines.iter().skip(1).any(|l| {
                let mut parts = l.splitn(4, ':');
                let (_f, line, col) = (parts.next(), parts.next(), parts.next());
                line.and_then(|s| s.parse::<usize>().ok())
                    .is_some_and(|n| n >= 1)
                    && col
                        .and_then(|s| s.parse::<usize>().ok())
                        .is_some_and(|n| n >= 1)
            });
            let one_line = lines.len() == 1 && lines[0].len() > "error: ".len();
            if !out.stdout.is_empty() {
                Some(format!(
                    "exit 2 with stdout: {}",
                    String::from_utf8_lossy(&out.stdout)
                ))
            } else if !(lines.first().is_some_and(|l| l.starts_with("error: "))
                && (positioned || one_line))
            {
                Some(format!("unclear message:\n{stderr}"))
            } else {
                None
            }
        }
        Some(code) => Some(format!("exit code {code}:\n{stderr}")),
    }
}

/// Mutates each of `files` in `tree`: `n_bin` cases of each through the binary, the rest
/// in-process. Returns failures.
fn fuzz(tree: &Tree, files: &[&str], max_trunc: usize, n_garble: usize, n_bin: usize) -> usize {
    let mut failures = Vec::new();
    let mut total = 0;
    let (mut t_in, mut t_bin, mut n_bin_run) =
        (std::time::Duration::ZERO, std::time::Duration::ZERO, 0);
    for rel in files {
        let orig = tree.original(rel).to_vec();
        let all = cases(&orig, seed_of(rel), max_trunc, n_garble);
        // Every k-th case also goes through the binary.
        let k = (all.len() / n_bin.max(1)).max(1);
        for (i, (desc, bytes)) in all.iter().enumerate() {
            tree.write(rel, bytes);
            total += 1;
            let t = std::time::Instant::now();
            if let Some(why) = check_in_process(tree, rel, bytes) {
                failures.push(format!("{rel}, {desc} (in-process): {why}"));
            }
            t_in += t.elapsed();
            if i % k == 0 {
                let t = std::time::Instant::now();
                let r = check_binary(tree);
                t_bin += t.elapsed();
                n_bin_run += 1;
                if let Some(why) = r {
                    failures.push(format!("{rel}, {desc} (binary): {why}"));
                }
            }
        }
        tree.write(rel, &orig);
    }
    eprintln!("TIMING {files:?}: {total} in-process {t_in:?}, {n_bin_run} binary {t_bin:?}");
    if !failures.is_empty() {
        // Keep the first failing input for a look.
        panic!(
            "{} of {total} mutated inputs failed:\n{}",
            failures.len(),
            failures
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    total
}

#[test]
fn support_eval_and_prompts_survive_mutation() {
    let tree = support_tree(&[]);
    let mut files: Vec<String> = tree
        .files
        .iter()
        .map(|(r, _)| r.clone())
        .filter(|r| r.starts_with("prompts/") || r == "evals/support.yaml")
        .collect();
    files.sort();
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let n = fuzz(&tree, &refs, 30, 40, 6);
    assert!(n >= 400, "{n}");
}

#[test]
fn support_gold_and_train_survive_mutation() {
    // The mutated file is whole; the other one is cut down.
    let n = fuzz(
        &support_tree(&["gold"]),
        &["evals/support/gold.yaml"],
        15,
        20,
        8,
    ) + fuzz(
        &support_tree(&["train"]),
        &["evals/support/train.yaml"],
        12,
        15,
        6,
    );
    assert!(n >= 60, "{n}");
}

#[test]
fn banking77_yaml_csv_and_jsonl_survive_mutation() {
    let tree = banking_tree();
    let n = fuzz(
        &tree,
        &[
            "evals/banking77.yaml",
            "prompts/banking77/tfidf-word.yaml",
            "prompts/banking77/tfidf-word-char.yaml",
        ],
        30,
        80,
        15,
    );
    // Tables: garbled CSV and JSONL gold files.
    let csv = fuzz(&tree, &["evals/banking77/test.csv"], 25, 50, 8);
    let jsonl_tree = Tree {
        eval: PathBuf::from("evals/jsonl.yaml"),
        dir: tree.dir,
        files: tree.files,
    };
    let jsonl = fuzz(
        &jsonl_tree,
        &["evals/jsonl.yaml", "evals/jsonl/gold.jsonl"],
        25,
        60,
        8,
    );
    assert!(n + csv + jsonl >= 400, "{}", n + csv + jsonl);
}

#[test]
fn fixture_files_survive_mutation() {
    let mini = fixture_tree("tests/fixtures/mini");
    let n = fuzz(
        &mini,
        &[
            "eval.yaml",
            "gold.yaml",
            "train.yaml",
            "prompts/local-word.yaml",
            "prompts/local-char.yaml",
        ],
        30,
        70,
        10,
    );
    // An LLM variant with tools, a schema and tool_choice (the valid files of a fixture
    // whose gold set is made valid again here).
    let llm = fixture_tree_fixed();
    let m = fuzz(
        &llm,
        &["variant.yaml", "eval.yaml", "gold.yaml"],
        60,
        250,
        10,
    );
    assert!(n + m >= 1200, "{}", n + m);
}

/// The `label_not_a_value` fixture with its one mistake undone: a valid eval with an LLM
/// variant (tools, enums, outputs, tool_choice) and a gold set with all three field kinds.
fn fixture_tree_fixed() -> Tree {
    let dir = "tests/fixtures/invalid/label_not_a_value";
    let gold = String::from_utf8(read(&format!("{dir}/gold.yaml")))
        .unwrap()
        .replace("techincal", "technical");
    Tree::new(
        "eval.yaml",
        vec![
            ("eval.yaml".into(), read(&format!("{dir}/eval.yaml"))),
            ("gold.yaml".into(), gold.into_bytes()),
            ("variant.yaml".into(), read(&format!("{dir}/variant.yaml"))),
        ],
    )
}

/// Inputs that have broken parsers elsewhere: deep nesting, alias bombs kept small, huge
/// numbers, odd keys.
#[test]
fn pathological_yaml_is_an_error_not_a_crash() {
    let tree = fixture_tree_fixed();
    let deep = format!(
        "name: x\ngold: gold.yaml\nvariants: {}\n",
        "[".repeat(100_000)
    );
    let deep_block: String = (0..2000)
        .map(|i| format!("{}- \n", " ".repeat(i)))
        .collect();
    let inputs: Vec<(&str, String)> = vec![
        ("deep flow", deep),
        ("deep block", format!("name: x\ngold: gold.yaml\nvariants:\n{deep_block}")),
        ("empty", String::new()),
        ("only a comment", "# nothing\n".into()),
        ("a scalar", "hello\n".into()),
        ("a list", "- a\n- b\n".into()),
        ("two documents", "name: a\n---\nname: b\n".into()),
        ("null key", "~: 1\nname: x\n".into()),
        ("complex key", "? [a, b]\n: 1\nname: x\n".into()),
        ("int key", "1: a\nname: x\ngold: gold.yaml\nvariants: [variant.yaml]\n".into()),
        ("alias of a map", "name: &n x\ngold: gold.yaml\nvariants: [variant.yaml]\nrun: &r {seed: 1}\ncalibration: *r\n".into()),
        ("undefined alias", "name: *nope\n".into()),
        ("huge int", "name: x\ngold: gold.yaml\nvariants: [variant.yaml]\nrun: {seed: 99999999999999999999999}\n".into()),
        ("negative seed", "name: x\ngold: gold.yaml\nvariants: [variant.yaml]\nrun: {seed: -1}\n".into()),
        ("nan", "name: x\ngold: gold.yaml\nvariants: [variant.yaml]\nrouting: {route_at: .nan}\n".into()),
        ("tags", "!!map {name: !!str x, gold: gold.yaml, variants: [variant.yaml]}\n".into()),
        ("bom", "\u{feff}name: x\ngold: gold.yaml\nvariants: [variant.yaml]\n".into()),
        ("crlf", "name: x\r\ngold: gold.yaml\r\nvariants: [variant.yaml]\r\n".into()),
        ("nul", "name: x\0\ngold: gold.yaml\n".into()),
        ("absolute glob", "name: x\ngold: gold.yaml\nvariants: ['/nonexistent/**/[*.yaml']\n".into()),
        ("directory as gold", "name: x\ngold: .\nvariants: [variant.yaml]\n".into()),
        ("directory as variant", "name: x\ngold: gold.yaml\nvariants: ['.']\n".into()),
    ];
    let mut failures = Vec::new();
    for (desc, text) in &inputs {
        tree.write("eval.yaml", text.as_bytes());
        if let Some(why) = check_in_process(&tree, "eval.yaml", text.as_bytes()) {
            failures.push(format!("{desc} (in-process): {why}"));
        }
        if let Some(why) = check_binary(&tree) {
            failures.push(format!("{desc} (binary): {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Malformed base URLs (issue 9 item 3): hand-picked ones and seeded mutations of a good
/// one. In process, resolving never panics and anything that is not an http(s) URL with a
/// host is refused; through the binary (`--dry-run`, so nothing is sent even when a mutation
/// is a valid URL) each exits 0 or 2, and 2 names `ANTHROPIC_BASE_URL`.
#[test]
fn malformed_base_urls_are_a_config_error_not_a_crash() {
    use verdict::provider::client::{check_base_url, resolve_base_url};
    let good = "http://127.0.0.1:9/v1";
    let mut urls: Vec<String> = [
        "not a url",
        "ftp://example.com",
        "http://",
        "https://",
        "http:/127.0.0.1",
        "127.0.0.1:8000",
        "//127.0.0.1",
        "http://[::1",
        "http://exa mple.com",
        "http://127.0.0.1:99999",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://h/?q=1",
        "http://h/#frag",
        "\u{feff}http://h",
        "http://\u{0}",
        "ht\ttp://h",
        "http://ü.example",
        " ",
        "💥",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("base-url"));
    let pieces = [
        "", " ", "/", ":", "//", "?", "#", "[", "]", "@", "%", "%zz", "\\", "💥", "ftp", "\n",
    ];
    for _ in 0..3000 {
        let mut s: Vec<char> = good.chars().collect();
        for _ in 0..rng.gen_range(1..4) {
            let at = rng.gen_range(0..=s.len());
            match rng.gen_range(0..3) {
                0 if at < s.len() => {
                    s.remove(at);
                }
                1 => {
                    let p = pieces[rng.gen_range(0..pieces.len())];
                    for (i, c) in p.chars().enumerate() {
                        s.insert(at + i, c);
                    }
                }
                _ => s.truncate(at),
            }
        }
        urls.push(s.into_iter().collect());
    }
    let spec = |url: &str| verdict::variant::LlmSpec {
        model: "m".into(),
        max_tokens: 10,
        temperature: None,
        base_url: Some(url.into()),
        api_key_env: None,
        system: None,
        user: verdict::template::UserTemplate::parse("{{text}}").unwrap(),
        tools: vec![],
        tool_choice: verdict::variant::ToolChoice::Any,
        examples: vec![],
    };
    let mut refused = 0;
    for url in &urls {
        let r = catch_unwind(AssertUnwindSafe(|| {
            resolve_base_url(verdict::variant::ProviderKind::Anthropic, &spec(url))
        }))
        .unwrap_or_else(|_| panic!("resolving {url:?} panicked"));
        match r {
            Ok(_) => {
                let u = reqwest::Url::parse(url.trim()).unwrap();
                assert!(matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            }
            Err(e) => {
                refused += 1;
                assert!(
                    e.contains("`base_url:`") && e.contains(&format!("{url:?}")),
                    "{e}"
                );
                assert!(check_base_url(url).is_err());
            }
        }
    }
    assert!(refused > 500, "only {refused} of {} refused", urls.len());
    // Through the binary: the hand-picked ones and a sample of the mutations.
    let tmp = tempfile::tempdir().unwrap();
    let sample: Vec<&String> = urls
        .iter()
        .take(20)
        .chain(urls.iter().skip(20).step_by(150))
        .filter(|u| !u.contains('\0'))
        .collect();
    for url in sample {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
            .current_dir(root())
            .args(["run", "evals/support.yaml", "--variant", "classify-ticket"])
            .args(["--limit", "2", "--dry-run", "--out"])
            .arg(tmp.path().join("run"))
            .env("ANTHROPIC_BASE_URL", url)
            .env("ANTHROPIC_API_KEY", "k")
            .env("CI", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => assert!(check_base_url(url.trim()).is_ok() || url.trim().is_empty()),
            Some(2) => assert!(stderr.contains("ANTHROPIC_BASE_URL"), "{url:?}: {stderr}"),
            other => panic!("{url:?}: exit {other:?}\n{stderr}"),
        }
        assert!(!tmp.path().join("run").exists());
    }
}

/// Issue 9 item 1: placeholders inside ticket text. Seeded random user templates (literal
/// text, placeholders, the `{{"{{"}}` escape) and ticket texts full of `{{id}}`, `{{tags}}`,
/// `{{text}}`, stray braces and quotes: a valid template renders to exactly what its parts
/// say, the ticket text inserted verbatim (never scanned again); a template with an unknown
/// placeholder is an error pointing at that placeholder in the file.
#[test]
fn placeholders_inside_ticket_text_are_sent_verbatim() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("placeholders"));
    let tree = fixture_tree_fixed();
    let variant = String::from_utf8(tree.original("variant.yaml").to_vec()).unwrap();
    let gold = String::from_utf8(tree.original("gold.yaml").to_vec()).unwrap();
    const TEXT_PIECES: &[&str] = &[
        "{{id}}",
        "{{tags}}",
        "{{text}}",
        "{{ text }}",
        "{{",
        "}}",
        "{",
        "}",
        "{{\"{{\"}}",
        "{{customer}}",
        "\"",
        "'",
        "\\",
        "é",
        "\n",
        " ",
        "a",
        "#",
        ": ",
    ];
    const LITERAL_PIECES: &[&str] = &["}}", "}", "{a", "\"", "é", "\n", " ", "x", ": ", "#"];
    let mut failures = Vec::new();
    for case in 0..300 {
        // The ticket text.
        let text: String = (0..rng.gen_range(1..12))
            .map(|_| TEXT_PIECES[rng.gen_range(0..TEXT_PIECES.len())])
            .collect::<String>()
            + "end";
        // The template and what it must render to, part by part.
        let (tags, id) = (vec!["en".to_string()], "T-1");
        let mut template = String::new();
        let mut expected = String::new();
        let mut has_text = false;
        for _ in 0..rng.gen_range(1..8) {
            let (src, out) = match rng.gen_range(0..6) {
                0 => ("{{text}}".to_string(), text.clone()),
                1 => ("{{id}}".to_string(), id.to_string()),
                2 => ("{{ tags }}".to_string(), tags.join(", ")),
                3 => ("{{\"{{\"}}".to_string(), "{{".to_string()),
                _ => {
                    let s = LITERAL_PIECES[rng.gen_range(0..LITERAL_PIECES.len())];
                    (s.to_string(), s.to_string())
                }
            };
            has_text |= src == "{{text}}";
            template.push_str(&src);
            expected.push_str(&out);
        }
        if !has_text {
            template.push_str("{{text}}");
            expected.push_str(&text);
        }
        let broken = rng.gen_bool(0.25);
        if broken {
            template.push_str(" {{customer}}");
        }
        let user_line = format!("user: {}", serde_json::to_string(&template).unwrap());
        let v = variant
            .lines()
            .map(|l| {
                if l.starts_with("user:") {
                    user_line.as_str()
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let g = gold.replacen(
            "\"I was charged twice this month, please refund one.\"",
            &serde_json::to_string(&text).unwrap(),
            1,
        );
        tree.write("variant.yaml", v.as_bytes());
        tree.write("gold.yaml", g.as_bytes());
        let result = verdict::config::load_eval(&tree.dir.path().join(&tree.eval));
        match (broken, result) {
            (false, Ok(eval)) => {
                let verdict::variant::VariantSpec::Llm(spec) = &eval.variants[0].spec else {
                    panic!("an LLM variant")
                };
                let ticket = &eval.gold.tickets[0];
                assert_eq!(ticket.text, text, "case {case}: the gold text");
                let got = spec.render_user(&ticket.text, id, &tags);
                if got != expected {
                    failures.push(format!(
                        "case {case}: template {template:?}, text {text:?}: got {got:?}, want {expected:?}"
                    ));
                }
            }
            (true, Err(Error::Invalid(diags))) => {
                let d = &diags[0];
                let pos = d.pos.unwrap();
                let line = v.lines().nth(pos.line - 1).unwrap_or_default();
                let at: String = line.chars().skip(pos.col - 1).take(12).collect();
                if diags.len() != 1
                    || !d.message.contains("unknown placeholder")
                    || at != "{{customer}}"
                {
                    failures.push(format!("case {case}: {template:?}: {diags:?} (at {at:?})"));
                }
            }
            (_, other) => failures.push(format!(
                "case {case}: template {template:?}, text {text:?}, broken {broken}: {:?}",
                other.map(|_| ())
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Issue 11: UTF-16 files (with and without a byte order mark) and NUL bytes anywhere are an
/// error that says so, at a position, for every kind of input file (eval, variant, gold YAML,
/// CSV, JSONL), never "unexpected end of stream" or a crash.
#[test]
fn utf16_files_and_nul_bytes_are_named() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("utf16-nul"));
    let support = support_tree(&[]);
    let banking = banking_tree();
    let jsonl = Tree::new(
        "evals/jsonl.yaml",
        banking
            .files
            .iter()
            .map(|(r, b)| (r.clone(), b.clone()))
            .collect(),
    );
    let mut failures = Vec::new();
    let mut cases = 0;
    for (tree, rel) in [
        (&support, "evals/support.yaml"),
        (&support, "evals/support/gold.yaml"),
        (&support, "prompts/support/classify-ticket.yaml"),
        (&banking, "evals/banking77/test.csv"),
        (&jsonl, "evals/jsonl/gold.jsonl"),
    ] {
        let orig = tree.original(rel).to_vec();
        let text = String::from_utf8(orig.clone()).unwrap();
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let mut variants: Vec<(String, Vec<u8>, &str)> = vec![
            (
                "utf-16le bom".into(),
                [&[0xff, 0xfe][..], &le].concat(),
                "UTF-16",
            ),
            (
                "utf-16be bom".into(),
                [&[0xfe, 0xff][..], &be].concat(),
                "UTF-16",
            ),
            ("utf-16le".into(), le.clone(), "UTF-16"),
        ];
        for _ in 0..20 {
            let at = rng.gen_range(0..orig.len());
            let mut m = orig.clone();
            m.insert(at, 0);
            variants.push((format!("NUL at byte {at}"), m, "NUL byte"));
        }
        for (desc, bytes, needle) in variants {
            cases += 1;
            tree.write(rel, &bytes);
            let eval = tree.dir.path().join(&tree.eval);
            match verdict::config::load_eval(&eval) {
                Err(Error::Invalid(diags))
                    if diags.iter().any(|d| {
                        d.file.ends_with(rel) && d.pos.is_some() && d.message.contains(needle)
                    }) => {}
                other => failures.push(format!(
                    "{rel}, {desc}: {:?}",
                    other.map(|_| ()).map_err(|e| e.to_string())
                )),
            }
        }
        tree.write(rel, &orig);
    }
    assert!(cases >= 100);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Issue 11 item 4: merge keys (`<<`) inserted into every mapping line of the YAML files, with
/// an alias, an inline mapping, a list, or something that cannot be merged: exit 0 or a
/// positioned error, never a panic or "unknown key `<<`".
#[test]
fn merge_keys_anywhere_are_merged_or_named() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("merge-keys"));
    let tree = fixture_tree_fixed();
    let mut failures = Vec::new();
    let mut cases = 0;
    for rel in ["eval.yaml", "gold.yaml", "variant.yaml"] {
        let orig = String::from_utf8(tree.original(rel).to_vec()).unwrap();
        let lines: Vec<&str> = orig.lines().collect();
        for _ in 0..40 {
            let at = rng.gen_range(0..lines.len());
            let line = lines[at];
            let indent: String = line.chars().take_while(|c| *c == ' ').collect();
            let merge = match rng.gen_range(0..5) {
                0 => "<<: {}".to_string(),
                1 => "<<: {description: merged}".to_string(),
                2 => "<<: [{}, {}]".to_string(),
                3 => "<<: 3".to_string(),
                _ => "<<: [a, b]".to_string(),
            };
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            // After a mapping line (`key: value` or `- key: value`), at its key's indent.
            let key_indent = if line.trim_start().starts_with("- ") {
                format!("{indent}  ")
            } else {
                indent
            };
            out.insert(at + 1, format!("{key_indent}{merge}"));
            let text = out.join("\n") + "\n";
            cases += 1;
            tree.write(rel, text.as_bytes());
            if let Some(why) = check_in_process(&tree, rel, text.as_bytes()) {
                failures.push(format!("{rel} line {}: {merge}: {why}", at + 2));
            }
            if let Err(Error::Invalid(diags)) =
                verdict::config::load_eval(&tree.dir.path().join(&tree.eval))
            {
                if let Some(d) = diags
                    .iter()
                    .find(|d| d.message.contains("unknown key `<<`"))
                {
                    failures.push(format!("{rel}: merge key not merged: {d}"));
                }
            }
        }
        tree.write(rel, orig.as_bytes());
    }
    if let Some(why) = check_binary(&tree) {
        failures.push(format!("restored tree: {why}"));
    }
    assert!(cases >= 100);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Huge numbers in a predictions file (`verdict score`): every numeric key of a record set to
/// values at and past the limits of its type. Each must give exit 0 or 2 with a message, never
/// a panic, a signal or an allocation sized by the number (a `repeat` of 4,294,967,295 used to
/// take minutes and gigabytes; issue 9 item 5).
#[test]
fn huge_numbers_in_predictions_are_an_error_or_scored_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gold.yaml"),
        "fields:\n  dept: {kind: label, values: [billing, tech]}\ntickets:\n  - {id: T1, text: a, labels: {dept: billing}}\n  - {id: T2, text: b, labels: {dept: tech}}\n",
    )
    .unwrap();
    let huge = [
        "999",
        "1000",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "1e308",
        "-1e308",
        "1e400",
        "-1",
        "123456789012345678901234567890",
    ];
    let keys = [
        "v",
        "repeat",
        "confidence",
        "latency_ms",
        "cost_usd",
        "attempts",
        "usage.input_tokens",
    ];
    for key in keys {
        for n in huge {
            let mut rec = serde_json::json!({
                "v": 1, "variant": "a", "ticket": "T1", "repeat": 0, "outcome": "ok",
                "outputs": {"dept": "billing"}, "confidence": 0.5, "latency_ms": 10.0,
                "cost_usd": 0.001, "attempts": 1,
                "usage": {"input_tokens": 10, "output_tokens": 5},
            })
            .to_string();
            // Put the number in as written (serde_json would round or refuse it).
            let (outer, inner) = key.split_once('.').unwrap_or((key, ""));
            let target = if inner.is_empty() { outer } else { inner };
            let needle = format!("\"{target}\":");
            let start = rec.find(&needle).unwrap() + needle.len();
            let end = start + rec[start..].find([',', '}']).unwrap();
            rec.replace_range(start..end, n);
            let other = r#"{"v":1,"variant":"a","ticket":"T2","repeat":0,"outcome":"ok","outputs":{"dept":"tech"},"usage":{"input_tokens":18446744073709551615,"output_tokens":1}}"#;
            std::fs::write(dir.path().join("p.jsonl"), format!("{rec}\n{other}\n")).unwrap();
            let out = assert_cmd::Command::cargo_bin("verdict")
                .unwrap()
                .current_dir(dir.path())
                .args(["score", "--gold", "gold.yaml", "--predictions", "p.jsonl"])
                .args(["--format", "json"])
                .timeout(std::time::Duration::from_secs(60))
                .output()
                .unwrap();
            let code = out.status.code();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                matches!(code, Some(0) | Some(2)),
                "{key} = {n}: exit {code:?}\n{err}"
            );
            if code == Some(2) {
                assert!(err.contains("p.jsonl:1:"), "{key} = {n}: {err}");
            }
        }
    }
}

/// Issue 11 item 5: CSV dialect errors in the banking77 test set (a quote opened at the start
/// of a random cell, `;` or tab separators, a column name used twice, a label with spaces
/// around it): each is an error at a position in the CSV that says what is wrong, never a
/// panic, a pass or advice about commas.
#[test]
fn csv_dialect_errors_are_named() {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("csv-dialect"));
    let tree = banking_tree();
    let rel = "evals/banking77/test.csv";
    let orig = String::from_utf8(tree.original(rel).to_vec()).unwrap();
    let lines: Vec<&str> = orig.lines().collect();
    // Cells as written: (line index, byte offset of the cell in the line).
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for (i, l) in lines.iter().enumerate().skip(1) {
        // Unquoted lines only, so that every comma separates cells.
        if !l.contains('"') {
            starts.push((i, 0));
            starts.extend(l.match_indices(',').map(|(b, _)| (i, b + 1)));
        }
    }
    let with_line = |i: usize, new: String| {
        let mut ls: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        ls[i] = new;
        ls.join("\n") + "\n"
    };
    let mut cases: Vec<(String, String, &str)> = vec![
        (
            "semicolons".into(),
            lines
                .iter()
                .map(|l| {
                    if l.contains('"') {
                        l.to_string()
                    } else {
                        l.replace(',', ";")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
            "separated by semicolons",
        ),
        (
            "tabs".into(),
            with_line(0, lines[0].replace(',', "\t")),
            "separated by tabs",
        ),
        (
            "duplicate column".into(),
            with_line(0, lines[0].replace("category", "text")),
            "is used twice in the header",
        ),
    ];
    for _ in 0..40 {
        let (i, b) = starts[rng.gen_range(0..starts.len())];
        let mut l = lines[i].to_string();
        l.insert(b, '"');
        cases.push((
            format!("quote opened at line {} byte {b}", i + 1),
            with_line(i, l),
            "unclosed quote",
        ));
    }
    for _ in 0..10 {
        let i = rng.gen_range(1..lines.len());
        let Some((text, label)) = lines[i].rsplit_once(',') else {
            continue;
        };
        cases.push((
            format!("spaces around the label on line {}", i + 1),
            with_line(i, format!("{text}, {label} ")),
            "has surrounding spaces",
        ));
    }
    let mut failures = Vec::new();
    for (desc, text, needle) in &cases {
        tree.write(rel, text.as_bytes());
        let eval = tree.dir.path().join(&tree.eval);
        let result = catch_unwind(AssertUnwindSafe(|| verdict::config::load_eval(&eval)));
        match result {
            Ok(Err(Error::Invalid(diags)))
                if diags.iter().any(|d| {
                    d.file.ends_with(rel) && d.pos.is_some() && d.message.contains(needle)
                }) && !diags.iter().any(|d| {
                    d.message.contains("quote a value that contains a comma")
                        && *needle == "unclosed quote"
                }) => {}
            Ok(other) => failures.push(format!(
                "{desc}: {:?}",
                other.map(|_| ()).map_err(|e| e.to_string())
            )),
            Err(_) => failures.push(format!("{desc}: panicked")),
        }
    }
    tree.write(rel, orig.as_bytes());
    assert!(cases.len() >= 50, "{}", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Huge numbers in a run folder's journal (issue 9 item 5, resume side): every numeric key of
/// a journaled record set to values at and past the limits of its type, then `verdict score
/// RUN` and `verdict run --resume RUN` on the folder. Each must give exit 0 or 2 with a message
/// at the record's line, never a panic, a signal or an allocation sized by the number.
#[test]
fn huge_numbers_in_a_journal_are_an_error_or_graded_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("gold.yaml"),
        "fields:\n  dept: {kind: label, values: [billing, tech]}\ntickets:\n  - {id: T1, text: refund my invoice, labels: {dept: billing}}\n  - {id: T2, text: the app crashes, labels: {dept: tech}}\n  - {id: T3, text: charged twice, labels: {dept: billing}}\n",
    )
    .unwrap();
    std::fs::write(
        p.join("local.yaml"),
        "name: local\nprovider: local\nlocal:\n  examples:\n    - {text: refund invoice charged, labels: {dept: billing}}\n    - {text: app crashes error, labels: {dept: tech}}\n",
    )
    .unwrap();
    std::fs::write(
        p.join("eval.yaml"),
        "name: journal-fuzz\ngold: gold.yaml\nvariants: [local.yaml]\n",
    )
    .unwrap();
    let verdict = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("verdict")
            .unwrap()
            .current_dir(p)
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let out = verdict(&["run", "eval.yaml", "--out", "run", "--quiet"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = p.join("run");
    let journal = std::fs::read_to_string(run.join("predictions.jsonl")).unwrap();
    let run_json = std::fs::read_to_string(run.join("run.json")).unwrap();
    let mut running: serde_json::Value = serde_json::from_str(&run_json).unwrap();
    running["status"] = serde_json::json!("running");
    let running = serde_json::to_string_pretty(&running).unwrap();
    let first = journal.lines().next().unwrap();
    let rest: String = journal.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let huge = [
        "1",
        "1000",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "1e308",
        "-1e308",
        "1e400",
        "-1",
        "123456789012345678901234567890",
    ];
    let mut tried = Vec::new();
    for key in [
        "v",
        "repeat",
        "confidence",
        "latency_ms",
        "latency_e2e_ms",
        "attempts",
    ] {
        let needle = format!("\"{key}\":");
        let Some(at) = first.find(&needle) else {
            continue;
        };
        tried.push(key);
        for n in huge {
            let start = at + needle.len();
            let end = start + first[start..].find([',', '}']).unwrap();
            let mut rec = first.to_string();
            rec.replace_range(start..end, n);
            std::fs::write(run.join("predictions.jsonl"), format!("{rec}\n{rest}")).unwrap();
            for (what, status, args) in [
                (
                    "score RUN",
                    &run_json,
                    vec!["score", "run", "--format", "json"],
                ),
                (
                    "run --resume",
                    &running,
                    vec!["run", "--resume", "run", "--quiet"],
                ),
            ] {
                std::fs::write(run.join("run.json"), status).unwrap();
                let out = verdict(&args);
                let code = out.status.code();
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(
                    matches!(code, Some(0) | Some(2)),
                    "{what}: {key} = {n}: exit {code:?}\n{err}"
                );
                if code == Some(2) {
                    assert!(
                        err.contains("predictions.jsonl:1:"),
                        "{what}: {key} = {n}: {err}"
                    );
                }
            }
        }
    }
    assert!(
        tried.contains(&"v") && tried.contains(&"repeat") && tried.contains(&"latency_ms"),
        "the journal record lacks keys this test mutates: {first}"
    );
}
