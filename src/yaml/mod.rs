//! A YAML document as a tree of nodes that remember where they stand in the file.
//!
//! serde's derive stops at the first error and forgets positions, but a user who mistyped
//! three labels wants three messages, each with its line and column. So every YAML file is
//! first parsed here, with yaml-rust2's marked event parser, into [`Node`]s that carry their
//! line and column; the loaders in `config/` then walk the tree, collecting every problem.
//!
//! Scalars are resolved with the YAML 1.2 core schema (`true`, `null`, `12`, `1.5e3`); quoted
//! scalars are always strings.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

pub use crate::diag::{pos_at_byte, Pos};

/// One YAML node and its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order; keys are nodes too, so an unknown key can be pointed at.
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub pos: Pos,
    /// The key path where it is known (a duplicate key), else empty.
    pub path: String,
    pub message: String,
}

impl Node {
    /// What kind of value this is, for messages ("a string", "a list").
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as it would be written back, short, for messages.
    pub fn display(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => {
                let mut t: String = s.chars().take(60).collect();
                if s.chars().count() > 60 {
                    t.push('…');
                }
                format!("{t:?}")
            }
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }

    /// Converts to JSON (used for tool schemas and few-shot outputs, which are passed on as
    /// they are). Map keys become strings.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A map key as a string (`1` and `true` keys become "1" and "true").
    pub fn key_string(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            other => Node {
                value: other.clone(),
                pos: self.pos,
            }
            .display(),
        }
    }
}

/// How deep mappings and lists may nest. yaml-rust2's `Parser::load` recurses once per
/// level with no limit on block nesting, so a few thousand indented `- ` lines overflowed the
/// stack (SIGABRT); events are therefore pulled here, in a loop, and depth is bounded.
pub const MAX_DEPTH: usize = 128;
/// How many nodes aliases (`*a`) may add in all, against "billion laughs" files.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// Parses one YAML document. An empty document is `Null` at 1:1. A second document in the
/// same file is an error (it would otherwise be silently ignored).
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    // Editors on Windows start UTF-8 files with a byte order mark; it is not part of the
    // first key (YAML allows it at the start of a stream).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut documents = 0usize;
    let error = |pos: Pos, message: String| SyntaxError {
        pos,
        path: String::new(),
        message,
    };
    loop {
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| error(pos_of(e.marker()), e.info().to_string()))?;
        match &ev {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(error(
                        pos_of(&mark),
                        "a second YAML document (after `---`); a file holds one document".into(),
                    ));
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(error(
                        pos_of(&mark),
                        format!("lists and mappings nest deeper than {MAX_DEPTH} levels"),
                    ));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        builder.on_event(ev, mark);
        if let Some(err) = builder.error.take() {
            return Err(err);
        }
    }
    Ok(builder.root.unwrap_or(Node {
        value: Value::Null,
        pos: Pos { line: 1, col: 1 },
    }))
}

