//! The loaders, through the library API: YAML, CSV and JSONL gold sets (every field kind,
//! typed values, tags), Banking77's real CSV, defaults inheritance, glob expansion and order.

use std::path::{Path, PathBuf};

use verdict::config::load_eval;
use verdict::error::Error;
use verdict::gold::{FieldKind, GoldSet, GoldValue};
use verdict::variant::{ToolChoice, VariantSpec};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `files` into a new temp folder.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn messages(err: Error) -> Vec<String> {
    match err {
        Error::Invalid(diags) => diags.iter().map(|d| d.message.clone()).collect(),
        other => vec![other.to_string()],
    }
}

fn labels_of<'g>(gold: &'g GoldSet, id: &str) -> &'g [GoldValue] {
    &gold.tickets.iter().find(|t| t.id == id).unwrap().labels
}

/// An inline local variant that labels `department` (enough for an eval to load).
const LOCAL_VARIANT: &str = "name: local\nprovider: local\nlocal:\n  examples:\n    - {text: refund, labels: {department: billing}}\n    - {text: crash, labels: {department: technical}}\n";

#[test]
fn yaml_gold_with_every_field_kind() {
    let dir = tree(&[
        (
            "eval.yaml",
            "name: kinds\ngold: gold.yaml\nvariants: [v.yaml]\n",
        ),
        ("v.yaml", LOCAL_VARIANT),
        (
            "gold.yaml",
            r#"fields:
  department: {kind: label, values: [billing, technical]}
  intents: {kind: labels, values: [refund, bug, how_to]}
  urgent: {kind: flag}
  priority: {kind: label, values: [1, 2, 3]}
tickets:
  - id: 17
    text: "Refund me, and the app crashes."
    labels: {department: billing, intents: [bug, refund, bug], urgent: true, priority: 1}
    tags: [email, multi-intent]
    clarification: "The crash is on Android."
  - id: T-2
    text: |
      Two lines,
      kept as written.
    labels:
      department: technical
      intents: []
      urgent: false
      priority: "3"
  - id: T-3
    text: How do I export?
    labels: {department: technical, intents: how_to, urgent: false, priority: 2}
"#,
        ),
    ]);
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    let gold = &eval.gold;
    let kinds: Vec<(&str, FieldKind)> = gold
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("department", FieldKind::Label),
            ("intents", FieldKind::Labels),
            ("urgent", FieldKind::Flag),
            ("priority", FieldKind::Label)
        ]
    );
    // Numbers in `values` and as ids are read as the strings they are written as.
    assert_eq!(gold.fields[3].values, ["1", "2", "3"]);
    let ids: Vec<&str> = gold.tickets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["17", "T-2", "T-3"]);
    // A label set is sorted by the field's value order, without duplicates.
    assert_eq!(
        labels_of(gold, "17"),
        [
            GoldValue::Label(0),
            GoldValue::Labels(vec![0, 1]),
            GoldValue::Flag(true),
            GoldValue::Label(0)
        ]
    );
    assert_eq!(
        labels_of(gold, "T-2"),
        [
            GoldValue::Label(1),
            GoldValue::Labels(vec![]),
            GoldValue::Flag(false),
            GoldValue::Label(2)
        ]
    );
    // A single value is a set of one.
    assert_eq!(labels_of(gold, "T-3")[1], GoldValue::Labels(vec![2]));
    let t17 = &gold.tickets[0];
    assert_eq!(t17.tags, ["email", "multi-intent"]);
    assert_eq!(
        t17.clarification.as_deref(),
        Some("The crash is on Android.")
    );
    assert_eq!(gold.tickets[1].text, "Two lines,\nkept as written.\n");
    assert!(gold.tickets[1].tags.is_empty());
    // The sha256 is of the file's bytes.
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(
        std::fs::read(dir.path().join("gold.yaml")).unwrap(),
    ));
    assert_eq!(gold.sha256, sha);
    assert_eq!(eval.gold_path, dir.path().join("gold.yaml"));
}

