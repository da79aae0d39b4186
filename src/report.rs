//! Rendering a [`RunReport`] as terminal tables (comfy-table). Returns text; never prints.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use crate::gold::{Field, FieldKind};
use crate::score::{RunReport, VariantReport};

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t
}

fn num(v: f64) -> Cell {
    Cell::new(format!("{v:.4}")).set_alignment(CellAlignment::Right)
}

fn int(v: impl std::fmt::Display) -> Cell {
    Cell::new(v.to_string()).set_alignment(CellAlignment::Right)
}

fn label_name(field: &Field, i: u32) -> &str {
    field.values.get(i as usize).map_or("?", String::as_str)
}

/// All tables of a run: per label field, the comparison, per-category metrics and the most
/// frequent confusions; then cost and latency.
pub fn tables(report: &RunReport) -> String {
    let mut out = String::new();
    for field in report.fields.iter().filter(|f| f.kind == FieldKind::Label) {
        let vs: Vec<(&VariantReport, &crate::metrics::SingleLabelReport)> = report
            .variants
            .iter()
            .filter_map(|v| {
                v.fields
                    .iter()
                    .find(|f| f.field == field.name)
                    .and_then(|f| f.label.as_ref())
                    .map(|l| (v, l))
            })
            .collect();
        if vs.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n{} ({} values, {} tickets)\n",
            field.name,
            field.values.len(),
            report.n_tickets
        ));
        let mut t = new_table();
        let mut header = vec![Cell::new("")];
        header.extend(vs.iter().map(|(v, _)| Cell::new(&v.name)));
        t.set_header(header);
        type Row = (
            &'static str,
            fn(&VariantReport, &crate::metrics::SingleLabelReport) -> Cell,
        );
        let rows: [Row; 8] = [
            ("n", |_, l| int(l.n)),
            ("accuracy", |_, l| num(l.accuracy)),
            ("macro precision", |_, l| num(l.macro_avg.precision)),
            ("macro recall", |_, l| num(l.macro_avg.recall)),
            ("macro F1", |_, l| num(l.macro_avg.f1)),
            ("invalid", |_, l| int(l.invalid)),
            ("kappa", |_, l| l.kappa.map_or(Cell::new("-"), num)),
            ("time (s)", |v, _| {
                Cell::new(format!("{:.2}", v.cost.time_s)).set_alignment(CellAlignment::Right)
            }),
        ];
        for (name, f) in rows {
            let mut row = vec![Cell::new(name)];
            row.extend(vs.iter().map(|(v, l)| f(v, l)));
            t.add_row(row);
        }
        out.push_str(&t.to_string());
        out.push('\n');

        // Per category: support, then precision / recall / F1 for each variant.
        let mut t = new_table();
        let mut header = vec![Cell::new(&field.name), Cell::new("support")];
        for (v, _) in &vs {
            header.push(Cell::new(format!("{} P", v.name)));
            header.push(Cell::new("R"));
            header.push(Cell::new("F1"));
        }
        t.set_header(header);
        for (ci, value) in field.values.iter().enumerate() {
            let mut row = vec![Cell::new(value), int(vs[0].1.per_class[ci].support)];
            for (_, l) in &vs {
                let c = &l.per_class[ci];
                row.push(num(c.precision));
                row.push(num(c.recall));
                row.push(num(c.f1));
            }
            t.add_row(row);
        }
        out.push_str(&t.to_string());
        out.push('\n');

        // The most frequent confusions of each variant.
        let mut t = new_table();
        t.set_header(vec!["variant", "gold", "predicted", "count"]);
        for (v, l) in &vs {
            for c in l.top_confusions.iter().take(5) {
                t.add_row(vec![
                    Cell::new(&v.name),
                    Cell::new(label_name(field, c.gold)),
                    Cell::new(c.pred.map_or("(invalid)", |p| label_name(field, p))),
                    int(c.count),
                ]);
            }
        }
        if !t.is_empty() {
            out.push_str("most frequent confusions\n");
            out.push_str(&t.to_string());
            out.push('\n');
        }
    }

    // Outcomes, cost and latency.
    let mut t = new_table();
    t.set_header(vec![
        "variant",
        "ok",
        "not ok",
        "requests",
        "cached",
        "tokens in/out",
        "cost $",
        "$ / 1k tickets",
        "p50 ms",
        "p95 ms",
    ]);
    for v in &report.variants {
        let ok = v.outcomes.get("ok").copied().unwrap_or(0);
        t.add_row(vec![
            Cell::new(&v.name),
            int(ok),
            int(v.n_records - ok),
            int(v.cost.requests),
            int(v.cost.cached),
            int(format!("{}/{}", v.cost.input_tokens, v.cost.output_tokens)),
            Cell::new(format!("{:.4}", v.cost.total_usd)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.4}", v.cost.usd_per_1000)).set_alignment(CellAlignment::Right),
            v.cost
                .latency_p50_ms
                .map_or(Cell::new("-"), |x| int(format!("{x:.1}"))),
            v.cost
                .latency_p95_ms
                .map_or(Cell::new("-"), |x| int(format!("{x:.1}"))),
        ]);
    }
    out.push_str("\noutcomes, cost and latency\n");
    out.push_str(&t.to_string());
    out.push('\n');
    out
}
