//! Typed reading of a YAML tree that collects every problem instead of stopping at the first.
//!
//! A [`Checker`] belongs to one file. Its methods read a node as a mapping, string, number...
//! and, when the node is not what is expected, record a [`Diagnostic`] naming the position,
//! the key path, the value and what would be valid, then return `None` so the caller can
//! carry on with the next field.

use std::path::{Path, PathBuf};

use crate::error::Diagnostic;
use crate::yaml::{Node, Pos, Value};

/// Collects diagnostics for one file.
#[derive(Debug)]
pub struct Checker {
    pub file: PathBuf,
    pub diags: Vec<Diagnostic>,
    /// Likely mistakes that do not make the file invalid.
    pub warnings: Vec<Diagnostic>,
    /// The file's text, when the caller set it: lets a problem inside a string value (a
    /// placeholder in a prompt) be pointed at exactly, not only at the value's start.
    pub text: Option<String>,
}

/// The entries of a mapping whose keys were checked against the allowed ones.
pub struct Fields<'a> {
    pub node: &'a Node,
    pub path: String,
    entries: &'a [(Node, Node)],
}

impl<'a> Fields<'a> {
    /// The value of `key`, if present (and not null).
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| v.value != Value::Null)
    }

    /// The path of a key below this mapping.
    pub fn sub(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn entries(&self) -> &'a [(Node, Node)] {
        self.entries
    }
}

/// `a.b` from `a` and `b`; `b` from `` and `b`; `ticket 2: labels` from `ticket 2` and
/// `labels` (a ticket of a gold set is named by its 1-based number in every format, and the
/// path within it follows).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else if path.starts_with("ticket ") && !path.contains(": ") {
        format!("{path}: {key}")
    } else {
        format!("{path}.{key}")
    }
}

/// The path of the `i`-th (0-based) ticket of a gold set: `ticket 3` for `i` = 2.
pub fn ticket(i: usize) -> String {
    format!("ticket {}", i + 1)
}

/// `a[3]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub use crate::diag::{did_you_mean, list};

impl Checker {
    pub fn new(file: &Path) -> Self {
        Checker {
            file: file.to_path_buf(),
            diags: Vec::new(),
            warnings: Vec::new(),
            text: None,
        }
    }

    /// The position of `snippet` inside the string value that starts at `value_pos`: the
    /// `nth` occurrence (0-based) of `snippet` in the file from there. Falls back to the value's
    /// position when the file's text is not known or the snippet is not written verbatim
    /// (an escape sequence inside it).
    pub fn pos_in_value(&self, value_pos: Pos, snippet: &str, nth: usize) -> Pos {
        let found = self.text.as_deref().and_then(|text| {
            let start = crate::diag::byte_at_pos(text, value_pos)?;
            let (offset, _) = text[start..].match_indices(snippet).nth(nth)?;
            Some(crate::diag::pos_at_byte(text.as_bytes(), start + offset))
        });
        found.unwrap_or(value_pos)
    }

