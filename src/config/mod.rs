//! Loading an eval: its config, its gold set and its variants, checked together.
//!
//! [`load_eval`] reads every file an eval names and returns either a fully validated
//! [`Eval`] or every problem found in any of the files (exit code 2). Nothing is run and
//! nothing is written before this succeeds.

pub mod check;
pub mod gold;
mod settings;
pub mod source;
pub mod variant;

pub use settings::RunSettings;
use settings::{read_calibration, read_prices, read_routing, read_run};

use std::path::{Path, PathBuf};

use check::{index, Checker};
use gold::GoldSource;
use source::ReadError;

use crate::error::{Diagnostic, Error, Result};
use crate::gold::GoldSet;
use crate::variant::Variant;
use crate::yaml as yaml_node;

// The calibration and routing settings are scoring's own types (the domain does not import
// the loader); the eval reads them from YAML.
pub use crate::score::{CalibrationSettings, RoutingSettings};

pub use crate::provider::prices::PriceOverride;

/// A validated eval.
#[derive(Debug, Clone)]
pub struct Eval {
    pub name: String,
    pub description: Option<String>,
    pub file: PathBuf,
    pub sha256: String,
    pub gold: GoldSet,
    pub gold_path: PathBuf,
    pub variants: Vec<Variant>,
    pub run: RunSettings,
    pub calibration: Option<CalibrationSettings>,
    pub routing: Option<RoutingSettings>,
    pub prices: Vec<PriceOverride>,
    /// Likely mistakes that do not stop a run (an unknown model name, a ticket longer than the
    /// model's context window); `validate` and `run` print them.
    pub warnings: Vec<Diagnostic>,
}

const EVAL_KEYS: &[&str] = &[
    "name",
    "description",
    "gold",
    "variants",
    "defaults",
    "run",
    "calibration",
    "routing",
    "prices",
    // Gate rules: read and checked by `crate::gate::rules` (`verdict validate`, `verdict gate`).
    "gate",
];
pub fn load_eval(path: &Path) -> Result<Eval> {
    load_eval_with(path, gold::Texts::Keep, None)
}

/// [`load_eval`] for `verdict score`, which grades and reads the gold set only through the
/// grader's [`GoldTable`](crate::score::GoldTable): a CSV/JSONL gold set goes straight into
/// the table (no ticket is made: ids in one buffer, a column per field, the rows of each
/// tag), any other is loaded without texts where the loader can help it (see
/// [`gold::Texts`]) and made into one. Either way the eval's `gold` keeps its fields and
/// SHA-256, and no tickets. The warnings about texts too long for a model's context window
/// are not looked for.
pub fn load_eval_for_scoring(path: &Path) -> Result<(Eval, crate::score::GoldTable)> {
    let mut table = None;
    let mut eval = load_eval_with(path, gold::Texts::Skip, Some(&mut table))?;
    let table = match table {
        Some(table) => table,
        None => {
            let table = crate::score::GoldTable::new(&eval.gold, eval.gold.tickets.len());
            // Freed here, by the thread that loaded them (the allocator returns such memory
            // at once).
            eval.gold.tickets = Vec::new();
            table
        }
    };
    Ok((eval, table))
}

