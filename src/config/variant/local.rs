//! The local (TF-IDF) variant: its `local:` block, and the check that `verdict run` can
//! train it on the gold set's fields.

use super::gold_values;
use crate::config::check::{list, Checker, Fields};
use crate::config::gold::read_source;
use crate::gold::{Field, FieldKind, GoldSet};
use crate::variant::LocalSpec;
use crate::yaml::{Node, Pos, Value};

const LOCAL_KEYS: &[&str] = &["train", "examples", "features", "model", "c"];

pub(super) fn read_local(
    c: &mut Checker,
    node: &Node,
    gold: Option<&GoldSet>,
    gold_diags: &mut Vec<crate::error::Diagnostic>,
) -> Option<LocalSpec> {
    let f = c.map(node, "local", LOCAL_KEYS, &[])?;
    let gold_diags_before = gold_diags.len();
    let train = f
        .get("train")
        .and_then(|n| read_source(c, n, "local.train"));
    let mut examples = Vec::new();
    if let Some(n) = f.get("examples") {
        if let Some(items) = c.seq(n, "local.examples") {
            for (i, item) in items.iter().enumerate() {
                let path = format!("local.examples[{i}]");
                let Some(ef) = c.map(item, &path, &["text", "labels"], &["text", "labels"]) else {
                    continue;
                };
                let text = ef.get("text").and_then(|n| c.string(n, &ef.sub("text")));
                let mut labels = Vec::new();
                if let Some(ln) = ef.get("labels") {
                    if let Some(lm) =
                        c.any_map(ln, &ef.sub("labels"), "a mapping of field -> value")
                    {
                        labels = gold_values(c, &lm, gold);
                    }
                }
                if let Some(text) = text {
                    examples.push((text, labels));
                }
            }
        }
    }
    if f.get("train").is_none() && f.get("examples").is_none() {
        c.error(
            Some(node.pos),
            "local.train",
            "a local variant needs `train` (a file of labeled examples) or `examples`",
        );
    }
    let features = match f.get("features") {
        Some(n) => c.strings(n, "local.features").and_then(|fs| {
            let mut ok = true;
            for (i, feat) in fs.iter().enumerate() {
                if let Err(msg) = crate::provider::local::check_feature(feat) {
                    c.error(
                        Some(feature_pos(n, i)),
                        &format!("local.features[{i}]"),
                        msg,
                    );
                    ok = false;
                }
            }
            if fs.is_empty() {
                c.error(
                    Some(n.pos),
                    "local.features",
                    "list at least one feature (e.g. word_1_2)",
                );
                ok = false;
            }
            ok.then_some(fs)
        }),
        None => Some(Vec::new()),
    };
    let model = match f.get("model") {
        Some(n) => c
            .choice(n, "local.model", crate::provider::local::MODELS)
            .map(Some),
        None => Some(None),
    };
    let c_value = match f.get("c") {
        Some(n) => c.number(n, "local.c", 1e-6, 1e6).map(Some),
        None => Some(None),
    };
    // The training file is checked now, so that its problems are reported with the rest.
    let mut train_set = None;
    if let (Some(src), Some(tnode)) = (&train, f.get("train")) {
        let mut parent = Checker::new(&c.file);
        train_set = crate::config::gold::load(
            src,
            &mut parent,
            (tnode.pos, "local.train"),
            gold_diags,
            crate::config::gold::Texts::Keep,
        );
        if let (Some(ts), Some(gold)) = (&train_set, gold) {
            check_train_fields(&mut parent, gold, &ts.fields, tnode.pos);
        }
        c.diags.append(&mut parent.diags);
        c.warnings.append(&mut parent.warnings);
    }
    let spec = LocalSpec {
        train: train.map(|src| match src {
            crate::config::gold::GoldSource::Yaml(p) => p,
            crate::config::gold::GoldSource::Table(t) => t.path,
        }),
        train_set,
        examples,
        features: features.map(|f| (!f.is_empty()).then_some(f))?,
        model: model?,
        c: c_value?,
    };
    // What `verdict run` would find only when training: checked now, if nothing else is wrong
    // (a bad training file or label already says why).
    if let Some(gold) = gold {
        if c.diags.is_empty() && gold_diags.len() == gold_diags_before {
            check_trainable(c, gold, &spec, &f, node.pos);
        }
    }
    Some(spec)
}

