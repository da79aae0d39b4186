//! One fixture per class of input error, each run through the real binary (`verdict validate`)
//! with a snapshot of its full message.
//!
//! Every fixture folder under `tests/fixtures/invalid/` holds an `eval.yaml` and the files it
//! names, each broken in one way (`many_problems` in several). A fixture is copied to a temp
//! folder and validated from there, so the paths in messages are short and stable
//! (`gold.yaml:12:9: ...`) and the test can check that nothing was written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid")
        .join(name)
}

/// Every file and folder below `dir`, relative to it.
fn listing(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            out.insert(p.strip_prefix(dir).unwrap().to_path_buf());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Runs `verdict <cmd> eval.yaml` in a copy of the fixture; checks exit code 2, empty stdout and
/// that no file appeared; returns stderr.
fn run_fixture(name: &str, cmd: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture_dir(name), tmp.path());
    let before = listing(tmp.path());
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(tmp.path())
        .args([cmd, "eval.yaml"])
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{name}: expected exit code 2; stderr:\n{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{name}: stdout should be empty, got {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        listing(tmp.path()),
        before,
        "{name}: `verdict {cmd}` created or removed files"
    );
    assert!(!tmp.path().join("reports").exists());
    stderr
}

/// `file:line:col: rest` -> (file, line, col, rest).
fn split_position(line: &str) -> Option<(&str, usize, usize, &str)> {
    let mut parts = line.splitn(4, ':');
    let file = parts.next()?;
    let l = parts.next()?.parse().ok()?;
    let c = parts.next()?.parse().ok()?;
    let rest = parts.next()?.strip_prefix(' ')?;
    Some((file, l, c, rest))
}

/// Checks the shape of the whole message: a count on the `error:` line, then one
/// `file:line:col: path: message` line per problem, with 1-based positions.
fn check_shape(name: &str, stderr: &str, expect_path: bool) -> usize {
    let mut lines = stderr.lines();
    let head = lines.next().unwrap_or_default();
    let n: usize = head
        .strip_prefix("error: ")
        .and_then(|h| h.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name}: first line is not `error: N problem(s) ...`: {head}"));
    assert!(
        head.ends_with("found:"),
        "{name}: unexpected first line {head:?}"
    );
    let problems: Vec<&str> = lines.collect();
    assert_eq!(
        problems.len(),
        n,
        "{name}: count and lines differ:\n{stderr}"
    );
    for p in &problems {
        let (file, line, col, rest) =
            split_position(p).unwrap_or_else(|| panic!("{name}: no file:line:col: in {p:?}"));
        assert!(!file.is_empty() && line >= 1 && col >= 1, "{name}: {p:?}");
        assert!(
            !file.starts_with('/'),
            "{name}: path should be relative to the working directory: {p:?}"
        );
        if expect_path {
            // `path: message`, the path having no spaces.
            let (path, msg) = rest
                .split_once(": ")
                .unwrap_or_else(|| panic!("{name}: no field path in {p:?}"));
            assert!(
                // `ticket 2: labels.department`: a ticket's 1-based number, then the path in it.
                !path.is_empty() && !path.contains(' ') || path.starts_with("ticket "),
                "{name}: bad field path {path:?} in {p:?}"
            );
            assert!(!msg.is_empty());
        }
    }
    n
}

/// One test per fixture: snapshot of stderr, its shape, and phrases it must hold.
macro_rules! fixture {
    ($name:ident, path: $path:expr, contains: [$($needle:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let name = stringify!($name);
            let stderr = run_fixture(name, "validate");
            check_shape(name, &stderr, $path);
            $(
                assert!(
                    stderr.contains($needle),
                    "{name}: stderr lacks {:?}:\n{stderr}",
                    $needle
                );
            )*
            insta::assert_snapshot!(name, stderr);
        }
    };
}

fixture!(unknown_key_suggestion, path: true, contains: [
    "eval.yaml:3:1: varients: unknown key `varients`",
    "did you mean `variants`?",
    "valid keys: name, description, gold, variants",
    "1 problem found",
]);
fixture!(unknown_key_no_suggestion, path: true, contains: [
    "eval.yaml:5:1: colour_scheme: unknown key `colour_scheme` (valid keys:",
]);
fixture!(missing_required_field, path: true, contains: [
    "variant.yaml:1:1: name: missing required key `name`",
]);
fixture!(wrong_type_string_for_number, path: true, contains: [
    "eval.yaml:6:16: run.concurrency: expected a whole number from 1 to 1024, found \"eight\"",
]);
fixture!(wrong_type_list_for_mapping, path: true, contains: [
    "eval.yaml:6:3: run: expected a mapping with keys concurrency,",
    "found a list",
]);
fixture!(number_out_of_range, path: true, contains: [
    "variant.yaml:5:14: temperature: 3.5 is out of range (valid: 0 to 2)",
]);
fixture!(duplicate_ticket_id, path: true, contains: [
    "gold.yaml:12:9: ticket 3: id: duplicate ticket id \"T-1\" (first used at line 6)",
]);
fixture!(empty_ticket_text, path: true, contains: [
    "gold.yaml:13:11: ticket 3: text: ticket text is empty (\"   \")",
]);
fixture!(label_not_a_value, path: true, contains: [
    "gold.yaml:11:26: ticket 2: labels.department: \"techincal\" is not a value of field `department`",
    "valid: billing, technical, sales; did you mean \"technical\"?",
]);
fixture!(labels_value_not_a_value, path: true, contains: [
    "gold.yaml:11:62: ticket 2: labels.intents[1]: \"password_reset\" is not a value of field `intents`",
    "(valid: refund_request, how_to, outage_report)",
]);
fixture!(flag_not_boolean, path: true, contains: [
    "gold.yaml:11:79: ticket 2: labels.requires_human: expected true or false, found \"maybe\"",
]);
fixture!(ticket_missing_label, path: true, contains: [
    "gold.yaml:14:13: ticket 3: labels.requires_human: missing label for field `requires_human`",
]);
fixture!(label_for_unknown_field, path: true, contains: [
    "gold.yaml:14:75: ticket 3: labels.priority: unknown field `priority`",
    "(fields: department, intents, requires_human)",
]);
fixture!(tool_enum_lacks_value, path: true, contains: [
    "variant.yaml:13:42: tools[0].input_schema.properties.department.enum: lacks \"sales\"",
    "list every value of the field: \"billing\", \"technical\", \"sales\"",
]);
fixture!(tool_enum_extra_value, path: true, contains: [
    "variant.yaml:13:42: tools[0].input_schema.properties.department.enum: allows \"legal\"",
    "(valid: \"billing\", \"technical\", \"sales\")",
]);
fixture!(output_property_not_in_schema, path: true, contains: [
    "variant.yaml:18:73: tools[0].outputs.requires_human: property \"needs_human\" is not in input_schema.properties",
    "(properties: department, intents, requires_human, confidence)",
]);
fixture!(output_unknown_gold_field, path: true, contains: [
    "variant.yaml:18:89: tools[0].outputs.urgency: `urgency` is not a field of the gold set",
]);
fixture!(tool_choice_unknown_tool, path: true, contains: [
    "variant.yaml:20:33: tool_choice.name: \"classify\" is not one of the variant's tools (valid: classify_ticket)",
]);
fixture!(missing_gold_file, path: true, contains: [
    "eval.yaml:2:7: gold: file not found: gold-set.yaml",
]);
fixture!(missing_variant_file, path: true, contains: [
    "eval.yaml:5:5: variants[1]: file not found: classify-v2.yaml",
]);
fixture!(variant_glob_matches_nothing, path: true, contains: [
    "eval.yaml:5:5: variants[1]: \"prompts/*.yaml\" matches no file",
]);
fixture!(missing_train_file, path: true, contains: [
    "local.yaml:4:10: local.train: file not found: train.yaml",
]);
fixture!(invalid_utf8, path: false, contains: [
    "gold.yaml:13:31: invalid UTF-8 (byte 0xe9); save the file as UTF-8",
]);
fixture!(yaml_syntax_error, path: false, contains: [
    "gold.yaml:8:82: YAML syntax error:",
]);
fixture!(duplicate_yaml_key, path: true, contains: [
    "variant.yaml:6:1: system: YAML syntax error: duplicate key \"system\" (first at line 5, column 1)",
]);
fixture!(csv_column_missing, path: true, contains: [
    "eval.yaml:6:24: gold.labels.department: column \"dept\" does not exist in gold.csv",
    "did you mean \"department\"? columns: ticket_id, body, department",
]);
fixture!(csv_bad_row, path: true, contains: [
    "gold.csv:3:1: ticket 2: this row has 4 fields but the header has 3 (ticket_id, body, department)",
]);
fixture!(jsonl_malformed_line, path: true, contains: [
    "gold.jsonl:2:113: ticket 2: invalid JSON: EOF while parsing an object (valid: one JSON object per line)",
]);
fixture!(jsonl_duplicate_key, path: true, contains: [
    "gold.jsonl:2:116: ticket 2: key \"department\" appears twice in this object, and only one value can be read",
]);
fixture!(duplicate_variant_names, path: true, contains: [
    "variant-copy.yaml:1:7: name: variant name \"classify\" is already the name of variant.yaml",
]);
fixture!(invalid_local_feature, path: true, contains: [
    "local.yaml:5:24: local.features[1]: invalid feature spec `chars_2_5`",
    "e.g. word_1_2, char_wb_2_5",
]);
fixture!(clarify_above_route, path: true, contains: [
    "eval.yaml:8:15: routing.clarify_at: clarify_at (0.8) must not be above route_at (0.6)",
]);
fixture!(routing_on_non_label_field, path: true, contains: [
    "eval.yaml:6:10: routing.field: field `requires_human` is a flag field",
    "(label fields: department)",
]);
fixture!(many_problems, path: true, contains: [
    "error: 7 problems found:",
    "eval.yaml:2:1: descripton:",
    "eval.yaml:5:12: run.repeats:",
    "gold.yaml:11:26: ticket 2: labels.department:",
    "gold.yaml:12:9: ticket 3: id:",
    "gold.yaml:13:11: ticket 3: text:",
    "variant.yaml:4:13: max_tokens:",
    "variant.yaml:20:33: tool_choice.name:",
]);
fixture!(eval_name_escapes_reports_folder, path: true, contains: [
    "eval.yaml:1:7: name: \"../../escaped\" is not a valid eval name (valid: letters, digits, - and _)",
]);

fixture!(template_unknown_placeholder, path: true, contains: [
    "variant.yaml:7:13: user: unknown placeholder `{{customer}}` (valid: {{text}}, {{id}}, {{tags}});",
    "variant.yaml:9:18: user: unknown placeholder `{{\"reply\": \"...\"}}`",
    "to send `{{` as written, write {{\"{{\"}}",
]);
fixture!(template_placeholder_in_system, path: true, contains: [
    "variant.yaml:5:37: system: `{{text}}` in `system` would be sent as written",
    "to send `{{` as written, write {{\"{{\"}}",
]);

fixture!(nul_byte, path: false, contains: [
    "gold.yaml:7:50: a NUL byte (0x00): a text file has none",
]);
fixture!(utf16_file, path: false, contains: [
    "gold.yaml:1:1: the file is UTF-16 little-endian (byte order mark FF FE); save it as UTF-8",
]);
fixture!(utf16_no_bom, path: false, contains: [
    "variant.yaml:1:1: the file looks like UTF-16 (a NUL byte between characters); save it as UTF-8",
]);
fixture!(merge_key_not_a_mapping, path: false, contains: [
    "variant.yaml:2:5: YAML syntax error: a merge key `<<` takes a mapping or a list of mappings (e.g. `<<: *base`), found a string",
]);
fixture!(tickets_null, path: true, contains: [
    "gold.yaml:5:1: tickets: `tickets` is null (nothing after `tickets:`); it needs a value",
]);
fixture!(routing_all_at_once, path: true, contains: [
    "error: 2 problems found:",
    "eval.yaml:6:20: routing.target_accuracy: 1.5 is out of range (valid: 0 to 1)",
    "eval.yaml:5:15: routing.clarify_at: clarify_at (0.8) must not be above route_at (0.6)",
]);
fixture!(tool_choice_none_with_outputs, path: true, contains: [
    "variant.yaml:20:21: tool_choice.type: type none forbids tool calls",
    "(valid: tool, any, auto)",
]);

// Issue 11 item 2: a local variant that `verdict run` could not train fails `validate`.
fixture!(local_no_features, path: true, contains: [
    "local.yaml:5:13: local.features: the 3 training texts of field `department` yield no features for word_2_2",
    "e.g. word_1_2 or char_wb_2_5",
]);
fixture!(local_trains_no_field, path: true, contains: [
    "local.yaml:5:5: local.examples: the training examples label none of the gold set's label or flag fields (department, requires_human)",
]);

/// `verdict run` on a local variant it could not train stops before writing anything (it
/// used to exit 3 after creating the run folder).
#[test]
fn run_on_an_untrainable_local_variant_writes_nothing() {
    let stderr = run_fixture("local_no_features", "run");
    assert!(stderr.contains("yield no features"), "{stderr}");
}

// Issue 11 item 5: CSV and JSONL gold sets.
fixture!(csv_unclosed_quote, path: true, contains: [
    "gold.csv:3:5: ticket 2: unclosed quote: this `\"` opens a quoted value that is not closed",
]);
fixture!(csv_semicolon_delimiter, path: true, contains: [
    "gold.csv:1:1: header: the header is one column",
    "the file looks separated by semicolons",
]);
fixture!(csv_duplicate_header, path: true, contains: [
    "gold.csv:1:50: header: column name \"department\" is used twice in the header (columns 3 and 6)",
]);
fixture!(csv_label_with_spaces, path: true, contains: [
    "gold.csv:4:51: ticket 3: department: \" billing \" has surrounding spaces",
]);
fixture!(csv_list_column_undeclared, path: true, contains: [
    "gold.csv:3:62: ticket 2: intents: column \"intents\" holds a list of values",
    "in eval.yaml under `gold.fields`, add `intents: {kind: labels}`",
]);
fixture!(jsonl_array_column_undeclared, path: true, contains: [
    "gold.jsonl:1:94: ticket 1: intents: column \"intents\" holds a list of values",
    "add `fields: {intents: {kind: labels}}` to `gold`",
    "gold.jsonl:1:132: ticket 1: requires_human: column \"requires_human\" holds true/false",
]);

#[test]
fn ticket_ids_that_differ_only_by_case_or_spaces_are_warnings() {
    let stderr = run_warning_fixture("ticket_ids_differ_by_case");
    assert!(
        stderr.contains("warning: gold.csv:3:1: ticket 2: ticket_id: ticket id \"t-1\" differs from \"T-1\" (ticket 1) only by case"),
        "{stderr}"
    );
    assert!(stderr.contains("only by surrounding spaces"), "{stderr}");
    insta::assert_snapshot!("warn_ticket_ids_differ_by_case", stderr);
}

// Issue 11 item 3: variant discovery.
fixture!(variant_glob_matches_stray_yaml, path: true, contains: [
    "eval.yaml:4:5: variants[0]: \"prompts/*.yaml\" matched prompts/train.yaml, which does not look like a variant",
    "narrow the pattern so it does not match \"train.yaml\"",
    "prompts/train.yaml:1:1: fields: unknown key `fields`",
]);
fixture!(tool_schema_ref_points_nowhere, path: true, contains: [
    "variant.yaml:16:21: tools[0].input_schema.properties.department: $ref \"#/$defs/dept\" points at nothing in input_schema (defined: #/$defs/department, #/$defs/intent)",
]);

/// `verdict validate` in a copy of a fixture folder under tests/fixtures/discovery, after
/// `prepare` has changed it; returns (exit code, stdout, stderr).
fn validate_discovery(name: &str, prepare: impl FnOnce(&Path)) -> (i32, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/discovery")
            .join(name),
        tmp.path(),
    );
    prepare(tmp.path());
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(tmp.path())
        .args(["validate", "eval.yaml"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A local `$ref` in a tool's input_schema is followed (it was rejected as "type (none)").
#[test]
fn tool_schema_with_a_local_ref_is_valid() {
    let (code, stdout, stderr) = validate_discovery("schema_local_ref", |_| {});
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("eval.yaml: ok: "), "{stdout}");
}

/// Moves the fixture's variant into prompts/ and points `variants:` at `pattern`.
fn into_prompts(dir: &Path, pattern: &str) {
    std::fs::create_dir(dir.join("prompts")).unwrap();
    std::fs::rename(dir.join("variant.yaml"), dir.join("prompts/variant.yaml")).unwrap();
    let eval = std::fs::read_to_string(dir.join("eval.yaml")).unwrap();
    std::fs::write(
        dir.join("eval.yaml"),
        eval.replace("  - variant.yaml", &format!("  - {pattern:?}")),
    )
    .unwrap();
}

/// A `**` pattern through a symlink that loops back into its folder: one line, not one
/// "already included" line per extra match.
#[cfg(unix)]
#[test]
fn glob_through_a_symlink_loop_is_reported_once() {
    let (code, stdout, stderr) = validate_discovery("schema_local_ref", |d| {
        into_prompts(d, "prompts/**/*.yaml");
        std::os::unix::fs::symlink(".", d.join("prompts/loop")).unwrap();
    });
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(!stderr.contains("already included"), "{stderr}");
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains("eval.yaml:4:5: variants[0]: \"prompts/**/*.yaml\" reaches the same variant files again through the symlink prompts/loop"),
        "{stderr}"
    );
    // The count of extra matches depends on the system's symlink limit.
    let stable: String = stderr
        .split('(')
        .enumerate()
        .map(|(i, part)| if i == 1 { "(N extra matches of 1 file): a symlink that loops back into the folder; remove the link or use a pattern that does not go through it\n".to_string() } else { part.to_string() })
        .collect::<Vec<_>>()
        .join("");
    insta::assert_snapshot!("variant_glob_symlink_loop", stable);
}

/// An unreadable prompts folder is reported as such, not as "matches no file". Root reads
/// any folder, so the test has nothing to check when run as root.
#[cfg(unix)]
#[test]
fn unreadable_prompts_folder_is_reported_as_such() {
    use std::os::unix::fs::PermissionsExt;
    let mut as_root = false;
    let (code, _, stderr) = validate_discovery("schema_local_ref", |d| {
        into_prompts(d, "prompts/*.yaml");
        let p = d.join("prompts");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        as_root = std::fs::read_dir(&p).is_ok();
    });
    if as_root {
        eprintln!("skipped: running as root, every folder is readable");
        return;
    }
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("matches no file"), "{stderr}");
    assert!(stderr.contains("cannot read prompts"), "{stderr}");
}

/// Likely mistakes that do not stop a run (issue 11 item 1): `validate` exits 0 with its `ok`
/// line on stdout and one `warning: file:line:col: ...` line per mistake on stderr.
fn run_warning_fixture(name: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/warn")
            .join(name),
        tmp.path(),
    );
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(tmp.path())
        .args(["validate", "eval.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("eval.yaml: ok: "), "{name}: {stdout}");
    assert!(
        stderr.lines().all(|l| l.starts_with("warning: ")),
        "{name}: {stderr}"
    );
    stderr
}

#[test]
fn unknown_model_is_a_warning_with_a_suggestion() {
    let stderr = run_warning_fixture("unknown_model");
    assert!(
        stderr.contains("warning: variant.yaml:3:8: model: unknown model \"claude-haiku-4.5\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean \"claude-haiku-4-5\"?"),
        "{stderr}"
    );
    insta::assert_snapshot!("warn_unknown_model", stderr);
}

#[test]
fn ticket_exceeding_the_context_window_is_a_warning_with_both_numbers() {
    let stderr = run_warning_fixture("ticket_exceeds_context");
    assert!(
        stderr.contains("ticket \"T-2\" (ticket 2 of gold.yaml)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("more than the 8192-token context window of acme-small-8k"),
        "{stderr}"
    );
    insta::assert_snapshot!("warn_ticket_exceeds_context", stderr);
}

/// The eval's name is part of the run folder's path: `verdict run` refuses a name that would
/// put the run outside `reports/` (and writes nothing).
#[test]
fn eval_name_escapes_reports_folder_on_run() {
    let stderr = run_fixture("eval_name_escapes_reports_folder", "run");
    assert!(stderr.contains("is not a valid eval name"), "{stderr}");
}

/// Every fixture folder has a test above (a new fixture without one is caught here).
#[test]
fn every_fixture_has_a_test() {
    let src = include_str!("validate_errors.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    for entry in std::fs::read_dir(root).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            src.contains(&format!("fixture!({name},")),
            "fixture {name} has no test"
        );
    }
}

/// `verdict run` on an invalid eval stops before writing anything (no reports/ folder).
#[test]
fn run_on_an_invalid_eval_writes_nothing() {
    let stderr = run_fixture("many_problems", "run");
    assert!(stderr.starts_with("error: 7 problems found:"));
}

/// The message is the same however the eval is named: from another working directory the
/// paths are relative to it.
#[test]
fn paths_are_relative_to_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("evals/check");
    std::fs::create_dir_all(&sub).unwrap();
    copy_tree(&fixture_dir("label_not_a_value"), &sub);
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(tmp.path())
        .args(["validate", "evals/check/eval.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("\nevals/check/gold.yaml:11:26: ticket 2: labels.department:"),
        "{stderr}"
    );
}

/// A missing eval file is one clear line, exit 2.
#[test]
fn missing_eval_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("verdict")
        .unwrap()
        .current_dir(tmp.path())
        .args(["validate", "nope.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, "error: file not found: nope.yaml\n");
}

/// The shipped evals validate (exit 0, one `ok` line on stdout).
#[test]
fn shipped_evals_are_valid() {
    for eval in ["evals/support.yaml", "evals/banking77.yaml"] {
        let out = Command::cargo_bin("verdict")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["validate", eval])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{eval}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.starts_with(&format!("{eval}: ok: ")), "{stdout}");
    }
}

/// Issue 11 item 6: contradictory options and negative numbers are refused by the command line
/// with the valid range (not clap's "to pass '-1' as a value, use '-- -1'" tip), exit 2,
/// nothing written. One snapshot per case.
#[test]
fn cli_contradictions_and_negative_numbers() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "cli_no_cache_and_refresh",
            &["--no-cache", "--refresh"],
            "cannot be used with",
        ),
        (
            "cli_negative_concurrency",
            &["--concurrency", "-1"],
            "from 1 to 1024",
        ),
        ("cli_negative_limit", &["--limit", "-3"], "1 or more"),
        ("cli_negative_max_cost", &["--max-cost", "-1"], "0 or more"),
        (
            "cli_negative_max_requests",
            &["--max-requests", "-2"],
            "0 or more",
        ),
    ];
    for (name, args, needle) in cases {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture_dir("label_not_a_value"), tmp.path());
        let before = listing(tmp.path());
        let out = Command::cargo_bin("verdict")
            .unwrap()
            .current_dir(tmp.path())
            .args(["run", "eval.yaml"])
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
        assert_eq!(listing(tmp.path()), before, "{name}: files were written");
        assert!(stderr.contains(needle), "{name}: {stderr}");
        assert!(!stderr.contains("-- -"), "{name}: clap's tip: {stderr}");
        insta::assert_snapshot!(*name, stderr);
    }
}
