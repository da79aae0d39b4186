//! Binary linear models trained by dual coordinate descent, after liblinear
//! (Hsieh et al. 2008, "A Dual Coordinate Descent Method for Large-scale Linear SVM";
//! Yu, Huang and Lin 2011, "Dual coordinate descent methods for logistic regression").
//! A constant feature of value 1 is appended to each row so the bias is learned (and
//! regularised) like liblinear's with `intercept_scaling = 1`. Coordinates are visited
//! in an order drawn from a seeded ChaCha generator, so results are reproducible.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::tfidf::Csr;

/// A trained binary linear model: `score(x) = w·x + bias`.
#[derive(Debug, Clone)]
pub(crate) struct Binary {
    pub w: Vec<f64>,
    pub bias: f64,
    /// The dual variable of each training row (for logistic regression, the one of
    /// each pair that multiplies `y[i] * x[i]`), kept for warm starts.
    pub alpha: Vec<f64>,
}

/// A column index as stored by [`Rows`]: `u16` when every column fits (Banking77's 43,948
/// features do), else `u32`.
pub(crate) trait ColIndex: Copy + Send + Sync {
    fn at(self) -> usize;
}

impl ColIndex for u16 {
    #[inline(always)]
    fn at(self) -> usize {
        usize::from(self)
    }
}

impl ColIndex for u32 {
    #[inline(always)]
    fn at(self) -> usize {
        self as usize
    }
}

/// The rows of a [`Csr`] as the solvers read them, with every column index checked once
/// to be below `n_cols`, so the inner loops index the weights without bounds checks.
///
/// The solvers spend most of their time streaming rows (about 1.3 billion multiply-adds
/// for the default preset on Banking77, more data than a core's caches hold), so a
/// non-zero is read as a `u16` index when every column fits and an `f32` value: 6 bytes,
/// not the 10 of a `u16` and an `f64` (or 12 with a `u32`). The weights, the dual variables and every sum stay `f64`; a TF-IDF value (in
/// (0, 1], from an L2-normalised row) rounded to `f32` moves by at most 2^-24 of itself,
/// which moved the confidences of the shipped Banking77 variants by under 1e-7 and no
/// prediction (measured 2026-11-27).
pub(crate) struct Rows<'a, I> {
    indptr: &'a [usize],
    indices: &'a [I],
    data: &'a [f32],
    n_cols: usize,
    /// `|x_i|^2 + 1` per row (the 1 is the bias feature), computed once for all classes.
    sq_norms: Vec<f64>,
}

impl<'a, I: ColIndex> Rows<'a, I> {
    /// Panics if a column index is `>= n_cols` or the arrays disagree in length.
    pub fn new(indptr: &'a [usize], indices: &'a [I], data: &'a [f32], n_cols: usize) -> Self {
        assert!(indices.len() == data.len() && indptr.last() == Some(&indices.len()));
        assert!(indptr.windows(2).all(|w| w[0] <= w[1]));
        assert!(indices.iter().all(|j| j.at() < n_cols));
        let mut rows = Rows {
            indptr,
            indices,
            data,
            n_cols,
            sq_norms: Vec::new(),
        };
        rows.sq_norms = (0..rows.n_rows())
            .map(|i| {
                rows.row(i)
                    .1
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    + 1.0
            })
            .collect();
        rows
    }

    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    #[inline]
    fn row(&self, i: usize) -> (&'a [I], &'a [f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }
}

/// Runs `f` on the rows of `x` (values as `f32`), with `u16` column indices when they fit.
pub(crate) fn with_rows<T>(x: &Csr, f: impl FnOnce(&dyn Fit) -> T) -> T {
    let data: Vec<f32> = x.data.iter().map(|&v| v as f32).collect();
    if x.n_cols <= usize::from(u16::MAX) + 1 {
        let narrow: Vec<u16> = x.indices.iter().map(|&j| j as u16).collect();
        f(&Rows::new(&x.indptr, &narrow, &data, x.n_cols))
    } else {
        f(&Rows::new(&x.indptr, &x.indices, &data, x.n_cols))
    }
}

/// The binary solvers over some [`Rows`], whatever their index width.
pub(crate) trait Fit: Sync {
    /// See [`train_l2svm`].
    fn l2svm(
        &self,
        y: &[f64],
        c: f64,
        eps: f64,
        max_iter: usize,
        seed: u64,
        init: Option<&[f64]>,
    ) -> Binary;
    /// See [`train_logistic`].
    fn logistic(
        &self,
        y: &[f64],
        c: f64,
        eps: f64,
        max_iter: usize,
        seed: u64,
        init: Option<&[f64]>,
    ) -> Binary;
}

impl<I: ColIndex> Fit for Rows<'_, I> {
    fn l2svm(
        &self,
        y: &[f64],
        c: f64,
        eps: f64,
        max_iter: usize,
        seed: u64,
        init: Option<&[f64]>,
    ) -> Binary {
        train_l2svm(self, y, c, eps, max_iter, seed, init)
    }

