//! The fast path reads what the full loader reads, or gives up.

use std::path::PathBuf;

use super::{from_text, from_text_split, table_from_text, Mode};
use crate::config::check::Checker;
use crate::config::gold::{table::from_table, TableSpec};
use crate::config::source;
use crate::gold::{Field, FieldKind, GoldSet};
use crate::score::GoldTable;
use crate::yaml::Pos;

/// The full loader's result, and whether it said anything (an error or a warning).
fn full(spec: &TableSpec, text: &str) -> (Option<GoldSet>, bool) {
    let mut c = Checker::new(&spec.path);
    let mut parent = Checker::new(&PathBuf::from("eval.yaml"));
    let gold = source::read_table(text, &spec.path, &mut c).and_then(|table| {
        from_table(
            &mut c,
            spec,
            &mut parent,
            (Pos { line: 1, col: 1 }, "gold"),
            &table,
            text,
            "sha".into(),
        )
    });
    let said = !(c.diags.is_empty()
        && c.warnings.is_empty()
        && parent.diags.is_empty()
        && parent.warnings.is_empty());
    (gold, said)
}

fn spec(file: &str, id: Option<&str>, labels: &[(&str, &str)], tags: &[&str]) -> TableSpec {
    TableSpec {
        path: PathBuf::from(file),
        text: "text".into(),
        id: id.map(str::to_string),
        labels: labels
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        fields: None,
        positions: Vec::new(),
    }
}

