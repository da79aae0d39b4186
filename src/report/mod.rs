//! Exporters: a run (or a dry-run plan) turned into bytes, one format each.
//!
//! An [`Exporter`] never touches the file system or stdout: it returns bytes, and the caller
//! prints them or hands them to the run folder's one writer ([`crate::run_dir`]), as
//! hyperfine's exporters do. The terminal and Markdown exporters draw the same [`model::Doc`]
//! (built by [`details`] from the view), so both say the same thing. A new format (JUnit)
//! is one more file here implementing [`Exporter`] and one more [`Format`]. The tickets of
//! `verdict report RUN --tickets ...` are [`tickets`]: a selection and its own renderers.

pub mod csv;
pub mod details;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod plan;
pub mod summary;
pub mod terminal;
pub mod tickets;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::eval_log::PredictionRecord;
use crate::gold::Ticket;
use crate::score::RunReport;

pub use plan::{PlanRow, PlanView};

/// Where a run came from, for a report's heading. Empty for `verdict score` (no run).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunMeta {
    pub eval_name: String,
    pub run_id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub git_rev: Option<String>,
    pub verdict_version: String,
    /// Per variant, the verdict of the eval's `gate:` rules on this run (without a baseline),
    /// for the summary's gate line; empty when the eval sets no rules.
    #[serde(skip)]
    pub gate: std::collections::BTreeMap<String, String>,
}

/// Everything an exporter may show about a finished run.
#[derive(Debug, Clone, Copy)]
pub struct RunView<'a> {
    pub meta: &'a RunMeta,
    pub report: &'a RunReport,
    /// The gold tickets of the run, when they can be shown.
    pub tickets: Option<&'a [Ticket]>,
    /// Why the tickets are not there (`tickets` is `None`), in a sentence.
    pub tickets_missing: Option<&'a str>,
    /// The run's records (latest per variant, ticket and repeat); empty when not known.
    pub records: &'a [PredictionRecord],
    /// The answers of `records` in compact form, when the caller read a big journal that way
    /// instead of as records (the HTML page's ticket table uses them).
    pub answers: Option<&'a html::tickets::Answers>,
}

/// Turns a view into the bytes of one format.
pub trait Exporter {
    /// The format's name as `--format` takes it (`table`, `md`, `json`).
    fn name(&self) -> &'static str;
    /// The file extension for this format in a run folder (`txt`, `md`, `json`).
    fn extension(&self) -> &'static str;
    /// A finished run.
    fn export_run(&self, view: &RunView<'_>) -> Result<Vec<u8>>;
    /// A dry-run plan. Formats that have nothing useful to say about a plan refuse it.
    fn export_plan(&self, _plan: &PlanView) -> Result<Vec<u8>> {
        Err(Error::Usage(format!(
            "--format {} does not render a --dry-run plan; use table, md or json",
            self.name()
        )))
    }
}

/// The formats verdict renders (the library's own type: `cli` maps onto it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Tables for a terminal.
    Table,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// Every metric as JSON.
    Json,
    /// One self-contained HTML page with charts and the tickets.
    Html,
    /// Per-class metrics in long format (`verdict report`).
    Csv,
}

/// How text is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// Columns available for the terminal format (`None`: no limit, nothing is cut).
    pub width: Option<usize>,
    /// Print the summary only (`--quiet`).
    pub quiet: bool,
    /// Every category in the per-category tables (`--all`), not only the 10 lowest-F1.
    pub all: bool,
}

/// What a command renders: one or more formats (the first is printed) and the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub formats: Vec<Format>,
    pub layout: Layout,
}

impl Output {
    /// The same output with `--quiet` and `--all` applied.
    pub fn shown(mut self, quiet: bool, all: bool) -> Self {
        self.layout.quiet = quiet;
        self.layout.all = all;
        self
    }

    /// One format.
    pub fn one(format: Format, layout: Layout) -> Self {
        Output {
            formats: vec![format],
            layout,
        }
    }

    /// The format to print and the others (each once, in the order given).
    pub fn split(&self) -> Result<(Format, Vec<Format>)> {
        let mut seen = Vec::new();
        for f in &self.formats {
            if !seen.contains(f) {
                seen.push(*f);
            }
        }
        let Some((&first, rest)) = seen.split_first() else {
            return Err(Error::Usage("--format names no format".into()));
        };
        Ok((first, rest.to_vec()))
    }
}

impl Format {
    /// The exporter of this format.
    pub fn exporter(self, layout: Layout) -> Box<dyn Exporter> {
        match self {
            Format::Table => Box::new(TableExporter { layout }),
            Format::Markdown => Box::new(MarkdownExporter { layout }),
            Format::Json => Box::new(json::JsonExporter { layout }),
            Format::Html => Box::new(HtmlExporter),
            Format::Csv => Box::new(csv::CsvExporter),
        }
    }
}

