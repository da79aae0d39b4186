//! The snapshot of a run: `snapshot.json`'s types (the eval, its variants fully resolved,
//! the options, the gold set with label names), building it from an [`Eval`], turning it back
//! into one, and reading it with `gold.jsonl` from a run folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{GOLD_JSONL, RUN_VERSION, SNAPSHOT_JSON};
use crate::config::{CalibrationSettings, Eval, PriceOverride, RoutingSettings, RunSettings};
use crate::error::{display_path, Error, Result};
use crate::gold::{Field, GoldSet, GoldValue, Ticket};
use crate::variant::{LlmSpec, LocalSpec, ProviderKind, Variant, VariantSpec};

/// Everything needed to grade, report, resume and merge a run, written once at its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The same as run.json's version.
    pub version: u32,
    pub eval: EvalInfo,
    /// The gold set's fields, in order.
    pub fields: Vec<Field>,
    /// Tickets in gold.jsonl: the tickets of the run (`--limit` applied), in gold order.
    pub n_tickets: usize,
    /// Every variant of the run, in order, fully resolved.
    pub variants: Vec<VariantSnapshot>,
    /// The eval's `run:` settings as loaded (`concurrency` is the eval's; the run's own is in
    /// `options`).
    pub run: RunSettings,
    pub calibration: Option<CalibrationSettings>,
    pub routing: Option<RoutingSettings>,
    /// The options the run was started with.
    pub options: RunOptions,
    /// Every file the eval was loaded from, with its SHA-256 then: a resume names those
    /// that differ now (and goes on with the snapshot).
    pub files: Vec<SourceFile>,
    /// The eval's `gate:` rules as checked at the start (the gate's own serialized rule
    /// set, opaque here), so `verdict gate RUN` and the summary's gate line need no project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<serde_json::Value>,
}

/// Where the eval came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalInfo {
    pub name: String,
    pub description: Option<String>,
    /// Absolute path of the eval config at the start.
    pub file: PathBuf,
    pub sha256: String,
    /// Absolute path of the gold source at the start.
    pub gold_path: PathBuf,
    pub gold_sha256: String,
    /// Tickets in the gold source (before `--limit`).
    pub gold_tickets: usize,
}

/// A file the eval was loaded from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceFile {
    /// `eval`, `gold`, `variant NAME`, `train NAME`.
    pub role: String,
    /// Absolute.
    pub path: PathBuf,
    pub sha256: String,
}

/// The options a run was started with. Answer-changing ones (`limit`, `no_cache`, `refresh`)
/// are fixed for the run; operational ones are the defaults of a resume, which may override
/// them on its command line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunOptions {
    pub limit: Option<usize>,
    /// Requests in flight at once, as the run used it (`--concurrency` or the eval's).
    pub concurrency: usize,
    pub no_cache: bool,
    pub refresh: bool,
    /// Absolute; `None` with `--no-cache`.
    pub cache_dir: Option<PathBuf>,
    /// Budgets of the starting invocation (each invocation counts its own).
    pub max_cost: Option<f64>,
    pub max_requests: Option<u64>,
}

/// One variant, fully resolved: what was sent, or how the local classifier was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSnapshot {
    pub name: String,
    pub description: Option<String>,
    /// The variant file (absolute), for provenance.
    pub file: PathBuf,
    pub sha256: String,
    pub provider: ProviderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmSnapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalSnapshot>,
}

/// An LLM variant with the eval's defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmSnapshot {
    /// Model, max_tokens, temperature, system, user template, tools, tool_choice, outputs,
    /// few-shot examples. `base_url` is where requests went, without userinfo, query or
    /// fragment; `api_key_env` the variable the key was read from (never the key).
    #[serde(flatten)]
    pub spec: LlmSpec,
    /// `variant` (the variant or the eval's defaults named it), `environment` (the provider's
    /// base-URL variable) or `default` (the public API).
    pub base_url_from: String,
    /// True when userinfo or a query string was removed from the recorded base URL.
    #[serde(default)]
    pub base_url_stripped: bool,
    /// USD per million tokens as the run priced the model; `None`: no price known.
    pub price: Option<PriceOverride>,
}