#[test]
fn banking77_csv_loads_every_row_and_multi_line_texts() {
    let eval = load_eval(&root().join("evals/banking77.yaml")).unwrap();
    let gold = &eval.gold;
    assert_eq!(gold.tickets.len(), 3080);
    assert_eq!(gold.fields.len(), 1);
    let intent = &gold.fields[0];
    assert_eq!(intent.name, "intent");
    assert_eq!(intent.kind, FieldKind::Label);
    assert_eq!(intent.values.len(), 77);
    // Inferred values are sorted.
    let mut sorted = intent.values.clone();
    sorted.sort();
    assert_eq!(intent.values, sorted);
    assert_eq!(intent.values[0], "Refund_not_showing_up");
    // Every intent has its 40 test queries.
    for (i, v) in intent.values.iter().enumerate() {
        let n = gold
            .tickets
            .iter()
            .filter(|t| t.labels[0] == GoldValue::Label(i as u32))
            .count();
        assert_eq!(n, 40, "{v}");
    }
    // Without an id column, ids are the 1-based row numbers.
    assert_eq!(gold.tickets[0].id, "row-1");
    assert_eq!(gold.tickets[0].text, "How do I locate my card?");
    assert_eq!(gold.tickets[3079].id, "row-3080");
    // Quoted fields spanning lines are one row, their text exactly as in the file.
    let t = gold.tickets.iter().find(|t| t.id == "row-560").unwrap();
    assert_eq!(t.text, "\nWhere can I get my PIN unblocked?");
    assert_eq!(
        intent.values[match &t.labels[0] {
            GoldValue::Label(i) => *i as usize,
            other => panic!("{other:?}"),
        }],
        "pin_blocked"
    );
    let t = gold.tickets.iter().find(|t| t.id == "row-977").unwrap();
    assert_eq!(t.text, "\n\nWhat businesses accept this card?");
    // Commas inside quotes stay in the text.
    let t = &gold.tickets[1];
    assert_eq!(
        t.text,
        "I still have not received my new card, I ordered over a week ago."
    );
    // The local variants were checked against it, with their own training CSV.
    assert_eq!(eval.variants.len(), 2);
    for v in &eval.variants {
        let VariantSpec::Local(l) = &v.spec else {
            panic!("{} is not local", v.name)
        };
        let train = l.train_set.as_ref().unwrap();
        assert_eq!(train.fields[0].values.len(), 77);
        assert!(train.tickets.len() > 9000, "{}", train.tickets.len());
    }
}

#[test]
fn jsonl_gold_with_typed_values() {
    let dir = tree(&[
        (
            "eval.yaml",
            r#"name: jsonl
gold:
  path: gold.jsonl
  text: body
  id: id
  labels: {department: dept, intents: intents, urgent: urgent}
  tags: [channel, lang]
  fields:
    department: {kind: label}
    intents: {kind: labels, values: [refund, bug, how_to]}
    urgent: {kind: flag}
variants: [v.yaml]
"#,
        ),
        ("v.yaml", LOCAL_VARIANT),
        (
            "gold.jsonl",
            concat!(
                r#"{"id": 1, "body": "Refund and crash", "dept": "billing", "intents": ["refund", "bug"], "urgent": true, "channel": "email", "lang": "en"}"#,
                "\n\n",
                r#"{"id": "x-2", "body": "Crash only", "dept": "technical", "intents": "bug|how_to", "urgent": false, "channel": "chat", "lang": null}"#,
                "\n",
                r#"{"id": 3, "body": "Café ☕ question", "dept": "technical", "intents": [], "urgent": false, "channel": "", "lang": "fr"}"#,
                "\n"
            ),
        ),
    ]);
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    let gold = &eval.gold;
    // Declared values are kept; a declared label field without values takes those seen.
    assert_eq!(gold.fields[0].values, ["billing", "technical"]);
    assert_eq!(gold.fields[1].values, ["refund", "bug", "how_to"]);
    let ids: Vec<&str> = gold.tickets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["1", "x-2", "3"]);
    assert_eq!(
        labels_of(gold, "1"),
        [
            GoldValue::Label(0),
            GoldValue::Labels(vec![0, 1]),
            GoldValue::Flag(true)
        ]
    );
    // `a|b` in a string is a label set in JSONL too.
    assert_eq!(labels_of(gold, "x-2")[1], GoldValue::Labels(vec![1, 2]));
    assert_eq!(labels_of(gold, "3")[1], GoldValue::Labels(vec![]));
    // Tags: the values of the tag columns, empty and null ones left out.
    assert_eq!(gold.tickets[0].tags, ["email", "en"]);
    assert_eq!(gold.tickets[1].tags, ["chat"]);
    assert_eq!(gold.tickets[2].tags, ["fr"]);
    assert_eq!(gold.tickets[2].text, "Café ☕ question");
}

