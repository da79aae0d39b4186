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