    fn logistic(
        &self,
        y: &[f64],
        c: f64,
        eps: f64,
        max_iter: usize,
        seed: u64,
        init: Option<&[f64]>,
    ) -> Binary {
        train_logistic(self, y, c, eps, max_iter, seed, init)
    }
}

/// `w·x` for a sparse row, with four independent partial sums so additions overlap
/// (the summation order is fixed, so the result is still deterministic). `w` must have
/// `n_cols` entries, as [`Rows`] checked every index against.
#[inline]
fn dot<I: ColIndex>(w: &[f64], idx: &[I], val: &[f32]) -> f64 {
    let n = idx.len().min(val.len());
    let mut acc = [0.0f64; 4];
    let mut k = 0;
    // SAFETY: `k + 3 < n` bounds `idx` and `val`; every index is below the `n_cols` that
    // `Rows::new` checked, and the callers size `w` to `n_cols`.
    unsafe {
        let at = |k: usize| {
            *w.get_unchecked(idx.get_unchecked(k).at()) * f64::from(*val.get_unchecked(k))
        };
        while k + 4 <= n {
            acc[0] += at(k);
            acc[1] += at(k + 1);
            acc[2] += at(k + 2);
            acc[3] += at(k + 3);
            k += 4;
        }
        while k < n {
            acc[0] += at(k);
            k += 1;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// `w += a * x` for a sparse row; `w` as in [`dot`].
#[inline]
fn axpy<I: ColIndex>(a: f64, idx: &[I], val: &[f32], w: &mut [f64]) {
    for (&j, &v) in idx.iter().zip(val) {
        // SAFETY: as in `dot`.
        unsafe { *w.get_unchecked_mut(j.at()) += a * f64::from(v) };
    }
}

/// L2-regularised L2-loss SVM (squared hinge) in the dual, with shrinking
/// (liblinear solver 1, `-s 1`). `y[i]` is +1 or -1. Stops when the projected-gradient
/// spread is below `eps` or after `max_iter` passes. `init`, if given, is a starting
/// point for the dual variables (one per row, clamped to be non-negative): a warm start
/// from a model fitted on a subset of the rows.
fn train_l2svm<I: ColIndex>(
    x: &Rows<I>,
    y: &[f64],
    c: f64,
    eps: f64,
    max_iter: usize,
    seed: u64,
    init: Option<&[f64]>,
) -> Binary {
    let l = x.n_rows();
    let diag = 0.5 / c;
    let qd: Vec<f64> = x.sq_norms.iter().map(|q| q + diag).collect();
    let mut w = vec![0.0; x.n_cols];
    let mut bias = 0.0;
    let mut alpha = vec![0.0; l];
    if let Some(init) = init.filter(|a| a.len() == l) {
        for i in 0..l {
            let a = init[i].max(0.0);
            if a > 0.0 {
                alpha[i] = a;
                let (idx, val) = x.row(i);
                axpy(a * y[i], idx, val, &mut w);
                bias += a * y[i];
            }
        }
    }
    let mut index: Vec<usize> = (0..l).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut active = l;
    let mut pg_max_old = f64::INFINITY;
    let mut iter = 0;
    while iter < max_iter {
        let (mut pg_max_new, mut pg_min_new) = (f64::NEG_INFINITY, f64::INFINITY);
        index[..active].shuffle(&mut rng);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let yi = y[i];
            let (idx, val) = x.row(i);
            let g = yi * (dot(&w, idx, val) + bias) - 1.0 + alpha[i] * diag;
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max_new = pg_max_new.max(pg);
            pg_min_new = pg_min_new.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * yi;
                axpy(d, idx, val, &mut w);
                bias += d;
            }
            s += 1;
        }
        iter += 1;
        if pg_max_new - pg_min_new <= eps {
            if active == l {
                break;
            }
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max_new <= 0.0 {
            f64::INFINITY
        } else {
            pg_max_new
        };
    }
    Binary { w, bias, alpha }
}

/// L2-regularised logistic regression in the dual (liblinear solver 7, `-s 7`).
/// `y[i]` is +1 or -1. Stops when the largest gradient is below `eps` or after
/// `max_iter` passes. `init`, if given, warm-starts the dual variables (one per row,
/// clamped into the open interval `(0, c)`).
fn train_logistic<I: ColIndex>(
    x: &Rows<I>,
    y: &[f64],
    c: f64,
    eps: f64,
    max_iter: usize,
    seed: u64,
    init: Option<&[f64]>,
) -> Binary {
    let l = x.n_rows();
    let xtx = &x.sq_norms;
    let mut w = vec![0.0; x.n_cols];
    let mut bias = 0.0;
    // alpha[2i] and alpha[2i+1] = C - alpha[2i].
    let mut alpha = vec![0.0; 2 * l];
    let floor = (0.001 * c).min(1e-8);
    let init = init.filter(|a| a.len() == l);
    for i in 0..l {
        alpha[2 * i] = match init {
            Some(a) if a[i].is_finite() => a[i].clamp(floor, c - floor),
            _ => floor,
        };
        alpha[2 * i + 1] = c - alpha[2 * i];
        let (idx, val) = x.row(i);
        let a = y[i] * alpha[2 * i];
        axpy(a, idx, val, &mut w);
        bias += a;
    }
    let mut index: Vec<usize> = (0..l).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let max_inner = 100;
    let mut inner_eps = 1e-2;
    let inner_eps_min = eps.min(1e-8);
    for _ in 0..max_iter {
        index.shuffle(&mut rng);
        let mut newton_iter = 0usize;
        let mut g_max: f64 = 0.0;
        for &i in &index {
            let yi = y[i];
            let (idx, val) = x.row(i);
            let a = xtx[i];
            let b = yi * (dot(&w, idx, val) + bias);
            let (mut ind1, mut ind2, mut sign) = (2 * i, 2 * i + 1, 1.0);
            if 0.5 * a * (alpha[ind2] - alpha[ind1]) + b < 0.0 {
                std::mem::swap(&mut ind1, &mut ind2);
                sign = -1.0;
            }
            let alpha_old = alpha[ind1];
            let mut z = alpha_old;
            if c - z < 0.5 * c {
                z *= 0.1;
            }
            let mut gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
            g_max = g_max.max(gp.abs());
            let mut inner = 0;
            while inner <= max_inner {
                if gp.abs() < inner_eps {
                    break;
                }
                let gpp = a + c / (c - z) / z;
                let tmpz = z - gp / gpp;
                z = if tmpz <= 0.0 { z * 0.1 } else { tmpz };
                gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
                newton_iter += 1;
                inner += 1;
            }
            if inner > 0 {
                alpha[ind1] = z;
                alpha[ind2] = c - z;
                let d = sign * (z - alpha_old) * yi;
                axpy(d, idx, val, &mut w);
                bias += d;
            }
        }
        if g_max < eps {
            break;
        }
        if newton_iter <= l / 10 {
            inner_eps = inner_eps_min.max(0.1 * inner_eps);
        }
    }
    Binary {
        w,
        bias,
        alpha: (0..l).map(|i| alpha[2 * i]).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small matrix with a few non-zeros per row and labels +1/-1.
    fn toy() -> (Csr, Vec<f64>) {
        let rows: Vec<Vec<(u32, f64)>> = (0..40u32)
            .map(|i| {
                let mut r = vec![(i % 7, 0.5), (7 + i % 5, 0.25 + f64::from(i) / 100.0)];
                if i % 3 == 0 {
                    r.push((12 + i % 4, 0.75));
                }
                r
            })
            .collect();
        let mut x = Csr {
            indptr: vec![0],
            n_cols: 16,
            ..Csr::default()
        };
        for r in rows {
            for (j, v) in r {
                x.indices.push(j);
                x.data.push(v);
            }
            x.indptr.push(x.indices.len());
        }
        let y = (0..40)
            .map(|i| if i % 7 < 3 { 1.0 } else { -1.0 })
            .collect();
        (x, y)
    }

    #[test]
    fn narrow_and_wide_indices_give_the_same_models() {
        let (x, y) = toy();
        let narrow: Vec<u16> = x.indices.iter().map(|&j| j as u16).collect();
        let data: Vec<f32> = x.data.iter().map(|&v| v as f32).collect();
        let a = Rows::new(&x.indptr, &narrow, &data, x.n_cols);
        let b = Rows::new(&x.indptr, &x.indices, &data, x.n_cols);
        for (m1, m2) in [
            (
                a.l2svm(&y, 0.5, 1e-3, 100, 7, None),
                b.l2svm(&y, 0.5, 1e-3, 100, 7, None),
            ),
            (
                a.logistic(&y, 2.0, 1e-3, 100, 7, None),
                b.logistic(&y, 2.0, 1e-3, 100, 7, None),
            ),
        ] {
            assert_eq!(m1.w, m2.w);
            assert_eq!(m1.bias.to_bits(), m2.bias.to_bits());
            assert_eq!(m1.alpha, m2.alpha);
        }
        // with_rows picks u16 here, and fits the same model as the u32 rows.
        let m = with_rows(&x, |r| r.l2svm(&y, 0.5, 1e-3, 100, 7, None));
        assert_eq!(m.w, b.l2svm(&y, 0.5, 1e-3, 100, 7, None).w);
    }

    #[test]
    #[should_panic]
    fn rows_reject_an_index_out_of_range() {
        let (x, _) = toy();
        let data: Vec<f32> = x.data.iter().map(|&v| v as f32).collect();
        let _ = Rows::new(&x.indptr, &x.indices, &data, 15);
    }
}