#[test]
fn jsonl_wrong_types_are_reported_per_row() {
    let dir = tree(&[
        (
            "eval.yaml",
            "name: j\ngold: {path: g.jsonl, text: t, labels: {department: d, urgent: u}, fields: {department: {kind: label, values: [billing, technical]}, urgent: {kind: flag}}}\nvariants: [v.yaml]\n",
        ),
        ("v.yaml", LOCAL_VARIANT),
        (
            "g.jsonl",
            "{\"t\": \"a\", \"d\": \"billing\", \"u\": \"maybe\"}\n{\"t\": \"b\", \"d\": 3, \"u\": true}\n{\"t\": \"c\", \"d\": \"legal\", \"u\": false}\n",
        ),
    ]);
    let err = load_eval(&dir.path().join("eval.yaml")).unwrap_err();
    let Error::Invalid(diags) = err else { panic!() };
    let lines: Vec<String> = diags
        .iter()
        .map(|d| {
            format!(
                "{}:{}: {}: {}",
                d.file.file_name().unwrap().to_str().unwrap(),
                d.pos.unwrap().line,
                d.path,
                d.message
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "g.jsonl:1: ticket 1: u: \"maybe\" is not a flag value (valid: true, false, yes, no, 1, 0)",
            "g.jsonl:2: ticket 2: d: expected a string for label field `department`, found a number",
            "g.jsonl:3: ticket 3: d: \"legal\" is not a value of field `department` (valid: billing, technical)",
        ]
    );
}

#[test]
fn csv_gold_with_label_sets_flags_and_tags() {
    let dir = tree(&[
        (
            "eval.yaml",
            r#"name: csv
gold:
  path: gold.csv
  text: text
  id: ticket
  labels: {department: dept, intents: intents, urgent: urgent}
  tags: [channel]
  fields:
    department: {kind: label}
    intents: {kind: labels}
    urgent: {kind: flag}
variants: [v.yaml]
"#,
        ),
        ("v.yaml", LOCAL_VARIANT),
        (
            "gold.csv",
            "\u{feff}ticket,text,dept,intents,urgent,channel\r\nA1,\"Refund, please\nand fix the crash\",billing,refund|bug,yes,email\r\nA2,Crash,technical, bug ,0,\r\nA3,\"He said \"\"hi\"\"\",technical,,FALSE,chat\r\n",
        ),
    ]);
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    let gold = &eval.gold;
    // Values seen, sorted (for a label set, each part of `a|b`).
    assert_eq!(gold.fields[0].values, ["billing", "technical"]);
    assert_eq!(gold.fields[1].values, ["bug", "refund"]);
    assert_eq!(gold.fields[2].values, Vec::<String>::new());
    let t: Vec<(&str, &str)> = gold
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.text.as_str()))
        .collect();
    assert_eq!(
        t,
        [
            ("A1", "Refund, please\nand fix the crash"),
            ("A2", "Crash"),
            ("A3", "He said \"hi\"")
        ]
    );
    assert_eq!(
        labels_of(gold, "A1"),
        [
            GoldValue::Label(0),
            GoldValue::Labels(vec![0, 1]),
            GoldValue::Flag(true)
        ]
    );
    assert_eq!(
        labels_of(gold, "A2"),
        [
            GoldValue::Label(1),
            GoldValue::Labels(vec![0]),
            GoldValue::Flag(false)
        ]
    );
    assert_eq!(labels_of(gold, "A3")[1], GoldValue::Labels(vec![]));
    assert_eq!(labels_of(gold, "A3")[2], GoldValue::Flag(false));
    assert_eq!(gold.tickets[0].tags, ["email"]);
    assert!(gold.tickets[1].tags.is_empty());
}

