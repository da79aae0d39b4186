//! Positions in input files and the diagnostics that point at them.
//!
//! Every layer reports problems the same way: a [`Diagnostic`] naming the file, the 1-based
//! line and column ([`Pos`]), the key path and what would be valid. This module sits below
//! all others (it imports nothing from the crate), so domain types can carry positions without
//! importing the YAML reader or the config loaders.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a file: 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    /// The earlier of two positions.
    pub fn min_by_key(self, other: Pos) -> Pos {
        if (other.line, other.col) < (self.line, self.col) {
            other
        } else {
            self
        }
    }
}

/// Finds the line and column of a byte offset (for invalid UTF-8 and CSV errors).
pub fn pos_at_byte(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos { line, col }
}

/// The byte offset of a position in `text` (the inverse of [`pos_at_byte`]); `None` when
/// the position lies outside the text.
pub fn byte_at_pos(text: &str, pos: Pos) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..pos.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line = &text[line_start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let in_line = match line.char_indices().nth(pos.col.saturating_sub(1)) {
        Some((b, _)) => b,
        None if pos.col.saturating_sub(1) == line.chars().count() => line.len(),
        None => return None,
    };
    Some(line_start + in_line)
}

/// One problem in an input file, with where it is and what would be valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Option<Pos>,
    /// The key path of the value, e.g. `tickets[12].labels.department`; empty for the file.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", display_path(&self.file))?;
        if let Some(pos) = self.pos {
            write!(f, ":{}:{}", pos.line, pos.col)?;
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}

/// Shows a path as the user would type it: relative to the working directory when possible.
pub fn display_path(path: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = path.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    path.display().to_string()
}

/// A list of names for a message: `a, b, c`, every one of them (a message that says
/// "... and 2 more" hides the valid value the user was looking for).
pub fn list(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(|n| n.as_ref())
        .collect::<Vec<&str>>()
        .join(", ")
}

/// What kind of JSON value this is, for messages ("a string", "an array").
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offsets_become_positions_and_back() {
        assert_eq!(pos_at_byte(b"ab\ncd", 4), Pos { line: 2, col: 2 });
        assert_eq!(pos_at_byte(b"ab", 0), Pos { line: 1, col: 1 });
        let text = "ab\nc\u{e9}d\n";
        for offset in [0, 1, 3, 4, 6] {
            let pos = pos_at_byte(text.as_bytes(), offset);
            assert_eq!(byte_at_pos(text, pos), Some(offset), "{pos:?}");
        }
        assert_eq!(byte_at_pos(text, Pos { line: 9, col: 1 }), None);
    }

    #[test]
    fn lists_are_never_cut_short() {
        let names: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
        let l = list(&names);
        assert!(l.ends_with("k18, k19"), "{l}");
        assert!(!l.contains("more"));
    }
}
