//! The CSV exporter: per-class metrics in long format, one row per variant, field and
//! category, written with the `csv` crate, every number at full precision (the shortest
//! text that reads back as the same `f64`, as in run.json), for a spreadsheet or a
//! dataframe. The tickets as CSV are [`super::tickets::render::csv`].
//!
//! Columns: `variant, field, kind, category, precision, recall, f1, support, predicted,
//! present`. A label field gives one row per declared value (`present`: the value occurs in
//! gold or in valid predictions, so it counts in the macro average); a multi-label field one
//! row per declared label; a flag field one row, category `true` (the flag set), with
//! support `tp + fn` and predicted `tp + fp`. `present` is empty where it does not apply.

use super::{Exporter, RunView};
use crate::error::Result;
use crate::score::RunReport;

/// Per-class metrics as CSV.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvExporter;

/// The header of the per-class CSV.
pub const HEADER: [&str; 10] = [
    "variant",
    "field",
    "kind",
    "category",
    "precision",
    "recall",
    "f1",
    "support",
    "predicted",
    "present",
];

/// The per-class rows of a report as CSV bytes.
pub fn per_class(report: &RunReport) -> Vec<u8> {
    // Writing into memory cannot fail.
    let err = "CSV is written into memory";
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).expect(err);
    for v in &report.variants {
        for fr in &v.fields {
            let Some(field) = report.fields.iter().find(|f| f.name == fr.field) else {
                continue;
            };
            let name = |i: u32| field.values.get(i as usize).cloned().unwrap_or_default();
            let mut row = |kind: &str,
                           category: String,
                           (p, r, f1): (f64, f64, f64),
                           (support, predicted): (u64, u64),
                           present: Option<bool>| {
                w.write_record([
                    v.name.clone(),
                    field.name.clone(),
                    kind.to_string(),
                    category,
                    p.to_string(),
                    r.to_string(),
                    f1.to_string(),
                    support.to_string(),
                    predicted.to_string(),
                    present.map_or(String::new(), |b| b.to_string()),
                ])
                .expect(err);
            };
            if let Some(l) = &fr.label {
                for c in &l.per_class {
                    row(
                        "label",
                        c.name.clone().unwrap_or_else(|| name(c.class)),
                        (c.precision, c.recall, c.f1),
                        (c.support, c.predicted),
                        Some(c.present),
                    );
                }
            }
            if let Some(m) = &fr.labels {
                for c in &m.per_label {
                    row(
                        "labels",
                        name(c.label),
                        (c.precision, c.recall, c.f1),
                        (c.support, c.predicted),
                        None,
                    );
                }
            }
            if let Some(f) = &fr.flag {
                row(
                    "flag",
                    "true".into(),
                    (f.precision, f.recall, f.f1),
                    (f.tp + f.fn_, f.tp + f.fp),
                    None,
                );
            }
        }
    }
    w.into_inner().expect(err)
}

impl Exporter for CsvExporter {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn export_run(&self, view: &RunView<'_>) -> Result<Vec<u8>> {
        Ok(per_class(view.report))
    }
}