#[test]
fn csv_errors_point_at_the_row_after_multi_line_rows() {
    let dir = tree(&[
        (
            "eval.yaml",
            "name: c\ngold: {path: g.csv, text: text, labels: {department: dept}, fields: {department: {kind: label, values: [billing, technical]}}}\nvariants: [v.yaml]\n",
        ),
        ("v.yaml", LOCAL_VARIANT),
        (
            "g.csv",
            "text,dept\n\"line one\nline two\nline three\",billing\nok,technical\n\"bad\",biling\n",
        ),
    ]);
    let Error::Invalid(diags) = load_eval(&dir.path().join("eval.yaml")).unwrap_err() else {
        panic!()
    };
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].pos.unwrap().line, 6);
    assert_eq!(diags[0].path, "ticket 3: dept");
    assert!(diags[0]
        .message
        .contains("\"biling\" is not a value of field `department`"));
}

const LLM_VARIANT_BODY: &str = r#"tools:
  - name: classify
    input_schema:
      type: object
      properties:
        department: {type: string, enum: [billing, technical]}
      required: [department]
    outputs: {department: department}
"#;

#[test]
fn variants_inherit_the_eval_defaults_unless_they_set_them() {
    let dir = tree(&[
        (
            "eval.yaml",
            r#"name: defaults
gold: gold.yaml
variants: [inherits.yaml, overrides.yaml, local.yaml]
defaults:
  provider: openai
  model: base-model
  max_tokens: 123
  temperature: 0.2
  base_url: http://localhost:8000
  api_key_env: MY_KEY
"#,
        ),
        (
            "gold.yaml",
            "fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - {id: a, text: refund, labels: {department: billing}}\n",
        ),
        (
            "inherits.yaml",
            &format!("name: inherits\n{LLM_VARIANT_BODY}"),
        ),
        (
            "overrides.yaml",
            &format!("name: overrides\nprovider: anthropic\nmodel: own-model\nmax_tokens: 7\ntemperature: 0\nbase_url: https://example.invalid\napi_key_env: OTHER\nuser: \"Ticket {{{{id}}}}: {{{{text}}}}\"\n{LLM_VARIANT_BODY}"),
        ),
        ("local.yaml", LOCAL_VARIANT),
    ]);
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    let names: Vec<&str> = eval.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["inherits", "overrides", "local"]);

    let VariantSpec::Llm(a) = &eval.variants[0].spec else {
        panic!()
    };
    assert_eq!(eval.variants[0].provider.name(), "openai");
    assert_eq!(a.model, "base-model");
    assert_eq!(a.max_tokens, 123);
    assert_eq!(a.temperature, Some(0.2));
    assert_eq!(a.base_url.as_deref(), Some("http://localhost:8000"));
    assert_eq!(a.api_key_env.as_deref(), Some("MY_KEY"));
    assert_eq!(a.user.source(), "{{text}}");
    // One tool and no tool_choice: that tool is forced.
    assert_eq!(
        a.tool_choice,
        ToolChoice::Tool {
            name: "classify".into()
        }
    );

    let VariantSpec::Llm(b) = &eval.variants[1].spec else {
        panic!()
    };
    assert_eq!(eval.variants[1].provider.name(), "anthropic");
    assert_eq!(b.model, "own-model");
    assert_eq!(b.max_tokens, 7);
    assert_eq!(b.temperature, Some(0.0));
    assert_eq!(b.base_url.as_deref(), Some("https://example.invalid"));
    assert_eq!(b.api_key_env.as_deref(), Some("OTHER"));
    assert_eq!(b.render_user("hi", "a", &[]), "Ticket a: hi");

    // A local variant sets its own provider; the LLM defaults do not apply to it.
    assert_eq!(eval.variants[2].provider.name(), "local");
}

