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

// ---- The significance sentence (issue 12 item 3) ----

/// The numbers in the first `[lo, hi]` of a sentence.
fn first_interval(text: &str) -> (f64, f64) {
    let open = text.find('[').expect("an interval");
    let close = open + text[open..].find(']').expect("a closing bracket");
    let mut parts = text[open + 1..close].split(", ");
    let lo = parts.next().unwrap().parse().unwrap();
    let hi = parts.next().unwrap().parse().unwrap();
    (lo, hi)
}

/// The ticket count after "would need about ", if the sentence has one.
fn needed(text: &str) -> Option<u64> {
    let rest = text.split("would need about ").nth(1)?;
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    Some(digits.parse().unwrap())
}

/// Checks every promise of a sentence against the numbers it was made from.
fn check_sentence(
    v: &PairVerdict,
    input: &VerdictInput<'_>,
    holm_reject: bool,
) -> Result<(), TestCaseError> {
    let text = &v.text;
    // McNemar with Holm decides, and the sentence says what it decided.
    prop_assert_eq!(v.significant, holm_reject, "{}", text);
    prop_assert_eq!(text.contains(" beats "), v.significant, "{}", text);
    prop_assert_eq!(
        text.starts_with("no significant difference"),
        !v.significant,
        "{}",
        text
    );
    let (lo, hi) = first_interval(text);
    if v.significant {
        // The winner is the one with the higher accuracy.
        let winner = if input.diff > 0.0 { input.b } else { input.a };
        prop_assert!(text.starts_with(&format!("{winner} beats ")), "{}", text);
        // The interval shown is winner − loser; unless the sentence says otherwise, it
        // lies above 0, and one entirely below 0 is always called out.
        if hi < 0.0 {
            prop_assert!(text.contains("lies below 0"), "{}", text);
        }
        if lo < 0.0 || hi < 0.0 {
            prop_assert!(text.contains("though the"), "{}", text);
        }
        if !text.contains("though the") {
            prop_assert!(lo >= 0.0 && input.lo * input.hi > 0.0, "{}", text);
        }
        // A detected difference never comes with "more tickets needed".
        prop_assert_eq!(v.short_of, None);
        prop_assert!(!text.contains("would need"), "{}", text);
    } else {
        // The interval shown is B − A; one that excludes 0 is always called out.
        if input.lo > 0.0 || input.hi < 0.0 {
            prop_assert!(text.contains("excludes 0"), "{}", text);
        } else {
            prop_assert!(!text.contains("excludes 0"), "{}", text);
        }
        prop_assert!(lo <= hi + 1e-9, "{}", text);
    }
    // The power note never asks for fewer tickets than it says are missing.
    if let Some(r) = needed(text) {
        prop_assert!(r > input.n, "{}", text);
        prop_assert_eq!(v.short_of, Some(r));
    }
    if let Some(r) = v.short_of {
        prop_assert!(!v.significant && r > input.n);
    }
    Ok(())
}