fn pos_of(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

#[derive(Default)]
struct Builder {
    /// Open containers: the node being filled, and for maps a pending key.
    stack: Vec<(Node, Option<Node>)>,
    /// Anchored nodes and their size in nodes.
    anchors: std::collections::HashMap<usize, (Node, usize)>,
    /// Nodes added by aliases so far.
    alias_nodes: usize,
    /// Anchor ids of the open containers, recorded when they close.
    anchor_ids: Vec<usize>,
    root: Option<Node>,
    error: Option<SyntaxError>,
}

impl Builder {
    /// The key path of the innermost open container (`tickets[3].labels`), for messages.
    fn open_path(&self) -> String {
        let mut path = String::new();
        // Each open container but the innermost holds the next one: in a list at the next
        // index, in a mapping under its pending key.
        for (node, pending_key) in self.stack.iter().take(self.stack.len().saturating_sub(1)) {
            match &node.value {
                Value::Seq(items) => path.push_str(&format!("[{}]", items.len())),
                Value::Map(_) => {
                    let key = pending_key
                        .as_ref()
                        .map(Node::key_string)
                        .unwrap_or_default();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&key);
                }
                _ => {}
            }
        }
        path
    }

    fn push_value(&mut self, node: Node) {
        // A key that repeats one already in the innermost open mapping.
        let duplicate = match self.stack.last() {
            Some((parent, Some(key))) => match &parent.value {
                Value::Map(entries) => {
                    let k = key.key_string();
                    entries
                        .iter()
                        .find(|(existing, _)| existing.key_string() == k)
                        .map(|(first, _)| (k, key.pos, first.pos))
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((k, pos, first)) = duplicate {
            if self.error.is_none() {
                let path = self.open_path();
                self.error = Some(SyntaxError {
                    pos,
                    path: if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    },
                    message: format!(
                        "duplicate key {k:?} (first at line {}, column {}); a key may appear once in a mapping",
                        first.line, first.col
                    ),
                });
            }
            if let Some((_, pending_key)) = self.stack.last_mut() {
                *pending_key = None;
            }
            return;
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some((parent, pending_key)) => match &mut parent.value {
                Value::Seq(items) => items.push(node),
                Value::Map(entries) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                _ => unreachable!("only containers are pushed on the stack"),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = pos_of(&mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(text, style, tag.as_ref().map(|t| t.suffix.as_str()));
                let node = Node { value, pos };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.anchor_ids.push(anchor);
                self.stack.push((
                    Node {
                        value: Value::Seq(Vec::new()),
                        pos,
                    },
                    None,
                ));
            }
            Event::MappingStart(anchor, _) => {
                self.anchor_ids.push(anchor);
                self.stack.push((
                    Node {
                        value: Value::Map(Vec::new()),
                        pos,
                    },
                    None,
                ));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((mut node, _)) = self.stack.pop() {
                    // A block mapping's start marker is past its first key; point at the key.
                    if let Value::Map(entries) = &node.value {
                        if let Some((k, _)) = entries.first() {
                            node.pos = node.pos.min_by_key(k.pos);
                        }
                    }
                    if let Err(e) = merge_keys(&mut node) {
                        if self.error.is_none() {
                            self.error = Some(SyntaxError {
                                pos: e.0,
                                path: self.open_path(),
                                message: e.1,
                            });
                        }
                    }
                    let anchor = self.anchor_ids.pop().unwrap_or(0);
                    if anchor > 0 {
                        let size = node_count(&node);
                        self.anchors.insert(anchor, (node.clone(), size));
                    }
                    self.push_value(node);
                }
            }
            Event::Alias(id) => {
                let size = self.anchors.get(&id).map_or(1, |(_, n)| *n);
                self.alias_nodes += size;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    if self.error.is_none() {
                        self.error = Some(SyntaxError {
                            pos,
                            path: self.open_path(),
                            message: format!(
                                "aliases expand to more than {MAX_ALIAS_NODES} values"
                            ),
                        });
                    }
                    return;
                }
                let node = self
                    .anchors
                    .get(&id)
                    .map(|(n, _)| n.clone())
                    .unwrap_or(Node {
                        value: Value::Null,
                        pos,
                    });
                self.push_value(Node { pos, ..node });
            }
            _ => {}
        }
    }
}

/// Resolves YAML merge keys in a mapping: `<<: *base` (or `<<: [*a, *b]`) puts the entries
/// of the merged mappings where the `<<` is, except keys the mapping sets itself (those win,
/// wherever they are written) and keys an earlier merged mapping already gave. Merged values
/// keep their own positions, so a problem in one points at where it is written.
fn merge_keys(node: &mut Node) -> Result<(), (Pos, String)> {
    let Value::Map(entries) = &mut node.value else {
        return Ok(());
    };
    let is_merge = |k: &Node| k.value == Value::Str("<<".into());
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return Ok(());
    }
    let explicit: Vec<String> = entries
        .iter()
        .filter(|(k, _)| !is_merge(k))
        .map(|(k, _)| k.key_string())
        .collect();
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<String> = Vec::new();
    for (k, v) in std::mem::take(entries) {
        if !is_merge(&k) {
            out.push((k, v));
            continue;
        }
        let sources: Vec<Node> = match v.value {
            Value::Map(_) => vec![v],
            Value::Seq(items) => items,
            _ => {
                return Err((
                    v.pos,
                    format!(
                        "a merge key `<<` takes a mapping or a list of mappings (e.g. `<<: *base`), found {}",
                        v.kind_name()
                    ),
                ))
            }
        };
        for src in sources {
            let Value::Map(src_entries) = src.value else {
                return Err((
                    src.pos,
                    format!(
                        "a merge key `<<` takes a mapping or a list of mappings (e.g. `<<: [*a, *b]`), found {}",
                        src.kind_name()
                    ),
                ));
            };
            for (sk, sv) in src_entries {
                let key = sk.key_string();
                if !explicit.contains(&key) && !merged.contains(&key) {
                    merged.push(key);
                    out.push((sk, sv));
                }
            }
        }
    }
    *entries = out;
    Ok(())
}

/// The number of nodes in a tree (bounded in depth by [`MAX_DEPTH`]).
fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_count(k) + node_count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&str>) -> Value {
    if style != TScalarStyle::Plain || tag == Some("str") {
        return Value::Str(text);
    }
    if let Some(v) = plain_word(&text) {
        return v;
    }
    if looks_numeric(&text) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Some(hex) = text.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Value::Int(i);
            }
        }
        if text.chars().any(|c| c.is_ascii_digit()) {
            if let Ok(f) = text.parse::<f64>() {
                return Value::Float(f);
            }
        }
    }
    Value::Str(text)
}

/// The null, boolean and special float words of the core schema.
fn plain_word(text: &str) -> Option<Value> {
    Some(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => return None,
    })
}

fn looks_numeric(text: &str) -> bool {
    text.trim_start_matches(['-', '+'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// What a plain scalar resolves to, as [`parse`] resolves it: `None` when it is a string
/// (found without allocating for the common case of a word that is not a number).
pub(crate) fn plain_non_string(text: &str) -> Option<Value> {
    if plain_word(text).is_none() && !looks_numeric(text) {
        return None;
    }
    match resolve_scalar(text.to_string(), TScalarStyle::Plain, None) {
        Value::Str(_) => None,
        v => Some(v),
    }
}

#[cfg(test)]
mod tests;