fn field(name: &str, kind: FieldKind, values: &[&str]) -> Field {
    Field {
        name: name.into(),
        kind,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// Checks one case: when the fast path reads it, the full loader reads the same gold set and
/// says nothing; `fast` says whether the fast path must take it.
fn check(name: &str, spec: &TableSpec, text: &str, fast: bool) {
    let got = from_text(spec, text, "sha", true);
    // Straight into a table: the table of that gold set, which has no tickets.
    let want_table = got.as_ref().map(|g| {
        let table = GoldTable::new(g, g.tickets.len());
        let lean = crate::gold::GoldSet {
            tickets: Vec::new(),
            ..g.clone()
        };
        (lean, table)
    });
    assert_eq!(
        table_from_text(spec, text, "sha"),
        want_table,
        "{name}: read into a table"
    );
    // Read in two parts, split at each line break in turn: the same result, `None` included.
    for from in 0..=text.len() {
        let split = from_text_split(spec, text, "sha", Mode::Texts, &|_| Some(from));
        assert_eq!(
            split.map(|(g, _)| g),
            got,
            "{name}: read in two parts from byte {from}"
        );
        let split = from_text_split(spec, text, "sha", Mode::Table, &|_| Some(from));
        assert_eq!(
            split.map(|(g, t)| (g, t.expect("a table"))),
            want_table,
            "{name}: read into a table in two parts from byte {from}"
        );
    }
    // Without texts: the same tickets, their texts empty.
    let lean = from_text(spec, text, "sha", false);
    let mut want_lean = got.clone();
    if let Some(g) = &mut want_lean {
        g.tickets.iter_mut().for_each(|t| t.text.clear());
    }
    assert_eq!(lean, want_lean, "{name}: read without texts");
    let (want, said) = full(spec, text);
    if let Some(got) = &got {
        assert!(
            !said,
            "{name}: the fast path read a file the full loader has words for"
        );
        assert_eq!(Some(got), want.as_ref(), "{name}: the two loaders differ");
    }
    assert_eq!(
        got.is_some(),
        fast,
        "{name}: fast path taken: {}",
        got.is_some()
    );
}

const CSV: &str = "id,text,intent,tag,prio\nT1,hello world,card,en,high\nT2,\"quoted, comma \"\"x\"\"\",transfer,,low\nT3,third one,card,fr,high\n";

#[test]
fn csv_files_read_alike_or_the_fast_path_gives_up() {
    let plain = spec(
        "g.csv",
        Some("id"),
        &[("intent", "intent"), ("prio", "prio")],
        &["tag"],
    );
    check("plain", &plain, CSV, true);
    check(
        "tags met again, labels first seen late",
        &plain,
        "id,text,intent,tag,prio\nT1,a,card,en,high\nT2,b,pin,fr,low\nT3,c,card,en,high\nT4,d,top,,low\nT5,e,pin,fr,mid\nT6,f,card,de,high\n",
        true,
    );
    check("crlf", &plain, &CSV.replace('\n', "\r\n"), true);
    // Quoted values over several lines (a ticket's text often has line breaks): read by the
    // fast path (in one part when a value holds a line break, wherever the cut), as the full
    // loader reads them.
    let multi = CSV.replace("third one", "\"third\none\"");
    check("a line break in a value", &plain, &multi, true);
    check(
        "a line break in an unread column",
        &plain,
        &CSV.replace(",fr,", ",\"f\nr\","),
        true,
    );
    check(
        "line breaks in the last column",
        &plain,
        &CSV.replace(",high\n", ",\"hi\ngh\"\n"),
        true,
    );
    check(
        "line breaks with crlf",
        &plain,
        &CSV.replace("third one", "\"third\r\none, \"\"2\"\"\"")
            .replace('\n', "\r\n"),
        true,
    );
    check("bom", &plain, &format!("\u{feff}{CSV}"), true);
    check("no trailing newline", &plain, CSV.trim_end(), true);
    check(
        "no id column",
        &spec("g.csv", None, &[("intent", "intent")], &[]),
        CSV,
        true,
    );
    check(
        "unicode",
        &plain,
        &CSV.replace("hello world", "héllo wörld 日本"),
        true,
    );
    check(
        "column order",
        &plain,
        "prio,tag,intent,text,id\nhigh,en,card,hi,T1\n",
        true,
    );
    let mut declared = plain.clone();
    declared.fields = Some(vec![
        field("prio", FieldKind::Label, &["low", "high", "mid"]),
        field("intent", FieldKind::Label, &[]),
    ]);
    check(
        "declared values, declared without values",
        &declared,
        CSV,
        true,
    );
    let mut multi = spec(
        "g.csv",
        Some("id"),
        &[("intents", "intent"), ("vip", "prio")],
        &[],
    );
    multi.fields = Some(vec![
        field("intents", FieldKind::Labels, &["card", "transfer", "pin"]),
        field("vip", FieldKind::Flag, &[]),
    ]);
    let flags = "id,text,intent,prio\nA,a,card|pin,yes\nB,b, pin | card |pin ,0\nC,c,,TRUE\n";
    check("labels and flags", &multi, flags, true);
    let mut seen = multi.clone();
    seen.fields = Some(vec![
        field("intents", FieldKind::Labels, &[]),
        field("vip", FieldKind::Flag, &[]),
    ]);
    check("labels seen", &seen, flags, true);
    check("bad flag", &multi, &flags.replace(",yes", ",maybe"), false);
    check("empty flag", &multi, &flags.replace(",yes", ","), false);
    check(
        "unknown label in a set",
        &multi,
        &flags.replace("card|pin", "card|nope"),
        false,
    );

    for (what, text) in [
        ("ids differing by case", CSV.replace("T3,", "t1,")),
        ("ids differing by spaces", CSV.replace("T3,", "T1 ,")),
        ("duplicate id", CSV.replace("T3,", "T1,")),
        ("empty id", CSV.replace("T3,", ",")),
        ("blank id", CSV.replace("T3,", "  ,")),
        ("empty text", CSV.replace("third one", "")),
        ("blank text", CSV.replace("third one", "   ")),
        ("label with spaces", CSV.replace(",card,fr", ", card,fr")),
        ("empty label", CSV.replace(",card,fr", ",,fr")),
        (
            "a list in an undeclared column",
            CSV.replace(",card,fr", ",card|pin,fr"),
        ),
        ("unclosed quote", CSV.replace("third one", "\"third one")),
        (
            // The quote opened at `"third` closes at `"x`: one value over a line break.
            "unclosed quote closed by a later one",
            CSV.replace("third one", "\"third one") + "T4,\"x\",card,en,high\n",
        ),
        ("row too short", CSV.replace(",fr,high", ",fr")),
        ("row too long", CSV.replace(",fr,high", ",fr,high,x")),
        ("a column named twice", CSV.replace("tag,prio", "tag,tag")),
        ("no rows", "id,text,intent,tag,prio\n".to_string()),
        ("semicolons", CSV.replace(',', ";")),
        ("missing column", CSV.replace(",prio\n", ",priority\n")),
    ] {
        check(what, &plain, &text, false);
    }
    let mut unknown = plain.clone();
    unknown.fields = Some(vec![field("prio", FieldKind::Label, &["low", "mid"])]);
    check("a value not declared", &unknown, CSV, false);
    let mut orphan = plain.clone();
    orphan.fields = Some(vec![field("other", FieldKind::Label, &["x"])]);
    check("a declared field without a column", &orphan, CSV, false);
}

const JSONL: &str = r#"{"id": "T1", "text": "hello world", "intent": "card", "tag": "en", "extra": {"a": [1, 2, {"b": null}]}}
{"id": "T2", "text": "esc\u00e9 \"quoted\"\nline", "intent": "transfer", "n": 3.5e10}

{"id":"T3","text":"third","intent":"card|pin","tag":""}
"#;

#[test]
fn jsonl_files_read_alike_or_the_fast_path_gives_up() {
    let plain = spec("g.jsonl", Some("id"), &[("intent", "intent")], &["tag"]);
    check(
        "plain, blank line, escapes, a missing tag",
        &plain,
        JSONL,
        true,
    );
    check("crlf", &plain, &JSONL.replace('\n', "\r\n"), true);
    check("bom", &plain, &format!("\u{feff}{JSONL}"), true);
    check(
        "ndjson",
        &spec("g.ndjson", Some("id"), &[("intent", "intent")], &[]),
        JSONL,
        true,
    );
    check(
        "no id column",
        &spec("g.jsonl", None, &[("intent", "intent")], &[]),
        JSONL,
        true,
    );
    let escaped_key = JSONL.replace(
        r#""intent": "card", "tag""#,
        r#""int\u0065nt": "card", "tag""#,
    );
    check("an escaped key", &plain, &escaped_key, true);
    let mut typed = spec(
        "g.jsonl",
        Some("id"),
        &[("intents", "intents"), ("vip", "vip")],
        &[],
    );
    typed.fields = Some(vec![
        field("intents", FieldKind::Labels, &[]),
        field("vip", FieldKind::Flag, &[]),
    ]);
    let rows = "{\"id\":\"a\",\"text\":\"x\",\"intents\":[\"pin\",\"card\",\"pin\"],\"vip\":true}\n{\"id\":\"b\",\"text\":\"y\",\"intents\":\"card | top\",\"vip\":\"no\"}\n{\"id\":\"c\",\"text\":\"z\",\"intents\":[],\"vip\":false}\n";
    check("typed cells", &typed, rows, true);
    check(
        "a list with a number",
        &typed,
        &rows.replace("[]", "[1]"),
        false,
    );
    check(
        "a list with a blank item",
        &typed,
        &rows.replace("[]", "[\" \"]"),
        false,
    );
    check(
        "a flag as a number",
        &typed,
        &rows.replace(":false", ":0"),
        false,
    );
    check(
        "a null flag",
        &typed,
        &rows.replace(":false", ":null"),
        false,
    );

    for (what, text) in [
        (
            "repeated key",
            JSONL.replace(r#""tag": "en""#, r#""tag": "en", "tag": "x""#),
        ),
        (
            "repeated unread key",
            JSONL.replace(r#""n": 3.5e10"#, r#""n": 1, "n": 2"#),
        ),
        (
            "repeated key through an escape",
            JSONL.replace(r#""tag": "en""#, r#""tag": "en", "t\u0061g": "x""#),
        ),
        ("not an object", format!("{JSONL}[1, 2]\n")),
        ("invalid JSON", format!("{JSONL}{{\"id\": \n")),
        ("trailing garbage", JSONL.replace("null}]}}", "null}]}} x")),
        (
            "null label",
            JSONL.replace(r#""intent": "transfer""#, r#""intent": null"#),
        ),
        (
            "missing label",
            JSONL.replace(r#", "intent": "transfer""#, ""),
        ),
        (
            "array in an undeclared column",
            JSONL.replace(r#""card|pin""#, r#"["card"]"#),
        ),
        (
            "boolean in an undeclared column",
            JSONL.replace(r#""card|pin""#, "true"),
        ),
        ("number id", JSONL.replace(r#""id":"T3""#, r#""id":3"#)),
        ("null id", JSONL.replace(r#""id":"T3""#, r#""id":null"#)),
        (
            "number text",
            JSONL.replace(r#""text":"third""#, r#""text":3"#),
        ),
        ("number tag", JSONL.replace(r#""tag":"""#, r#""tag":7"#)),
        (
            "ids differing by case",
            JSONL.replace(r#""id":"T3""#, r#""id":"t1""#),
        ),
        (
            "unicode ids differing by case",
            JSONL
                .replace(r#""T1""#, "\"É1\"")
                .replace(r#""T3""#, "\"é1\""),
        ),
        (
            "a label with spaces",
            JSONL.replace(r#""card|pin""#, r#"" card""#),
        ),
        ("no rows", "\n\n".to_string()),
    ] {
        check(what, &plain, &text, false);
    }
    let no_tag = JSONL
        .replace(r#", "tag": "en""#, "")
        .replace(r#","tag":"""#, "");
    check("a tag column no row has", &plain, &no_tag, false);
    check(
        "a tag column no row has, not asked for",
        &spec("g.jsonl", Some("id"), &[("intent", "intent")], &[]),
        &no_tag,
        true,
    );
}

#[test]
fn other_extensions_are_not_taken() {
    let s = spec("g.tsv", Some("id"), &[("intent", "intent")], &[]);
    assert!(from_text(&s, CSV, "sha", true).is_none());
}

/// The JSON cursor reads a line into the same cells as serde, or gives the line up to it:
/// never a different reading, never a line serde refuses.
#[test]
fn the_cursor_reads_a_line_as_serde_does_or_gives_up() {
    use serde::de::DeserializeSeed;
    use std::borrow::Cow;
    let columns = ["text", "id", "intent", "intents", "vip", "tag"];
    let serde_cells = |line: &str| -> Option<String> {
        let mut cells = vec![];
        cells.resize_with(columns.len(), || super::Cell::Missing);
        let mut keys: Vec<Cow<str>> = Vec::new();
        let mut de = serde_json::Deserializer::from_str(line);
        super::LineSeed {
            columns: &columns,
            cells: &mut cells,
            keys: &mut keys,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        Some(format!("{cells:?}"))
    };
    let cursor_cells = |line: &str| -> Option<String> {
        let mut cells = vec![];
        cells.resize_with(columns.len(), || super::Cell::Missing);
        let mut keys: Vec<Cow<str>> = Vec::new();
        super::scan_line(line, &columns, &mut cells, &mut keys)?;
        Some(format!("{cells:?}"))
    };
    let lines = [
        r#"{"id": "T1", "text": "hello", "intent": "card", "tag": "lang:en"}"#,
        r#"{"id":"T1","text":"hello","intent":"card"}"#,
        r#"  { "id" : "T1" , "text" : "héllo 日本" }  "#,
        "{\"id\":\"T1\",\t\"text\":\"x\"}\r",
        r#"{}"#,
        r#"{ }"#,
        r#"{"intents": ["a", "b", "a"], "vip": true}"#,
        r#"{"intents": [], "vip": false}"#,
        r#"{"intents": ["a", 1, "b"]}"#,
        r#"{"intents": [1, "a"]}"#,
        r#"{"intents": [["a"]], "vip": null}"#,
        r#"{"intents": ["a", [1, {"x": [true]}]]}"#,
        r#"{"vip": 0, "intent": 1.5e3, "tag": -0.25}"#,
        r#"{"vip": {"a": [1, 2, {"b": null}]}, "other": [1, 2]}"#,
        r#"{"other": "x", "n": 3.5e10, "deep": {"a": {"b": {"c": []}}}}"#,
        r#"{"text": "tab\there"}"#,
        r#"{"text": "quote \" inside"}"#,
        r#"{"text": "esc\u0041"}"#,
        r#"{"te\u0078t": "x"}"#,
        r#"{"tag": "en", "tag": "fr"}"#,
        r#"{"n": 1, "n": 2}"#,
        r#"{"id": "a",}"#,
        r#"{"id": "a"} x"#,
        r#"{"id": "a"}}"#,
        r#"{"id": 01}"#,
        r#"{"id": 1.}"#,
        r#"{"id": -}"#,
        r#"{"id": tru}"#,
        r#"{"id": nul}"#,
        r#"{"id" "a"}"#,
        r#"{"id": "a""#,
        r#"["a"]"#,
        r#""a""#,
        "{\"text\": \"a\nb\"}",
        r#"{"intents": ["a",]}"#,
        r#"{"intents": [,]}"#,
        "",
    ];
    let deep = format!("{{\"other\": {}1{}}}", "[".repeat(150), "]".repeat(150));
    let deep_ok = format!("{{\"other\": {}1{}}}", "[".repeat(90), "]".repeat(90));
    for line in lines
        .iter()
        .copied()
        .chain([deep.as_str(), deep_ok.as_str()])
    {
        let want = serde_cells(line);
        if let Some(got) = cursor_cells(line) {
            assert_eq!(Some(got), want, "{line:?}");
        }
    }
    // The usual lines are the cursor's (else it would be no faster).
    for line in &lines[..15] {
        assert!(cursor_cells(line).is_some(), "{line:?}");
    }
}