#[test]
fn without_defaults_provider_and_model_are_required() {
    let dir = tree(&[
        ("eval.yaml", "name: d\ngold: gold.yaml\nvariants: [v.yaml, w.yaml]\n"),
        (
            "gold.yaml",
            "fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - {id: a, text: refund, labels: {department: billing}}\n",
        ),
        ("v.yaml", &format!("name: v\n{LLM_VARIANT_BODY}")),
        ("w.yaml", &format!("name: w\nprovider: openai\n{LLM_VARIANT_BODY}")),
    ]);
    let msgs = messages(load_eval(&dir.path().join("eval.yaml")).unwrap_err());
    assert_eq!(
        msgs,
        [
            "missing required key `provider` (valid: anthropic, openai, local; or set defaults.provider in the eval)",
            "missing required key `model` (or set defaults.model in the eval)",
        ]
    );
}

#[test]
fn globs_expand_sorted_in_the_order_the_patterns_are_listed() {
    let mut files: Vec<(String, String)> = vec![
        (
            "evals/e.yaml".into(),
            "name: g\ngold: gold.yaml\nvariants:\n  - ../prompts/z-*.yaml\n  - ../prompts/a.yaml\n  - ../prompts/sub/*.yaml\n".into(),
        ),
        (
            "evals/gold.yaml".into(),
            "fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - {id: a, text: refund, labels: {department: billing}}\n".into(),
        ),
    ];
    // Written in an order unlike the expected one, with names unlike their files.
    for (file, name) in [
        ("prompts/z-2.yaml", "second"),
        ("prompts/sub/b.yaml", "sub-b"),
        ("prompts/a.yaml", "first-listed"),
        ("prompts/z-10.yaml", "ten"),
        ("prompts/z-1.yaml", "one"),
        ("prompts/sub/a.yaml", "sub-a"),
        ("prompts/not-matched.yaml", "nope"),
    ] {
        files.push((
            file.into(),
            LOCAL_VARIANT.replace("name: local", &format!("name: {name}")),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let eval = load_eval(&dir.path().join("evals/e.yaml")).unwrap();
    let names: Vec<&str> = eval.variants.iter().map(|v| v.name.as_str()).collect();
    // Within a pattern, by path (byte order: z-1 < z-10 < z-2); patterns in listed order.
    assert_eq!(
        names,
        ["one", "ten", "second", "first-listed", "sub-a", "sub-b"]
    );
    let files: Vec<PathBuf> = eval
        .variants
        .iter()
        .map(|v| {
            v.file
                .strip_prefix(dir.path().join("evals"))
                .unwrap()
                .to_path_buf()
        })
        .collect();
    assert_eq!(files[0], Path::new("../prompts/z-1.yaml"));
}

#[test]
fn a_file_matched_twice_is_an_error() {
    let dir = tree(&[
        ("e.yaml", "name: g\ngold: gold.yaml\nvariants: [p/*.yaml, p/a.yaml]\n"),
        (
            "gold.yaml",
            "fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - {id: a, text: refund, labels: {department: billing}}\n",
        ),
        ("p/a.yaml", LOCAL_VARIANT),
    ]);
    let msgs = messages(load_eval(&dir.path().join("e.yaml")).unwrap_err());
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0]
            .ends_with("p/a.yaml is already included by variants[0]; list each variant file once"),
        "{msgs:?}"
    );
}

#[test]
fn shipped_support_eval_loads_as_documented() {
    let eval = load_eval(&root().join("evals/support.yaml")).unwrap();
    assert_eq!(eval.name, "support-routing");
    assert_eq!(eval.gold.tickets.len(), 225);
    let names: Vec<&str> = eval.gold.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["department", "priority", "intents", "requires_human"]
    );
    // The glob `../prompts/support/*.yaml`, sorted.
    let variants: Vec<&str> = eval.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        variants,
        [
            "classify-ticket-fewshot",
            "classify-ticket",
            "local-word-char",
            "local-word",
            "triage-ticket"
        ]
    );
    // Defaults reach the LLM variants.
    for v in &eval.variants {
        if let VariantSpec::Llm(l) = &v.spec {
            assert_eq!(l.model, "claude-haiku-4-5", "{}", v.name);
        }
    }
    assert_eq!(eval.run.seed, 7);
    let routing = eval.routing.unwrap();
    assert_eq!(
        (routing.field.as_str(), routing.route_at, routing.clarify_at),
        ("department", 0.9, 0.7)
    );
}

