//! The random draws the bootstraps resample with: conditional binomials for an exact
//! multinomial over cells, and above [`POISSON_ABOVE`] items independent Poisson(count)
//! weights per cell (cached CDF tables for small means).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson};

/// Items above which the bootstraps over many cells (macro F1 here, the paired metric
/// bootstraps of `onesided`) resample with independent Poisson weights per cell.
pub const POISSON_ABOVE: u64 = 100_000;

/// Cumulative Poisson(k) tables for small integer means, built as they are needed.
#[derive(Default)]
pub(crate) struct PoissonTables {
    cdf: Vec<Option<Vec<f64>>>,
}

/// Means up to this use a table; larger ones `rand_distr::Poisson`.
pub(crate) const POISSON_TABLE_MAX: u64 = 64;

impl PoissonTables {
    pub(crate) fn draw(&mut self, rng: &mut ChaCha8Rng, mean: u64) -> u64 {
        if mean == 0 {
            return 0;
        }
        if mean > POISSON_TABLE_MAX {
            let d = Poisson::new(mean as f64).expect("a positive mean");
            let x: f64 = d.sample(rng);
            return x as u64;
        }
        let k = mean as usize;
        if self.cdf.len() <= k {
            self.cdf.resize(k + 1, None);
        }
        let table = self.cdf[k].get_or_insert_with(|| {
            // P(X = j) by the recurrence p_{j+1} = p_j k / (j + 1), to where the tail is
            // below 1e-15.
            let lambda = mean as f64;
            let mut p = (-lambda).exp();
            let mut acc = p;
            let mut t = vec![acc];
            let mut j = 0.0;
            while 1.0 - acc > 1e-15 && t.len() < 4 * k + 64 {
                j += 1.0;
                p *= lambda / j;
                acc += p;
                t.push(acc);
            }
            t
        });
        let u: f64 = rng.gen();
        // The first j with P(X <= j) > u. Small means (most cells of a big run: a handful of
        // tickets) end within a few steps of the start; a binary search for the rest.
        if k <= 8 {
            table.iter().take_while(|&&c| c <= u).count() as u64
        } else {
            table.partition_point(|&c| c <= u) as u64
        }
    }
}

/// Independent Poisson(count) draws for a fixed list of counts, prepared once and drawn many
/// times (a bootstrap's resamples): means up to [`POISSON_TABLE_MAX`] by inversion of a
/// cumulative table in 64-bit fixed point (one `u64` of the stream per draw), larger ones by
/// `rand_distr::Poisson`. The same distributions as [`PoissonTables`] (up to 2^-64 per
/// table entry), at a few nanoseconds a cell.
pub(crate) struct PoissonPlan {
    cells: Vec<PlanCell>,
    /// The cumulative tables, one after the other.
    arena: Vec<u64>,
    /// Per table, [`GUIDE`] starting points: entry `b` is the answer for the smallest `u` of
    /// the `b`-th of [`GUIDE`] equal ranges of `u` (a guide table, as Chen and Asau's), so a
    /// draw starts its search there and most end at once.
    guide: Vec<u16>,
}

/// Guide entries per table (the top 8 bits of the draw pick one).
const GUIDE: usize = 256;

#[derive(Clone, Copy)]
enum PlanCell {
    Zero,
    /// `arena[start..start + len]`: floor(P(X <= j) 2^64) for j = 0, 1, ...
    Table {
        start: u32,
        len: u32,
        /// `guide[guide..guide + GUIDE]` is this table's.
        guide: u32,
    },
    Big(Poisson<f64>),
}