fn table_strategy() -> impl Strategy<Value = PairedTable> {
    // n from 1 to a few thousand; discordant cells small or large.
    (1u64..3000, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0).prop_map(|(n, disc, share_b, right)| {
        let d = ((n as f64) * disc * disc).round() as u64;
        let b_only = ((d as f64) * share_b).round() as u64;
        let a_only = d - b_only;
        let rest = n - d;
        let both_correct = ((rest as f64) * right).round() as u64;
        PairedTable {
            both_correct,
            a_only,
            b_only,
            both_wrong: rest - both_correct,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Real tables, real bootstrap intervals (few resamples, so they often disagree with
    /// the test), Holm over this pair and up to three others.
    #[test]
    fn significance_sentence_never_contradicts_its_numbers(
        t in table_strategy(),
        resamples in 20usize..400,
        seed in any::<u64>(),
        others in prop::collection::vec(0.0f64..0.2, 0..3),
    ) {
        let n = t.n();
        let cfg = CompareConfig {
            bootstrap: BootstrapConfig { resamples, level: 0.95, seed },
            ..CompareConfig::default()
        };
        let diff = bootstrap_paired_diff(&t, &cfg.bootstrap, 7).unwrap();
        let m = mcnemar_exact(t.a_only, t.b_only);
        let mut ps = vec![m.p_value];
        ps.extend(&others);
        let (adjusted, reject) = holm(&ps, cfg.alpha);
        let psi = (t.a_only + t.b_only) as f64 / n as f64;
        let required_n =
            mcnemar_sample_size(psi, cfg.mde_points / 100.0, cfg.alpha, cfg.power).ceil() as u64;
        let input = VerdictInput {
            a: "A",
            b: "B",
            n,
            diff: diff.estimate,
            lo: diff.lo,
            hi: diff.hi,
            level: 0.95,
            p_holm: adjusted[0],
            alpha: cfg.alpha,
            required_n,
            mde_points: cfg.mde_points,
        };
        let v = pair_verdict(&input);
        check_sentence(&v, &input, reject[0])?;
    }

    /// Any interval at all (the function must stay honest even for intervals a bootstrap
    /// would rarely give) and any p-value.
    #[test]
    fn significance_sentence_is_honest_for_any_interval(
        t in table_strategy(),
        a in -0.2f64..0.2,
        b in -0.2f64..0.2,
        p_holm in 0.0f64..1.0,
        required_n in 0u64..10_000,
    ) {
        let input = VerdictInput {
            a: "A",
            b: "B",
            n: t.n(),
            diff: t.diff().unwrap(),
            lo: a.min(b),
            hi: a.max(b),
            level: 0.95,
            p_holm,
            alpha: 0.05,
            required_n,
            mde_points: 2.0,
        };
        let v = pair_verdict(&input);
        let reject = p_holm <= 0.05 && t.a_only != t.b_only;
        check_sentence(&v, &input, reject)?;
    }

    /// Through `compare_variants`: the stored flag, the stored sentence and Holm's decision
    /// are one decision.
    #[test]
    fn compared_pairs_store_the_holm_decision(
        t in table_strategy(),
        extra in prop::collection::vec(any::<bool>(), 3000),
    ) {
        let n = t.n() as usize;
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for (cell, x, y) in [
            (t.both_correct, true, true),
            (t.a_only, true, false),
            (t.b_only, false, true),
            (t.both_wrong, false, false),
        ] {
            a.extend(std::iter::repeat_n(x, cell as usize));
            b.extend(std::iter::repeat_n(y, cell as usize));
        }
        let c = &extra[..n];
        let vs = [
            VariantInput { name: "A", correct: &a, confusion: None },
            VariantInput { name: "B", correct: &b, confusion: None },
            VariantInput { name: "C", correct: c, confusion: None },
        ];
        let cfg = CompareConfig {
            bootstrap: BootstrapConfig { resamples: 100, ..BootstrapConfig::default() },
            ..CompareConfig::default()
        };
        let r = compare_variants(&vs, &cfg).unwrap();
        let raw: Vec<f64> = r.pairs.iter().map(|p| p.mcnemar.p_value).collect();
        let (_, reject) = holm(&raw, cfg.alpha);
        for (p, rej) in r.pairs.iter().zip(reject) {
            let v = verdict_of(p, cfg.alpha, cfg.mde_points);
            prop_assert_eq!(p.significant, rej);
            prop_assert_eq!(&p.verdict, &v.text);
            let input = VerdictInput {
                a: &p.a,
                b: &p.b,
                n: n as u64,
                diff: p.diff.estimate,
                lo: p.diff.lo,
                hi: p.diff.hi,
                level: p.diff.level,
                p_holm: p.p_holm,
                alpha: cfg.alpha,
                required_n: p.required_n,
                mde_points: cfg.mde_points,
            };
            check_sentence(&v, &input, rej)?;
        }
    }
}

/// A two-variant comparison of one table with the default settings.
fn compare_table(t: PairedTable) -> PairComparison {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (cell, x, y) in [
        (t.both_correct, true, true),
        (t.a_only, true, false),
        (t.b_only, false, true),
        (t.both_wrong, false, false),
    ] {
        a.extend(std::iter::repeat_n(x, cell as usize));
        b.extend(std::iter::repeat_n(y, cell as usize));
    }
    let vs = [
        VariantInput {
            name: "A",
            correct: &a,
            confusion: None,
        },
        VariantInput {
            name: "B",
            correct: &b,
            confusion: None,
        },
    ];
    compare_variants(&vs, &CompareConfig::default())
        .unwrap()
        .pairs
        .remove(0)
}

#[test]
fn bootstrap_excludes_zero_but_mcnemar_is_not_significant() {
    // b = 0, c = 5: McNemar p = 2 / 32 = 0.0625; the bootstrap's c' is about Poisson(5),
    // whose 2.5% quantile is 1, so the interval lies above 0.
    let p = compare_table(PairedTable {
        both_correct: 150,
        a_only: 0,
        b_only: 5,
        both_wrong: 45,
    });
    assert!((p.mcnemar.p_value - 0.0625).abs() < 1e-12);
    assert!(!p.significant);
    assert!(p.diff.lo > 0.0, "{:?}", p.diff);
    assert!(p
        .verdict
        .starts_with("no significant difference between A and B on 200 tickets"));
    assert!(
        p.verdict
            .contains("though the 95% bootstrap interval excludes 0"),
        "{}",
        p.verdict
    );
}

#[test]
fn significant_with_a_bootstrap_interval_including_zero_says_so() {
    // b = 0, c = 7 on 1,000 tickets: p = 2 / 128 = 0.0156, significant; a bootstrap
    // interval [-0.1, 2.0] points disagrees and the sentence says so.
    let t = PairedTable {
        both_correct: 900,
        a_only: 0,
        b_only: 7,
        both_wrong: 93,
    };
    let m = mcnemar_exact(t.a_only, t.b_only);
    let v = pair_verdict(&VerdictInput {
        a: "A",
        b: "B",
        n: t.n(),
        diff: t.diff().unwrap(),
        lo: -0.001,
        hi: 0.02,
        level: 0.95,
        p_holm: m.p_value,
        alpha: 0.05,
        required_n: 5000,
        mde_points: 2.0,
    });
    assert!(v.significant && v.disagrees);
    assert_eq!(
        v.text,
        "B beats A by +0.7 points, significant by McNemar (Holm p = 0.016), though the 95% bootstrap interval [-0.1, 2.0] includes 0"
    );
    assert_eq!(v.short_of, None);
    // A wins the mirrored table: the interval shown is A − B.
    let v = pair_verdict(&VerdictInput {
        a: "A",
        b: "B",
        n: t.n(),
        diff: -t.diff().unwrap(),
        lo: -0.02,
        hi: 0.001,
        level: 0.95,
        p_holm: m.p_value,
        alpha: 0.05,
        required_n: 5000,
        mde_points: 2.0,
    });
    assert!(
        v.text
            .starts_with("A beats B by +0.7 points, significant by McNemar"),
        "{}",
        v.text
    );
    assert!(v.text.contains("[-0.1, 2.0] includes 0"), "{}", v.text);
}

#[test]
fn holm_can_overrule_a_significant_raw_p() {
    // Raw p = 0.0313 (b = 0, c = 6) but with two more pairs Holm gives 0.0938.
    let m = mcnemar_exact(0, 6);
    let (adj, reject) = holm(&[m.p_value, 0.5, 0.9], 0.05);
    assert!(m.p_value < 0.05 && !reject[0]);
    let v = pair_verdict(&VerdictInput {
        a: "A",
        b: "B",
        n: 200,
        diff: 0.03,
        lo: 0.01,
        hi: 0.05,
        level: 0.95,
        p_holm: adj[0],
        alpha: 0.05,
        required_n: 900,
        mde_points: 2.0,
    });
    assert!(!v.significant);
    assert!(
        v.text
            .contains("p = 0.094), though the 95% bootstrap interval excludes 0"),
        "{}",
        v.text
    );
    assert!(v
        .text
        .ends_with("; detecting a 2-point difference would need about 900 tickets"));
}

#[test]
fn a_detected_difference_never_asks_for_more_tickets() {
    // b = 0, c = 12 on 100 tickets: significant, yet Connor's n for 2 points is ~2,350.
    let p = compare_table(PairedTable {
        both_correct: 80,
        a_only: 0,
        b_only: 12,
        both_wrong: 8,
    });
    assert!(p.significant);
    assert!(p.required_n > 100);
    assert!(
        p.verdict.starts_with("B beats A by +12.0 points ["),
        "{}",
        p.verdict
    );
    assert!(!p.verdict.contains("need"), "{}", p.verdict);
    assert_eq!(power_shortfall(true, 100, p.required_n), None);
    assert_eq!(
        power_shortfall(false, 100, p.required_n),
        Some(p.required_n)
    );
    assert_eq!(power_shortfall(false, 5000, p.required_n), None);
}
