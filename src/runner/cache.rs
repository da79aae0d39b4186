//! The response cache: content-addressed by what determines a model's answer, so an identical
//! request is never paid for twice.
//!
//! The key is SHA-256 over the provider, the base URL, the model and the full JSON request
//! body, and nothing operational (timeouts, concurrency, retries, the API key). An entry is
//! `{"v":1,"key":...,"body":<response body>,"request_id":...}` at
//! `<dir>/v1/<key[0..2]>/<key>.json`, written whole or not at all (temp file, then rename), so
//! a process killed mid-write leaves no torn entry. The runner writes an entry before it
//! journals the result: a response received but not yet journaled when the process dies is
//! found here on `--resume` instead of being bought again.
//!
//! Versioning: [`CACHE_VERSION`] changes when the key's inputs or an entry's fields change
//! meaning; entries of another version are ignored (a miss), and live in their own folder.
//! Entries are not fsynced: they survive a killed process, not necessarily a power cut.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::variant::ProviderKind;

/// Version of a cache entry and of its key.
pub const CACHE_VERSION: u32 = 1;

/// How the run uses the cache (`--no-cache`, `--refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Read hits, write fresh responses.
    ReadWrite,
    /// `--refresh`: ignore hits, write fresh responses.
    WriteOnly,
    /// `--no-cache`: neither read nor write.
    Off,
}

/// One stored response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub v: u32,
    pub key: String,
    pub body: serde_json::Value,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A cache folder.
#[derive(Debug)]
pub struct ResponseCache {
    dir: PathBuf,
    pub mode: CacheMode,
    /// Shard folders known to exist (one `mkdir` per shard and run, not per entry).
    shards: [AtomicBool; 256],
    /// Set once a write failure has been reported: the warning is said once per run.
    warned: AtomicBool,
}

/// The cache key of a request.
pub fn key(
    provider: ProviderKind,
    base_url: &str,
    model: &str,
    body: &serde_json::Value,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed parts, so no two different tuples hash the same bytes.
    for part in [
        provider.name().as_bytes(),
        base_url.trim_end_matches('/').as_bytes(),
        model.as_bytes(),
        &serde_json::to_vec(body).expect("JSON serializes"),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// The default cache folder: `<user cache dir>/verdict` (e.g. `~/.cache/verdict`).
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("verdict"))
}

impl ResponseCache {
    pub fn new(dir: PathBuf, mode: CacheMode) -> Self {
        ResponseCache {
            dir,
            mode,
            shards: std::array::from_fn(|_| AtomicBool::new(false)),
            warned: AtomicBool::new(false),
        }
    }

    /// Tries to write into the cache folder as `put` will (its version folder, a temp file),
    /// so an unwritable cache is known before the first request instead of after it.
    /// `Err` holds the warning (see [`ResponseCache::write_failed`]).
    pub fn probe(&self) -> Result<(), String> {
        if self.mode == CacheMode::Off {
            return Ok(());
        }
        let dir = self.dir.join(format!("v{CACHE_VERSION}"));
        let result = std::fs::create_dir_all(&dir)
            .and_then(|_| tempfile_in(&dir, "probe"))
            .and_then(|(path, file)| {
                drop(file);
                std::fs::remove_file(path)
            });
        match result {
            Ok(()) => Ok(()),
            Err(e) => self.write_failed(&e).map_or(Ok(()), Err),
        }
    }

    /// The warning for a failed write, the first time only (`None` afterwards). Caching is
    /// what protects a crashed or interrupted run from paying twice, so losing it is said
    /// plainly, with what to do.
    pub fn write_failed(&self, e: &std::io::Error) -> Option<String> {
        if self.warned.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(format!(
            "the response cache {} cannot be written ({e}): responses are not being cached, so an interrupted or crashed run would pay again on --resume for answers already received; make it writable, choose another folder with --cache-dir DIR, or pass --no-cache",
            crate::error::display_path(&self.dir)
        ))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir
            .join(format!("v{CACHE_VERSION}"))
            .join(&key[..2])
            .join(format!("{key}.json"))
    }

