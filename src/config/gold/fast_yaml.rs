//! The one-pass path for a YAML gold set in the layout people and generators write:
//! `fields:` first, then `tickets:` as a block list of block mappings with one `key: value`
//! per line, each value a plain or double-quoted scalar without escapes, a flow mapping
//! (`labels: {intent: refund}`) or a flow list (`tags: [vip, "lang:en"]`).
//!
//! It reads what [`super::document::from_yaml`] reads from the same text, or gives up
//! (`None`) and the caller parses the whole document into a tree as before: on any other
//! syntax (comments, single quotes, escapes, block scalars, anchors and tags, nested blocks,
//! multi-line scalars, tabs, CRLF line ends, trailing spaces) and on anything the full loader
//! would report (an error or a warning: a missing or unknown key, an empty id or text, an id
//! repeated or differing from another only by case or spaces, a value the field lacks), so
//! every message still comes from the full loader. The small `fields:` part is parsed by
//! the full parser and read by the full loader's own [`super::read_fields`].

use std::path::Path;

use super::read_fields;
use crate::config::check::Checker;
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::yaml::{plain_non_string, Value};

/// The gold set in `text` (a YAML file's contents), or `None`: see the module's
/// documentation.
pub(super) fn from_text(text: &str, file: &Path, sha256: &str) -> Option<GoldSet> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The `tickets:` line: the last top-level key (a later one would be a line the ticket
    // reader does not take).
    let at = text.find("\ntickets:\n")? + 1;
    let node = crate::yaml::parse(&text[..at]).ok()?;
    let Value::Map(entries) = &node.value else {
        return None;
    };
    let [(key, fields_node)] = entries.as_slice() else {
        return None;
    };
    if key.as_str() != Some("fields") {
        return None;
    }
    let mut c = Checker::new(file);
    let fields = read_fields(&mut c, fields_node, "fields", true)?;
    if !(c.diags.is_empty() && c.warnings.is_empty()) {
        return None;
    }
    let tickets = read_tickets(&text[at + "tickets:\n".len()..], &fields)?;
    Some(GoldSet {
        fields,
        tickets,
        sha256: sha256.to_string(),
    })
}

/// Each field's [`Field::value_index`].
type ValueIndex<'f> = Vec<hashbrown::HashMap<&'f str, u32>>;

/// The ticket list, read in two halves on two cores (split at an item's first line).
fn read_tickets(body: &str, fields: &[Field]) -> Option<Vec<Ticket>> {
    let index: ValueIndex = fields.iter().map(Field::value_index).collect();
    let first = body.lines().find(|l| !is_blank(l))?;
    let dash = first.len() - first.trim_start_matches(' ').len();
    // The first item line after the middle of the text.
    let item = format!("\n{}- ", " ".repeat(dash));
    let mid = match body.len() > 1 << 20 {
        true => body[body.len() / 2..]
            .find(&item)
            .map_or(body.len(), |i| body.len() / 2 + i + 1),
        false => body.len(),
    };
    let (a, b) = rayon::join(
        || read_items(&body[..mid], dash, fields, &index),
        || read_items(&body[mid..], dash, fields, &index),
    );
    let mut tickets = a?;
    tickets.append(&mut b?);
    if tickets.is_empty() || !ids_distinct(&tickets) {
        return None;
    }
    Some(tickets)
}

/// No two ids equal once trimmed and lowercased (the full loader's duplicate error and
/// "differs only by case or surrounding spaces" warning): compared by a 64-bit hash of that
/// form, so a collision of two different ids (odds about n^2 / 2^65) only sends the file
/// to the full loader.
fn ids_distinct(tickets: &[Ticket]) -> bool {
    use std::hash::BuildHasher;
    let hasher = hashbrown::DefaultHashBuilder::default();
    let mut seen = hashbrown::HashSet::with_capacity(tickets.len());
    let mut lower = String::new();
    tickets.iter().all(|t| {
        let id = t.id.trim();
        let key = if id.is_ascii() && !id.bytes().any(|b| b.is_ascii_uppercase()) {
            id
        } else {
            lower.clear();
            lower.push_str(&id.to_lowercase());
            lower.as_str()
        };
        seen.insert(hasher.hash_one(key))
    })
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ')
}

