//! A gold set written as a YAML document: its declared `fields:` and its `tickets:`, each
//! ticket's id, text, tags and labels checked against the fields.

use std::collections::HashMap;

use super::{read_fields, similar_id, spaces_hint};
use crate::config::check::{did_you_mean, index, list, ticket, Checker};
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::yaml::{Node, Pos, Value};

/// Parses a gold YAML document.
pub fn from_yaml(c: &mut Checker, node: &Node, sha256: String) -> Option<GoldSet> {
    let top = c.map(node, "", &["fields", "tickets"], &["fields", "tickets"])?;
    let fields = read_fields(c, top.get("fields")?, "fields", true);
    let tickets_node = top.get("tickets")?;
    let items = c.seq(tickets_node, "tickets")?;
    let fields = fields?;
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let mut tickets = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, Pos> = HashMap::new();
    let before = c.diags.len();
    // Ids that differ only by case or surrounding spaces ("T-1", "t-1 "): likely the same
    // ticket written twice, or a typo; a warning, as both are valid ids.
    let mut similar: HashMap<String, (String, usize)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = ticket(i);
        let Some(t) = c.map(
            item,
            &path,
            &["id", "text", "labels", "tags", "clarification"],
            &["id", "text", "labels"],
        ) else {
            continue;
        };
        let id = t.get("id").and_then(|n| {
            let id = c.scalar_string(n, &t.sub("id"))?;
            if id.trim().is_empty() {
                c.error(
                    Some(n.pos),
                    &t.sub("id"),
                    format!(
                        "ticket id is empty ({}); every ticket needs a unique id",
                        n.display()
                    ),
                );
                return None;
            }
            if let Some(first) = seen.get(&id) {
                c.error(
                    Some(n.pos),
                    &t.sub("id"),
                    format!(
                        "duplicate ticket id {id:?} (first used at line {})",
                        first.line
                    ),
                );
                return None;
            }
            seen.insert(id.clone(), n.pos);
            similar_id(c, &mut similar, &id, i, || n.pos, &t.sub("id"));
            Some(id)
        });
        let text = t.get("text").and_then(|n| {
            let s = c.string(n, &t.sub("text"))?;
            if s.trim().is_empty() {
                c.error(
                    Some(n.pos),
                    &t.sub("text"),
                    format!(
                        "ticket text is empty ({}); every ticket needs the customer's message",
                        n.display()
                    ),
                );
                return None;
            }
            Some(s)
        });
        let tags = match t.get("tags") {
            Some(n) => c.strings(n, &t.sub("tags")),
            None => Some(Vec::new()),
        };
        let clarification = t
            .get("clarification")
            .and_then(|n| c.string(n, &t.sub("clarification")));
        let labels = t.get("labels").and_then(|n| {
            let lm = c.any_map(n, &t.sub("labels"), "a mapping of field -> value")?;
            for (k, _) in lm.entries() {
                let key = k.key_string();
                if !names.contains(&key.as_str()) {
                    let hint = did_you_mean(&key, &names)
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    c.error(
                        Some(k.pos),
                        &lm.sub(&key),
                        format!("unknown field `{key}` ({hint}fields: {})", list(&names)),
                    );
                }
            }
            let mut values = Vec::with_capacity(fields.len());
            let mut ok = true;
            for field in &fields {
                let fpath = lm.sub(&field.name);
                match lm.get(&field.name) {
                    None => {
                        c.error(
                            Some(n.pos),
                            &fpath,
                            format!("missing label for field `{}`", field.name),
                        );
                        ok = false;
                    }
                    Some(v) => match value_from_node(c, field, v, &fpath) {
                        Some(gv) => values.push(gv),
                        None => ok = false,
                    },
                }
            }
            ok.then_some(values)
        });
        if let (Some(id), Some(text), Some(labels), Some(tags)) = (id, text, labels, tags) {
            tickets.push(Ticket {
                id,
                text,
                labels,
                tags,
                clarification,
            });
        }
    }
    if items.is_empty() {
        c.error(
            Some(tickets_node.pos),
            "tickets",
            "the gold set has no tickets",
        );
    }
    (c.diags.len() == before && !items.is_empty()).then_some(GoldSet {
        fields,
        tickets,
        sha256,
    })
}

/// Reads one label value from YAML, pointing at the offending item on error.
fn value_from_node(c: &mut Checker, field: &Field, node: &Node, path: &str) -> Option<GoldValue> {
    let bad_label = |c: &mut Checker, n: &Node, p: &str, s: &str| {
        if let Some(msg) = spaces_hint(field, s) {
            c.error(Some(n.pos), p, msg);
            return;
        }
        let names: Vec<&str> = field.values.iter().map(String::as_str).collect();
        let hint = did_you_mean(s, &names)
            .map(|h| format!("; did you mean {h:?}?"))
            .unwrap_or_default();
        c.error(
            Some(n.pos),
            p,
            format!(
                "{s:?} is not a value of field `{}` (valid: {}{hint})",
                field.name,
                list(&names)
            ),
        );
    };
    match field.kind {
        FieldKind::Label => {
            let s = c.scalar_string(node, path)?;
            match field.index_of(&s) {
                Some(i) => Some(GoldValue::Label(i)),
                None => {
                    bad_label(c, node, path, &s);
                    None
                }
            }
        }
        FieldKind::Labels => {
            let items: Vec<Node> = match &node.value {
                Value::Seq(items) => items.clone(),
                Value::Str(_) => vec![node.clone()],
                _ => {
                    c.error(
                        Some(node.pos),
                        path,
                        format!(
                            "expected a list of values of field `{}`, found {}",
                            field.name,
                            node.display()
                        ),
                    );
                    return None;
                }
            };
            let mut out = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                let p = if matches!(node.value, Value::Seq(_)) {
                    index(path, i)
                } else {
                    path.to_string()
                };
                match c.scalar_string(item, &p) {
                    Some(s) => match field.index_of(&s) {
                        Some(ix) => out.push(ix),
                        None => {
                            bad_label(c, item, &p, &s);
                            ok = false;
                        }
                    },
                    None => ok = false,
                }
            }
            out.sort_unstable();
            out.dedup();
            ok.then_some(GoldValue::Labels(out))
        }
        FieldKind::Flag => c.bool(node, path).map(GoldValue::Flag),
    }
}