/// A local variant: its training set copied (training is deterministic, so the same
/// examples give the same classifier on resume).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalSnapshot {
    /// The `train:` source's path at the start (provenance).
    pub train_file: Option<PathBuf>,
    /// The training set, as loaded.
    pub train: Option<GoldSnapshot>,
    /// Inline examples: text and labels by field name.
    pub examples: Vec<(String, Vec<(String, serde_json::Value)>)>,
    pub features: Option<Vec<String>>,
    pub model: Option<String>,
    pub c: Option<f64>,
}

/// A gold set written out with label names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldSnapshot {
    pub fields: Vec<Field>,
    pub sha256: String,
    pub tickets: Vec<TicketSnapshot>,
}

/// A ticket as written in gold.jsonl: labels by field name, with label names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSnapshot {
    pub id: String,
    pub text: String,
    pub labels: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clarification: Option<String>,
}

impl TicketSnapshot {
    pub(super) fn of(t: &Ticket, fields: &[Field]) -> Self {
        TicketSnapshot {
            id: t.id.clone(),
            text: t.text.clone(),
            labels: fields
                .iter()
                .zip(&t.labels)
                .map(|(f, v)| (f.name.clone(), v.to_json(f)))
                .collect(),
            tags: t.tags.clone(),
            clarification: t.clarification.clone(),
        }
    }

    pub(crate) fn to_ticket(&self, fields: &[Field]) -> std::result::Result<Ticket, String> {
        let labels = fields
            .iter()
            .map(|f| {
                let v = self
                    .labels
                    .get(&f.name)
                    .ok_or_else(|| format!("ticket {:?} has no `{}`", self.id, f.name))?;
                GoldValue::from_json(f, v).map_err(|e| format!("ticket {:?}: {e}", self.id))
            })
            .collect::<std::result::Result<Vec<_>, String>>()?;
        Ok(Ticket {
            id: self.id.clone(),
            text: self.text.clone(),
            labels,
            tags: self.tags.clone(),
            clarification: self.clarification.clone(),
        })
    }
}

impl GoldSnapshot {
    fn of(g: &GoldSet) -> Self {
        GoldSnapshot {
            fields: g.fields.clone(),
            sha256: g.sha256.clone(),
            tickets: g
                .tickets
                .iter()
                .map(|t| TicketSnapshot::of(t, &g.fields))
                .collect(),
        }
    }

    fn to_gold(&self) -> std::result::Result<GoldSet, String> {
        Ok(GoldSet {
            fields: self.fields.clone(),
            tickets: self
                .tickets
                .iter()
                .map(|t| t.to_ticket(&self.fields))
                .collect::<std::result::Result<_, _>>()?,
            sha256: self.sha256.clone(),
        })
    }
}