/// A ticket's keys as read so far.
#[derive(Default)]
struct Item<'t> {
    id: Option<&'t str>,
    text: Option<&'t str>,
    labels: Option<Vec<GoldValue>>,
    tags: Option<Vec<String>>,
    clarification: Option<&'t str>,
}

/// The items of `part` (whole items, each starting at a `- ` line indented by `dash`).
fn read_items(
    part: &str,
    dash: usize,
    fields: &[Field],
    index: &ValueIndex,
) -> Option<Vec<Ticket>> {
    let mut out = Vec::with_capacity(part.len() / 100);
    let mut cur: Option<Item> = None;
    for line in part.split('\n') {
        if is_blank(line) {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if indent == dash && rest.starts_with("- ") {
            if let Some(done) = cur.take() {
                out.push(finish(done)?);
            }
            let mut item = Item::default();
            entry(&rest[2..], &mut item, fields, index)?;
            cur = Some(item);
        } else if indent == dash + 2 {
            entry(rest, cur.as_mut()?, fields, index)?;
        } else {
            return None;
        }
    }
    if let Some(done) = cur {
        out.push(finish(done)?);
    }
    Some(out)
}

/// A finished item as the full loader makes it, or `None` where it would report something.
fn finish(item: Item) -> Option<Ticket> {
    let (id, text) = (item.id?, item.text?);
    if id.trim().is_empty() || text.trim().is_empty() {
        return None;
    }
    Some(Ticket {
        id: id.to_string(),
        text: text.to_string(),
        labels: item.labels?,
        tags: item.tags.unwrap_or_default(),
        clarification: item.clarification.map(str::to_string),
    })
}

/// One `key: value` line of an item.
fn entry<'t>(
    line: &'t str,
    item: &mut Item<'t>,
    fields: &[Field],
    index: &ValueIndex,
) -> Option<()> {
    let colon = line.find(": ")?;
    let (key, value) = (&line[..colon], line[colon + 2..].trim_start_matches(' '));
    match key {
        "id" if item.id.is_none() => item.id = Some(block_string(value)?),
        "text" if item.text.is_none() => item.text = Some(block_string(value)?),
        "clarification" if item.clarification.is_none() => {
            item.clarification = Some(block_string(value)?);
        }
        "tags" if item.tags.is_none() => {
            item.tags = Some(match value.starts_with('[') {
                true => {
                    let mut f = Flow::new(value);
                    let tags = f.strings()?.into_iter().map(str::to_string).collect();
                    f.end()?;
                    tags
                }
                false => vec![block_string(value)?.to_string()],
            });
        }
        "labels" if item.labels.is_none() => item.labels = Some(labels(value, fields, index)?),
        _ => return None, // an unknown or repeated key
    }
    Some(())
}

/// A block value that the full loader reads as a string: double-quoted without escapes, or
/// plain on one line and not a number, boolean or null.
fn block_string(value: &str) -> Option<&str> {
    if value.starts_with('"') {
        let mut f = Flow::new(value);
        let s = f.quoted()?;
        f.end()?;
        return Some(s);
    }
    let b = value.as_bytes();
    let first = *b.first()?;
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first)
        || value.contains(": ")
        || value.contains(" #")
        || matches!(b[b.len() - 1], b':' | b' ')
        || b.iter().any(|&c| c < 0x20 || c == 0x7f)
        || plain_non_string(value).is_some()
    {
        return None;
    }
    Some(value)
}

