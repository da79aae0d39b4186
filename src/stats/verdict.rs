//! The verdict of a pair of variants: which one is ahead, whether the difference is
//! significant (McNemar with Holm decides; the bootstrap interval is shown), the power
//! statement, and the one sentence that words it.

use serde::{Deserialize, Serialize};

use super::PairComparison;

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    }
}

fn fmt_count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Where an interval lies relative to 0, read in the direction of the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalSide {
    /// Entirely above 0 (`lo > 0`).
    Above,
    /// Contains 0 (`lo <= 0 <= hi`).
    IncludesZero,
    /// Entirely below 0 (`hi < 0`).
    Below,
}

impl IntervalSide {
    /// Where `[lo, hi]` lies relative to 0.
    pub fn of(lo: f64, hi: f64) -> Self {
        if lo > 0.0 {
            Self::Above
        } else if hi < 0.0 {
            Self::Below
        } else {
            Self::IncludesZero
        }
    }
}

/// What [`pair_verdict`] decides from.
#[derive(Debug, Clone, Copy)]
pub struct VerdictInput<'a> {
    /// First variant's name.
    pub a: &'a str,
    /// Second variant's name.
    pub b: &'a str,
    /// Tickets.
    pub n: u64,
    /// accuracy(B) − accuracy(A), a proportion.
    pub diff: f64,
    /// Paired-bootstrap interval of `diff`.
    pub lo: f64,
    /// Paired-bootstrap interval of `diff`.
    pub hi: f64,
    /// Level of the interval (0.95).
    pub level: f64,
    /// Holm-adjusted McNemar p-value.
    pub p_holm: f64,
    /// Family-wise significance level.
    pub alpha: f64,
    /// Tickets needed to detect `mde_points` (Connor 1987).
    pub required_n: u64,
    /// Difference the power statement is about, in points.
    pub mde_points: f64,
}

/// Which variant is ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leader {
    /// A is more accurate.
    A,
    /// B is more accurate.
    B,
    /// Equally accurate.
    Tie,
}

/// The decision and the sentence of one pair: the only place significance is worded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairVerdict {
    /// McNemar with Holm rejects at `alpha` (`p_holm <= alpha`, and the accuracies differ).
    pub significant: bool,
    /// Who is ahead on the observed tickets (the sign of `diff`).
    pub leader: Leader,
    /// Where the bootstrap interval lies, read as leader − other (B − A on a tie).
    pub side: IntervalSide,
    /// The bootstrap interval of leader − other (B − A on a tie), in points.
    pub lead_points: (f64, f64),
    /// The bootstrap interval disagrees with the test: significant but the interval does
    /// not lie above 0, or not significant but it excludes 0.
    pub disagrees: bool,
    /// Tickets a non-significant pair would need to detect `mde_points`, when that is more
    /// than the run has; `None` when significant or when the run is large enough.
    pub short_of: Option<u64>,
    /// The sentence.
    pub text: String,
}

/// The power statement of a pair: the tickets needed when the run has fewer and the test
/// did not detect a difference. `None` when significant (the effect was detected, so the
/// run was large enough for it) or when `required_n <= n`.
pub fn power_shortfall(significant: bool, n: u64, required_n: u64) -> Option<u64> {
    (!significant && required_n > n).then_some(required_n)
}

