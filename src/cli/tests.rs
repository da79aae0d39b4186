//! Every flag of the command line reaches the library's plain option structs.

use super::*;

fn invocation(args: &[&str]) -> Invocation {
    Cli::try_parse_from(std::iter::once("verdict").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .into_invocation()
}

/// Every flag of `run` reaches the library's `RunCommand` with its value.
#[test]
fn run_flags_become_a_run_command() {
    let Invocation::Run(r) = invocation(&[
        "run",
        "e.yaml",
        "--variant",
        "a",
        "--variant",
        "b",
        "--limit",
        "5",
        "--concurrency",
        "3",
        "--requests-per-minute",
        "off",
        "--tokens-per-minute",
        "900",
        "--out",
        "o",
        "--refresh",
        "--cache-dir",
        "c",
        "--max-cost",
        "0.5",
        "--max-requests",
        "7",
        "--dry-run",
        "--format",
        "md,json",
        "--width",
        "80",
        "--quiet",
        "--all",
    ]) else {
        panic!("not a run")
    };
    assert_eq!(r.eval, Some(PathBuf::from("e.yaml")));
    assert_eq!(r.variants, ["a", "b"]);
    assert_eq!((r.limit, r.concurrency), (Some(5), Some(3)));
    assert_eq!(r.requests_per_minute, Some(None));
    assert_eq!(r.tokens_per_minute, Some(Some(900)));
    assert_eq!(r.out, Some(PathBuf::from("o")));
    assert_eq!(r.resume, None);
    assert!(!r.no_cache && r.refresh && r.dry_run);
    assert_eq!(r.cache_dir, Some(PathBuf::from("c")));
    assert_eq!((r.max_cost, r.max_requests), (Some(0.5), Some(7)));
    assert_eq!(
        r.output,
        OutputChoice {
            formats: vec![crate::report::Format::Markdown, crate::report::Format::Json],
            width: Some(80),
            quiet: true,
            all: true,
        }
    );
    // Left out, the rate limits are the eval's (None), not "off" (Some(None)).
    let Invocation::Run(r) = invocation(&["run", "--resume", "d"]) else {
        panic!("not a run")
    };
    assert_eq!((r.requests_per_minute, r.tokens_per_minute), (None, None));
    assert_eq!(r.resume, Some(PathBuf::from("d")));
    assert_eq!(r.output, OutputChoice::default());
}

#[test]
fn score_report_compare_and_gate_flags_become_commands() {
    let Invocation::Score(s) = invocation(&["score", "r", "--eval", "e.yaml", "-q"]) else {
        panic!("not score")
    };
    assert_eq!(s.run, Some(PathBuf::from("r")));
    assert_eq!(s.eval, Some(PathBuf::from("e.yaml")));
    assert!(s.output.quiet && s.gold.is_none() && s.predictions.is_none());

    let Invocation::Report(r) = invocation(&[
        "report",
        "r",
        "--tickets",
        "wrong",
        "--variant",
        "v",
        "--field",
        "f",
        "--tag",
        "de",
        "--limit",
        "9",
        "--format",
        "csv",
    ]) else {
        panic!("not report")
    };
    let q = r.tickets.expect("a ticket query");
    assert_eq!(q.selection, crate::report::tickets::Selection::Wrong);
    assert_eq!(q.variants, ["v"]);
    assert_eq!(
        (q.field.as_deref(), q.tag.as_deref(), q.limit),
        (Some("f"), Some("de"), Some(9))
    );
    assert_eq!(r.output.formats, [crate::report::Format::Csv]);

    let Invocation::Compare(c) =
        invocation(&["compare", "a:x", "b", "--format", "md", "--html", "h.html"])
    else {
        panic!("not compare")
    };
    assert_eq!((c.baseline.as_str(), c.candidate.as_str()), ("a:x", "b"));
    assert_eq!(c.format, crate::report::Format::Markdown);
    assert_eq!(c.html, Some(PathBuf::from("h.html")));

    let Invocation::Gate(g) = invocation(&[
        "gate",
        "r",
        "--baseline",
        "b",
        "--baseline-optional",
        "--rules",
        "x.yaml",
        "--variant",
        "v",
        "--pair",
        "p=q",
        "--inconclusive",
        "pass",
        "--junit",
        "j.xml",
        "--markdown",
        "m.md",
        "--format",
        "json",
    ]) else {
        panic!("not gate")
    };
    assert_eq!(g.run, PathBuf::from("r"));
    assert_eq!(g.baseline, Some(PathBuf::from("b")));
    assert!(g.baseline_optional && g.inconclusive_passes);
    assert_eq!(g.rules, Some(PathBuf::from("x.yaml")));
    assert_eq!(
        (g.variants, g.pairs),
        (vec!["v".to_string()], vec!["p=q".to_string()])
    );
    assert_eq!(g.junit, Some(PathBuf::from("j.xml")));
    assert_eq!(g.markdown, Some(PathBuf::from("m.md")));
    assert_eq!(g.format, crate::report::Format::Json);
    let Invocation::Gate(g) = invocation(&["gate", "r"]) else {
        panic!("not gate")
    };
    assert!(!g.inconclusive_passes, "INCONCLUSIVE fails by default");
}
