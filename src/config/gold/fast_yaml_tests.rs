//! The YAML fast path reads what the full loader reads, or gives up.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::from_text;
use crate::config::check::Checker;
use crate::config::gold::from_yaml;
use crate::gold::{GoldSet, GoldValue};

/// The full loader's result, and whether it said anything (an error or a warning).
fn full(text: &str) -> (Option<GoldSet>, bool) {
    let mut c = Checker::new(Path::new("gold.yaml"));
    let gold = match crate::yaml::parse(text) {
        Ok(node) => from_yaml(&mut c, &node, "sha".into()),
        Err(_) => return (None, true),
    };
    (gold, !(c.diags.is_empty() && c.warnings.is_empty()))
}

fn fast(text: &str) -> Option<GoldSet> {
    from_text(text, Path::new("gold.yaml"), "sha")
}

const FIELDS: &str = "fields:
  intent:
    kind: label
    values: [refund, card arrival, \"lang:x\", billing]
  topics:
    kind: labels
    values: [a, b, c]
  urgent:
    kind: flag
";

/// A document that the fast path takes, and the full loader reads the same, silently.
fn same(text: &str) -> GoldSet {
    let (want, said) = full(text);
    assert!(!said, "the full loader reports something for:\n{text}");
    let got = fast(text).unwrap_or_else(|| panic!("the fast path gave up on:\n{text}"));
    assert_eq!(Some(&got), want.as_ref(), "{text}");
    got
}

#[test]
fn reads_the_common_layouts_as_the_full_loader_does() {
    let tickets = [
        // Indented items, plain and quoted scalars, flow values, blank lines.
        "tickets:
  - id: T-1
    text: \"Where is my card? It's been 2 weeks: still nothing #sad\"
    labels: {intent: card arrival, topics: [b, a, b], urgent: true}
    tags: [vip, \"lang:en\"]

  - id: t2
    text: refund please, I was charged twice (issue#5) for 10.5 EUR
    labels: {urgent: False, intent: refund, topics: c}
    clarification: \"Which charge?\"
    tags: solo
  - labels: {intent: \"lang:x\", topics: [], urgent: TRUE}
    text: ¿Dónde está mi tarjeta? 日本語も
    id: \"007\"
",
        // Items at the key's own indentation, quoted keys in a flow mapping.
        "tickets:
- id: a
  text: one
  labels: {\"intent\": billing, topics: [c], urgent: false}
- id: b
  text: two
  labels: {intent: refund, topics: [a, c], urgent: true}
",
    ];
    for t in tickets {
        let g = same(&format!("{FIELDS}{t}"));
        assert!(g.tickets.len() >= 2);
    }
    let g = same(&format!("\u{feff}{FIELDS}{}", tickets[0]));
    assert_eq!(
        g.tickets[0].text,
        "Where is my card? It's been 2 weeks: still nothing #sad"
    );
    assert_eq!(g.tickets[0].tags, ["vip", "lang:en"]);
    assert_eq!(g.tickets[0].labels[1], GoldValue::Labels(vec![0, 1]));
    assert_eq!(g.tickets[1].tags, ["solo"]);
    assert_eq!(g.tickets[1].clarification.as_deref(), Some("Which charge?"));
    assert_eq!(g.tickets[2].id, "007");
}

#[test]
fn reads_a_large_set_in_two_parts_as_one() {
    let mut text = String::from(FIELDS);
    text.push_str("tickets:\n");
    for i in 0..30_000 {
        text.push_str(&format!(
            "  - id: T{i:06}\n    text: \"message number {i}\"\n    labels: {{intent: {}, topics: [a], urgent: {}}}\n",
            ["refund", "billing"][i % 2],
            i % 3 == 0
        ));
    }
    assert!(text.len() > 2 << 20, "over the size read in two parts");
    let g = same(&text);
    assert_eq!(g.tickets.len(), 30_000);
    assert_eq!(g.tickets[29_999].id, "T029999");
}

#[test]
fn gives_up_on_other_syntax_and_on_anything_the_full_loader_reports() {
    let ok = "  - id: a\n    text: one\n    labels: {intent: refund, topics: [a], urgent: true}\n";
    let cases: &[(&str, &str)] = &[
        ("comment line", "  # a note\n"),
        ("comment after a value", "  - id: b # note\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("single quotes", "  - id: b\n    text: 'two'\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("an escape", "  - id: b\n    text: \"t\\u00e9\"\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a block scalar", "  - id: b\n    text: |\n      two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a multi-line plain scalar", "  - id: b\n    text: two\n      more\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("an anchor", "  - id: b\n    text: &t two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a tag", "  - id: !!str 5\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("nested block labels", "  - id: b\n    text: two\n    labels:\n      intent: refund\n"),
        ("a tab", "  - id: b\n    text: two\there\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("trailing spaces", "  - id: b\n    text: two  \n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a number id", "  - id: 12\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a boolean text", "  - id: b\n    text: yes\n    labels: {intent: refund, topics: [a], urgent: true}\n    tags: [true]\n"),
        ("a null text", "  - id: b\n    text: ~\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a quoted flag", "  - id: b\n    text: two\n    labels: {intent: refund, topics: [a], urgent: \"true\"}\n"),
        ("an unknown key", "  - id: b\n    txt: two\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a repeated key", "  - id: b\n    id: c\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("a missing label", "  - id: b\n    text: two\n    labels: {intent: refund, topics: [a]}\n"),
        ("an unknown field", "  - id: b\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true, x: y}\n"),
        ("a value the field lacks", "  - id: b\n    text: two\n    labels: {intent: refnud, topics: [a], urgent: true}\n"),
        ("a label with spaces around it", "  - id: b\n    text: two\n    labels: {intent: \" refund\", topics: [a], urgent: true}\n"),
        ("a repeated id", "  - id: a\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("an id differing by case", "  - id: A\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("an id differing by spaces", "  - id: \"a \"\n    text: two\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("an empty text", "  - id: b\n    text: \"  \"\n    labels: {intent: refund, topics: [a], urgent: true}\n"),
        ("no labels", "  - id: b\n    text: two\n"),
        ("a trailing comma", "  - id: b\n    text: two\n    labels: {intent: refund, topics: [a,], urgent: true}\n"),
        ("a key after the tickets", "name: x\n"),
        ("a second document", "---\nfields: {}\n"),
    ];
    let base = format!("{FIELDS}tickets:\n{ok}");
    same(&base);
    for (what, extra) in cases {
        let text = format!("{base}{extra}");
        assert_eq!(fast(&text), None, "{what}: the fast path took\n{text}");
    }
    // CRLF line ends, no tickets, no fields, tickets first, and more than fields at the top.
    assert_eq!(fast(&base.replace('\n', "\r\n")), None, "CRLF");
    assert_eq!(fast(&format!("{FIELDS}tickets:\n")), None, "no tickets");
    assert_eq!(fast(&format!("tickets:\n{ok}")), None, "no fields");
    assert_eq!(
        fast(&format!("name: x\n{base}")),
        None,
        "another top-level key"
    );
    let bad_fields = base.replace("kind: flag", "kind: flags");
    assert_eq!(fast(&bad_fields), None, "a field the full loader refuses");
}

/// Random small documents from pieces that are tricky in YAML: whatever the fast path
/// takes, the full loader reads the same, without a word.
#[test]
fn random_documents_read_the_same_when_taken() {
    const SAFE: &[&str] = &[
        "a",
        "b",
        "refund",
        "card arrival",
        "x",
        "y z",
        "billing",
        "é",
        "日",
    ];
    const RISKY: &[&str] = &[
        "lang:x", " ", ": ", ":", "#", " #", "\"", "'", "-", "- ", "?", "[", "]", "{", "}", ",",
        "&", "*", "!", "|", ">", "%", "@", "`", "1", "0x1F", "1e3", ".5", "true", "False", "null",
        "~", "NULL", ".inf", "\\", "\t", "-1", "+2", "c", "a,b",
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let scalar = |rng: &mut ChaCha8Rng, quoted_sometimes: bool| {
        let n = rng.gen_range(1..4);
        let s: String = (0..n)
            .map(|_| match rng.gen_bool(0.85) {
                true => SAFE[rng.gen_range(0..SAFE.len())],
                false => RISKY[rng.gen_range(0..RISKY.len())],
            })
            .collect();
        match quoted_sometimes && rng.gen_bool(0.3) {
            true => format!("\"{s}\""),
            false => s,
        }
    };
    let (mut taken, mut tried) = (0, 0);
    for _ in 0..5000 {
        let mut text = String::from(FIELDS);
        text.push_str("tickets:\n");
        let dash = if rng.gen_bool(0.5) { "" } else { "  " };
        for t in 0..rng.gen_range(1..4) {
            let id = match rng.gen_bool(0.7) {
                true => format!("id{t}"),
                false => scalar(&mut rng, true),
            };
            let text_v = scalar(&mut rng, true);
            let intent = match rng.gen_bool(0.7) {
                true => ["refund", "billing", "card arrival", "\"lang:x\""][rng.gen_range(0..4)]
                    .to_string(),
                false => scalar(&mut rng, true),
            };
            let topics = match rng.gen_range(0..3) {
                0 => "[a, c]".to_string(),
                1 => "b".to_string(),
                _ => format!("[{}]", scalar(&mut rng, true)),
            };
            let urgent = ["true", "false", "True", "\"true\"", "yes"][rng.gen_range(0..5)];
            text.push_str(&format!("{dash}- id: {id}\n{dash}  text: {text_v}\n"));
            text.push_str(&format!(
                "{dash}  labels: {{intent: {intent}, topics: {topics}, urgent: {urgent}}}\n"
            ));
            if rng.gen_bool(0.3) {
                text.push_str(&format!("{dash}  tags: [{}]\n", scalar(&mut rng, true)));
            }
            if rng.gen_bool(0.2) {
                text.push_str(&format!(
                    "{dash}  clarification: {}\n",
                    scalar(&mut rng, true)
                ));
            }
        }
        tried += 1;
        if let Some(got) = fast(&text) {
            taken += 1;
            let (want, said) = full(&text);
            assert!(
                !said,
                "the full loader reports something for what the fast path took:\n{text}"
            );
            assert_eq!(Some(got), want, "{text}");
        }
    }
    // Not a vacuous check: a good share is taken, and a good share given up.
    assert!(
        taken > tried / 10 && taken < tried * 9 / 10,
        "{taken} of {tried} taken"
    );
}