#[test]
fn routing_reports_every_bad_setting_and_the_default_clarify_at() {
    let gold = "fields:\n  department: {kind: label, values: [billing, technical]}\n  urgent: {kind: flag}\ntickets:\n  - {id: a, text: refund, labels: {department: billing, urgent: false}}\n";
    let dir = tree(&[
        (
            "e.yaml",
            "name: r\ngold: gold.yaml\nvariants: [v.yaml]\nrouting: {field: urgent, route_at: 1.5, clarify_at: x}\n",
        ),
        (
            "d.yaml",
            "name: r\ngold: gold.yaml\nvariants: [v.yaml]\nrouting: {route_at: 0.5}\n",
        ),
        ("gold.yaml", gold),
        ("v.yaml", LOCAL_VARIANT),
    ]);
    let Error::Invalid(diags) = load_eval(&dir.path().join("e.yaml")).unwrap_err() else {
        panic!()
    };
    let paths: Vec<&str> = diags.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        ["routing.route_at", "routing.clarify_at", "routing.field"]
    );
    assert!(diags[2].message.ends_with("(label fields: department)"));
    let Error::Invalid(diags) = load_eval(&dir.path().join("d.yaml")).unwrap_err() else {
        panic!()
    };
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].path, "routing.route_at");
    assert_eq!(diags[0].pos.unwrap().line, 4);
    assert!(diags[0].message.contains("(0.7, the default)"));
}

/// Notepad saves UTF-8 with a byte order mark: the eval, gold and variant files still load
/// (the mark used to become part of the first key: "unknown key `\u{feff}name`").
#[test]
fn yaml_files_saved_with_a_byte_order_mark_load() {
    let dir = tree(&[
        (
            "eval.yaml",
            "\u{feff}name: bom\ngold: gold.yaml\nvariants: [v.yaml]\n",
        ),
        (
            "gold.yaml",
            "\u{feff}fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - {id: T-1, text: refund me, labels: {department: billing}}\n",
        ),
        ("v.yaml", &format!("\u{feff}{LOCAL_VARIANT}")),
    ]);
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    assert_eq!(eval.name, "bom");
    assert_eq!(eval.gold.tickets.len(), 1);
    assert_eq!(eval.variants[0].name, "local");
}