    /// Records a problem at `pos`.
    pub fn error(&mut self, pos: Option<Pos>, path: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: self.file.clone(),
            pos,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Records a likely mistake at `pos` that does not stop a run.
    pub fn warn(&mut self, pos: Option<Pos>, path: &str, message: impl Into<String>) {
        self.warnings.push(Diagnostic {
            file: self.file.clone(),
            pos,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Reads `node` as a mapping whose keys must be among `allowed`; reports unknown keys
    /// (with a suggestion) and the missing keys of `required`.
    pub fn map<'a>(
        &mut self,
        node: &'a Node,
        path: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<Fields<'a>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                Some(node.pos),
                path,
                format!(
                    "expected a mapping with keys {}, found {}",
                    list(allowed),
                    node.display()
                ),
            );
            return None;
        };
        // Required keys an unknown key looks like a typo of: one message (the unknown key's,
        // with its "did you mean") is enough.
        let mut suggested: Vec<&str> = Vec::new();
        for (k, _) in entries {
            let key = k.key_string();
            if !allowed.contains(&key.as_str()) {
                let hint = match did_you_mean(&key, allowed) {
                    Some(s) => {
                        suggested.push(s);
                        format!("did you mean `{s}`? ")
                    }
                    None => String::new(),
                };
                self.error(
                    Some(k.pos),
                    &join(path, &key),
                    format!("unknown key `{key}` ({hint}valid keys: {})", list(allowed)),
                );
            }
        }
        let fields = Fields {
            node,
            path: path.to_string(),
            entries,
        };
        for key in required {
            // `tickets:` with nothing after it is null: say so, not "missing".
            let null = entries
                .iter()
                .find(|(k, v)| k.as_str() == Some(key) && v.value == Value::Null);
            if let Some((k, _)) = null {
                self.error(
                    Some(k.pos),
                    &join(path, key),
                    format!("`{key}` is null (nothing after `{key}:`); it needs a value"),
                );
                continue;
            }
            if fields.get(key).is_none() && !suggested.contains(key) {
                self.error(
                    Some(node.pos),
                    &join(path, key),
                    format!("missing required key `{key}`"),
                );
            }
        }
        Some(fields)
    }

    /// A mapping with free-form keys (e.g. `labels: {field: value}`).
    pub fn any_map<'a>(&mut self, node: &'a Node, path: &str, what: &str) -> Option<Fields<'a>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                Some(node.pos),
                path,
                format!("expected {what}, found {}", node.display()),
            );
            return None;
        };
        Some(Fields {
            node,
            path: path.to_string(),
            entries,
        })
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.error(
                    Some(node.pos),
                    path,
                    format!("expected a string, found {}", node.display()),
                );
                None
            }
        }
    }

    /// A string that may be written as a plain scalar number or boolean too (ids, CSV-ish values).
    pub fn scalar_string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(_) | Value::Bool(_) => Some(node.display()),
            _ => {
                self.error(
                    Some(node.pos),
                    path,
                    format!("expected a string, found {}", node.display()),
                );
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(
                    Some(node.pos),
                    path,
                    format!("expected true or false, found {}", node.display()),
                );
                None
            }
        }
    }

    /// A number in `[min, max]`.
    pub fn number(&mut self, node: &Node, path: &str, min: f64, max: f64) -> Option<f64> {
        let v = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            _ => {
                self.error(
                    Some(node.pos),
                    path,
                    format!(
                        "expected a number from {min} to {max}, found {}",
                        node.display()
                    ),
                );
                return None;
            }
        };
        if !(min..=max).contains(&v) {
            self.error(
                Some(node.pos),
                path,
                format!("{} is out of range (valid: {min} to {max})", node.display()),
            );
            return None;
        }
        Some(v)
    }

    /// A whole number in `[min, max]`.
    pub fn integer(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<i64> {
        let Value::Int(v) = node.value else {
            self.error(
                Some(node.pos),
                path,
                format!(
                    "expected a whole number from {min} to {max}, found {}",
                    node.display()
                ),
            );
            return None;
        };
        if !(min..=max).contains(&v) {
            self.error(
                Some(node.pos),
                path,
                format!("{v} is out of range (valid: {min} to {max})"),
            );
            return None;
        }
        Some(v)
    }

    /// One of `choices`.
    pub fn choice(&mut self, node: &Node, path: &str, choices: &[&str]) -> Option<String> {
        let s = self.string(node, path)?;
        if choices.contains(&s.as_str()) {
            return Some(s);
        }
        let hint = match did_you_mean(&s, choices) {
            Some(c) => format!("; did you mean {c:?}?"),
            None => String::new(),
        };
        self.error(
            Some(node.pos),
            path,
            format!("{s:?} is not valid (valid: {}{hint})", list(choices)),
        );
        None
    }

    /// A list of nodes (a single scalar is not accepted).
    pub fn seq<'a>(&mut self, node: &'a Node, path: &str) -> Option<&'a [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.error(
                    Some(node.pos),
                    path,
                    format!("expected a list, found {}", node.display()),
                );
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub fn strings(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        if let Value::Str(s) = &node.value {
            return Some(vec![s.clone()]);
        }
        let items = self.seq(node, path)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.scalar_string(item, &index(path, i)) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let node = parse("nmae: x\nmodel: y\n").unwrap();
        let mut c = Checker::new(Path::new("v.yaml"));
        c.map(&node, "", &["name", "model"], &["name"]);
        let msgs: Vec<String> = c.diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            msgs,
            // No second "missing required key `name`": the typo's message says it.
            vec![
                "v.yaml:1:1: nmae: unknown key `nmae` (did you mean `name`? valid keys: name, model)",
            ]
        );
    }

    #[test]
    fn numbers_are_range_checked() {
        let node = parse("[1.5, x, 7]").unwrap();
        let Value::Seq(items) = &node.value else {
            panic!()
        };
        let mut c = Checker::new(Path::new("f.yaml"));
        assert_eq!(c.number(&items[0], "a", 0.0, 1.0), None);
        assert_eq!(c.number(&items[1], "b", 0.0, 1.0), None);
        assert_eq!(c.integer(&items[2], "c", 1, 10), Some(7));
        assert_eq!(c.diags.len(), 2);
        assert!(c.diags[0].message.contains("out of range (valid: 0 to 1)"));
        assert!(c.diags[1]
            .message
            .contains("expected a number from 0 to 1, found \"x\""));
    }
}
