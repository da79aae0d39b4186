//! `graded.bin`: a finished run's journal graded over its own tickets, kept beside the journal
//! so that `compare` and `gate` need not read 1.7 GB of JSON again for a million tickets x 3
//! variants. It is a cache, never a source: every read checks that it was written by a verdict
//! built from the same sources (build.rs) from exactly the journal, gold set and snapshot now
//! in the folder (their lengths and 128-bit XXH3 hashes), and anything else (no file, another
//! build, a journal appended or edited, a damaged file) makes the reader grade the journal as
//! before. The numbers are the same either way (tests compare them); only the time differs.
//!
//! Layout: [`MAGIC`], the format (u32, little-endian), the key's length (u32, little-endian),
//! the key, the grading's XXH3-128 (16 bytes, little-endian), then the grading; the key and the
//! grading in postcard (serde's compact binary encoding).

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::score::{Graded, ScoredVariant};

/// The file's name in a run folder.
pub const GRADED_BIN: &str = "graded.bin";

const MAGIC: &[u8; 16] = b"verdict graded\n\0";
const FORMAT: u32 = 1;

/// What one pass over a run's journal finds for its own tickets: the graded run, and what the
/// gate checks besides (per variant, in the run's order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnGrading {
    pub graded: Graded,
    /// The uncached cost per 1,000 of each variant's repeat-0 records.
    pub cost_per_1k: Vec<Option<f64>>,
    /// The run's tickets without a repeat-0 record.
    pub missing: Vec<usize>,
    /// Whether a last record came back with usage but no price.
    pub unpriced: Vec<bool>,
}

/// What a [`OwnGrading`] was computed from.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Key {
    /// The verdict that wrote it: its version and the hash of its sources.
    build: String,
    journal_len: u64,
    journal: u128,
    gold_len: u64,
    gold: u128,
    snapshot_len: u64,
    snapshot: u128,
    /// The variants graded: name, provider, model.
    variants: Vec<(String, String, Option<String>)>,
}

fn variants_key(variants: &[ScoredVariant]) -> Vec<(String, String, Option<String>)> {
    variants
        .iter()
        .map(|v| (v.name.clone(), v.provider.clone(), v.model.clone()))
        .collect()
}

/// A file's length and XXH3-128, read in blocks of `buf` (one buffer for every file of a
/// key: the small ones do not each fault in 4 MiB of fresh pages).
fn hash_file(path: &Path, buf: &mut [u8]) -> Option<(u64, u128)> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut len = 0u64;
    loop {
        let n = match f.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        h.update(&buf[..n]);
        len += n as u64;
    }
    Some((len, h.digest128()))
}

/// The build's id: the version and the hash of the sources it was built from (build.rs).
fn build_id() -> String {
    format!(
        "{} {}",
        env!("CARGO_PKG_VERSION"),
        env!("VERDICT_SOURCE_ID")
    )
}

/// The key of `dir`'s files as they are now.
fn key_now(dir: &Path, variants: &[ScoredVariant]) -> Option<Key> {
    let build = build_id();
    let mut buf = vec![0u8; 4 << 20];
    let (journal_len, journal) = hash_file(&dir.join(super::PREDICTIONS_JSONL), &mut buf)?;
    let (gold_len, gold) = hash_file(&dir.join(super::GOLD_JSONL), &mut buf)?;
    let (snapshot_len, snapshot) = hash_file(&dir.join(super::SNAPSHOT_JSON), &mut buf)?;
    Some(Key {
        build,
        journal_len,
        journal,
        gold_len,
        gold,
        snapshot_len,
        snapshot,
        variants: variants_key(variants),
    })
}

/// Writes `dir`'s graded.bin (whole, atomically) for `grading`, which was computed from the
/// journal when it was `journal_len` bytes long: nothing is written when it has changed since.
pub fn write(
    dir: &Path,
    variants: &[ScoredVariant],
    grading: &OwnGrading,
    journal_len: u64,
) -> Result<()> {
    let Some(key) = key_now(dir, variants) else {
        return Ok(());
    };
    if key.journal_len != journal_len {
        return Ok(());
    }
    let key_bytes = postcard::to_stdvec(&key).expect("the key serializes");
    let body = postcard::to_stdvec(grading).expect("a grading serializes");
    let mut bytes = Vec::with_capacity(40 + key_bytes.len() + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&(key_bytes.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&key_bytes);
    bytes.extend_from_slice(&xxhash_rust::xxh3::xxh3_128(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    super::write_atomic(&dir.join(GRADED_BIN), &bytes)
}

/// `dir`'s graded.bin when it holds the grading of exactly the folder's journal, gold set and
/// snapshot for `variants`, written by a build of these sources; `None` otherwise (the caller
/// grades the journal).
pub fn read(dir: &Path, variants: &[ScoredVariant]) -> Option<OwnGrading> {
    // (Mapped from 1 MiB on: 43 MB at a million tickets x 3, decoded without a copy.)
    let bytes = crate::file_bytes::map_bytes(&dir.join(GRADED_BIN)).ok()?;
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (format, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*format) != FORMAT {
        return None;
    }
    let (key_len, rest) = rest.split_first_chunk::<4>()?;
    let key_len = u32::from_le_bytes(*key_len) as usize;
    if key_len > rest.len() {
        return None;
    }
    let (key_bytes, body) = rest.split_at(key_len);
    let stored: Key = postcard::from_bytes(key_bytes).ok()?;
    // The cheap checks first: the build, the variants, the journal's length.
    let journal = dir.join(super::PREDICTIONS_JSONL);
    if stored.build != build_id()
        || stored.variants != variants_key(variants)
        || std::fs::metadata(&journal).ok()?.len() != stored.journal_len
    {
        return None;
    }
    if key_now(dir, variants)? != stored {
        return None;
    }
    // The grading itself, checked whole (a flipped byte could still decode).
    let (body_hash, body) = body.split_first_chunk::<16>()?;
    if u128::from_le_bytes(*body_hash) != xxhash_rust::xxh3::xxh3_128(body) {
        return None;
    }
    let grading: OwnGrading = postcard::from_bytes(body).ok()?;
    let n = variants.len();
    let fits = grading.graded.variants.len() == n
        && grading.cost_per_1k.len() == n
        && grading.missing.len() == n
        && grading.unpriced.len() == n;
    fits.then_some(grading)
}
