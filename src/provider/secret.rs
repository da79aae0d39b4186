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

    /// Replaces every occurrence of the secret in `text` by `[redacted]` (for messages built
    /// from server answers, which may echo the key back).
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            // Too short to be a key worth scrubbing from ordinary text.
            return text.to_string();
        }
        text.replace(&self.0, "[redacted]")
    }
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
    use super::*;

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
