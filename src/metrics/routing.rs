//! Confidence-based routing policy and selective-prediction curves.
//!
//! Responsible for splitting tickets into three bands by stated confidence
//! (auto-route, ask a clarifying question, escalate to a human), the
//! accuracy and misroutes within them, the risk-coverage curve over every
//! distinct confidence threshold, the area under it (AURC) and the lowest
//! threshold that meets a target accuracy. None of these is defined by a
//! library; the definitions are in `docs/metrics.md` and are reproduced with
//! plain numpy in `scripts/reference_metrics.py`.

use serde::{Deserialize, Serialize};

use super::ratio;

/// Thresholds of the routing policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingPolicy {
    /// conf >= route_at: auto-route (default 0.9).
    pub route_at: f64,
    /// clarify_at <= conf < route_at: clarify (default 0.7); below, or no
    /// confidence: escalate to a human.
    pub clarify_at: f64,
    /// Accuracy the auto-routed set must reach for `target` (default 0.98).
    pub target_accuracy: f64,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        Self {
            route_at: 0.9,
            clarify_at: 0.7,
            target_accuracy: 0.98,
        }
    }
}

/// Tickets in one routing band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Tickets in the band.
    pub count: u64,
    /// count / all tickets.
    pub share: f64,
    /// Share correct in the band; `None` when empty.
    pub accuracy: Option<f64>,
}

/// One point of the risk-coverage curve: auto-route when conf >= threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskCoveragePoint {
    /// A distinct confidence value.
    pub threshold: f64,
    /// Tickets with conf >= threshold.
    pub count: u64,
    /// count / all tickets (tickets without confidence are never covered).
    pub coverage: f64,
    /// Error rate among them.
    pub risk: f64,
}

/// The lowest threshold whose auto-routed set meets the target accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetThreshold {
    /// Target accuracy asked for.
    pub target_accuracy: f64,
    /// Lowest distinct confidence t with accuracy(conf >= t) >= target.
    pub threshold: f64,
    /// Tickets auto-routed at that threshold.
    pub count: u64,
    /// count / all tickets.
    pub coverage: f64,
    /// Accuracy among them.
    pub accuracy: f64,
}

/// Routing outcome of one variant under one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingReport {
    /// All tickets.
    pub n: u64,
    /// Tickets with a confidence.
    pub n_scored: u64,
    /// The policy used.
    pub policy: RoutingPolicy,
    /// conf >= route_at.
    pub auto: Band,
    /// clarify_at <= conf < route_at.
    pub clarify: Band,
    /// conf < clarify_at or no confidence.
    pub escalate: Band,
    /// Wrong among auto-routed.
    pub misroutes: u64,
    /// misroutes / auto-routed; `None` when nothing is auto-routed.
    pub misroute_rate: Option<f64>,
    /// Share escalated to a human (= `escalate.share`).
    pub human_workload_share: f64,
    /// One point per distinct confidence, threshold descending.
    pub risk_coverage: Vec<RiskCoveragePoint>,
    /// Area under the risk-coverage curve; `None` without confidences.
    pub aurc: Option<f64>,
    /// Lowest threshold meeting `policy.target_accuracy`, if any.
    pub target: Option<TargetThreshold>,
}

/// Routing metrics; `None` for empty input.
///
/// AURC: sort the m tickets that have a confidence by confidence
/// descending; for each prefix size i = 1..m the selective risk is the
/// error rate of the first i tickets, except that every ticket of a group of
/// tied confidences gets the risk of the prefix ending at its whole group
/// (so the value does not depend on the order of ties); AURC is the mean of
/// these m risks.
///
/// # Panics
/// If lengths differ or a confidence is NaN.
pub fn routing(
    conf: &[Option<f64>],
    correct: &[bool],
    policy: &RoutingPolicy,
) -> Option<RoutingReport> {
    routing_sorted(
        conf,
        correct,
        policy,
        &super::calibration::sorted_scores(conf, correct),
    )
}

/// [`routing`] with `sorted`, the [`sorted_scores`](super::calibration::sorted_scores) of
/// `conf` and `correct` (ascending; walked from its end, highest confidence first).
///
/// # Panics
/// As [`routing`]; debug builds also check that `sorted` holds as many pairs as `conf` has
/// confidences.
pub(crate) fn routing_sorted(
    conf: &[Option<f64>],
    correct: &[bool],
    policy: &RoutingPolicy,
    sorted: &[(f64, bool)],
) -> Option<RoutingReport> {
    assert_eq!(
        conf.len(),
        correct.len(),
        "conf and correct differ in length"
    );
    let n = conf.len() as u64;
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let mut counts = [[0u64; 2]; 3]; // band x [count, correct]
    let mut n_scored = 0usize;
    for (&c, &ok) in conf.iter().zip(correct) {
        let band = match c {
            Some(p) => {
                assert!(!p.is_nan(), "confidence is NaN");
                n_scored += 1;
                if p >= policy.route_at {
                    0
                } else if p >= policy.clarify_at {
                    1
                } else {
                    2
                }
            }
            None => 2,
        };
        counts[band][0] += 1;
        counts[band][1] += ok as u64;
    }
    let band = |b: usize| Band {
        count: counts[b][0],
        share: counts[b][0] as f64 / nf,
        accuracy: ratio(counts[b][1], counts[b][0]),
    };
    let (auto, clarify, escalate) = (band(0), band(1), band(2));
    let misroutes = counts[0][0] - counts[0][1];

    // Highest confidence first: `sorted` from its end; within equal confidences the order
    // does not matter (each run of equal ones is walked as one step below).
    debug_assert_eq!(n_scored, sorted.len(), "sorted is not the scores of conf");
    let m = sorted.len();
    let scored = |k: usize| sorted[m - 1 - k];
    let mut risk_coverage = Vec::new();
    let mut target = None;
    let mut aurc_sum = 0.0;
    let (mut i, mut errors) = (0usize, 0u64);
    while i < m {
        let t = scored(i).0;
        let mut j = i;
        while j < m && scored(j).0 == t {
            errors += (!scored(j).1) as u64;
            j += 1;
        }
        let count = j as u64;
        let risk = errors as f64 / count as f64;
        aurc_sum += (j - i) as f64 * risk;
        let coverage = count as f64 / nf;
        let accuracy = (count - errors) as f64 / count as f64;
        if accuracy >= policy.target_accuracy {
            target = Some(TargetThreshold {
                target_accuracy: policy.target_accuracy,
                threshold: t,
                count,
                coverage,
                accuracy,
            });
        }
        risk_coverage.push(RiskCoveragePoint {
            threshold: t,
            count,
            coverage,
            risk,
        });
        i = j;
    }
    Some(RoutingReport {
        n,
        n_scored: m as u64,
        policy: policy.clone(),
        human_workload_share: escalate.share,
        auto,
        clarify,
        escalate,
        misroutes,
        misroute_rate: ratio(misroutes, counts[0][0]),
        risk_coverage,
        aurc: if m == 0 {
            None
        } else {
            Some(aurc_sum / m as f64)
        },
        target,
    })
}
