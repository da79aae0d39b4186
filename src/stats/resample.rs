//! The random draws the bootstraps resample with: conditional binomials for an exact
//! multinomial over cells, and above [`POISSON_ABOVE`] items independent Poisson(count)
//! weights per cell (cached CDF tables for small means).

#[cfg(test)]
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson};

/// Items above which the bootstraps over many cells (macro F1 here, the paired metric
/// bootstraps of `onesided`) resample with independent Poisson weights per cell.
///
/// The exact multinomial costs one binomial draw over the remaining items per cell and
/// resample, so its cost grows with the number of distinct cells, which grows with the
/// items: at 100,000 the multinomial made `verdict compare` of two 100,000-ticket runs take
/// 4.9 s, more than two 1,000,000-ticket ones (3.3 s), and 2.9 s at 50,000 (0.32 s with
/// Poisson weights). The Poisson bootstrap differs from the multinomial one by O(1/N), far
/// below the resampling noise of 1,000 resamples from 10,000 items on. Gold sets up to
/// 10,000 tickets (Banking77's 3,080, every test fixture) keep the exact multinomial.
pub const POISSON_ABOVE: u64 = 10_000;

/// Cumulative Poisson(k) tables for small integer means, built as they are needed: the draws
/// the macro F1 bootstrap made before [`PoissonPlan`] (kept as the tests' reference).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct PoissonTables {
    cdf: Vec<Option<Vec<f64>>>,
}

/// Means up to this use a table; larger ones `rand_distr::Poisson`.
pub(crate) const POISSON_TABLE_MAX: u64 = 64;

#[cfg(test)]
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
    /// Per cell, in 4 bytes (a big run has tens of thousands of cells, read on every
    /// resample): 0 for a mean of 0; the mean itself up to [`POISSON_TABLE_MAX`] (its table
    /// is `tables[mean]`); else `POISSON_TABLE_MAX + 1 +` the index of its distribution in
    /// `big`.
    cells: Vec<u32>,
    /// Per mean up to [`POISSON_TABLE_MAX`], its table (empty when no cell has that mean).
    /// Held by mean in a fixed array, each with its own fixed-size guide, so a draw indexes
    /// nothing that needs a bounds check (they were about a quarter of a draw's
    /// instructions).
    tables: Box<[Table; POISSON_TABLE_MAX as usize + 1]>,
    /// The distributions of the means above [`POISSON_TABLE_MAX`], in cell order.
    big: Vec<Poisson<f64>>,
}

/// Guide entries per table (the top 8 bits of the draw pick one).
const GUIDE: usize = 256;

/// One mean's cumulative table and its guide.
#[derive(Clone)]
struct Table {
    /// floor(P(X <= j) 2^64) for j = 0, 1, ...
    cdf: Box<[u64]>,
    /// [`GUIDE`] starting points: entry `b` is the answer for the smallest `u` of the `b`-th
    /// of [`GUIDE`] equal ranges of `u` (a guide table, as Chen and Asau's), so a draw
    /// starts its search there and most end at once.
    guide: [u16; GUIDE],
}

impl Table {
    fn empty() -> Self {
        Table {
            cdf: Box::new([]),
            guide: [0; GUIDE],
        }
    }

    fn new(mean: u64) -> Self {
        let lambda = mean as f64;
        let k = mean as usize;
        let mut cdf = Vec::new();
        let mut p = (-lambda).exp();
        let mut acc = p;
        let mut j = 0.0;
        loop {
            cdf.push((acc * 18_446_744_073_709_551_616.0) as u64);
            if 1.0 - acc <= 1e-15 || cdf.len() >= 4 * k + 64 {
                break;
            }
            j += 1.0;
            p *= lambda / j;
            acc += p;
        }
        let mut guide = [0u16; GUIDE];
        for (b, g) in guide.iter_mut().enumerate() {
            let lowest = (b as u64) << (64 - GUIDE.trailing_zeros());
            *g = cdf.partition_point(|&c| c <= lowest) as u16;
        }
        Table {
            cdf: cdf.into_boxed_slice(),
            guide,
        }
    }

