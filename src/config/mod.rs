//! Loading an eval: its config, its gold set and its variants, checked together.
//!
//! [`load_eval`] reads every file an eval names and returns either a fully validated
//! [`Eval`] or every problem found in any of the files (exit code 2). Nothing is run and
//! nothing is written before this succeeds.

pub mod check;
pub mod gold;
pub mod source;
pub mod variant;

use std::path::{Path, PathBuf};

use check::{index, Checker};
use gold::GoldSource;
use source::ReadError;

use crate::error::{Diagnostic, Error, Result};
use crate::gold::{FieldKind, GoldSet};
use crate::variant::Variant;

/// How the run goes: concurrency, retries, repeats, seed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunSettings {
    pub concurrency: usize,
    pub max_retries: u32,
    pub timeout_s: f64,
    pub repeats: u32,
    pub seed: u64,
    /// Client-side request limit per minute, per provider endpoint.
    pub requests_per_minute: Option<u32>,
    /// Client-side token limit per minute (input + output estimate).
    pub tokens_per_minute: Option<u32>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            concurrency: 8,
            max_retries: 6,
            timeout_s: 60.0,
            repeats: 1,
            seed: 0,
            requests_per_minute: None,
            tokens_per_minute: None,
        }
    }
}

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
const RUN_KEYS: &[&str] = &[
    "concurrency",
    "max_retries",
    "timeout_s",
    "repeats",
    "seed",
    "requests_per_minute",
    "tokens_per_minute",
];