    /// A stored response, if reading is on and one is there. A damaged or foreign entry is a
    /// miss (it will be overwritten).
    pub fn get(&self, key: &str) -> Option<CacheEntry> {
        if self.mode != CacheMode::ReadWrite {
            return None;
        }
        let bytes = std::fs::read(self.path(key)).ok()?;
        let entry: CacheEntry = serde_json::from_slice(&bytes).ok()?;
        (entry.v == CACHE_VERSION && entry.key == key).then_some(entry)
    }

    /// Stores a response (unless the cache is off), atomically.
    pub fn put(
        &self,
        key: &str,
        body: &serde_json::Value,
        request_id: Option<&str>,
    ) -> std::io::Result<()> {
        if self.mode == CacheMode::Off {
            return Ok(());
        }
        let path = self.path(key);
        let dir = path.parent().expect("entry has a folder");
        let shard = u8::from_str_radix(&key[..2], 16).map_or(0, usize::from);
        if !self.shards[shard].load(Ordering::Relaxed) {
            std::fs::create_dir_all(dir)?;
            self.shards[shard].store(true, Ordering::Relaxed);
        }
        let entry = serde_json::json!({
            "v": CACHE_VERSION, "key": key, "body": body, "request_id": request_id,
        });
        // A unique temp name: two runs may store the same key at once.
        let mut tmp = tempfile_in(dir, key)?;
        tmp.1
            .write_all(&serde_json::to_vec(&entry).expect("JSON serializes"))?;
        drop(tmp.1);
        std::fs::rename(&tmp.0, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp.0);
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Creates `<dir>/.<key>.<pid>.<n>.tmp` exclusively.
fn tempfile_in(dir: &Path, key: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    static N: AtomicU64 = AtomicU64::new(0);
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pid = *PID.get_or_init(std::process::id);
    loop {
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = dir.join(format!(".{key}.{pid}.{n}.tmp"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_depends_on_what_changes_the_answer_only() {
        let body = json!({"model": "m", "max_tokens": 10, "messages": []});
        let k = key(ProviderKind::Anthropic, "http://x", "m", &body);
        assert_eq!(k.len(), 64);
        assert_eq!(k, key(ProviderKind::Anthropic, "http://x/", "m", &body));
        assert_ne!(k, key(ProviderKind::OpenAi, "http://x", "m", &body));
        assert_ne!(k, key(ProviderKind::Anthropic, "http://y", "m", &body));
        assert_ne!(k, key(ProviderKind::Anthropic, "http://x", "n", &body));
        let other = json!({"model": "m", "max_tokens": 11, "messages": []});
        assert_ne!(k, key(ProviderKind::Anthropic, "http://x", "m", &other));
    }

    #[test]
    fn put_then_get_and_the_modes() {
        let dir = tempfile::tempdir().unwrap();
        let c = ResponseCache::new(dir.path().to_path_buf(), CacheMode::ReadWrite);
        let k = key(ProviderKind::Anthropic, "u", "m", &json!({}));
        assert_eq!(c.get(&k), None);
        c.put(&k, &json!({"content": []}), Some("req_1")).unwrap();
        let e = c.get(&k).unwrap();
        assert_eq!(e.body, json!({"content": []}));
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        // --refresh: no reads, but writes.
        let r = ResponseCache::new(dir.path().to_path_buf(), CacheMode::WriteOnly);
        assert_eq!(r.get(&k), None);
        let k2 = key(ProviderKind::Anthropic, "u", "m2", &json!({}));
        r.put(&k2, &json!(1), None).unwrap();
        assert!(c.get(&k2).is_some());
        // --no-cache: neither.
        let off = ResponseCache::new(dir.path().to_path_buf(), CacheMode::Off);
        assert_eq!(off.get(&k), None);
        let k3 = key(ProviderKind::Anthropic, "u", "m3", &json!({}));
        off.put(&k3, &json!(1), None).unwrap();
        assert!(c.get(&k3).is_none());
        // No temp files are left behind.
        let leftovers: Vec<_> = walk(dir.path())
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_damaged_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let c = ResponseCache::new(dir.path().to_path_buf(), CacheMode::ReadWrite);
        let k = key(ProviderKind::Anthropic, "u", "m", &json!({}));
        c.put(&k, &json!(1), None).unwrap();
        std::fs::write(c.path(&k), b"{\"v\":1,\"ke").unwrap();
        assert_eq!(c.get(&k), None);
    }

    fn walk(d: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