fn load_eval_with(
    path: &Path,
    texts: gold::Texts,
    table: Option<&mut Option<crate::score::GoldTable>>,
) -> Result<Eval> {
    let mut c = Checker::new(path);
    let mut others: Vec<Diagnostic> = Vec::new();
    let text = match source::read_text(path, &mut c) {
        Ok(t) => t,
        Err(ReadError::Missing(msg)) => return Err(Error::Usage(msg)),
        Err(ReadError::Reported) => return Err(Error::Invalid(c.diags)),
    };
    let Some(node) = source::parse_yaml(&text.text, &mut c) else {
        return Err(Error::Invalid(c.diags));
    };
    let eval = (|| {
        let f = c.map(&node, "", EVAL_KEYS, &["name", "gold", "variants"])?;
        // The name is part of the run folder's path (`reports/<time>-<name>`): only characters
        // that cannot leave that folder or nest another one.
        let name = f.get("name").and_then(|n| {
            let s = c.string(n, "name")?;
            if s.is_empty()
                || !s
                    .chars()
                    .all(|ch| ch.is_alphanumeric() || "-_".contains(ch))
            {
                c.error(
                    Some(n.pos),
                    "name",
                    format!("{s:?} is not a valid eval name (valid: letters, digits, - and _)"),
                );
                return None;
            }
            Some(s)
        });
        let description = f
            .get("description")
            .and_then(|n| c.string(n, "description"));
        let mut defaults = f
            .get("defaults")
            .map(|n| variant::read_defaults(&mut c, n, "defaults"))
            .unwrap_or_default();
        let run = read_run(&mut c, f.get("run"));
        let prices = read_prices(&mut c, f.get("prices"));
        defaults.priced_models = prices.iter().flatten().map(|p| p.model.clone()).collect();
        // The gold set first: variants and settings are checked against its fields.
        let gold_node = f.get("gold");
        let gold_src = gold_node.and_then(|n| gold::read_source(&mut c, n, "gold"));
        let gold_set = match (&gold_src, gold_node) {
            (Some(src), Some(n)) => {
                gold::load_into(src, &mut c, (n.pos, "gold"), &mut others, texts, table)
            }
            _ => None,
        };
        let calibration = read_calibration(&mut c, f.get("calibration"), gold_set.as_ref());
        let routing = read_routing(&mut c, f.get("routing"), gold_set.as_ref());
        let variants = read_variants(
            &mut c,
            f.get("variants"),
            &defaults,
            gold_set.as_ref(),
            &mut others,
        );
        if let (Some(gold), Some(variants), Some(prices), gold::Texts::Keep) =
            (&gold_set, &variants, &prices, texts)
        {
            let gold_file = match &gold_src {
                Some(GoldSource::Yaml(p)) => p.clone(),
                Some(GoldSource::Table(t)) => t.path.clone(),
                None => PathBuf::new(),
            };
            context_warnings(&mut c, gold, &gold_file, variants, prices);
        }
        Some(Eval {
            name: name?,
            description,
            file: path.to_path_buf(),
            sha256: text.sha256.clone(),
            gold_path: match gold_src? {
                GoldSource::Yaml(p) => p,
                GoldSource::Table(t) => t.path,
            },
            gold: gold_set?,
            variants: variants?,
            run: run?,
            calibration,
            routing,
            prices: prices?,
            warnings: Vec::new(),
        })
    })();
    let mut warnings = std::mem::take(&mut c.warnings);
    let eval = eval.map(|mut e| {
        e.warnings.append(&mut warnings);
        e
    });
    let mut diags = c.diags;
    diags.append(&mut others);
    match eval {
        Some(e) if diags.is_empty() => Ok(e),
        _ => {
            if diags.is_empty() {
                diags.push(Diagnostic {
                    file: path.to_path_buf(),
                    pos: None,
                    path: String::new(),
                    message: "the eval could not be loaded".into(),
                });
            }
            Err(Error::Invalid(diags))
        }
    }
}

/// Warns about tickets whose request would not fit the model's context window: the input
/// estimate (characters / 4 of the request body, as `--dry-run` estimates) plus `max_tokens`.
/// One warning per variant, naming the largest ticket and how many exceed.
fn context_warnings(
    c: &mut Checker,
    gold: &GoldSet,
    gold_file: &Path,
    variants: &[Variant],
    prices: &[PriceOverride],
) {
    use crate::provider::prices::{context_tokens, estimate_input_tokens};
    for v in variants {
        let crate::variant::VariantSpec::Llm(spec) = &v.spec else {
            continue;
        };
        let Some(window) = context_tokens(&spec.model, prices) else {
            continue;
        };
        // The prompt without the ticket, then each ticket's text on top (JSON escapes aside,
        // a character of text is a character of body).
        let base =
            estimate_input_tokens(&crate::provider::anthropic::request_body(spec, "", "", &[]));
        let mut over: Vec<(usize, &str, u64)> = Vec::new();
        for (i, t) in gold.tickets.iter().enumerate() {
            let extra = (t.text.chars().count() + t.id.chars().count()) as u64;
            let tokens = base + extra.div_ceil(4);
            if tokens + spec.max_tokens as u64 > window {
                over.push((i, &t.id, tokens));
            }
        }
        let Some(&(i, id, tokens)) = over.iter().max_by_key(|o| o.2) else {
            continue;
        };
        let others = match over.len() {
            1 => String::new(),
            n => format!(" ({} more tickets are too long as well)", n - 1),
        };
        c.warnings.push(Diagnostic {
            file: v.file.clone(),
            pos: None,
            path: "model".into(),
            message: format!(
                "ticket {id:?} (ticket {} of {}) needs about {tokens} input tokens plus max_tokens {} = {}, more than the {window}-token context window of {}{others}; shorten or drop it, or use a model with a larger window",
                i + 1,
                crate::error::display_path(gold_file),
                spec.max_tokens,
                tokens + spec.max_tokens as u64,
                spec.model,
            ),
        });
    }
}

