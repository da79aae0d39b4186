//! Reading gold files for the gold-aware mode: verdict's gold YAML, CSV and JSONL tables (by
//! [`GoldColumns`]) and a JSON id -> labels map, into [`GoldTicket`]s.

use serde_json::{json, Map, Value};

use super::{GoldColumns, GoldTicket};

pub(super) fn from_yaml(raw: &str) -> Result<Vec<GoldTicket>, String> {
    let docs = yaml_rust2::YamlLoader::load_from_str(raw).map_err(|e| e.to_string())?;
    let doc = docs.first().ok_or("empty YAML file")?;
    let list = doc["tickets"]
        .as_vec()
        .ok_or("no `tickets:` list (a verdict gold YAML file has one)")?;
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let id = yaml_scalar(&t["id"]).ok_or(format!("tickets[{i}].id: missing"))?;
        let text = yaml_scalar(&t["text"]).ok_or(format!("tickets[{i}].text: missing"))?;
        let labels = match yaml_to_json(&t["labels"]) {
            Value::Object(m) => m,
            _ => return Err(format!("tickets[{i}].labels: missing or not a mapping")),
        };
        out.push(GoldTicket {
            id,
            text: Some(text),
            labels,
        });
    }
    Ok(out)
}

pub(super) fn yaml_scalar(y: &yaml_rust2::Yaml) -> Option<String> {
    use yaml_rust2::Yaml;
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(n) => Some(n.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .filter_map(|(k, v)| Some((yaml_scalar(k)?, yaml_to_json(v))))
                .collect(),
        ),
        other => yaml_scalar(other).map_or(Value::Null, Value::String),
    }
}

pub(super) fn from_json(raw: &str) -> Result<Vec<GoldTicket>, String> {
    let v: Value = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    match v {
        Value::Object(map) => map
            .into_iter()
            .map(|(id, labels)| match labels {
                Value::Object(labels) => Ok(GoldTicket {
                    id,
                    text: None,
                    labels,
                }),
                _ => Err(format!("{id}: the labels must be an object field -> value")),
            })
            .collect(),
        Value::Array(rows) => from_rows(
            rows.into_iter()
                .map(|r| match r {
                    Value::Object(m) => Ok(m),
                    _ => Err("every list item must be an object".to_string()),
                })
                .collect::<Result<_, _>>()?,
            &GoldColumns::default(),
        ),
        _ => Err("expected an object id -> labels or a list of tickets".into()),
    }
}

pub(super) fn jsonl_rows(raw: &str) -> Result<Vec<Map<String, Value>>, String> {
    raw.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(
            |(i, l)| match serde_json::from_str(l.trim_start_matches('\u{feff}')) {
                Ok(Value::Object(m)) => Ok(m),
                Ok(_) => Err(format!("line {}: not a JSON object", i + 1)),
                Err(e) => Err(format!("line {}: {e}", i + 1)),
            },
        )
        .collect()
}

pub(super) fn csv_rows(raw: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut rd = csv::Reader::from_reader(raw.trim_start_matches('\u{feff}').as_bytes());
    let headers = rd.headers().map_err(|e| e.to_string())?.clone();
    rd.records()
        .map(|r| {
            let r = r.map_err(|e| e.to_string())?;
            Ok(headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), json!(v)))
                .collect())
        })
        .collect()
}

pub(super) fn cell(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn from_rows(
    rows: Vec<Map<String, Value>>,
    c: &GoldColumns,
) -> Result<Vec<GoldTicket>, String> {
    let mut out = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let at = format!("row {}", i + 1);
        let text = row
            .get(&c.text)
            .and_then(cell)
            .ok_or(format!("{at}: no text column {:?}", c.text))?;
        let id = match &c.id {
            Some(col) => row
                .get(col)
                .and_then(cell)
                .ok_or(format!("{at}: no id column {col:?}"))?,
            None => row
                .get("id")
                .and_then(cell)
                .unwrap_or_else(|| format!("row-{}", i + 1)),
        };
        let mut labels = Map::new();
        if !c.labels.is_empty() {
            for (field, col) in &c.labels {
                let v = row
                    .get(col)
                    .cloned()
                    .ok_or(format!("{at}: no label column {col:?}"))?;
                labels.insert(field.clone(), v);
            }
        } else if let Some(Value::Object(m)) = row.get("labels") {
            labels = m.clone();
        } else {
            let id_col = c.id.as_deref().unwrap_or("id");
            for (k, v) in &row {
                if k != &c.text && k != id_col && k != "tags" && k != "clarification" {
                    labels.insert(k.clone(), v.clone());
                }
            }
        }
        out.push(GoldTicket {
            id,
            text: Some(text),
            labels,
        });
    }
    Ok(out)
}