    /// The first j with P(X <= j) > u: at or after the guide's start for u's range (the
    /// answer for the range's smallest u), mostly right there.
    #[inline(always)]
    fn invert(&self, u: u64) -> u64 {
        let mut j = usize::from(self.guide[(u >> (64 - GUIDE.trailing_zeros())) as usize]);
        while j < self.cdf.len() && self.cdf[j] <= u {
            j += 1;
        }
        j as u64
    }
}

/// The first cell code of a mean above [`POISSON_TABLE_MAX`] (see [`PoissonPlan::cells`]).
const BIG_CODE: u32 = POISSON_TABLE_MAX as u32 + 1;

impl PoissonPlan {
    /// Panics with 2^32 - 66 or more cells of means above [`POISSON_TABLE_MAX`] (a run
    /// of billions of tickets).
    pub(crate) fn new(counts: &[u64]) -> Self {
        let mut tables: Box<[Table; POISSON_TABLE_MAX as usize + 1]> =
            Box::new(std::array::from_fn(|_| Table::empty()));
        let mut big: Vec<Poisson<f64>> = Vec::new();
        let cells = counts
            .iter()
            .map(|&mean| match mean {
                0 => 0,
                m if m > POISSON_TABLE_MAX => {
                    let code = u32::try_from(big.len())
                        .ok()
                        .and_then(|i| i.checked_add(BIG_CODE))
                        .expect("fewer than 2^32 - 66 cells of large means");
                    big.push(Poisson::new(m as f64).expect("a positive mean"));
                    code
                }
                m => {
                    let table = &mut tables[m as usize];
                    if table.cdf.is_empty() {
                        *table = Table::new(m);
                    }
                    m as u32
                }
            })
            .collect();
        PoissonPlan { cells, tables, big }
    }

    /// One draw per cell into `out` (the first `out.len()` cells).
    pub(crate) fn draw(&self, rng: &mut ChaCha8Rng, out: &mut [u64]) {
        for (o, &code) in out.iter_mut().zip(&self.cells) {
            *o = self.draw_one(rng, code);
        }
    }

    /// One draw per cell, in order, each handed to `each` with the cell's item of
    /// `per_cell` as it is drawn (cells past the end of `per_cell` are not drawn): the same
    /// random stream as [`PoissonPlan::draw`], for a caller that sums the weights without
    /// storing them and looks something up per cell without indexing it.
    #[inline]
    pub(crate) fn draw_zip<T>(
        &self,
        rng: &mut ChaCha8Rng,
        per_cell: &[T],
        mut each: impl FnMut(&T, u64),
    ) {
        for (&code, item) in self.cells.iter().zip(per_cell) {
            each(item, self.draw_one(rng, code));
        }
    }

    #[inline(always)]
    fn draw_one(&self, rng: &mut ChaCha8Rng, code: u32) -> u64 {
        use rand::RngCore;
        if code == 0 {
            0
        } else if code < BIG_CODE {
            self.tables[code as usize].invert(rng.next_u64())
        } else {
            let x: f64 = self.big[(code - BIG_CODE) as usize].sample(rng);
            x as u64
        }
    }

    /// How many cells the plan draws.
    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }
}

/// One Poisson resample's statistic, computed from the plan's draws (`plan`, the stream),
/// drawing exactly what [`PoissonPlan::draw`] draws. The third argument is scratch space of
/// the caller's (empty at first, kept from one resample to the next).
pub(crate) type PoissonStat<'a> =
    &'a (dyn Fn(&PoissonPlan, &mut ChaCha8Rng, &mut Vec<u64>) -> Option<f64> + Sync);

/// Resamples per block of [`poisson_draws`].
pub(crate) const BLOCK: usize = 125;

