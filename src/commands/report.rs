//! `verdict report`: a saved run rendered again, or its tickets listed.

use std::path::Path;

use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::report::{Format, Output, RunMeta, RunView};
use crate::run_dir::RunDoc;
use crate::run_dir::RunSpec;
use crate::score::RunReport;

use super::{print_bytes, run_meta, run_tickets, save_formats};

/// `verdict report RUN`: renders a saved run again; with `--tickets`, lists its tickets.
/// `gate` is the summary's gate line per variant (the eval's rules on the folder, computed
/// by the caller).
pub fn report_command(
    dir: &Path,
    output: &Output,
    tickets: Option<&crate::report::tickets::Query>,
    gate: std::collections::BTreeMap<String, String>,
) -> Result<Exit> {
    let doc: RunDoc = crate::run_dir::open(dir, crate::run_dir::Need::StoredMetrics)?;
    let Some(report) = doc.metrics else {
        return Err(Error::Usage(format!(
            "{} is not finished; finish it with `verdict run --resume {}`, or grade what it holds with `verdict score {}`",
            crate::error::display_path(dir),
            crate::error::display_path(dir),
            crate::error::display_path(dir)
        )));
    };
    if let Some(query) = tickets {
        return report_tickets(dir, &doc.spec, &report, query, output);
    }
    // Only the HTML page shows the tickets and answers; the text formats need neither. The
    // journal is read in chunks straight into compact answers: a million records never
    // exist at once.
    let html = output.formats.contains(&crate::report::Format::Html);
    let loaded = if html {
        run_tickets(dir)
    } else {
        Err(String::new())
    };
    let answers = match &loaded {
        Ok(t) => {
            let keyer = crate::report::html::tickets::Keyer::new(&report, t);
            let keyed =
                crate::eval_log::read_journal_answers_into(&dir.join("predictions.jsonl"), |r| {
                    keyer.keyed(&r)
                })?;
            Some(crate::report::html::tickets::Answers::new(
                keyer.n_variants(),
                keyer.n_tickets(),
                keyed,
            ))
        }
        Err(_) => None,
    };
    let meta = RunMeta {
        gate,
        ..run_meta(&doc.spec)
    };
    let (tickets, missing) = match (&loaded, html) {
        (Ok(t), _) => (Some(t.as_slice()), None),
        (Err(why), true) => (None, Some(why.as_str())),
        (Err(_), false) => (None, None),
    };
    let view = RunView {
        meta: &meta,
        report: &report,
        tickets,
        tickets_missing: missing,
        records: &[],
        answers: answers.as_ref(),
    };
    let (first, rest) = output.split()?;
    print_bytes(&first.exporter(output.layout).export_run(&view)?)?;
    for path in save_formats(dir, &view, &rest, output.layout)? {
        eprintln!("wrote {}", crate::error::display_path(&path));
    }
    // The command ends here and the process with it: half a million tickets and a million
    // answers are not worth freeing one by one.
    std::mem::forget(answers);
    std::mem::forget(loaded);
    Ok(Exit::Ok)
}

/// Tickets a table or Markdown lists without `--limit`.
pub const TICKETS_SHOWN: usize = 50;

/// `verdict report RUN --tickets ...`: the tickets of the run folder's own snapshot
/// (gold.jsonl) and journal, so a copied run folder lists them too; one format, printed.
fn report_tickets(
    dir: &Path,
    spec: &RunSpec,
    report: &RunReport,
    query: &crate::report::tickets::Query,
    output: &Output,
) -> Result<Exit> {
    use crate::report::{markdown, terminal, tickets};
    let (format, rest) = output.split()?;
    if !rest.is_empty() {
        return Err(Error::Usage(
            "--tickets prints one format and saves none: give --format one of table, md, json, csv"
                .into(),
        ));
    }
    if format == Format::Html {
        return Err(Error::Usage(
            "--tickets prints table, md, json or csv; the HTML page (`verdict report RUN --format html`) has its own ticket table".into(),
        ));
    }
    let (_, gold) = crate::run_dir::gold_fast::read_snapshot_owned(dir)?;
    let records = crate::eval_log::dedup_latest(crate::eval_log::read_journal(
        &dir.join(crate::run_dir::PREDICTIONS_JSONL),
    )?);
    let mut query = query.clone();
    if query.limit.is_none() && matches!(format, Format::Table | Format::Markdown) {
        query.limit = Some(TICKETS_SHOWN);
    }
    let list = tickets::select(
        &tickets::Source::of_run(report, &gold.tickets, &records),
        &query,
    )?;
    let doc = || {
        let mut d = crate::report::model::Doc::default();
        d.blocks.extend(crate::report::title(&run_meta(spec)));
        d.extend(tickets::render::doc(&list));
        d
    };
    let bytes = match format {
        Format::Table => terminal::render(&doc(), output.layout.width).into_bytes(),
        Format::Markdown => markdown::render(&doc()).into_bytes(),
        Format::Json => tickets::render::json(&list),
        Format::Csv => tickets::render::csv(&list),
        Format::Html => unreachable!("refused above"),
    };
    print_bytes(&bytes)?;
    Ok(Exit::Ok)
}
