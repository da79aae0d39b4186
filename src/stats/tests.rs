//! Tests of the bootstraps' resampling schemes.

use super::*;

/// A K-class confusion matrix with `scale` times a fixed pattern of counts.
fn matrix(k: usize, scale: u64) -> ConfusionMatrix {
    let mut cm = ConfusionMatrix::zeros(k);
    let w = k + 1;
    for g in 0..k {
        for p in 0..w {
            let n = if p == g {
                90
            } else {
                ((g * 7 + p * 3) % 5) as u64
            };
            cm.counts[g * w + p] = n * scale;
        }
    }
    cm
}

#[test]
fn macro_f1_intervals_shrink_as_one_over_root_n_across_the_poisson_threshold() {
    let cfg = BootstrapConfig {
        resamples: 2000,
        level: 0.95,
        seed: 5,
    };
    let small = matrix(40, 1);
    let big = matrix(40, 4);
    assert!(small.n() <= POISSON_ABOVE && big.n() > POISSON_ABOVE);
    let a = bootstrap_macro_f1(&small, &cfg, 1).unwrap();
    let b = bootstrap_macro_f1(&big, &cfg, 1).unwrap();
    // Same shares, 4x the items: the same estimate and half the width.
    assert!((a.estimate - b.estimate).abs() < 1e-12);
    assert!(b.lo < b.estimate && b.estimate < b.hi);
    let ratio = (b.hi - b.lo) / (a.hi - a.lo);
    assert!((ratio - 0.5).abs() < 0.06, "width ratio {ratio}");
    // Seeded: the same interval again.
    assert_eq!(bootstrap_macro_f1(&big, &cfg, 1).unwrap(), b);
}

/// The macro F1 bootstrap resamples only the non-zero cells; it draws exactly what one over
/// all K x (K+1) cells draws (empty cells take nothing from the stream in either scheme), on
/// both sides of the Poisson threshold.
#[test]
fn macro_f1_bootstrap_over_the_non_zero_cells_equals_the_one_over_every_cell() {
    let cfg = BootstrapConfig {
        resamples: 300,
        level: 0.95,
        seed: 9,
    };
    for scale in [1u64, 4] {
        let cm = matrix(40, scale);
        assert!(cm.counts.iter().filter(|&&n| n == 0).count() > 100);
        let n = cm.n();
        let mut rng = rng_for(cfg.seed, 3);
        let mut out = vec![0u64; cm.counts.len()];
        let dense = |out: &[u64]| {
            ConfusionMatrix {
                k: cm.k,
                counts: out.to_vec(),
            }
            .macro_f1()
            .unwrap_or(0.0)
        };
        let draws: Vec<f64> = if n > POISSON_ABOVE {
            let plan = PoissonPlan::new(&cm.counts);
            (0..cfg.resamples)
                .map(|_| {
                    plan.draw(&mut rng, &mut out);
                    dense(&out)
                })
                .collect()
        } else {
            (0..cfg.resamples)
                .map(|_| {
                    multinomial(&mut rng, n, &cm.counts, &mut out);
                    dense(&out)
                })
                .collect()
        };
        let want = interval(cm.macro_f1().unwrap(), draws, &cfg);
        assert_eq!(bootstrap_macro_f1(&cm, &cfg, 3).unwrap(), want, "{n} items");
    }
}