/// Excel and other spreadsheets export CSV with CRLF line ends; every row's problem used to be
/// reported one line too early (the csv crate's line count), pointing at the row above.
#[test]
fn csv_with_crlf_line_ends_reports_the_right_line() {
    for (eol, name) in [("\n", "LF"), ("\r\n", "CRLF")] {
        let csv = [
            "text,dept",
            "refund me,billing",
            "\"two\nlines\",technical",
            "crash,bad",
            "x,y,z",
        ]
        .join(eol);
        let dir = tree(&[
            (
                "eval.yaml",
                "name: c\ngold: {path: g.csv, text: text, labels: {department: dept}, fields: {department: {kind: label, values: [billing, technical]}}}\nvariants: [v.yaml]\n",
            ),
            ("v.yaml", LOCAL_VARIANT),
            ("g.csv", &format!("{csv}{eol}")),
        ]);
        let Error::Invalid(diags) = load_eval(&dir.path().join("eval.yaml")).unwrap_err() else {
            panic!()
        };
        let got: Vec<(usize, &str)> = diags
            .iter()
            .map(|d| (d.pos.unwrap().line, d.path.as_str()))
            .collect();
        assert_eq!(got, [(6, "ticket 4")], "{name}: {diags:?}");
        // The row error stops the table; without it, the bad label is on line 5.
        let fixed = csv.replace(&format!("{eol}x,y,z"), "");
        std::fs::write(dir.path().join("g.csv"), format!("{fixed}{eol}")).unwrap();
        let Error::Invalid(diags) = load_eval(&dir.path().join("eval.yaml")).unwrap_err() else {
            panic!()
        };
        let got: Vec<(usize, &str)> = diags
            .iter()
            .map(|d| (d.pos.unwrap().line, d.path.as_str()))
            .collect();
        assert_eq!(got, [(5, "ticket 3: dept")], "{name}: {diags:?}");
    }
}

/// An empty label cell in a CSV gold set used to read as the label `""` ("\"\" is not a value
/// of field `department` (valid: billing)"), and a column empty in every row as
/// "(valid: )". Both are a missing label, as `null` is in JSONL; an empty `labels` cell
/// stays the empty set. A table without rows is reported at line 1 like every other problem.
#[test]
fn csv_empty_label_cell_is_a_missing_label() {
    let dir = tree(&[
        (
            "eval.yaml",
            "name: c\ngold: {path: g.csv, text: text, labels: {department: dept, urgent: urgent, intents: intents}, fields: {department: {kind: label}, urgent: {kind: flag}, intents: {kind: labels}}}\nvariants: [v.yaml]\n",
        ),
        ("v.yaml", LOCAL_VARIANT),
        (
            "g.csv",
            "text,dept,urgent,intents\r\nrefund me,billing,no,\r\ncrash, ,yes,bug\r\nhelp,technical,,\r\n",
        ),
    ]);
    let Error::Invalid(diags) = load_eval(&dir.path().join("eval.yaml")).unwrap_err() else {
        panic!()
    };
    let got: Vec<(usize, &str, &str)> = diags
        .iter()
        .map(|d| (d.pos.unwrap().line, d.path.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                3,
                "ticket 2: dept",
                "missing label for field `department` (valid: billing, technical)"
            ),
            (
                4,
                "ticket 3: urgent",
                "missing label for field `urgent` (valid: true, false, yes, no, 1, 0)"
            ),
        ]
    );

    let dir = tree(&[
        (
            "eval.yaml",
            "name: c\ngold: {path: g.csv, text: text, labels: {department: dept}}\nvariants: [v.yaml]\n",
        ),
        ("v.yaml", LOCAL_VARIANT),
        ("g.csv", "text,dept\nrefund me,\ncrash,\n"),
    ]);
    let msgs = messages(load_eval(&dir.path().join("eval.yaml")).unwrap_err());
    assert_eq!(
        msgs,
        vec!["missing label for field `department` (the column has no value in any row)"; 2]
    );

    let dir = tree(&[
        (
            "eval.yaml",
            "name: c\ngold: {path: g.csv, text: text, labels: {department: dept}}\nvariants: [v.yaml]\n",
        ),
        ("v.yaml", LOCAL_VARIANT),
        ("g.csv", "text,dept\n"),
    ]);
    let Error::Invalid(diags) = load_eval(&dir.path().join("eval.yaml")).unwrap_err() else {
        panic!()
    };
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].pos, Some(verdict::yaml::Pos { line: 1, col: 1 }));
    assert!(diags[0].message.contains("the table has no rows"));
}