/// Loads and checks an eval and every file it names.
pub fn load_eval(path: &Path) -> Result<Eval> {
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
            (Some(src), Some(n)) => gold::load(src, &mut c, (n.pos, "gold"), &mut others),
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
        if let (Some(gold), Some(variants), Some(prices)) = (&gold_set, &variants, &prices) {
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

fn read_run(c: &mut Checker, node: Option<&yaml_node::Node>) -> Option<RunSettings> {
    let mut run = RunSettings::default();
    let Some(node) = node else { return Some(run) };
    let f = c.map(node, "run", RUN_KEYS, &[])?;
    let before = c.diags.len();
    if let Some(n) = f.get("concurrency") {
        run.concurrency = c.integer(n, "run.concurrency", 1, 1024).unwrap_or(1) as usize;
    }
    if let Some(n) = f.get("max_retries") {
        run.max_retries = c.integer(n, "run.max_retries", 0, 100).unwrap_or(0) as u32;
    }
    if let Some(n) = f.get("timeout_s") {
        run.timeout_s = c.number(n, "run.timeout_s", 0.001, 3600.0).unwrap_or(60.0);
    }
    if let Some(n) = f.get("repeats") {
        run.repeats = c.integer(n, "run.repeats", 1, 100).unwrap_or(1) as u32;
    }
    if let Some(n) = f.get("seed") {
        run.seed = c.integer(n, "run.seed", 0, i64::MAX).unwrap_or(0) as u64;
    }
    if let Some(n) = f.get("requests_per_minute") {
        run.requests_per_minute = c
            .integer(n, "run.requests_per_minute", 1, 10_000_000)
            .map(|v| v as u32);
    }
    if let Some(n) = f.get("tokens_per_minute") {
        run.tokens_per_minute = c
            .integer(n, "run.tokens_per_minute", 1, 1_000_000_000)
            .map(|v| v as u32);
    }
    (c.diags.len() == before).then_some(run)
}

use crate::yaml as yaml_node;

fn read_prices(c: &mut Checker, node: Option<&yaml_node::Node>) -> Option<Vec<PriceOverride>> {
    let Some(node) = node else {
        return Some(Vec::new());
    };
    let m = c.any_map(
        node,
        "prices",
        "a mapping of model -> {input, output, cache_read, cache_write, context_tokens}",
    )?;
    let mut out = Vec::new();
    let before = c.diags.len();
    for (k, v) in m.entries() {
        let model = k.key_string();
        let p = m.sub(&model);
        let Some(f) = c.map(
            v,
            &p,
            &[
                "input",
                "output",
                "cache_read",
                "cache_write",
                "context_tokens",
            ],
            &["input", "output"],
        ) else {
            continue;
        };
        let num = |c: &mut Checker, key: &str| {
            f.get(key).and_then(|n| c.number(n, &f.sub(key), 0.0, 1e6))
        };
        let input = num(c, "input");
        let output = num(c, "output");
        let cache_read = num(c, "cache_read");
        let cache_write = num(c, "cache_write");
        let context_tokens = f
            .get("context_tokens")
            .and_then(|n| c.integer(n, &f.sub("context_tokens"), 1, 100_000_000))
            .map(|v| v as u64);
        if let (Some(input), Some(output)) = (input, output) {
            out.push(PriceOverride {
                model,
                input,
                output,
                cache_read,
                cache_write,
                context_tokens,
            });
        }
    }
    (c.diags.len() == before).then_some(out)
}

/// The label field a setting refers to: given, or the first label field.
fn label_field(
    c: &mut Checker,
    f: &check::Fields,
    key_path: &str,
    gold: Option<&GoldSet>,
) -> Option<String> {
    let gold = gold?;
    match f.get("field") {
        Some(n) => {
            let name = c.string(n, key_path)?;
            match gold.field(&name) {
                Some((_, fl)) if fl.kind == FieldKind::Label => Some(name),
                Some((_, fl)) => {
                    let labels: Vec<&str> = gold
                        .fields
                        .iter()
                        .filter(|f| f.kind == FieldKind::Label)
                        .map(|f| f.name.as_str())
                        .collect();
                    let valid = if labels.is_empty() {
                        "the gold set has no label field".to_string()
                    } else {
                        format!("label fields: {}", check::list(&labels))
                    };
                    c.error(
                        Some(n.pos),
                        key_path,
                        format!(
                            "field `{name}` is a {} field; confidence is about a single-label field ({valid})",
                            fl.kind.name()
                        ),
                    );
                    None
                }
                None => {
                    let names: Vec<&str> = gold.fields.iter().map(|f| f.name.as_str()).collect();
                    let hint = check::did_you_mean(&name, &names)
                        .map(|h| format!("did you mean `{h}`? "))
                        .unwrap_or_default();
                    c.error(
                        Some(n.pos),
                        key_path,
                        format!(
                            "`{name}` is not a field of the gold set ({hint}fields: {})",
                            check::list(&names)
                        ),
                    );
                    None
                }
            }
        }
        None => gold
            .fields
            .iter()
            .find(|f| f.kind == FieldKind::Label)
            .map(|f| f.name.clone()),
    }
}

/// An empty mapping, read in place of an optional section that is absent (so its defaults
/// and checks against the gold set apply).
fn empty_map() -> yaml_node::Node {
    yaml_node::Node {
        value: yaml_node::Value::Map(vec![]),
        pos: Default::default(),
    }
}

fn read_calibration(
    c: &mut Checker,
    node: Option<&yaml_node::Node>,
    gold: Option<&GoldSet>,
) -> Option<CalibrationSettings> {
    let empty = empty_map();
    let node = node.unwrap_or(&empty);
    let f = c.map(node, "calibration", &["field", "bins"], &[])?;
    let bins = match f.get("bins") {
        Some(n) => c.integer(n, "calibration.bins", 1, 1000)? as usize,
        None => 10,
    };
    let field = label_field(c, &f, "calibration.field", gold)?;
    Some(CalibrationSettings { field, bins })
}

fn read_routing(
    c: &mut Checker,
    node: Option<&yaml_node::Node>,
    gold: Option<&GoldSet>,
) -> Option<RoutingSettings> {
    let empty = empty_map();
    let node = node.unwrap_or(&empty);
    let f = c.map(
        node,
        "routing",
        &["field", "route_at", "clarify_at", "target_accuracy"],
        &[],
    )?;
    let num = |c: &mut Checker, key: &str, default: f64| match f.get(key) {
        Some(n) => c.number(n, &format!("routing.{key}"), 0.0, 1.0),
        None => Some(default),
    };
    // All three are read before giving up, so each bad one is reported.
    let route_at = num(c, "route_at", 0.9);
    let clarify_at = num(c, "clarify_at", 0.7);
    let target_accuracy = num(c, "target_accuracy", 0.98);
    let field = label_field(c, &f, "routing.field", gold);
    // The order of the two thresholds is checked even when another setting is bad, so every
    // problem of the section is reported at once.
    let (route_at, clarify_at) = (route_at?, clarify_at?);
    if clarify_at > route_at {
        match f.get("clarify_at") {
            Some(n) => c.error(
                Some(n.pos),
                "routing.clarify_at",
                format!("clarify_at ({clarify_at}) must not be above route_at ({route_at})"),
            ),
            // clarify_at is the default (0.7): point at route_at, and say so.
            None => c.error(
                f.get("route_at").map(|n| n.pos).or(Some(node.pos)),
                "routing.route_at",
                format!(
                    "route_at ({route_at}) is below clarify_at ({clarify_at}, the default); set clarify_at to at most {route_at}"
                ),
            ),
        }
        return None;
    }
    Some(RoutingSettings {
        field: field?,
        route_at,
        clarify_at,
        target_accuracy: target_accuracy?,
    })
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