/// A base URL without userinfo, query or fragment (they may carry credentials), and whether
/// anything was removed. `None` when it does not parse as a URL.
pub fn strip_base_url(url: &str) -> Option<(String, bool)> {
    let mut u = reqwest::Url::parse(url.trim()).ok()?;
    let stripped = !u.username().is_empty()
        || u.password().is_some()
        || u.query().is_some()
        || u.fragment().is_some();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    Some((
        crate::provider::client::normalize_base_url(u.as_str()),
        stripped,
    ))
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn sha256_file(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    std::fs::read(path)
        .ok()
        .map(|b| hex::encode(Sha256::digest(&b)))
}

impl Snapshot {
    /// The snapshot of `eval` (variants already selected) for a run over its first
    /// `n_tickets` tickets.
    pub fn of(eval: &Eval, n_tickets: usize, options: RunOptions) -> Snapshot {
        let mut files = vec![
            SourceFile {
                role: "eval".into(),
                path: absolute(&eval.file),
                sha256: eval.sha256.clone(),
            },
            SourceFile {
                role: "gold".into(),
                path: absolute(&eval.gold_path),
                sha256: eval.gold.sha256.clone(),
            },
        ];
        let variants = eval
            .variants
            .iter()
            .map(|v| {
                if !files.iter().any(|f| f.path == absolute(&v.file)) {
                    files.push(SourceFile {
                        role: format!("variant {}", v.name),
                        path: absolute(&v.file),
                        sha256: v.sha256.clone(),
                    });
                }
                let (llm, local) = match &v.spec {
                    VariantSpec::Llm(spec) => (Some(llm_snapshot(v.provider, spec, eval)), None),
                    VariantSpec::Local(spec) => {
                        let train_file = spec.train.as_deref().map(absolute);
                        if let (Some(p), Some(set)) = (&train_file, &spec.train_set) {
                            if !files.iter().any(|f| &f.path == p) {
                                files.push(SourceFile {
                                    role: format!("train {}", v.name),
                                    path: p.clone(),
                                    sha256: set.sha256.clone(),
                                });
                            }
                        }
                        (
                            None,
                            Some(LocalSnapshot {
                                train_file,
                                train: spec.train_set.as_ref().map(GoldSnapshot::of),
                                examples: spec.examples.clone(),
                                features: spec.features.clone(),
                                model: spec.model.clone(),
                                c: spec.c,
                            }),
                        )
                    }
                };
                VariantSnapshot {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    file: absolute(&v.file),
                    sha256: v.sha256.clone(),
                    provider: v.provider,
                    llm,
                    local,
                }
            })
            .collect();
        Snapshot {
            version: RUN_VERSION,
            eval: EvalInfo {
                name: eval.name.clone(),
                description: eval.description.clone(),
                file: absolute(&eval.file),
                sha256: eval.sha256.clone(),
                gold_path: absolute(&eval.gold_path),
                gold_sha256: eval.gold.sha256.clone(),
                gold_tickets: eval.gold.tickets.len(),
            },
            fields: eval.gold.fields.clone(),
            n_tickets,
            variants,
            run: eval.run.clone(),
            calibration: eval.calibration.clone(),
            routing: eval.routing.clone(),
            options,
            files,
            gate: None,
        }
    }

    /// The files the eval was loaded from that differ on disk now (edited, moved or
    /// deleted), each as `role path (what)`.
    pub fn changed_files(&self) -> Vec<String> {
        self.files
            .iter()
            .filter_map(|f| {
                let what = match sha256_file(&f.path) {
                    Some(h) if h == f.sha256 => return None,
                    Some(_) => "changed",
                    None => "no longer there",
                };
                Some(format!("{} {} ({what})", f.role, display_path(&f.path)))
            })
            .collect()
    }

    /// The eval this snapshot describes, as the runner and the scorer take it: the gold
    /// set as used, the resolved variants, the recorded settings. Nothing is read from the
    /// eval's files. A variant whose base URL came from the environment or the default is
    /// resolved again from the environment (where requests go is operational).
    pub fn to_eval(&self, gold: GoldSet) -> Result<Eval> {
        let mut prices: Vec<PriceOverride> = Vec::new();
        let mut variants = Vec::with_capacity(self.variants.len());
        for v in &self.variants {
            let spec = match (&v.llm, &v.local) {
                (Some(l), _) => {
                    let mut spec = l.spec.clone();
                    let env = crate::provider::client::base_url_env(v.provider);
                    let env_set = std::env::var(env).is_ok_and(|s| !s.trim().is_empty());
                    spec.base_url = match (l.base_url_from.as_str(), l.base_url_stripped) {
                        ("variant", false) => l.spec.base_url.clone(),
                        ("variant", true) if !env_set => {
                            return Err(Error::Usage(format!(
                                "the base URL of variant {:?} carried credentials or a query string, which the run folder does not keep; set {env} to the full URL to continue",
                                v.name
                            )))
                        }
                        _ => None,
                    };
                    if let Some(p) = &l.price {
                        if !prices.iter().any(|q| q.model == p.model) {
                            prices.push(p.clone());
                        }
                    }
                    VariantSpec::Llm(spec)
                }
                (None, Some(l)) => VariantSpec::Local(LocalSpec {
                    train: None,
                    train_set: match &l.train {
                        Some(t) => Some(t.to_gold().map_err(|e| {
                            Error::Usage(format!(
                                "snapshot.json: the training set of variant {:?} is damaged: {e}",
                                v.name
                            ))
                        })?),
                        None => None,
                    },
                    examples: l.examples.clone(),
                    features: l.features.clone(),
                    model: l.model.clone(),
                    c: l.c,
                }),
                (None, None) => {
                    return Err(Error::Usage(format!(
                        "snapshot.json: variant {:?} has neither `llm` nor `local`",
                        v.name
                    )))
                }
            };
            variants.push(Variant {
                name: v.name.clone(),
                description: v.description.clone(),
                file: v.file.clone(),
                sha256: v.sha256.clone(),
                provider: v.provider,
                spec,
            });
        }
        Ok(Eval {
            name: self.eval.name.clone(),
            description: self.eval.description.clone(),
            file: self.eval.file.clone(),
            sha256: self.eval.sha256.clone(),
            gold,
            gold_path: self.eval.gold_path.clone(),
            variants,
            run: self.run.clone(),
            calibration: self.calibration.clone(),
            routing: self.routing.clone(),
            prices,
            warnings: Vec::new(),
        })
    }
}

fn llm_snapshot(provider: ProviderKind, spec: &LlmSpec, eval: &Eval) -> LlmSnapshot {
    let env = crate::provider::client::base_url_env(provider);
    let (raw, from) = match &spec.base_url {
        Some(u) => (u.clone(), "variant"),
        None => match std::env::var(env).ok().filter(|s| !s.trim().is_empty()) {
            Some(u) => (u, "environment"),
            None => (
                crate::provider::client::default_base_url(provider).to_string(),
                "default",
            ),
        },
    };
    let (base_url, stripped) = match strip_base_url(&raw) {
        Some((u, s)) => (Some(u), s),
        // Not a URL: recorded as absent rather than risk writing whatever it holds.
        None => (None, true),
    };
    let mut resolved = spec.clone();
    resolved.base_url = base_url;
    resolved.api_key_env = Some(
        spec.api_key_env
            .clone()
            .unwrap_or_else(|| crate::provider::client::default_key_env(provider).to_string()),
    );
    let price = crate::provider::price_for(&spec.model, &eval.prices).map(|p| PriceOverride {
        model: spec.model.clone(),
        input: p.input,
        output: p.output,
        cache_read: Some(p.cache_read),
        cache_write: Some(p.cache_write_5m),
        context_tokens: crate::provider::prices::context_tokens(&spec.model, &eval.prices),
    });
    LlmSnapshot {
        spec: resolved,
        base_url_from: from.into(),
        base_url_stripped: stripped,
        price,
    }
}

/// Reads the snapshot and the gold set as used.
pub fn read_snapshot(dir: &Path) -> Result<(Snapshot, GoldSet)> {
    let path = dir.join(SNAPSHOT_JSON);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{} has no {SNAPSHOT_JSON}; the run folder is incomplete",
                display_path(dir)
            ))
        } else {
            Error::io(&path, e)
        }
    })?;
    let snapshot: Snapshot = serde_json::from_str(&text)
        .map_err(|e| Error::io(&path, format!("not a verdict snapshot: {e}")))?;
    if snapshot.version != RUN_VERSION {
        return Err(Error::Usage(format!(
            "{} has snapshot version {}; this verdict reads version {RUN_VERSION}",
            display_path(&path),
            snapshot.version
        )));
    }
    let gpath = dir.join(GOLD_JSONL);
    let gtext = std::fs::read_to_string(&gpath).map_err(|e| Error::io(&gpath, e))?;
    let mut tickets = Vec::with_capacity(snapshot.n_tickets);
    for (i, line) in gtext.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |m: String| Error::io(&gpath, format!("line {}: {m}", i + 1));
        let t: TicketSnapshot =
            serde_json::from_str(line).map_err(|e| bad(format!("not a ticket: {e}")))?;
        tickets.push(t.to_ticket(&snapshot.fields).map_err(bad)?);
    }
    if tickets.len() != snapshot.n_tickets {
        return Err(Error::io(
            &gpath,
            format!(
                "holds {} tickets; the snapshot says {}",
                tickets.len(),
                snapshot.n_tickets
            ),
        ));
    }
    let gold = GoldSet {
        fields: snapshot.fields.clone(),
        tickets,
        sha256: snapshot.eval.gold_sha256.clone(),
    };
    Ok((snapshot, gold))
}
