//! TF-IDF vectorisation into a sparse CSR matrix, equivalent to a scikit-learn
//! `FeatureUnion` of one `TfidfVectorizer` per [`FeatureSpec`] (lowercase, smooth idf,
//! optional sublinear tf, `min_df` as a document count, l2 norm per block). Each block
//! is normalised on its own and the blocks are laid side by side.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use super::text::{preprocess, visit_ngrams};
use super::FeatureSpec;

/// A row-major sparse matrix (compressed sparse rows) with `f64` values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub data: Vec<f64>,
    pub n_cols: usize,
}

impl Csr {
    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// The stored (column, value) pairs of row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// Builds a matrix from rows whose columns are sorted and unique.
    fn from_rows(rows: Vec<Vec<(u32, f64)>>, n_cols: usize) -> Self {
        let nnz = rows.iter().map(Vec::len).sum();
        let mut m = Csr {
            indptr: Vec::with_capacity(rows.len() + 1),
            indices: Vec::with_capacity(nnz),
            data: Vec::with_capacity(nnz),
            n_cols,
        };
        m.indptr.push(0);
        for row in rows {
            for (j, v) in row {
                m.indices.push(j);
                m.data.push(v);
            }
            m.indptr.push(m.indices.len());
        }
        m
    }
}

/// FxHash (as in rustc): a fast, fixed (hence deterministic) hash for short strings.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        if !rest.is_empty() {
            tail[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A hash map keyed with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Rows of (column, value) pairs, one per document.
type SparseRows = Vec<Vec<(u32, f64)>>;

/// One fitted block: the vocabulary and idf weights of one feature spec.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub spec: FeatureSpec,
    pub vocab: FxMap<Box<str>, u32>,
    pub idf: Vec<f64>,
}

/// A fitted TF-IDF vectoriser over one or more feature blocks.
#[derive(Debug, Clone)]
pub(crate) struct Vectorizer {
    pub blocks: Vec<Block>,
    pub sublinear_tf: bool,
    pub n_features: usize,
}

/// `ln((1 + n_docs) / (1 + df)) + 1`, scikit-learn's smoothed idf.
pub(crate) fn smooth_idf(n_docs: usize, df: usize) -> f64 {
    ((1.0 + n_docs as f64) / (1.0 + df as f64)).ln() + 1.0
}

/// Scales `row` in place to unit Euclidean norm (a zero row stays zero).
pub(crate) fn l2_normalize(row: &mut [(u32, f64)]) {
    let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, v) in row.iter_mut() {
            *v /= norm;
        }
    }
}

/// Sorted, merged (term id, count) pairs from a list of term ids.
fn count_ids(mut ids: Vec<u32>) -> Vec<(u32, f64)> {
    ids.sort_unstable();
    let mut out: Vec<(u32, f64)> = Vec::with_capacity(ids.len());
    for id in ids {
        match out.last_mut() {
            Some((last, c)) if *last == id => *c += 1.0,
            _ => out.push((id, 1.0)),
        }
    }
    out
}