/// `{field: value, ...}` with a valid value for every field.
fn labels(value: &str, fields: &[Field], index: &ValueIndex) -> Option<Vec<GoldValue>> {
    let mut f = Flow::new(value);
    let mut got: Vec<Option<GoldValue>> = vec![None; fields.len()];
    f.eat(b'{')?;
    if f.eat(b'}').is_none() {
        loop {
            let (name, _) = f.scalar()?;
            f.eat_exact(b':')?;
            f.eat_exact(b' ')?;
            let fi = fields.iter().position(|x| x.name == name)?;
            if got[fi].is_some() {
                return None;
            }
            let ix = &index[fi];
            got[fi] = Some(match fields[fi].kind {
                FieldKind::Label => GoldValue::Label(*ix.get(f.string()?)?),
                FieldKind::Labels => {
                    let names = match f.peek()? {
                        b'[' => f.strings()?,
                        _ => vec![f.string()?],
                    };
                    let mut out = names
                        .into_iter()
                        .map(|n| ix.get(n).copied())
                        .collect::<Option<Vec<u32>>>()?;
                    out.sort_unstable();
                    out.dedup();
                    GoldValue::Labels(out)
                }
                FieldKind::Flag => match f.scalar()? {
                    (s, false) => match plain_non_string(s)? {
                        Value::Bool(b) => GoldValue::Flag(b),
                        _ => return None,
                    },
                    _ => return None,
                },
            });
            match f.next_of(b",}")? {
                b',' => {}
                _ => break,
            }
        }
    }
    f.end()?;
    got.into_iter().collect()
}

/// A cursor over a one-line flow value.
struct Flow<'t> {
    s: &'t str,
    i: usize,
}

impl<'t> Flow<'t> {
    fn new(s: &'t str) -> Self {
        Flow { s, i: 0 }
    }

    fn spaces(&mut self) {
        while self.s.as_bytes().get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.spaces();
        self.s.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `c` right here, no spaces before it.
    fn eat_exact(&mut self, c: u8) -> Option<()> {
        (self.s.as_bytes().get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// The next byte, one of `of`, taken.
    fn next_of(&mut self, of: &[u8]) -> Option<u8> {
        let c = self.peek()?;
        of.contains(&c).then(|| {
            self.i += 1;
            c
        })
    }

    /// Nothing but spaces left.
    fn end(&mut self) -> Option<()> {
        self.spaces();
        (self.i == self.s.len()).then_some(())
    }

    /// A double-quoted scalar without escapes or control characters.
    fn quoted(&mut self) -> Option<&'t str> {
        self.eat(b'"')?;
        let rest = &self.s[self.i..];
        let end = rest.find('"')?;
        let s = &rest[..end];
        if s.bytes().any(|c| c == b'\\' || c < 0x20 || c == 0x7f) {
            return None;
        }
        self.i += end + 1;
        Some(s)
    }

    /// A scalar inside a flow collection, and whether it was quoted. A plain one runs to
    /// the next `,` `:` `]` or `}` (trailing spaces not its own) and holds none of the
    /// characters that would make it something else.
    fn scalar(&mut self) -> Option<(&'t str, bool)> {
        if self.peek()? == b'"' {
            return self.quoted().map(|s| (s, true));
        }
        let rest = &self.s.as_bytes()[self.i..];
        let len = rest
            .iter()
            .position(|c| b",:[]{}#\"'".contains(c))
            .unwrap_or(rest.len());
        let s = self.s[self.i..self.i + len].trim_end_matches(' ');
        let b = s.as_bytes();
        let first = *b.first()?;
        if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) || b.iter().any(|&c| c < 0x20 || c == 0x7f) {
            return None;
        }
        self.i += len;
        // Stopped at a character that cannot follow a plain scalar here: give up.
        match self.s.as_bytes().get(self.i) {
            None | Some(b',' | b':' | b']' | b'}') => Some((s, false)),
            _ => None,
        }
    }

    /// A scalar the full loader reads as a string.
    fn string(&mut self) -> Option<&'t str> {
        match self.scalar()? {
            (s, true) => Some(s),
            (s, false) => plain_non_string(s).is_none().then_some(s),
        }
    }

    /// `[string, ...]`.
    fn strings(&mut self) -> Option<Vec<&'t str>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        loop {
            out.push(self.string()?);
            if self.next_of(b",]")? == b']' {
                return Some(out);
            }
        }
    }
}

#[cfg(test)]
#[path = "fast_yaml_tests.rs"]
mod tests;
