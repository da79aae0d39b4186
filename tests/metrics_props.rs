//! Property tests of invariants that hold for every input.

use proptest::prelude::*;
use verdict::metrics::*;
use verdict::stats::*;

fn labels(k: u32, n: usize) -> impl Strategy<Value = (Vec<u32>, Vec<u32>)> {
    (
        prop::collection::vec(0..k, n),
        prop::collection::vec(0..k, n),
    )
}

proptest! {
    #[test]
    fn micro_f1_equals_accuracy_without_invalid(
        k in 1u32..7,
        (gold, pred) in (1usize..200).prop_flat_map(|n| labels(6, n)),
    ) {
        let gold: Vec<u32> = gold.iter().map(|g| g % k).collect();
        let pred: Vec<Option<u32>> = pred.iter().map(|p| Some(p % k)).collect();
        let r = single_label(&gold, &pred, k as usize).unwrap();
        prop_assert!((r.micro_avg.f1 - r.accuracy).abs() < 1e-12);
        prop_assert!((r.micro_avg.precision - r.accuracy).abs() < 1e-12);
    }

    #[test]
    fn kappa_of_identical_vectors_is_one(gold in prop::collection::vec(0u32..5, 2..200)) {
        let pred: Vec<Option<u32>> = gold.iter().map(|&g| Some(g)).collect();
        let r = single_label(&gold, &pred, 5).unwrap();
        let distinct = gold.iter().collect::<std::collections::BTreeSet<_>>().len();
        if distinct > 1 {
            prop_assert!((r.kappa.unwrap() - 1.0).abs() < 1e-12);
        } else {
            prop_assert_eq!(r.kappa, None);
        }
    }

    #[test]
    fn ece_in_unit_interval_and_mce_at_least_ece(
        data in prop::collection::vec((prop::option::of(0.0f64..=1.0), any::<bool>()), 1..300),
        bins in 1usize..20,
    ) {
        let conf: Vec<Option<f64>> = data.iter().map(|d| d.0).collect();
        let correct: Vec<bool> = data.iter().map(|d| d.1).collect();
        if let Some(r) = calibration(&conf, &correct, bins) {
            prop_assert!((0.0..=1.0).contains(&r.ece));
            prop_assert!((0.0..=1.0).contains(&r.ece_equal_mass));
            prop_assert!(r.mce >= r.ece - 1e-12);
            prop_assert_eq!(r.reliability.iter().map(|b| b.count).sum::<u64>(), r.n_scored);
            prop_assert_eq!(r.equal_mass.iter().map(|b| b.count).sum::<u64>(), r.n_scored);
        } else {
            prop_assert!(conf.iter().all(|c| c.is_none()));
        }
    }

    #[test]
    fn mcnemar_symmetric(b in 0u64..5000, c in 0u64..5000) {
        let x = mcnemar_exact(b, c);
        let y = mcnemar_exact(c, b);
        prop_assert_eq!(x.p_value, y.p_value);
        prop_assert!((0.0..=1.0).contains(&x.p_value));
    }

    #[test]
    fn bootstrap_interval_ordered_and_reproducible(
        n in 1u64..100_000,
        frac in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let correct = (n as f64 * frac).round() as u64;
        let cfg = BootstrapConfig { resamples: 200, level: 0.95, seed };
        let a = bootstrap_accuracy(correct, n, &cfg, 0).unwrap();
        let b = bootstrap_accuracy(correct, n, &cfg, 0).unwrap();
        prop_assert!(a.lo <= a.hi);
        prop_assert!(0.0 <= a.lo && a.hi <= 1.0);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn macro_f1_and_paired_intervals_ordered_and_reproducible(
        (gold, pred) in (1usize..300).prop_flat_map(|n| labels(4, n)),
        inval in prop::collection::vec(any::<bool>(), 300),
        seed in any::<u64>(),
    ) {
        let pred: Vec<Option<u32>> = pred.iter().zip(&inval).map(|(&p, &i)| (!i).then_some(p)).collect();
        let cm = ConfusionMatrix::from_labels(&gold, &pred[..gold.len()], 4);
        let cfg = BootstrapConfig { resamples: 100, level: 0.9, seed };
        let x = bootstrap_macro_f1(&cm, &cfg, 1).unwrap();
        prop_assert!(x.lo <= x.hi && 0.0 <= x.lo && x.hi <= 1.0);
        prop_assert_eq!(&x, &bootstrap_macro_f1(&cm, &cfg, 1).unwrap());
        let a: Vec<bool> = gold.iter().zip(&pred).map(|(g, p)| *p == Some(*g)).collect();
        let b: Vec<bool> = a.iter().zip(&inval).map(|(&x, &i)| x ^ i).collect();
        let t = PairedTable::from_correct(&a, &b);
        let d = bootstrap_paired_diff(&t, &cfg, 2).unwrap();
        prop_assert!(d.lo <= d.hi && -1.0 <= d.lo && d.hi <= 1.0);
        prop_assert_eq!(&d, &bootstrap_paired_diff(&t, &cfg, 2).unwrap());
    }

    #[test]
    fn holm_adjusted_at_least_raw_and_monotone(p in prop::collection::vec(0.0f64..=1.0, 1..20)) {
        let (adj, _) = holm(&p, 0.05);
        for (a, r) in adj.iter().zip(&p) {
            prop_assert!(*a >= *r && *a <= 1.0);
        }
        // Order-preserving: a smaller raw p never gets a larger adjusted p.
        for i in 0..p.len() {
            for j in 0..p.len() {
                if p[i] < p[j] {
                    prop_assert!(adj[i] <= adj[j]);
                }
            }
        }
    }

    #[test]
    fn routing_bands_partition_tickets(
        data in prop::collection::vec((prop::option::of(0.0f64..=1.0), any::<bool>()), 1..300),
    ) {
        let conf: Vec<Option<f64>> = data.iter().map(|d| d.0).collect();
        let correct: Vec<bool> = data.iter().map(|d| d.1).collect();
        let r = routing(&conf, &correct, &RoutingPolicy::default()).unwrap();
        prop_assert_eq!(r.auto.count + r.clarify.count + r.escalate.count, r.n);
        if let Some(aurc) = r.aurc {
            prop_assert!((0.0..=1.0).contains(&aurc));
        }
        for w in r.risk_coverage.windows(2) {
            prop_assert!(w[0].threshold > w[1].threshold && w[0].coverage < w[1].coverage);
        }
    }
}
