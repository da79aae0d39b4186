//! Prompt templates: the `user` turn of an LLM variant, with `{{text}}`, `{{id}}` and
//! `{{tags}}` placeholders, parsed once when the variant is loaded.
//!
//! Rendering is one pass over the parsed parts, so a value inserted (a ticket whose text says
//! "prints {{id}}") is never scanned again and goes out exactly as written. The syntax is
//! deliberately small: three placeholders (spaces inside the braces allowed, `{{ text }}`) and
//! one escape, `{{"{{"}}`, for a literal `{{`. A general template engine would make `{%`, `{#`
//! or filters in a prompt's prose into syntax; here every other character is sent as written.
//!
//! `system` takes no placeholders (it is the same for every ticket); [`literal_text`] checks
//! it and resolves the escape.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The placeholders a `user` template may use.
pub const PLACEHOLDERS: &[&str] = &["text", "id", "tags"];

/// How a literal `{{` is written in a template.
pub const ESCAPED_OPEN: &str = r#"{{"{{"}}"#;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Text,
    Id,
    Tags,
}

/// What is wrong with a template, and where: `offset..offset + len` are the bytes of the
/// template's text at fault (`{{customer}}`, or an unclosed `{{`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub len: usize,
    pub kind: TemplateErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// `{{name}}` where `name` is not a placeholder.
    Unknown { name: String },
    /// A placeholder in a text that takes none (`system`).
    NotAllowed { name: String },
    /// `{{` with no `}}` after it.
    Unclosed,
    /// A `user` template without `{{text}}` would never show the model the ticket.
    MissingText,
}

impl TemplateError {
    /// The template text at fault (`{{customer}}`).
    pub fn snippet<'a>(&self, template: &'a str) -> &'a str {
        &template[self.offset..self.offset + self.len]
    }
}

/// A parsed `user` template.
#[derive(Clone, PartialEq, Eq)]
pub struct UserTemplate {
    source: String,
    parts: Vec<Part>,
}

impl fmt::Debug for UserTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserTemplate({:?})", self.source)
    }
}

impl UserTemplate {
    /// Parses a `user` template; every problem is returned, in order.
    pub fn parse(source: &str) -> Result<UserTemplate, Vec<TemplateError>> {
        let (parts, mut errors) = scan(source, true);
        if !parts.contains(&Part::Text) && errors.is_empty() {
            errors.push(TemplateError {
                offset: 0,
                len: 0,
                kind: TemplateErrorKind::MissingText,
            });
        }
        if errors.is_empty() {
            Ok(UserTemplate {
                source: source.to_string(),
                parts,
            })
        } else {
            Err(errors)
        }
    }

    /// The template as written in the variant file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The user turn for a ticket. Values are inserted as they are and never scanned again.
    pub fn render(&self, text: &str, id: &str, tags: &[String]) -> String {
        let mut out = String::with_capacity(self.source.len() + text.len());
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Text => out.push_str(text),
                Part::Id => out.push_str(id),
                Part::Tags => out.push_str(&tags.join(", ")),
            }
        }
        out
    }
}

impl Serialize for UserTemplate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for UserTemplate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        UserTemplate::parse(&source).map_err(|errors| {
            let e = &errors[0];
            serde::de::Error::custom(format!(
                "invalid user template at byte {}: {:?}",
                e.offset, e.kind
            ))
        })
    }
}

/// Checks a text that takes no placeholders (`system`) and resolves the `{{"{{"}}` escape.
pub fn literal_text(source: &str) -> Result<String, Vec<TemplateError>> {
    let (parts, errors) = scan(source, false);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(parts
        .into_iter()
        .map(|p| match p {
            Part::Literal(s) => s,
            _ => unreachable!("placeholders are errors in a literal text"),
        })
        .collect())
}