/// Whether two paths name the same file (`a/../b.yaml` and `b.yaml`).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A `**` pattern through a symlink to a folder above it (`prompts/loop -> ..`) matches the
/// same files again at every depth, until the system's limit on symlink chains. Each file is
/// kept once, at its shortest path, and the loop is reported in one line (not one "already
/// included" line per extra match).
fn drop_symlink_loops(
    c: &mut Checker,
    pos: yaml_node::Pos,
    ipath: &str,
    pat: &str,
    files: Vec<PathBuf>,
) -> Vec<PathBuf> {
    let mut by_file: Vec<(PathBuf, PathBuf)> = Vec::new(); // (canonical, kept path)
    let mut extra = 0;
    let mut via: Option<PathBuf> = None;
    let mut sorted = files;
    sorted.sort_by_key(|p| (p.components().count(), p.clone()));
    let mut kept = Vec::new();
    for f in sorted {
        let Ok(canon) = f.canonicalize() else {
            kept.push(f);
            continue;
        };
        if by_file.iter().any(|(c, _)| *c == canon) {
            extra += 1;
            if via.is_none() {
                // The first ancestor of the longer path that is a symlink.
                via = f
                    .ancestors()
                    .skip(1)
                    .find(|a| {
                        a.symlink_metadata()
                            .is_ok_and(|m| m.file_type().is_symlink())
                    })
                    .map(Path::to_path_buf);
            }
            continue;
        }
        by_file.push((canon, f.clone()));
        kept.push(f);
    }
    if extra > 0 {
        let link = via
            .map(|l| format!(" through the symlink {}", crate::error::display_path(&l)))
            .unwrap_or_default();
        c.error(
            Some(pos),
            ipath,
            format!(
                "{pat:?} reaches the same variant files again{link} ({extra} extra matches of {} file{}): a symlink that loops back into the folder; remove the link or use a pattern that does not go through it",
                by_file.len(),
                if by_file.len() == 1 { "" } else { "s" }
            ),
        );
    }
    kept.sort();
    kept
}

