//! Tests of the module above.
use super::*;
use crate::eval_log::Outcome;

fn fields() -> Vec<Field> {
    vec![
        Field {
            name: "department".into(),
            kind: FieldKind::Label,
            values: vec!["billing".into(), "technical".into()],
        },
        Field {
            name: "urgent".into(),
            kind: FieldKind::Flag,
            values: vec![],
        },
    ]
}

fn ticket(id: &str, dept: u32, tags: &[&str]) -> Ticket {
    Ticket {
        id: id.into(),
        text: format!("text of {id}"),
        labels: vec![GoldValue::Label(dept), GoldValue::Flag(false)],
        tags: tags.iter().map(|t| t.to_string()).collect(),
        clarification: None,
    }
}

fn rec(variant: &str, ticket: &str, dept: Option<&str>, conf: Option<f64>) -> PredictionRecord {
    let mut r: PredictionRecord = serde_json::from_value(serde_json::json!({
        "v": 1, "variant": variant, "ticket": ticket, "outcome": "ok",
    }))
    .unwrap();
    match dept {
        Some(d) => {
            r.outputs.insert("department".into(), d.into());
        }
        None => r.outcome = Outcome::InvalidOutput,
    }
    r.confidence = conf;
    r
}

struct Case {
    fields: Vec<Field>,
    tickets: Vec<Ticket>,
    records: Vec<PredictionRecord>,
    routing: RoutingSettings,
}

/// T1 both right; T2 a wrong, b right (disagree); T3 both wrong alike; T4 a invalid,
/// b wrong; T5 both right, a unsure.
fn case() -> Case {
    let tickets = vec![
        ticket("T1", 0, &["email"]),
        ticket("T2", 0, &["chat"]),
        ticket("T3", 1, &["email"]),
        ticket("T4", 1, &[]),
        ticket("T5", 0, &["chat"]),
    ];
    let records = vec![
        rec("a", "T1", Some("billing"), Some(0.95)),
        rec("b", "T1", Some("billing"), Some(0.9)),
        rec("a", "T2", Some("technical"), Some(0.9)),
        rec("b", "T2", Some("billing"), None),
        rec("a", "T3", Some("billing"), Some(0.99)),
        rec("b", "T3", Some("billing"), Some(0.99)),
        rec("a", "T4", None, None),
        rec("b", "T4", Some("billing"), Some(0.85)),
        rec("a", "T5", Some("billing"), Some(0.4)),
        rec("b", "T5", Some("billing"), Some(0.9)),
    ];
    Case {
        fields: fields(),
        tickets,
        records,
        routing: RoutingSettings {
            field: "department".into(),
            route_at: 0.8,
            clarify_at: 0.5,
            target_accuracy: 0.9,
        },
    }
}

fn source(c: &Case) -> Source<'_> {
    Source {
        fields: &c.fields,
        tickets: &c.tickets,
        records: &c.records,
        variants: vec![
            RunVariant {
                name: "a",
                fields: vec!["department", "urgent"],
            },
            RunVariant {
                name: "b",
                fields: vec!["department"],
            },
        ],
        routing: Some(&c.routing),
    }
}

fn query(selection: Selection) -> Query {
    Query {
        selection,
        variants: vec![],
        field: None,
        tag: None,
        limit: None,
    }
}

fn ids(l: &TicketList) -> Vec<&str> {
    l.rows.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn wrong_is_wrong_in_any_variant_disagreeing_first() {
    let c = case();
    let l = select(&source(&c), &query(Selection::Wrong)).unwrap();
    // T2 and T4 are wrong and disagreed on; T3 wrong alike.
    assert_eq!(ids(&l), ["T2", "T4", "T3"]);
    assert_eq!(l.field, "department");
    assert_eq!(l.variants, ["a", "b"]);
    let t4 = &l.rows[1];
    assert_eq!(t4.predictions[0].predicted, None);
    assert_eq!(t4.predictions[0].outcome, "invalid_output");
    assert_eq!(t4.gold, "technical");
}

#[test]
fn wrong_in_one_variant_only_counts_that_variant() {
    let c = case();
    let mut q = query(Selection::Wrong);
    q.variants = vec!["b".into()];
    let l = select(&source(&c), &q).unwrap();
    assert_eq!(ids(&l), ["T3", "T4"]);
    assert!(l.rows.iter().all(|r| !r.disagree));
}

#[test]
fn disagree_and_low_confidence() {
    let c = case();
    let l = select(&source(&c), &query(Selection::Disagree)).unwrap();
    assert_eq!(ids(&l), ["T2", "T4"]);
    let l = select(&source(&c), &query(Selection::LowConfidence)).unwrap();
    // Below route_at 0.8: only a's 0.4 on T5; no confidence is not low.
    assert_eq!(ids(&l), ["T5"]);
    assert_eq!(l.low_confidence_below, 0.8);
}

#[test]
fn all_orders_groups_then_gold_order_and_limits() {
    let c = case();
    let mut q = query(Selection::All);
    let l = select(&source(&c), &q).unwrap();
    assert_eq!(ids(&l), ["T2", "T4", "T3", "T5", "T1"]);
    q.limit = Some(2);
    let l = select(&source(&c), &q).unwrap();
    assert_eq!((ids(&l), l.matched), (vec!["T2", "T4"], 5));
}

#[test]
fn tag_filters_tickets() {
    let c = case();
    let mut q = query(Selection::All);
    q.tag = Some("chat".into());
    let l = select(&source(&c), &q).unwrap();
    assert_eq!(ids(&l), ["T2", "T5"]);
    assert_eq!(l.considered, 2);
}

#[test]
fn a_field_a_variant_does_not_predict_lists_the_others() {
    let c = case();
    let mut q = query(Selection::Wrong);
    q.field = Some("urgent".into());
    let l = select(&source(&c), &q).unwrap();
    assert_eq!(l.variants, ["a"]);
    assert_eq!(l.not_predicting, ["b"]);
    q.variants = vec!["b".into()];
    let e = select(&source(&c), &q).unwrap_err().to_string();
    assert!(
        e.contains("\"b\"") || e.contains("b does not predict"),
        "{e}"
    );
    assert!(e.contains("(the variants that do: a)"), "{e}");
}

#[test]
fn unknown_values_name_the_valid_ones() {
    let c = case();
    let mut q = query(Selection::Wrong);
    q.variants = vec!["zeta".into()];
    let e = select(&source(&c), &q).unwrap_err();
    assert!(matches!(e, Error::Usage(_)));
    assert_eq!(
        e.to_string(),
        "--variant \"zeta\" is not a variant of this run (its variants: a, b)"
    );
    let mut q = query(Selection::Wrong);
    q.field = Some("dept".into());
    assert_eq!(
        select(&source(&c), &q).unwrap_err().to_string(),
        "--field \"dept\" is not a field of this run (its fields: department, urgent)"
    );
    let mut q = query(Selection::Wrong);
    q.tag = Some("web".into());
    assert_eq!(
        select(&source(&c), &q).unwrap_err().to_string(),
        "--tag \"web\" is not a tag of any ticket of this run (its tags: chat, email)"
    );
    let mut q = query(Selection::Disagree);
    q.variants = vec!["a".into()];
    let e = select(&source(&c), &q).unwrap_err().to_string();
    assert!(e.contains("needs two or more"), "{e}");
}
