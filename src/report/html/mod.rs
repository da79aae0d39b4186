//! The HTML report: one self-contained page a team opens to choose a variant.
//!
//! [`render`] is pure: a run's metrics ([`RunReport`]), its gold tickets and prediction
//! records in, the bytes of `report.html` out. The page is a minijinja template
//! (`src/report/templates/report.html`, auto-escaped) with inline SVG charts drawn by
//! plotters ([`charts`]) and an inline stylesheet and script whose SHA-256 hashes are the
//! only sources its Content-Security-Policy (`default-src 'none'`) allows, so the page makes
//! no request of any kind. Size stays bounded whatever the run's size: charts draw
//! aggregates, and the ticket table carries a sample ([`tickets`]).

pub mod charts;
pub mod compare;
pub mod compare_charts;
mod sections;
pub mod svg;
pub mod tickets;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::eval_log::PredictionRecord;
use crate::gold::Ticket;
use crate::score::RunReport;

const TEMPLATE: &str = include_str!("../templates/report.html");
const CSS: &str = include_str!("../templates/report.css");
const JS: &str = include_str!("../templates/report.js");

/// Where the run came from, for the page's heading.
pub use super::RunMeta;

/// Everything the page is made from.
pub struct HtmlInput<'a> {
    pub meta: RunMeta,
    pub report: &'a RunReport,
    /// The gold tickets of the run (the first `report.n_tickets` are scored); `None` when
    /// they are not available, and then `tickets_missing` says why.
    pub tickets: Option<&'a [Ticket]>,
    pub records: &'a [PredictionRecord],
    /// The records' answers, when the caller read them compactly (a big journal); else
    /// they are taken from `records`.
    pub answers: Option<&'a tickets::Answers>,
    pub tickets_missing: Option<String>,
}

/// Limits that keep the page readable and small.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Most tickets in the ticket table.
    pub max_ticket_rows: usize,
    /// Characters of a ticket's text kept in the table.
    pub max_text_chars: usize,
    /// Classes shown one by one in a confusion heatmap (the rest are "other").
    pub heatmap_top_k: usize,
    /// Classes in the per-category F1 chart (the lowest F1 first; all are in the table).
    pub max_bar_classes: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            max_ticket_rows: 2000,
            max_text_chars: 600,
            heatmap_top_k: 12,
            max_bar_classes: 25,
        }
    }
}

/// `'sha256-...'` of an inline element's exact text, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of the page: nothing may load; only the page's own style
/// and script run.
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(JS)
    )
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn chart(c: charts::Chart) -> String {
    c.unwrap_or_else(|e| {
        format!(
            "<p class=\"note\">This chart could not be drawn: {}</p>",
            svg::escape(&e.to_string())
        )
    })
}

/// The template environment: the page template, auto-escaped as HTML.
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE)
        .expect("the report template parses");
    env.add_filter("f3", |v: f64| format!("{v:.3}"));
    env.add_filter("thousands", |v: u64| thousands(v));
    env
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Renders the report page.
pub fn render(input: &HtmlInput, opts: &HtmlOptions) -> String {
    use crate::report::summary::primary_field;
    let report = input.report;
    let primary = primary_field(report).map(|f| f.name.clone());
    let primary = primary.as_deref();
    let (json, counts) = match input.tickets {
        Some(t) => {
            let owned;
            let answers = match input.answers {
                Some(a) => a,
                None => {
                    owned = tickets::Answers::from_records(report, t, input.records);
                    &owned
                }
            };
            let (data, counts) = tickets::build(
                report,
                t,
                answers,
                opts.max_ticket_rows,
                opts.max_text_chars,
            );
            (tickets::script_json(&data), counts)
        }
        None => ("null".to_string(), tickets::TicketCounts::default()),
    };
    let page = sections::Page {
        meta: input.meta.clone(),
        csp: csp(),
        css: CSS,
        js: JS,
        n_tickets: report.n_tickets,
        n_variants: report.variants.len(),
        summary: sections::summary(input),
        variants: sections::variant_rows(report, primary),
        primary_field: primary.unwrap_or("").to_string(),
        labels: sections::label_sections(report, opts),
        others: sections::other_fields(report),
        calibration: sections::calibration_panels(report),
        calibration_field: report
            .settings
            .calibration
            .as_ref()
            .map_or(String::new(), |c| c.field.clone()),
        routing: sections::routing(report),
        slices: sections::slices(report, primary),
        comparisons: sections::comparisons(report),
        tickets: sections::TicketSection {
            json,
            counts,
            missing: input.tickets_missing.clone(),
        },
    };
    environment()
        .get_template("report.html")
        .expect("template is registered")
        .render(minijinja::Value::from_serialize(&page))
        .expect("the report template renders")
}