/// When a file a glob matched is not a variant (unknown top-level keys, such as a training
/// set in the variants folder), says that the pattern picked it up and how to leave it out.
fn stray_file_hint(
    c: &mut Checker,
    pos: yaml_node::Pos,
    ipath: &str,
    pat: &str,
    file: &Path,
    others: &[Diagnostic],
) {
    // Unknown top-level keys and no `name`: not a variant with a typo, another kind of file.
    let top = |start: &str| {
        others
            .iter()
            .any(|d| d.file == file && !d.path.contains(['.', '[']) && d.message.starts_with(start))
    };
    if !(top("unknown key") && top("missing required key `name`")) {
        return;
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    c.error(
        Some(pos),
        ipath,
        format!(
            "{pat:?} matched {}, which does not look like a variant (see its unknown keys); if it is not one, move it out of the folder or narrow the pattern so it does not match {name:?} (e.g. list the variant files, or name them variant-*.yaml)",
            crate::error::display_path(file)
        ),
    );
}

fn read_variants(
    c: &mut Checker,
    node: Option<&yaml_node::Node>,
    defaults: &variant::Defaults,
    gold: Option<&GoldSet>,
    others: &mut Vec<Diagnostic>,
) -> Option<Vec<Variant>> {
    let node = node?;
    let patterns = c.strings(node, "variants")?;
    let items: Vec<yaml_node::Pos> = match &node.value {
        yaml_node::Value::Seq(items) => items.iter().map(|n| n.pos).collect(),
        _ => vec![node.pos],
    };
    let mut variants: Vec<Variant> = Vec::new();
    let mut ok = true;
    let mut gold_diags = Vec::new();
    // Files already loaded, and the index of the `variants` entry that named each.
    let mut loaded: Vec<PathBuf> = Vec::new();
    let mut loaded_by: Vec<usize> = Vec::new();
    for (i, pat) in patterns.iter().enumerate() {
        let pos = items.get(i).copied().unwrap_or(node.pos);
        let ipath = if matches!(node.value, yaml_node::Value::Seq(_)) {
            index("variants", i)
        } else {
            "variants".into()
        };
        let full = source::resolve(&c.file, pat);
        let full_str = full.to_string_lossy().to_string();
        let is_glob = full_str.contains(['*', '?', '[']);
        let mut files: Vec<PathBuf> = if is_glob {
            match glob::glob(&full_str) {
                Ok(paths) => {
                    let mut found = Vec::new();
                    // A folder the pattern cannot read: reported once per folder (it would
                    // otherwise be "matches no file", pointing the wrong way).
                    let mut unreadable: Vec<PathBuf> = Vec::new();
                    for p in paths {
                        match p {
                            Ok(p) => found.push(p),
                            Err(e) => {
                                if !unreadable.iter().any(|u| u == e.path()) {
                                    c.error(
                                        Some(pos),
                                        &ipath,
                                        format!(
                                            "{pat:?}: cannot read {}: {}",
                                            crate::error::display_path(e.path()),
                                            e.error()
                                        ),
                                    );
                                    unreadable.push(e.path().to_path_buf());
                                }
                                ok = false;
                            }
                        }
                    }
                    if !unreadable.is_empty() && found.is_empty() {
                        continue;
                    }
                    found
                }
                Err(e) => {
                    c.error(Some(pos), &ipath, format!("bad glob pattern {pat:?}: {e}"));
                    ok = false;
                    continue;
                }
            }
        } else {
            vec![full.clone()]
        };
        files.sort();
        if is_glob {
            files = drop_symlink_loops(c, pos, &ipath, pat, files);
        }
        if files.is_empty() {
            let searched = crate::error::display_path(&full);
            let hint = if searched == *pat {
                String::new()
            } else {
                format!(" (looked for {searched})")
            };
            c.error(
                Some(pos),
                &ipath,
                format!("{pat:?} matches no file{hint}; paths are relative to the eval file"),
            );
            ok = false;
        }
        for file in files {
            if let Some(i) = loaded.iter().position(|f| same_file(f, &file)) {
                c.error(
                    Some(pos),
                    &ipath,
                    format!(
                        "{} is already included by variants[{}]; list each variant file once",
                        crate::error::display_path(&file),
                        loaded_by[i]
                    ),
                );
                ok = false;
                continue;
            }
            loaded.push(file.clone());
            loaded_by.push(i);
            match variant::load(
                &file,
                defaults,
                gold,
                others,
                &mut gold_diags,
                &mut c.warnings,
            ) {
                Err(msg) => {
                    c.error(Some(pos), &ipath, msg);
                    ok = false;
                }
                Ok(None) => {
                    ok = false;
                    if is_glob {
                        stray_file_hint(c, pos, &ipath, pat, &file, others);
                    }
                }
                Ok(Some((v, name_pos))) => {
                    if let Some(first) = variants.iter().find(|o| o.name == v.name) {
                        // Reported at the second file's `name:`, which is what to change.
                        others.push(Diagnostic {
                            file: v.file.clone(),
                            pos: Some(name_pos),
                            path: "name".into(),
                            message: format!(
                                "variant name {:?} is already the name of {}; each variant of an eval needs its own name",
                                v.name,
                                crate::error::display_path(&first.file),
                            ),
                        });
                        ok = false;
                    }
                    variants.push(v);
                }
            }
        }
    }
    // A training file shared by several variants is reported once.
    for d in gold_diags {
        if !others.contains(&d) {
            others.push(d);
        }
    }
    if ok && variants.is_empty() {
        c.error(Some(node.pos), "variants", "the eval names no variant");
        ok = false;
    }
    ok.then_some(variants)
}