/// Splits a template into parts, collecting every error. `placeholders`: whether
/// `{{text}}`, `{{id}}` and `{{tags}}` are allowed.
fn scan(source: &str, placeholders: bool) -> (Vec<Part>, Vec<TemplateError>) {
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    let mut literal = String::new();
    let mut rest_start = 0;
    while let Some(found) = source[rest_start..].find("{{") {
        let open = rest_start + found;
        literal.push_str(&source[rest_start..open]);
        let Some(close_rel) = source[open + 2..].find("}}") else {
            errors.push(TemplateError {
                offset: open,
                len: 2,
                kind: TemplateErrorKind::Unclosed,
            });
            rest_start = open + 2;
            literal.push_str("{{");
            continue;
        };
        let end = open + 2 + close_rel + 2;
        let inner = source[open + 2..end - 2].trim();
        let part = match inner {
            r#""{{""# => Some(Part::Literal("{{".into())),
            "text" if placeholders => Some(Part::Text),
            "id" if placeholders => Some(Part::Id),
            "tags" if placeholders => Some(Part::Tags),
            _ => None,
        };
        match part {
            Some(Part::Literal(s)) => literal.push_str(&s),
            Some(p) => {
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(p);
            }
            None => {
                let name = inner.to_string();
                errors.push(TemplateError {
                    offset: open,
                    len: end - open,
                    kind: if PLACEHOLDERS.contains(&inner) {
                        TemplateErrorKind::NotAllowed { name }
                    } else {
                        TemplateErrorKind::Unknown { name }
                    },
                });
            }
        }
        rest_start = end;
    }
    literal.push_str(&source[rest_start..]);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    (parts, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> UserTemplate {
        UserTemplate::parse(s).unwrap()
    }

    #[test]
    fn placeholders_are_filled() {
        let tags = vec!["en".to_string(), "vip".to_string()];
        assert_eq!(
            t("Ticket {{id}} ({{ tags }}): {{text}}").render("hi", "A2", &tags),
            "Ticket A2 (en, vip): hi"
        );
        assert_eq!(t("{{text}}{{text}}").render("x", "", &[]), "xx");
    }

    /// Issue 9 item 1: ticket text that contains placeholders is sent unchanged.
    #[test]
    fn ticket_text_with_placeholders_is_sent_unchanged() {
        let text = "prints {{id}} and {{tags}} and {{text}}";
        let rendered = t("{{text}} / {{id}}").render(text, "A2", &["en".into()]);
        assert_eq!(rendered, "prints {{id}} and {{tags}} and {{text}} / A2");
    }

    #[test]
    fn the_escape_is_a_literal_open() {
        assert_eq!(
            t(r#"JSON like {{"{{"}}"a": 1}} then {{text}}"#).render("x", "", &[]),
            r#"JSON like {{"a": 1}} then x"#
        );
        assert_eq!(literal_text(r#"a {{"{{"}} b }}"#).unwrap(), "a {{ b }}");
    }

    #[test]
    fn every_problem_is_reported_with_its_bytes() {
        let src = "Dear {{customer}}, {{text}} {{ idd }} {{ oops";
        let errors = UserTemplate::parse(src).unwrap_err();
        let snippets: Vec<&str> = errors.iter().map(|e| e.snippet(src)).collect();
        assert_eq!(snippets, ["{{customer}}", "{{ idd }}", "{{"]);
        assert_eq!(
            errors[0].kind,
            TemplateErrorKind::Unknown {
                name: "customer".into()
            }
        );
        assert_eq!(errors[2].kind, TemplateErrorKind::Unclosed);
    }

    #[test]
    fn user_needs_text() {
        let errors = UserTemplate::parse("Ticket {{id}}").unwrap_err();
        assert_eq!(errors[0].kind, TemplateErrorKind::MissingText);
    }

    #[test]
    fn system_takes_no_placeholders() {
        let errors = literal_text("Classify {{text}} now").unwrap_err();
        assert_eq!(
            errors[0].kind,
            TemplateErrorKind::NotAllowed {
                name: "text".into()
            }
        );
        assert_eq!(literal_text("plain }} text").unwrap(), "plain }} text");
    }

    #[test]
    fn serde_round_trip() {
        let tpl = t("A {{text}}");
        let json = serde_json::to_string(&tpl).unwrap();
        assert_eq!(json, "\"A {{text}}\"");
        let back: UserTemplate = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tpl);
        assert!(serde_json::from_str::<UserTemplate>("\"{{nope}}\"").is_err());
    }
}