/// Checks that `verdict run` can train the variant: some gold label or flag field has
/// training examples, and the texts of each such field yield features (n-grams) for the
/// variant's feature blocks (`word_2_2` on one-word texts yields none, and training fails).
fn check_trainable(c: &mut Checker, gold: &GoldSet, spec: &LocalSpec, f: &Fields, at: Pos) {
    use crate::classifier::{yields_features, FeatureSpec, LocalConfig};
    let pos_of = |key: &str| f.get(key).map(|n| n.pos);
    let features: Vec<FeatureSpec> = match &spec.features {
        Some(fs) => match fs.iter().map(|s| s.parse()).collect() {
            Ok(fs) => fs,
            Err(_) => return, // reported at the feature
        },
        None => LocalConfig::default().features,
    };
    let mut trained = 0;
    for (fi, gf) in gold.fields.iter().enumerate() {
        let examples = spec.examples_for(gold, fi);
        if examples.is_empty() {
            continue;
        }
        trained += 1;
        let mut classes: Vec<u32> = examples.iter().map(|e| e.1).collect();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            continue; // one class: predicted without a model
        }
        let texts: Vec<&str> = examples.iter().map(|e| e.0.as_str()).collect();
        if yields_features(&texts, &features) {
            continue;
        }
        let names: Vec<String> = features.iter().map(ToString::to_string).collect();
        let (pos, path, fix) = match pos_of("features") {
            Some(p) => (
                p,
                "local.features",
                "list features that short texts have (e.g. word_1_2 or char_wb_2_5)",
            ),
            None => (
                pos_of("train").or(pos_of("examples")).unwrap_or(at),
                if f.get("train").is_some() {
                    "local.train"
                } else {
                    "local.examples"
                },
                "give longer training texts",
            ),
        };
        let sample: Vec<String> = texts.iter().take(3).map(|t| format!("{t:?}")).collect();
        c.error(
            Some(pos),
            path,
            format!(
                "the {} training texts of field `{}` yield no features for {} (none has such an n-gram; e.g. {}), so `verdict run` could not train this variant; {fix}",
                texts.len(),
                gf.name,
                names.join(" + "),
                sample.join(", "),
            ),
        );
    }
    if trained == 0 {
        let names: Vec<&str> = gold
            .fields
            .iter()
            .filter(|g| g.kind != FieldKind::Labels)
            .map(|g| g.name.as_str())
            .collect();
        let (pos, path) = match pos_of("examples") {
            Some(p) => (p, "local.examples"),
            None => (pos_of("train").unwrap_or(at), "local.train"),
        };
        c.error(
            Some(pos),
            path,
            format!(
                "the training examples label none of the gold set's label or flag fields ({}), so `verdict run` would have nothing to train (a `labels` field is not predicted by a local variant)",
                list(&names)
            ),
        );
    }
}

fn feature_pos(n: &Node, i: usize) -> Pos {
    match &n.value {
        Value::Seq(items) => items.get(i).map_or(n.pos, |it| it.pos),
        _ => n.pos,
    }
}

/// A training set must label at least one gold field, with that field's values.
fn check_train_fields(c: &mut Checker, gold: &GoldSet, train_fields: &[Field], pos: Pos) {
    let mut any = false;
    for tf in train_fields {
        if let Some((_, gf)) = gold.field(&tf.name) {
            if gf.kind == FieldKind::Labels {
                continue;
            }
            any = true;
            let unknown: Vec<&String> = tf
                .values
                .iter()
                .filter(|v| !gf.values.contains(v))
                .collect();
            if gf.kind == FieldKind::Label && !unknown.is_empty() {
                c.error(
                    Some(pos),
                    "local.train",
                    format!(
                        "training labels {} of field `{}` are not values of the gold field (valid: {})",
                        list(&unknown),
                        tf.name,
                        list(&gf.values)
                    ),
                );
            }
        }
    }
    if !any {
        let names: Vec<&str> = gold.fields.iter().map(|f| f.name.as_str()).collect();
        c.error(
            Some(pos),
            "local.train",
            format!(
                "the training set labels none of the gold set's label or flag fields ({})",
                list(&names)
            ),
        );
    }
}
