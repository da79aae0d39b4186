//! The summary's gate line: the verdict of a run's own `gate:` rules for each variant, shown
//! by `run`, `report RUN` and `score RUN` (regression rules need a baseline and are counted,
//! not evaluated).

use std::path::Path;

use serde_json::Value;

use super::command::{eval_rules, gate_run};
use super::folder::load_run;
use super::GateOptions;
use crate::error::display_path;
use crate::score::ScoredVariant;

/// The summary's gate line per variant: the verdict of the eval's `gate:` rules on a finished
/// run folder, without a baseline (its regression rules are skipped and the line says so).
/// Empty when the eval has no rules or can no longer be read with the folder.
pub fn summary_gate_lines(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut lines = std::collections::BTreeMap::new();
    // Grading a big run takes seconds: only when there are rules to evaluate.
    if !may_have_rules(dir) {
        return lines;
    }
    let Ok(run) = load_run(dir) else {
        return lines;
    };
    let set = match (&run.rules, run.eval_path.as_deref()) {
        (Some(set), _) => set.clone(),
        (None, None) => return lines,
        (None, Some(eval)) => match eval_rules(eval, &run.gold.fields) {
            Ok(Some(set)) => set,
            Ok(None) => return lines,
            Err(_) => {
                for v in &run.variants {
                    lines.insert(
                        v.name.clone(),
                        format!(
                            "not evaluated: the `gate:` section of {} has errors (`verdict validate` shows them)",
                            display_path(eval)
                        ),
                    );
                }
                return lines;
            }
        },
    };
    let skipped = set
        .rules
        .iter()
        .any(|r| r.kind.is_regression())
        .then(|| "none in a run's own report".to_string());
    let all: Vec<&ScoredVariant> = run.variants.iter().collect();
    let report = match gate_run(
        &run,
        &set,
        &all,
        None,
        skipped,
        &[],
        &GateOptions::default(),
    ) {
        Ok(r) => r,
        Err(e) => {
            for v in &run.variants {
                lines.insert(v.name.clone(), format!("not evaluated: {e}"));
            }
            return lines;
        }
    };
    for v in &run.variants {
        let checks: Vec<&super::Check> = report
            .checks
            .iter()
            .filter(|c| c.variant == v.name)
            .collect();
        lines.insert(v.name.clone(), gate_line(&checks));
    }
    lines
}

/// Whether a run folder has gate rules of its own, found without reading its journal: its
/// snapshot's `gate`, or (a folder whose snapshot predates stored rules, or a version 1 folder)
/// a `gate:` section in the eval file run.json names. False only when neither can have rules.
fn may_have_rules(dir: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct SnapshotGate {
        #[serde(default)]
        gate: Option<serde::de::IgnoredAny>,
    }
    let snapshot = std::fs::read_to_string(dir.join(crate::run_dir::SNAPSHOT_JSON))
        .ok()
        .and_then(|t| serde_json::from_str::<SnapshotGate>(&t).ok());
    if snapshot.is_some_and(|s| s.gate.is_some()) {
        return true;
    }
    let Ok(text) = crate::run_dir::read_run_json(dir) else {
        return false;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let Ok(spec) = serde_json::from_value::<crate::run_dir::RunSpec>(doc["spec"].clone()) else {
        return false;
    };
    let eval = spec.eval_file();
    let Ok(text) = std::fs::read_to_string(&eval) else {
        return false;
    };
    let mut c = crate::config::check::Checker::new(&eval);
    match crate::config::source::parse_yaml(&text, &mut c) {
        // A file that does not parse: the gate line says its `gate:` has errors.
        None => true,
        Some(node) => match &node.value {
            crate::yaml::Value::Map(entries) => {
                entries.iter().any(|(k, _)| k.as_str() == Some("gate"))
            }
            _ => false,
        },
    }
}

/// One variant's checks in a line: "fails 1 of the eval's 4 gate rules (intent accuracy
/// floor); 3 rules against a baseline need `verdict gate RUN --baseline BASE`".
fn gate_line(all: &[&super::Check]) -> String {
    use super::Status;
    let plural = |k: usize, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
    let against_baseline =
        |c: &&&super::Check| matches!(c.kind.as_str(), "tolerance" | "significance");
    let regression = all
        .iter()
        .filter(|c| c.status == Status::NotEvaluable && against_baseline(c))
        .count();
    let not_evaluable = all
        .iter()
        .filter(|c| c.status == Status::NotEvaluable && !against_baseline(c))
        .count();
    let checks: Vec<&super::Check> = all
        .iter()
        .copied()
        .filter(|c| c.status != Status::NotEvaluable)
        .collect();
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let mut failing: Vec<&str> = Vec::new();
    for c in checks.iter().filter(|c| c.fails_gate) {
        if !failing.contains(&c.rule.as_str()) {
            failing.push(&c.rule);
        }
    }
    let n = checks.len();
    let mut line = if n == 0 {
        "no rule of the eval's gate applies without a baseline".to_string()
    } else if failing.is_empty() {
        format!("passes the eval's {}", plural(n, "gate rule"))
    } else {
        format!(
            "fails {} of the eval's {} ({})",
            checks.iter().filter(|c| c.fails_gate).count(),
            plural(n, "gate rule"),
            failing.join(", ")
        )
    };
    let warned = count(Status::Warn);
    if warned > 0 {
        line.push_str(&format!(", {}", plural(warned, "warning")));
    }
    if not_evaluable > 0 {
        line.push_str(&format!(", {not_evaluable} not evaluable"));
    }
    if regression > 0 {
        line.push_str(&format!(
            "; {} against a baseline need `verdict gate RUN --baseline BASE`",
            plural(regression, "rule")
        ));
    }
    line
}
