//! JSON Schemas (draft 2020-12) of the three files a user writes: an eval config, a gold set
//! and a prompt variant, for editors to complete and check keys as one types
//! (`# yaml-language-server: $schema=...`).
//!
//! The schemas are hand-written JSON under `schemas/`, embedded here. They are not generated
//! from the loaders' types because the loaders have none to generate from: `config/` walks a
//! positioned YAML tree ([`crate::yaml`]) so it can report every problem with its line and
//! column, rather than deserializing into serde types. `tests/init_schema.rs` keeps the two in
//! step: every shipped file validates, and every key or type error among the invalid-input
//! fixtures is rejected. A schema says what the loaders check of one file in isolation (keys,
//! types, enums, ranges, required keys); what needs another file (a label of the gold set, a
//! column of a table, a tool's property) is left to `verdict validate`.

/// The kinds of file a user writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Eval,
    Gold,
    Variant,
}

impl FileKind {
    /// Every kind, in the order `verdict init` writes them.
    pub const ALL: [FileKind; 3] = [FileKind::Eval, FileKind::Gold, FileKind::Variant];

    /// `eval`, `gold`, `variant`.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Eval => "eval",
            FileKind::Gold => "gold",
            FileKind::Variant => "variant",
        }
    }

    /// The schema's file name: `eval.schema.json`.
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }

    /// The schema, as JSON text.
    pub fn schema(self) -> &'static str {
        match self {
            FileKind::Eval => include_str!("../schemas/eval.schema.json"),
            FileKind::Gold => include_str!("../schemas/gold.schema.json"),
            FileKind::Variant => include_str!("../schemas/variant.schema.json"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileKind;

    #[test]
    fn every_schema_is_a_valid_draft_2020_12_schema() {
        for kind in FileKind::ALL {
            let schema: serde_json::Value = serde_json::from_str(kind.schema())
                .unwrap_or_else(|e| panic!("{}: {e}", kind.file_name()));
            assert_eq!(
                schema["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
            jsonschema::draft202012::meta::validate(&schema)
                .unwrap_or_else(|e| panic!("{}: {e}", kind.file_name()));
            jsonschema::draft202012::new(&schema)
                .unwrap_or_else(|e| panic!("{}: {e}", kind.file_name()));
        }
    }
}