/// The verdict of one pair. McNemar's exact test with Holm's adjustment decides; the
/// paired-bootstrap interval is shown as the uncertainty of the size of the difference,
/// and when it disagrees with the test the sentence says so instead of hiding either.
///
/// * significant, interval above 0: "B beats A by +3.1 points [1.2, 5.0], p = 0.004"
///   (winner first, interval of winner − loser, Holm-adjusted p);
/// * significant, interval not above 0: "B beats A by +1.0 points, significant by
///   McNemar (Holm p = 0.030), though the 95% bootstrap interval [-0.1, 2.0] includes 0";
/// * not significant: "no significant difference between A and B on 200 tickets (B − A =
///   +0.5 points [-1.2, 2.1], p = 0.620)", plus ", though the 95% bootstrap interval
///   excludes 0" when it does, then the power statement: "; detecting a 2-point difference
///   would need about 1,960 tickets" or "; 2,000 tickets are enough to detect a 2-point
///   difference (about 1,960 needed)".
pub fn pair_verdict(v: &VerdictInput<'_>) -> PairVerdict {
    let pts = |x: f64| x * 100.0;
    let leader = if v.diff > 0.0 {
        Leader::B
    } else if v.diff < 0.0 {
        Leader::A
    } else {
        Leader::Tie
    };
    let significant = v.p_holm <= v.alpha && leader != Leader::Tie;
    let (lo, hi) = if leader == Leader::A {
        (-v.hi, -v.lo)
    } else {
        (v.lo, v.hi)
    };
    let side = IntervalSide::of(lo, hi);
    let level = format!("{}%", fmt_level(v.level * 100.0));
    let iv = format!("[{:.1}, {:.1}]", pts(lo), pts(hi));
    if significant {
        let (w, l) = if leader == Leader::B {
            (v.b, v.a)
        } else {
            (v.a, v.b)
        };
        let by = format!("{w} beats {l} by {:+.1} points", pts(v.diff.abs()));
        let (text, disagrees) = match side {
            IntervalSide::Above => (format!("{by} {iv}, {}", fmt_p(v.p_holm)), false),
            IntervalSide::IncludesZero => (
                format!(
                    "{by}, significant by McNemar (Holm {}), though the {level} bootstrap interval {iv} includes 0",
                    fmt_p(v.p_holm)
                ),
                true,
            ),
            IntervalSide::Below => (
                format!(
                    "{by}, significant by McNemar (Holm {}), though the {level} bootstrap interval {iv} lies below 0",
                    fmt_p(v.p_holm)
                ),
                true,
            ),
        };
        return PairVerdict {
            significant,
            leader,
            side,
            lead_points: (pts(lo), pts(hi)),
            disagrees,
            short_of: None,
            text,
        };
    }
    let disagrees = side != IntervalSide::IncludesZero;
    let mut text = format!(
        "no significant difference between {} and {} on {} tickets ({} − {} = {:+.1} points [{:.1}, {:.1}], {})",
        v.a,
        v.b,
        fmt_count(v.n),
        v.b,
        v.a,
        pts(v.diff),
        pts(v.lo),
        pts(v.hi),
        fmt_p(v.p_holm)
    );
    if disagrees {
        text.push_str(&format!(
            ", though the {level} bootstrap interval excludes 0 (McNemar with Holm decides)"
        ));
    }
    let short_of = power_shortfall(false, v.n, v.required_n);
    let mde = fmt_level(v.mde_points);
    match short_of {
        Some(r) => text.push_str(&format!(
            "; detecting a {mde}-point difference would need about {} tickets",
            fmt_count(r)
        )),
        None => text.push_str(&format!(
            "; {} tickets are enough to detect a {mde}-point difference (about {} needed)",
            fmt_count(v.n),
            fmt_count(v.required_n)
        )),
    }
    PairVerdict {
        significant,
        leader,
        side,
        lead_points: (pts(lo), pts(hi)),
        disagrees,
        short_of,
        text,
    }
}

/// 2 for 2.0, 1.5 for 1.5: no trailing ".0".
fn fmt_level(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The verdict of one pair of a comparison (see [`pair_verdict`]).
pub fn verdict_of(pc: &PairComparison, alpha: f64, mde_points: f64) -> PairVerdict {
    pair_verdict(&VerdictInput {
        a: &pc.a,
        b: &pc.b,
        n: pc.table.n(),
        diff: pc.diff.estimate,
        lo: pc.diff.lo,
        hi: pc.diff.hi,
        level: pc.diff.level,
        p_holm: pc.p_holm,
        alpha,
        required_n: pc.required_n,
        mde_points,
    })
}