/// `resamples` Poisson resamples' statistics (the defined ones, in order) from `rng` on,
/// as one pass of `poisson` would compute them, in blocks of [`BLOCK`] on every core.
pub(crate) fn poisson_draws(
    plan: &PoissonPlan,
    counts: &[u64],
    rng: &ChaCha8Rng,
    resamples: usize,
    poisson: PoissonStat,
) -> Vec<f64> {
    use rayon::prelude::*;
    let one_pass = || {
        let mut rng = rng.clone();
        let mut scratch = Vec::new();
        (0..resamples)
            .filter_map(|_| poisson(plan, &mut rng, &mut scratch))
            .collect()
    };
    if resamples <= BLOCK {
        return one_pass();
    }
    // Where each block's stream starts: found without the statistic (see StreamSkip).
    let skip = StreamSkip::new(counts);
    let mut at = rng.clone();
    let mut pos = at.get_word_pos();
    let mut starts = vec![pos];
    for r in 1..resamples {
        skip.resample(&mut at, &mut pos);
        if r.is_multiple_of(BLOCK) {
            starts.push(pos);
        }
    }
    let blocks: Vec<(Vec<f64>, u128)> = starts
        .par_iter()
        .enumerate()
        .map(|(b, &start)| {
            let mut rng = rng.clone();
            rng.set_word_pos(start);
            let mut scratch = Vec::new();
            let n = BLOCK.min(resamples - b * BLOCK);
            let draws = (0..n)
                .filter_map(|_| poisson(plan, &mut rng, &mut scratch))
                .collect();
            (draws, rng.get_word_pos())
        })
        .collect();
    // Each block ends where the next was started: else the skip misread the plan, and the
    // draws are computed again in one pass.
    let joined = blocks
        .windows(2)
        .zip(&starts[1..])
        .all(|(w, &s)| w[0].1 == s);
    debug_assert!(
        joined,
        "a block's stream does not start where the one before ended"
    );
    if !joined {
        return one_pass();
    }
    blocks.into_iter().flat_map(|(d, _)| d).collect()
}

/// Means up to this are drawn by [`PoissonPlan`] from its tables, one `u64` of the stream each;
/// larger ones by `rand_distr::Poisson` (the same threshold as [`PoissonTables`]).
const PLAN_TABLE_MAX: u64 = POISSON_TABLE_MAX;

/// How far one [`PoissonPlan::draw`] over `counts` moves the stream, found without the
/// tables: a cell of mean 0 draws nothing, a table cell one `u64` (two words), and a larger
/// mean is drawn by `rand_distr::Poisson` (a varying number of words) and its stream position
/// read after it.
struct StreamSkip {
    /// Per large cell: the words drawn by the table cells before it (after the previous large
    /// cell), and its distribution.
    big: Vec<(u128, rand_distr::Poisson<f64>)>,
    /// Words drawn by the table cells after the last large cell.
    tail: u128,
}

impl StreamSkip {
    fn new(counts: &[u64]) -> Self {
        let mut big = Vec::new();
        let mut words = 0u128;
        for &c in counts {
            match c {
                0 => {}
                c if c <= PLAN_TABLE_MAX => words += 2,
                c => {
                    let d = rand_distr::Poisson::new(c as f64).expect("a positive mean");
                    big.push((std::mem::take(&mut words), d));
                }
            }
        }
        StreamSkip { big, tail: words }
    }