impl Vectorizer {
    /// Learns vocabularies and idf weights from `texts` and returns the TF-IDF matrix of
    /// those same texts.
    pub fn fit_transform(
        texts: &[&str],
        specs: &[FeatureSpec],
        sublinear_tf: bool,
        min_df: usize,
    ) -> (Self, Csr) {
        let lowered: Vec<String> = texts.par_iter().map(|t| preprocess(t)).collect();
        let n_docs = texts.len();
        // Blocks are independent: fit them in parallel (results keep the spec order).
        let fitted: Vec<(Block, SparseRows)> = specs
            .par_iter()
            .map(|spec| {
                // Provisional ids in order of first appearance, then per-document counts.
                let mut seen: FxMap<Box<str>, u32> = FxMap::default();
                let mut buf = String::new();
                let doc_counts: Vec<Vec<(u32, f64)>> = lowered
                    .iter()
                    .map(|doc| {
                        let mut ids: Vec<u32> = Vec::new();
                        visit_ngrams(spec, doc, &mut buf, &mut |s| {
                            let next = seen.len() as u32;
                            let id = match seen.get(s) {
                                Some(&id) => id,
                                None => {
                                    seen.insert(s.into(), next);
                                    next
                                }
                            };
                            ids.push(id);
                        });
                        count_ids(ids)
                    })
                    .collect();
                let mut df = vec![0usize; seen.len()];
                for row in &doc_counts {
                    for &(id, _) in row {
                        df[id as usize] += 1;
                    }
                }
                // Final ids: most frequent terms first (ties in term order), so the
                // weights the solvers touch most sit together in cache. scikit-learn
                // numbers terms alphabetically; the order changes only summation order.
                let mut kept: Vec<(Box<str>, u32)> = seen
                    .into_iter()
                    .filter(|&(_, id)| df[id as usize] >= min_df.max(1))
                    .collect();
                kept.sort_unstable_by(|a, b| {
                    df[b.1 as usize]
                        .cmp(&df[a.1 as usize])
                        .then_with(|| a.0.cmp(&b.0))
                });
                let mut remap = vec![u32::MAX; df.len()];
                let mut idf = Vec::with_capacity(kept.len());
                let mut vocab: FxMap<Box<str>, u32> = FxMap::default();
                vocab.reserve(kept.len());
                for (new, (term, old)) in kept.into_iter().enumerate() {
                    remap[old as usize] = new as u32;
                    idf.push(smooth_idf(n_docs, df[old as usize]));
                    vocab.insert(term, new as u32);
                }
                let rows: Vec<Vec<(u32, f64)>> = doc_counts
                    .into_par_iter()
                    .map(|counts| {
                        let mut row: Vec<(u32, f64)> = counts
                            .into_iter()
                            .filter_map(|(id, c)| {
                                let j = remap[id as usize];
                                (j != u32::MAX).then_some((j, c))
                            })
                            .collect();
                        row.sort_unstable_by_key(|&(j, _)| j);
                        weight_row(&mut row, &idf, sublinear_tf);
                        row
                    })
                    .collect();
                (
                    Block {
                        spec: *spec,
                        vocab,
                        idf,
                    },
                    rows,
                )
            })
            .collect();
        let (blocks, block_rows): (Vec<Block>, Vec<_>) = fitted.into_iter().unzip();
        let vectorizer = Vectorizer::from_blocks(blocks, sublinear_tf);
        let matrix = vectorizer.stack(block_rows, n_docs);
        (vectorizer, matrix)
    }

    fn from_blocks(blocks: Vec<Block>, sublinear_tf: bool) -> Self {
        let n_features = blocks.iter().map(|b| b.idf.len()).sum();
        Vectorizer {
            blocks,
            sublinear_tf,
            n_features,
        }
    }

    /// Lays per-block rows side by side, shifting each block's columns.
    fn stack(&self, block_rows: Vec<Vec<Vec<(u32, f64)>>>, n_docs: usize) -> Csr {
        let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n_docs];
        let mut offset = 0u32;
        for (block, brows) in self.blocks.iter().zip(block_rows) {
            for (row, brow) in rows.iter_mut().zip(brows) {
                row.extend(brow.into_iter().map(|(j, v)| (j + offset, v)));
            }
            offset += block.idf.len() as u32;
        }
        Csr::from_rows(rows, self.n_features)
    }

    /// The TF-IDF matrix of new texts; terms outside the vocabulary are ignored.
    pub fn transform(&self, texts: &[&str]) -> Csr {
        let rows: Vec<Vec<(u32, f64)>> = texts
            .par_iter()
            .map(|text| {
                let doc = preprocess(text);
                let mut buf = String::new();
                let mut row: Vec<(u32, f64)> = Vec::new();
                let mut offset = 0u32;
                for block in &self.blocks {
                    let mut ids: Vec<u32> = Vec::new();
                    visit_ngrams(&block.spec, &doc, &mut buf, &mut |s| {
                        if let Some(&j) = block.vocab.get(s) {
                            ids.push(j);
                        }
                    });
                    let mut brow = count_ids(ids);
                    weight_row(&mut brow, &block.idf, self.sublinear_tf);
                    row.extend(brow.into_iter().map(|(j, v)| (j + offset, v)));
                    offset += block.idf.len() as u32;
                }
                row
            })
            .collect();
        Csr::from_rows(rows, self.n_features)
    }
}