/// Issue 9 item 1 (ticket text is rewritten): the user template is rendered in one pass, so a
/// ticket whose text holds `{{id}}`, `{{tags}}` or `{{text}}` goes out exactly as written, in
/// both wire formats; `{{"{{"}}` in `system` is a literal `{{`.
#[test]
fn ticket_text_with_placeholders_is_sent_unchanged() {
    let variant = format!(
        "name: v\nprovider: anthropic\nmodel: m\nsystem: 'Answer like {{{{\"{{{{\"}}}} x }}}}'\nuser: \"Ticket {{{{id}}}} [{{{{tags}}}}]: {{{{text}}}}\"\n{LLM_VARIANT_BODY}"
    );
    let dir = tree(&[
        ("eval.yaml", "name: t\ngold: gold.yaml\nvariants: [v.yaml]\n"),
        ("v.yaml", &variant),
        (
            "gold.yaml",
            "fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - id: A2\n    text: \"prints {{id}} and {{tags}} and {{text}}\"\n    labels: {department: billing}\n    tags: [en]\n",
        ),
    ]);
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    let VariantSpec::Llm(spec) = &eval.variants[0].spec else {
        panic!()
    };
    let t = &eval.gold.tickets[0];
    let expected = "Ticket A2 [en]: prints {{id}} and {{tags}} and {{text}}";
    assert_eq!(spec.render_user(&t.text, &t.id, &t.tags), expected);
    let body = verdict::provider::anthropic::request_body(spec, &t.text, &t.id, &t.tags);
    assert_eq!(body["messages"][0]["content"], expected);
    assert_eq!(body["system"], "Answer like {{ x }}");
    let body = verdict::provider::openai::request_body(spec, &t.text, &t.id, &t.tags);
    assert_eq!(body["messages"][1]["content"], expected);
}

/// Issue 11 item 4: YAML merge keys (`<<: *base`) are supported (were "unknown key `<<`"):
/// the merged keys apply, the variant's own keys win.
#[test]
fn yaml_merge_keys_are_supported() {
    let dir = tree(&[
        ("eval.yaml", "name: m\ngold: gold.yaml\nvariants: [v.yaml]\n"),
        (
            "v.yaml",
            "name: v\n<<: &base {provider: anthropic, model: claude-haiku-4-5, max_tokens: 50}\n",
        ),
        (
            "gold.yaml",
            "fields:\n  department: {kind: label, values: [billing, technical]}\nshared: &t {labels: {department: billing}}\ntickets:\n  - {<<: *t, id: a, text: one}\n  - {<<: *t, id: b, text: two, labels: {department: technical}}\n",
        ),
    ]);
    // `shared` is not a gold-set key: the anchor has to live somewhere valid.
    let err = load_eval(&dir.path().join("eval.yaml")).unwrap_err();
    assert!(
        messages(err)
            .iter()
            .any(|m| m.contains("unknown key `shared`")),
        "merge keys must not hide unknown keys"
    );
    let gold = "fields:\n  department: {kind: label, values: [billing, technical]}\ntickets:\n  - {id: a, text: one, labels: &l {department: billing}}\n  - {<<: {labels: *l}, id: b, text: two}\n  - {<<: {labels: *l}, id: c, text: three, labels: {department: technical}}\n";
    std::fs::write(dir.path().join("gold.yaml"), gold).unwrap();
    let variant = format!("name: v\n<<: {{provider: anthropic, model: claude-haiku-4-5, max_tokens: 50}}\nmax_tokens: 70\n{LLM_VARIANT_BODY}");
    std::fs::write(dir.path().join("v.yaml"), variant).unwrap();
    let eval = load_eval(&dir.path().join("eval.yaml")).unwrap();
    let VariantSpec::Llm(spec) = &eval.variants[0].spec else {
        panic!()
    };
    assert_eq!(spec.model, "claude-haiku-4-5");
    assert_eq!(spec.max_tokens, 70);
    assert_eq!(labels_of(&eval.gold, "b"), [GoldValue::Label(0)]);
    assert_eq!(labels_of(&eval.gold, "c"), [GoldValue::Label(1)]);
}
