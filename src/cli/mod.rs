//! The command line: clap types, and their translation into the library's plain
//! [`Invocation`]. No other module of the library names a type of this one
//! (`tests/architecture.rs`), so every command can be called without clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::{Invocation, OutputChoice, ReportCommand, RunCommand};
use crate::commands::ScoreCommand;
use crate::gate::command::{CompareCommand, GateCommand};

/// Tells whether an LLM ticket classifier is good enough to ship, and which prompt variant
/// to ship.
#[derive(Debug, Parser)]
#[command(name = "verdict", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command as the library takes it.
    pub fn into_invocation(self) -> Invocation {
        match self.command {
            Command::Run(a) => Invocation::Run(a.into_command()),
            Command::Validate { eval } => Invocation::Validate(eval),
            Command::Score(a) => Invocation::Score(a.into_command()),
            Command::Report(a) => Invocation::Report(a.into_command()),
            Command::Compare(a) => Invocation::Compare(a.into_command()),
            Command::Gate(a) => Invocation::Gate(a.into_command()),
            Command::Init { dir } => Invocation::Init(dir),
            Command::Schema { kind } => Invocation::Schema(kind.to_lib()),
        }
    }
}

/// `--format`, `--width`, `--quiet`, `--all` as the library's [`OutputChoice`].
fn output_choice(formats: &[Format], width: Option<u16>, quiet: bool, all: bool) -> OutputChoice {
    OutputChoice {
        formats: formats.iter().map(|f| f.to_lib()).collect(),
        width,
        quiet,
        all,
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify every ticket with every variant, score, print the comparison, write the run.
    Run(RunArgs),
    /// Check every file of an eval and report every problem at once.
    Validate {
        /// The eval config (YAML).
        eval: PathBuf,
    },
    /// Re-grade a run folder, or score predictions made elsewhere against a gold set, without
    /// calling any model.
    Score(ScoreArgs),
    /// Render a saved run again.
    Report(ReportArgs),
    /// Compare two runs (or two variants of one run) ticket by ticket.
    Compare(CompareArgs),
    /// Check a run against rules, and against a baseline run; exit 1 when a rule fails.
    Gate(GateArgs),
    /// Write a small eval to start from into DIR (default: the current folder); never
    /// overwrites a file.
    Init {
        /// The folder to write into (created if needed).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the JSON Schema (draft 2020-12) of an eval, gold or variant file.
    Schema {
        /// Which kind of file.
        #[arg(value_enum)]
        kind: SchemaKind,
    },
}

/// The files `verdict schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// An eval config.
    Eval,
    /// A gold set (YAML); also a local variant's training file.
    Gold,
    /// A prompt variant.
    Variant,
}

impl SchemaKind {
    /// The library's kind (cli types stay in the binary's edge).
    pub fn to_lib(self) -> crate::schema::FileKind {
        match self {
            SchemaKind::Eval => crate::schema::FileKind::Eval,
            SchemaKind::Gold => crate::schema::FileKind::Gold,
            SchemaKind::Variant => crate::schema::FileKind::Variant,
        }
    }
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline: a run folder, or RUN:VARIANT.
    pub baseline: String,
    /// The candidate: a run folder, or RUN:VARIANT (graded against its gold set).
    pub candidate: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write the comparison as GitHub markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write the comparison as one self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The run folder to gate.
    pub run: PathBuf,
    /// The run folder to compare against (regression rules).
    #[arg(long, value_name = "RUN")]
    pub baseline: Option<PathBuf>,
    /// Gate without a baseline when the folder is missing: regression rules are skipped.
    #[arg(long)]
    pub baseline_optional: bool,
    /// The rules (YAML; default: the eval's `gate:` section as the run recorded it at its
    /// start). See docs/gate.md.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Gate only these candidate variants (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Pair a baseline variant with a differently named candidate variant (repeatable).
    #[arg(long = "pair", value_name = "BASE=CAND")]
    pub pairs: Vec<String>,
    /// What an INCONCLUSIVE significance rule does to the gate.
    #[arg(long, value_enum, default_value_t = Inconclusive::Fail)]
    pub inconclusive: Inconclusive,
    /// Write a JUnit XML report (one test case per rule and variant).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the result as GitHub markdown (a pull-request comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

impl CompareArgs {
    /// The library's [`CompareCommand`].
    pub fn into_command(self) -> CompareCommand {
        CompareCommand {
            baseline: self.baseline,
            candidate: self.candidate,
            format: self.format.to_lib(),
            markdown: self.markdown,
            html: self.html,
        }
    }
}

impl GateArgs {
    /// The library's [`GateCommand`].
    pub fn into_command(self) -> GateCommand {
        GateCommand {
            run: self.run,
            baseline: self.baseline,
            baseline_optional: self.baseline_optional,
            rules: self.rules,
            variants: self.variants,
            pairs: self.pairs,
            inconclusive_passes: self.inconclusive == Inconclusive::Pass,
            junit: self.junit,
            markdown: self.markdown,
            format: self.format.to_lib(),
        }
    }
}

/// What an INCONCLUSIVE rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Inconclusive {
    /// The gate fails (the default: too few tickets to know is not a pass).
    Fail,
    /// The gate passes.
    Pass,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The eval config (YAML). Not needed with --resume.
    #[arg(required_unless_present = "resume")]
    pub eval: Option<PathBuf>,
    /// Run only these variants (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Classify only the first N tickets (1 or more).
    #[arg(long, value_name = "N", value_parser = limit, allow_negative_numbers = true)]
    pub limit: Option<usize>,
    /// Requests in flight at once (overrides run.concurrency; 1 to 1024, as in the eval).
    #[arg(long, value_name = "N", value_parser = concurrency, allow_negative_numbers = true)]
    pub concurrency: Option<usize>,
    /// Client-side limit of requests per minute per provider endpoint (overrides
    /// run.requests_per_minute; on --resume, the run's own; `off` for none).
    #[arg(long, value_name = "N|off", value_parser = per_minute, allow_negative_numbers = true)]
    pub requests_per_minute: Option<PerMinute>,
    /// Client-side limit of tokens (input estimate + max_tokens) per minute per provider
    /// endpoint (overrides run.tokens_per_minute; on --resume, the run's own; `off` for none).
    #[arg(long, value_name = "N|off", value_parser = per_minute, allow_negative_numbers = true)]
    pub tokens_per_minute: Option<PerMinute>,
    /// The run folder (default: reports/<run-id>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Finish an interrupted run: send only what its journal does not hold yet.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["eval", "out", "variants", "limit"])]
    pub resume: Option<PathBuf>,
    /// Do not read or write the response cache.
    #[arg(long, conflicts_with = "refresh")]
    pub no_cache: bool,
    /// Ignore cached responses but write fresh ones.
    #[arg(long)]
    pub refresh: bool,
    /// The response cache folder (default: the user's cache directory).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Stop sending requests once the run has cost this many US dollars.
    #[arg(long, value_name = "USD", value_parser = dollars, allow_negative_numbers = true)]
    pub max_cost: Option<f64>,
    /// Stop after this many requests (0 or more).
    #[arg(long, value_name = "N", value_parser = requests, allow_negative_numbers = true)]
    pub max_requests: Option<u64>,
    /// Print how many requests the run would send and an estimate of tokens and cost.
    #[arg(long)]
    pub dry_run: bool,
    /// How to print the results; a list (`table,md,json`) prints the first and saves the
    /// others into the run folder as report.<ext>.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "table")]
    pub format: Vec<Format>,
    /// Fit tables to N columns (default: the terminal's width; piped output is never cut).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
    /// Print the summary only (which variant, why, cost, coverage, gate, warnings).
    #[arg(long, short)]
    pub quiet: bool,
    /// Show every category in the per-category tables (default: the 10 lowest-F1).
    #[arg(long)]
    pub all: bool,
}

impl RunArgs {
    /// The library's [`RunCommand`].
    pub fn into_command(self) -> RunCommand {
        RunCommand {
            output: output_choice(&self.format, self.width, self.quiet, self.all),
            eval: self.eval,
            variants: self.variants,
            limit: self.limit,
            concurrency: self.concurrency,
            requests_per_minute: self.requests_per_minute.map(|p| p.0),
            tokens_per_minute: self.tokens_per_minute.map(|p| p.0),
            out: self.out,
            resume: self.resume,
            no_cache: self.no_cache,
            refresh: self.refresh,
            cache_dir: self.cache_dir,
            max_cost: self.max_cost,
            max_requests: self.max_requests,
            dry_run: self.dry_run,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A run folder to re-grade from its snapshot and journal (the eval's files are not
    /// needed). Or score other predictions with --gold and --predictions.
    #[arg(required_unless_present_all = ["gold", "predictions"], conflicts_with_all = ["gold", "predictions"])]
    pub run: Option<PathBuf>,
    /// With RUN: grade with this eval's calibration and routing settings instead of the run's.
    #[arg(long, value_name = "EVAL", requires = "run")]
    pub eval: Option<PathBuf>,
    /// The gold set (YAML), or an eval config whose gold set to use.
    #[arg(long, requires = "predictions")]
    pub gold: Option<PathBuf>,
    /// Predictions in verdict's predictions.jsonl format.
    #[arg(long, requires = "gold")]
    pub predictions: Option<PathBuf>,
    /// How to print the results.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "table")]
    pub format: Vec<Format>,
    /// Fit tables to N columns (default: the terminal's width; piped output is never cut).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
    /// Print the summary only (which variant, why, cost, coverage, gate, warnings).
    #[arg(long, short)]
    pub quiet: bool,
    /// Show every category in the per-category tables (default: the 10 lowest-F1).
    #[arg(long)]
    pub all: bool,
}

impl ScoreArgs {
    /// The library's [`ScoreCommand`].
    pub fn into_command(self) -> ScoreCommand {
        ScoreCommand {
            output: output_choice(&self.format, self.width, self.quiet, self.all),
            run: self.run,
            eval: self.eval,
            gold: self.gold,
            predictions: self.predictions,
        }
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run folder.
    pub run: PathBuf,
    /// How to print the run; a list prints the first and saves the others into the run
    /// folder as report.<ext>. `csv`: per-class metrics in long format, or with --tickets
    /// the tickets.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "table")]
    pub format: Vec<ReportFormat>,
    /// List tickets instead of the report: wrong (in any listed variant), disagree (the
    /// variants differ), low-confidence (below routing.route_at), or all.
    #[arg(long, value_enum, value_name = "WHICH", conflicts_with_all = ["quiet", "all"])]
    pub tickets: Option<TicketSelection>,
    /// With --tickets: only these variants (repeatable; default: every one).
    #[arg(long = "variant", value_name = "NAME", requires = "tickets")]
    pub variants: Vec<String>,
    /// With --tickets: the field (default: the routing field, else the first label field).
    #[arg(long, value_name = "FIELD", requires = "tickets")]
    pub field: Option<String>,
    /// With --tickets: only tickets with this tag.
    #[arg(long, value_name = "TAG", requires = "tickets")]
    pub tag: Option<String>,
    /// With --tickets: at most N tickets (default: 50 in table and md, every one in json
    /// and csv).
    #[arg(long, value_name = "N", value_parser = limit, allow_negative_numbers = true, requires = "tickets")]
    pub limit: Option<usize>,
    /// Fit tables to N columns (default: the terminal's width; piped output is never cut).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
    /// Print the summary only (which variant, why, cost, coverage, gate, warnings).
    #[arg(long, short)]
    pub quiet: bool,
    /// Show every category in the per-category tables (default: the 10 lowest-F1).
    #[arg(long)]
    pub all: bool,
}

impl ReportArgs {
    /// The library's [`ReportCommand`].
    pub fn into_command(self) -> ReportCommand {
        ReportCommand {
            tickets: self.ticket_query(),
            output: OutputChoice {
                formats: self.format.iter().map(|f| f.to_lib()).collect(),
                width: self.width,
                quiet: self.quiet,
                all: self.all,
            },
            run: self.run,
        }
    }

    /// The ticket query of `--tickets` (the library's type), if any.
    pub fn ticket_query(&self) -> Option<crate::report::tickets::Query> {
        use crate::report::tickets::Selection;
        Some(crate::report::tickets::Query {
            selection: match self.tickets? {
                TicketSelection::Wrong => Selection::Wrong,
                TicketSelection::Disagree => Selection::Disagree,
                TicketSelection::LowConfidence => Selection::LowConfidence,
                TicketSelection::All => Selection::All,
            },
            variants: self.variants.clone(),
            field: self.field.clone(),
            tag: self.tag.clone(),
            limit: self.limit,
        })
    }
}

/// `verdict report --tickets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TicketSelection {
    /// Wrong in at least one listed variant (invalid and missing answers count as wrong).
    Wrong,
    /// The listed variants do not all give the same answer.
    Disagree,
    /// A listed variant states a confidence below the eval's routing.route_at.
    LowConfidence,
    /// Every ticket.
    All,
}

/// `verdict report`'s formats: those of the other commands, and CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Tables for a terminal.
    Table,
    /// Every metric as JSON (the metrics object of run.json).
    Json,
    /// Markdown tables, to paste into a pull request.
    Md,
    /// One self-contained HTML page with charts and the tickets.
    Html,
    /// Per-class metrics in long format (one row per variant, field and category); with
    /// --tickets, the tickets with their whole text.
    Csv,
}

impl ReportFormat {
    /// The library's format.
    pub fn to_lib(self) -> crate::report::Format {
        match self {
            ReportFormat::Table => crate::report::Format::Table,
            ReportFormat::Json => crate::report::Format::Json,
            ReportFormat::Md => crate::report::Format::Markdown,
            ReportFormat::Html => crate::report::Format::Html,
            ReportFormat::Csv => crate::report::Format::Csv,
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for a terminal.
    Table,
    /// Every metric as JSON (the metrics object of run.json).
    Json,
    /// Markdown tables, to paste into a pull request.
    Md,
    /// One self-contained HTML page with charts and the tickets (also written as
    /// report.html into every run folder).
    Html,
}

impl Format {
    /// The library's format (cli types stay in the binary's edge).
    pub fn to_lib(self) -> crate::report::Format {
        match self {
            Format::Table => crate::report::Format::Table,
            Format::Json => crate::report::Format::Json,
            Format::Md => crate::report::Format::Markdown,
            Format::Html => crate::report::Format::Html,
        }
    }
}

/// `--concurrency`: the range `run.concurrency` takes in an eval (0 used to be taken as 1).
fn concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a number of requests from 1 to 1024")),
    }
}

/// `--limit`: a number of tickets, 1 or more (a negative number used to get clap's tip to
/// write `-- -1`, which points the wrong way).
fn limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not a number of tickets (1 or more)")),
    }
}

/// A rate limit given on the command line: a number per minute, or `off` (no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMinute(pub Option<u32>);

/// `--requests-per-minute`, `--tokens-per-minute`: 1 or more, or `off`.
fn per_minute(s: &str) -> Result<PerMinute, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(PerMinute(None));
    }
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(PerMinute(Some(n))),
        _ => Err(format!(
            "{s:?} is not a number per minute (1 or more), or `off`"
        )),
    }
}

/// `--max-requests`: a number of requests, 0 or more.
fn requests(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .map_err(|_| format!("{s:?} is not a number of requests (0 or more)"))
}

/// `--max-cost`: a finite amount of dollars, 0 or more (`nan` used to disable the limit).
fn dollars(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not an amount of US dollars (0 or more, e.g. 5 or 0.5)"
        )),
    }
}

#[cfg(test)]
mod tests;