/// Turns raw counts into l2-normalised tf-idf weights.
fn weight_row(row: &mut [(u32, f64)], idf: &[f64], sublinear_tf: bool) {
    for (j, v) in row.iter_mut() {
        let tf = if sublinear_tf { 1.0 + v.ln() } else { *v };
        *v = tf * idf[*j as usize];
    }
    l2_normalize(row);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_matches_sklearn_formula() {
        // 3 documents; "card" in all 3, "lost" in 1.
        assert!((smooth_idf(3, 3) - 1.0).abs() < 1e-12);
        assert!((smooth_idf(3, 1) - (2.0f64.ln() + 1.0)).abs() < 1e-12);
        let texts = ["lost card", "card card", "my card"];
        let (v, _) = Vectorizer::fit_transform(
            &texts,
            &[FeatureSpec::Word { min_n: 1, max_n: 1 }],
            false,
            1,
        );
        let b = &v.blocks[0];
        // Ids by document frequency, then term: card (3), lost (1), my (1).
        assert_eq!(b.vocab["card"], 0);
        assert_eq!(b.vocab["lost"], 1);
        assert_eq!(b.vocab["my"], 2);
        // sklearn: TfidfVectorizer().fit(texts).idf_ == [1.0, 1.6931472, 1.6931472]
        assert!((b.idf[0] - 1.0).abs() < 1e-12);
        assert!((b.idf[1] - 1.693_147_180_559_945_3).abs() < 1e-12);
        assert!((b.idf[2] - 1.693_147_180_559_945_3).abs() < 1e-12);
    }

    #[test]
    fn rows_are_l2_normalised_per_block() {
        let texts = ["lost my card", "card arrived late", "where is my card"];
        let specs = [
            FeatureSpec::Word { min_n: 1, max_n: 2 },
            FeatureSpec::CharWb { min_n: 2, max_n: 4 },
        ];
        let (v, m) = Vectorizer::fit_transform(&texts, &specs, true, 1);
        let split = v.blocks[0].idf.len() as u32;
        for i in 0..m.n_rows() {
            let (idx, val) = m.row(i);
            let (mut a, mut b) = (0.0, 0.0);
            for (&j, &x) in idx.iter().zip(val) {
                if j < split {
                    a += x * x;
                } else {
                    b += x * x;
                }
            }
            assert!((a - 1.0).abs() < 1e-12 && (b - 1.0).abs() < 1e-12);
            assert!(idx.windows(2).all(|w| w[0] < w[1]));
        }
        // transform of the training texts equals fit_transform's matrix.
        let again = v.transform(&texts);
        assert_eq!(again.indices, m.indices);
        assert_eq!(again.data, m.data);
        // "lost card": tf = [1, 1] over (card, lost) -> weights idf / norm.
        let mut row = vec![(0u32, 1.0), (1u32, 1.0)];
        weight_row(&mut row, &[1.0, 2.0], false);
        let n = 5f64.sqrt();
        assert!((row[0].1 - 1.0 / n).abs() < 1e-12 && (row[1].1 - 2.0 / n).abs() < 1e-12);
    }

    #[test]
    fn min_df_drops_rare_terms() {
        let texts = ["aa bb", "aa cc", "aa bb"];
        let (v, _) = Vectorizer::fit_transform(
            &texts,
            &[FeatureSpec::Word { min_n: 1, max_n: 1 }],
            false,
            2,
        );
        let mut terms: Vec<&str> = v.blocks[0].vocab.keys().map(|k| &**k).collect();
        terms.sort();
        assert_eq!(terms, vec!["aa", "bb"]);
    }
}