/// The summary of a run view: [`summary::summarize`] with the eval's name.
pub fn run_summary(view: &RunView<'_>) -> summary::Summary {
    let mut s = summary::summarize(view.report);
    if !view.meta.eval_name.is_empty() {
        s.eval = Some(view.meta.eval_name.clone());
    }
    let shown = s.recommended.as_ref().map(|r| r.variant.as_str());
    if let Some(line) = shown.and_then(|v| view.meta.gate.get(v)) {
        s.gate = line.clone();
    }
    s
}

/// The summary as document blocks: a heading, its sentences, the warnings.
pub fn summary_doc(s: &summary::Summary) -> model::Doc {
    let mut doc = model::Doc::default();
    doc.heading("summary");
    let mut lines = s.lines();
    lines.insert(1, s.headline.clone());
    for l in lines {
        doc.text(l);
    }
    if !s.warnings.is_empty() {
        doc.text(format!(
            "{}:",
            if s.warnings.len() == 1 {
                "Warning"
            } else {
                "Warnings"
            }
        ));
        doc.list(s.warnings.clone());
    }
    doc
}

/// The title of a run's report: the eval, then the run id, start, git revision and verdict
/// version; `None` without an eval name (`verdict score`).
pub fn title(m: &RunMeta) -> Option<model::Block> {
    if !m.eval_name.is_empty() {
        let mut lines = Vec::new();
        if !m.run_id.is_empty() {
            lines.push(format!("run {}", m.run_id));
        }
        let mut when = Vec::new();
        if !m.started_at.is_empty() {
            when.push(format!("started {}", m.started_at));
        }
        if let Some(rev) = &m.git_rev {
            when.push(format!("git {rev}"));
        }
        if !m.verdict_version.is_empty() {
            when.push(format!("verdict {}", m.verdict_version));
        }
        if !when.is_empty() {
            lines.push(when.join(", "));
        }
        return Some(model::Block::Title {
            text: format!("verdict: {}", m.eval_name),
            lines,
        });
    }
    None
}

/// The report as a document: a heading with the run's context, the summary, then (unless
/// `layout.quiet`) the details.
pub fn run_doc(view: &RunView<'_>, layout: Layout) -> model::Doc {
    let mut doc = model::Doc::default();
    doc.blocks.extend(title(view.meta));
    let summary = run_summary(view);
    doc.extend(summary_doc(&summary));
    if !layout.quiet {
        let focus = summary.recommended.as_ref().map(|r| r.variant.as_str());
        doc.extend(details::details_with(
            view.report,
            &details::Options {
                all_categories: layout.all,
                focus,
            },
        ));
    }
    doc
}

/// Box-drawing tables for a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableExporter {
    pub layout: Layout,
}

impl Exporter for TableExporter {
    fn name(&self) -> &'static str {
        "table"
    }
    fn extension(&self) -> &'static str {
        "txt"
    }
    fn export_run(&self, view: &RunView<'_>) -> Result<Vec<u8>> {
        Ok(terminal::render(&run_doc(view, self.layout), self.layout.width).into_bytes())
    }
    fn export_plan(&self, plan: &PlanView) -> Result<Vec<u8>> {
        Ok(terminal::render(&plan.doc(), self.layout.width).into_bytes())
    }
}

/// Markdown, to paste into a pull request.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownExporter {
    pub layout: Layout,
}

impl Exporter for MarkdownExporter {
    fn name(&self) -> &'static str {
        "md"
    }
    fn extension(&self) -> &'static str {
        "md"
    }
    fn export_run(&self, view: &RunView<'_>) -> Result<Vec<u8>> {
        Ok(markdown::render(&run_doc(view, self.layout)).into_bytes())
    }
    fn export_plan(&self, plan: &PlanView) -> Result<Vec<u8>> {
        Ok(markdown::render(&plan.doc()).into_bytes())
    }
}

/// One self-contained HTML page: the summary, charts and the tickets ([`html`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn name(&self) -> &'static str {
        "html"
    }
    fn extension(&self) -> &'static str {
        "html"
    }
    fn export_run(&self, view: &RunView<'_>) -> Result<Vec<u8>> {
        let page = html::render(
            &html::HtmlInput {
                meta: view.meta.clone(),
                report: view.report,
                tickets: view.tickets,
                records: view.records,
                answers: view.answers,
                tickets_missing: view.tickets_missing.map(str::to_string),
            },
            &html::HtmlOptions::default(),
        );
        Ok(page.into_bytes())
    }
}