impl PoissonPlan {
    pub(crate) fn new(counts: &[u64]) -> Self {
        let mut arena: Vec<u64> = Vec::new();
        let mut guide: Vec<u16> = Vec::new();
        let mut built: Vec<Option<(u32, u32, u32)>> = vec![None; POISSON_TABLE_MAX as usize + 1];
        let cells = counts
            .iter()
            .map(|&mean| match mean {
                0 => PlanCell::Zero,
                m if m > POISSON_TABLE_MAX => {
                    PlanCell::Big(Poisson::new(m as f64).expect("a positive mean"))
                }
                m => {
                    let (start, len, g) = *built[m as usize].get_or_insert_with(|| {
                        let start = arena.len() as u32;
                        let lambda = m as f64;
                        let mut p = (-lambda).exp();
                        let mut acc = p;
                        let mut j = 0.0;
                        let k = m as usize;
                        loop {
                            arena.push((acc * 18_446_744_073_709_551_616.0) as u64);
                            if 1.0 - acc <= 1e-15 || arena.len() - start as usize >= 4 * k + 64 {
                                break;
                            }
                            j += 1.0;
                            p *= lambda / j;
                            acc += p;
                        }
                        let t = &arena[start as usize..];
                        let g = guide.len() as u32;
                        guide.extend((0..GUIDE as u64).map(|b| {
                            let lowest = b << (64 - GUIDE.trailing_zeros());
                            t.partition_point(|&c| c <= lowest) as u16
                        }));
                        (start, arena.len() as u32 - start, g)
                    });
                    PlanCell::Table {
                        start,
                        len,
                        guide: g,
                    }
                }
            })
            .collect();
        PoissonPlan {
            cells,
            arena,
            guide,
        }
    }

    /// One draw per cell into `out`.
    pub(crate) fn draw(&self, rng: &mut ChaCha8Rng, out: &mut [u64]) {
        let n = self.cells.len().min(out.len());
        self.draw_each(rng, n, |i, w| out[i] = w);
    }

    /// One draw per cell for the first `n` cells, in order, each handed to `each` (cell
    /// index, weight) as it is drawn: the same random stream as [`PoissonPlan::draw`], for a
    /// caller that sums the weights without storing them.
    #[inline]
    pub(crate) fn draw_each(
        &self,
        rng: &mut ChaCha8Rng,
        n: usize,
        mut each: impl FnMut(usize, u64),
    ) {
        use rand::RngCore;
        for (i, cell) in self.cells[..n].iter().enumerate() {
            let w = match *cell {
                PlanCell::Zero => 0,
                PlanCell::Table { start, len, guide } => {
                    let t = &self.arena[start as usize..(start + len) as usize];
                    let u = rng.next_u64();
                    // The first j with P(X <= j) > u: at or after the guide's start for u's
                    // range (the answer for the range's smallest u), mostly right there.
                    let b = (u >> (64 - GUIDE.trailing_zeros())) as usize;
                    let mut j = usize::from(self.guide[guide as usize + b]);
                    while j < t.len() && t[j] <= u {
                        j += 1;
                    }
                    j as u64
                }
                PlanCell::Big(d) => {
                    let x: f64 = d.sample(rng);
                    x as u64
                }
            };
            each(i, w);
        }
    }

    /// How many cells the plan draws.
    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }
}

/// Draw independent Poisson(counts[i]) weights into `out`.
pub(crate) fn poisson_weights(
    rng: &mut ChaCha8Rng,
    tables: &mut PoissonTables,
    counts: &[u64],
    out: &mut [u64],
) {
    for (c, o) in counts.iter().zip(out.iter_mut()) {
        *o = tables.draw(rng, *c);
    }
}

/// Binomial draw that accepts the degenerate cases (p = 0, p = 1, n = 0).
#[inline]
pub(super) fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        0
    } else if p >= 1.0 {
        n
    } else {
        Binomial::new(n, p).expect("valid binomial").sample(rng)
    }
}

/// Draw Multinomial(n, counts / sum(counts)) into `out` by conditional
/// binomials (exact rational conditional probabilities).
pub(super) fn multinomial(rng: &mut ChaCha8Rng, n: u64, counts: &[u64], out: &mut [u64]) {
    let mut rest_mass: u64 = counts.iter().sum();
    let mut rest_n = n;
    for (c, o) in counts.iter().zip(out.iter_mut()) {
        if rest_n == 0 || rest_mass == 0 {
            *o = 0;
            continue;
        }
        let draw = if *c == rest_mass {
            rest_n
        } else {
            binomial(rng, rest_n, *c as f64 / rest_mass as f64)
        };
        *o = draw;
        rest_n -= draw;
        rest_mass -= c;
    }
}
