//! An API key that cannot leak by accident: `Debug` and `Display` print `[redacted]`, it has
//! no `Serialize`, and the only way to read it is [`Secret::expose`], called where the auth
//! header is built.

use std::fmt;

/// A secret string (an API key).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call only to build an auth header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces the secret in `text` by `[redacted]` (for messages built from server answers,
    /// which may echo the key back). Every occurrence that stands as a whole token (not inside
    /// a longer word: `x` in "key x was rejected", not in "xylophone") is replaced, however
    /// short the key; a key of [`ANYWHERE_LEN`] characters or more is replaced wherever it
    /// occurs, even glued to other text, since so long a string is not ordinary prose.
    pub fn redact(&self, text: &str) -> String {
        redact_key(text, &self.0)
    }
}

/// Keys at least this long are redacted even inside a longer token.
pub const ANYWHERE_LEN: usize = 8;

/// Characters that make up a word or a key-like token: a key occurrence touching one of these
/// on either side is part of a longer token.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// `text` with every whole-token occurrence of `key` (every occurrence, for long keys)
/// replaced by `[redacted]`. An empty key redacts nothing.
pub fn redact_key(text: &str, key: &str) -> String {
    if key.is_empty() {
        return text.to_string();
    }
    let anywhere = key.chars().count() >= ANYWHERE_LEN;
    // A side of the key that is not itself a token character is a boundary on its own.
    let key_first_tok = key.chars().next().is_some_and(is_token_char);
    let key_last_tok = key.chars().next_back().is_some_and(is_token_char);
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find(key) {
        let start = from + found;
        let end = start + key.len();
        let before_ok =
            !key_first_tok || !text[..start].chars().next_back().is_some_and(is_token_char);
        let after_ok = !key_last_tok || !text[end..].chars().next().is_some_and(is_token_char);
        if anywhere || (before_ok && after_ok) {
            out.push_str(&text[rest..start]);
            out.push_str("[redacted]");
            rest = end;
            from = end;
        } else {
            // Step past this occurrence's first character (keys may overlap themselves).
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&text[rest..]);
    out
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    //! Regression test for issue 9 item 10: `keys_shorter_than_4_characters_are_redacted`.
    use super::*;

    #[test]
    fn keys_shorter_than_4_characters_are_redacted() {
        // A key shorter than 4 characters was never redacted from a server's echo.
        let x = Secret::new("x");
        assert_eq!(
            x.redact("HTTP 400: No connected db. (key: x) x"),
            "HTTP 400: No connected db. (key: [redacted]) [redacted]"
        );
        // Only whole tokens: words that contain the key are left alone.
        assert_eq!(x.redact("xylophone max x-ray"), "xylophone max x-ray");
        assert_eq!(x.redact("x"), "[redacted]");
        let abc = Secret::new("abc");
        assert_eq!(
            abc.redact("Invalid key 'abc'. abcd abc_1 1abc abc/abc"),
            "Invalid key '[redacted]'. abcd abc_1 1abc [redacted]/[redacted]"
        );
        assert_eq!(abc.redact("Bearer abc"), "Bearer [redacted]");
        // Multi-byte text around a key.
        assert_eq!(abc.redact("ключ abc — é"), "ключ [redacted] — é");
        // Long keys go wherever they occur, even glued to other text.
        let long = Secret::new("sk-live-1234");
        assert_eq!(long.redact("k=sk-live-1234xyz"), "k=[redacted]xyz");
        // A key that begins or ends in punctuation is bounded by it.
        let odd = Secret::new("a.b");
        assert_eq!(odd.redact("a.bc a.b"), "a.bc [redacted]");
        assert_eq!(Secret::new("").redact("text"), "text");
    }

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("sk-ant-SENTINEL-123");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{:#?}", Some(&s)), "Some(\n    [redacted],\n)");
        assert_eq!(s.expose(), "sk-ant-SENTINEL-123");
        assert_eq!(
            s.redact("bad key sk-ant-SENTINEL-123 given"),
            "bad key [redacted] given"
        );
    }
}