    /// Moves `pos` (the stream position of one resample's start) to the next's; `rng` is
    /// anywhere on the stream and is moved where it is needed.
    fn resample(&self, rng: &mut ChaCha8Rng, pos: &mut u128) {
        use rand::RngCore;
        for (words, d) in &self.big {
            *pos += words;
            let now = rng.get_word_pos();
            if now <= *pos && *pos - now <= 32 {
                // Near: read up to it rather than regenerate the block.
                for _ in now..*pos {
                    rng.next_u32();
                }
            } else {
                rng.set_word_pos(*pos);
            }
            let _: f64 = d.sample(rng);
            *pos = rng.get_word_pos();
        }
        *pos += self.tail;
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
/// binomials (exact rational conditional probabilities): the reference the faster
/// [`MultinomialPlan`] is tested against.
#[cfg(test)]
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

/// [`multinomial`] over fixed `counts`, prepared once and drawn many times (a bootstrap's
/// resamples): the same draws, faster. Each cell's conditional probability `c / rest` does
/// not depend on the draws before it, and neither does the `q` of its binomial, so the powers
/// `q^(2^j)` that `rand_distr`'s inversion (BINV) recomputes on every draw, through
/// `q.powi(n)`, are computed once per cell; `powi` is then the same products in the same
/// order (square and multiply from the low bit, as the compiler's `__powidf2` does), so the
/// same `f64`. That `powi` was half the time of a paired bootstrap at 10,000 tickets. Draws
/// `rand_distr` does not make by inversion (`n min(p, 1 - p) >= 10`: BTPE) are its own.
pub(crate) struct MultinomialPlan {
    cells: Vec<MultinomialCell>,
    /// `q^(2^j)` for `j < POWERS` per inverted cell, one after the other.
    powers: Vec<f64>,
}

/// Powers kept per cell: enough for any `n` up to `i32::MAX` (BINV's limit).
const POWERS: usize = 31;

#[derive(Clone, Copy)]
struct MultinomialCell {
    count: u64,
    /// `count / rest`, as [`multinomial`] computes it (`rest`: this and the later cells' counts).
    p: f64,
    /// This is the last cell with a count (`count == rest`): it takes every item left.
    last: bool,
    /// Where its powers start in `powers`.
    at: usize,
}

impl MultinomialPlan {
    pub(crate) fn new(counts: &[u64]) -> Self {
        let mut rest: u64 = counts.iter().sum();
        let mut powers = Vec::new();
        let cells = counts
            .iter()
            .map(|&count| {
                let cell = MultinomialCell {
                    count,
                    p: if rest == 0 {
                        0.0
                    } else {
                        count as f64 / rest as f64
                    },
                    last: count == rest,
                    at: powers.len(),
                };
                if count > 0 && !cell.last {
                    // rand_distr's q for this p.
                    let p = if cell.p <= 0.5 { cell.p } else { 1.0 - cell.p };
                    let mut a = 1. - p;
                    for _ in 0..POWERS {
                        powers.push(a);
                        a *= a;
                    }
                }
                rest -= count;
                cell
            })
            .collect();
        MultinomialPlan { cells, powers }
    }

    /// One Multinomial(`n`, counts / sum) draw into `out` (one place per count): what
    /// [`multinomial`] draws from the same stream.
    pub(crate) fn draw(&self, rng: &mut ChaCha8Rng, n: u64, out: &mut [u64]) {
        let mut rest_n = n;
        for (cell, o) in self.cells.iter().zip(out.iter_mut()) {
            let draw = if rest_n == 0 || cell.count == 0 {
                0
            } else if cell.last {
                rest_n
            } else {
                self.binomial(rng, rest_n, cell)
            };
            *o = draw;
            rest_n -= draw;
        }
    }

    /// `Binomial::new(n, cell.p).sample(rng)` of rand_distr 0.4.3, with BINV's `q.powi(n)`
    /// from the cell's powers. `0 < cell.p < 1` and `n > 0` here.
    #[inline]
    fn binomial(&self, rng: &mut ChaCha8Rng, n: u64, cell: &MultinomialCell) -> u64 {
        use rand::Rng;
        let p = if cell.p <= 0.5 { cell.p } else { 1.0 - cell.p };
        let q = 1. - p;
        if (n as f64) * p < 10. && n <= i32::MAX as u64 {
            let s = p / q;
            let a = ((n + 1) as f64) * s;
            let mut r = powi(&self.powers[cell.at..cell.at + POWERS], n as u32);
            let mut u: f64 = rng.gen();
            let mut x = 0u64;
            while u > r {
                u -= r;
                x += 1;
                r *= a / (x as f64) - s;
            }
            if p != cell.p {
                n - x
            } else {
                x
            }
        } else {
            Binomial::new(n, cell.p)
                .expect("a probability in (0, 1)")
                .sample(rng)
        }
    }
}

/// `q.powi(n)` from `squares[j] = q^(2^j)`: the products `__powidf2` makes, in its order.
/// Without a branch on each bit of `n` (a coin flip the CPU mispredicts half the time): a
/// clear bit multiplies by 1.0, which leaves every `f64` as it is.
#[inline]
fn powi(squares: &[f64], n: u32) -> f64 {
    let bits = (u32::BITS - n.leading_zeros()) as usize;
    let mut mul = 1.0;
    for (j, &sq) in squares[..bits].iter().enumerate() {
        mul *= if n >> j & 1 != 0 { sq } else { 1.0 };
    }
    mul
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rng_for;

    /// The cached powers give `f64::powi`'s value, bit for bit.
    #[test]
    fn powi_from_squares_is_powi() {
        let mut rng = rng_for(4, 4);
        for _ in 0..20_000 {
            let q: f64 = rng.gen_range(0.0..1.0);
            let n: u32 = match rng.gen_range(0..3) {
                0 => rng.gen_range(0..64),
                1 => rng.gen_range(0..100_000),
                _ => rng.gen_range(0..i32::MAX as u32),
            };
            let mut squares = Vec::new();
            let mut a = q;
            for _ in 0..POWERS {
                squares.push(a);
                a *= a;
            }
            assert_eq!(
                powi(&squares, n).to_bits(),
                q.powi(n as i32).to_bits(),
                "{q}^{n}"
            );
        }
    }

    /// The prepared multinomial draws what `multinomial` draws, and leaves the stream where
    /// it does: small and large n, empty cells, one cell, shares near 0 and 1.
    #[test]
    fn the_prepared_multinomial_draws_what_multinomial_draws() {
        let mut pick = rng_for(5, 5);
        for case in 0..400 {
            let k = pick.gen_range(1..40);
            let counts: Vec<u64> = (0..k)
                .map(|_| match pick.gen_range(0..4) {
                    0 => 0,
                    1 => pick.gen_range(1..3),
                    2 => pick.gen_range(1..200),
                    _ => pick.gen_range(1..100_000),
                })
                .collect();
            let n = match pick.gen_range(0..3) {
                0 => counts.iter().sum::<u64>(),
                1 => pick.gen_range(0..50),
                _ => pick.gen_range(0..2_000_000),
            };
            let plan = MultinomialPlan::new(&counts);
            let (mut a, mut b) = (rng_for(case, 1), rng_for(case, 1));
            let (mut x, mut y) = (vec![0; k], vec![0; k]);
            for _ in 0..20 {
                multinomial(&mut a, n, &counts, &mut x);
                plan.draw(&mut b, n, &mut y);
                assert_eq!(x, y, "{counts:?}, n {n}");
            }
            assert_eq!(a.get_word_pos(), b.get_word_pos());
        }
    }

    #[test]
    fn poisson_weights_have_the_means_and_variances_of_the_counts() {
        let mut rng = rng_for(3, 9);
        let mut tables = PoissonTables::default();
        for mean in [1u64, 2, 7, 40, 64, 65, 500] {
            let draws: Vec<f64> = (0..20_000)
                .map(|_| tables.draw(&mut rng, mean) as f64)
                .collect();
            let m = draws.iter().sum::<f64>() / draws.len() as f64;
            let v = draws.iter().map(|d| (d - m) * (d - m)).sum::<f64>() / (draws.len() - 1) as f64;
            // Poisson: mean = variance = the count; 20,000 draws put both within a few %.
            let se = (mean as f64 / draws.len() as f64).sqrt();
            assert!((m - mean as f64).abs() < 5.0 * se, "mean {mean}: {m}");
            assert!((v / mean as f64 - 1.0).abs() < 0.06, "variance {mean}: {v}");
        }
    }

    /// Cell counts of every kind the plan draws: none, table means (up to the largest), and
    /// `rand_distr` means, in runs and alone; over `POISSON_ABOVE` in all.
    fn mixed_counts() -> Vec<u64> {
        let mut counts = vec![0, 1, 3, 64, 65, 0, 0, 7, 120_000, 2, 66, 67, 5_000, 12];
        counts.extend((0..500u64).map(|i| [0, 1, 2, 9, 40, 64, 65, 300][(i * 7 % 8) as usize]));
        counts.extend([70, 0, 64, 1]);
        counts
    }

    #[test]
    fn the_stream_skip_lands_where_the_plan_draw_ends() {
        for counts in [
            mixed_counts(),
            vec![5; 40],
            vec![0, 0, 200, 0],
            vec![1_000_000],
        ] {
            let plan = PoissonPlan::new(&counts);
            let skip = StreamSkip::new(&counts);
            let mut rng = rng_for(5, 77);
            let mut at = rng.clone();
            let mut pos = rng.get_word_pos();
            let mut out = vec![0u64; counts.len()];
            for _ in 0..300 {
                plan.draw(&mut rng, &mut out);
                skip.resample(&mut at, &mut pos);
                assert_eq!(pos, rng.get_word_pos(), "{counts:?}");
            }
        }
    }

    #[test]
    fn poisson_blocks_give_the_one_pass_draws() {
        let counts = mixed_counts();
        assert!(counts.iter().sum::<u64>() > POISSON_ABOVE);
        let plan = PoissonPlan::new(&counts);
        let cell_no: Vec<usize> = (0..plan.len()).collect();
        // A statistic that reads every weight, undefined on some resamples.
        let fused = |plan: &PoissonPlan, rng: &mut ChaCha8Rng, sums: &mut Vec<u64>| {
            sums.clear();
            sums.resize(2, 0);
            plan.draw_zip(rng, &cell_no, |&i, w| sums[i % 2] += w * (i as u64 % 5 + 1));
            (!sums[0].is_multiple_of(7)).then(|| sums[0] as f64 / (sums[1] + 1) as f64)
        };
        for resamples in [1, 124, 125, 126, 250, 1000, 1001] {
            let rng = rng_for(9, 3);
            let blocks = poisson_draws(&plan, &counts, &rng, resamples, &fused);
            let mut one = rng.clone();
            let mut sums = Vec::new();
            let expected: Vec<f64> = (0..resamples)
                .filter_map(|_| fused(&plan, &mut one, &mut sums))
                .collect();
            assert_eq!(blocks, expected, "{resamples} resamples");
            assert!(expected.len() < resamples || resamples == 1);
        }
    }

    /// The plan draws what the cumulative tables in `f64` draw (the macro F1 bootstrap's
    /// draws before the plan), cell by cell, over every kind of cell and many resamples.
    #[test]
    fn the_plan_draws_what_the_tables_drew() {
        for counts in [mixed_counts(), vec![3; 6_000], vec![0, 64, 1, 65, 9]] {
            let plan = PoissonPlan::new(&counts);
            let mut tables = PoissonTables::default();
            for seed in [0u64, 7, 11] {
                let mut a = rng_for(seed, 1);
                let mut b = a.clone();
                let mut out = vec![0u64; counts.len()];
                for _ in 0..200 {
                    plan.draw(&mut a, &mut out);
                    let expected: Vec<u64> =
                        counts.iter().map(|&c| tables.draw(&mut b, c)).collect();
                    assert_eq!(out, expected);
                    assert_eq!(a.get_word_pos(), b.get_word_pos());
                }
            }
        }
    }
}
