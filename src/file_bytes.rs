//! A file's bytes for a reader that only borrows them: mapped into memory when large, read
//! when small (the gold loaders, the run folder's gold.jsonl and the journal readers).

use std::path::Path;

/// Files from this size on are mapped ([`map_bytes`]).
pub const MAP_MIN: u64 = 1 << 20;

/// A file's bytes, mapped into memory or read ([`map_bytes`]).
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// A file's bytes for a reader that only borrows them: a file of [`MAP_MIN`] bytes or more
/// is mapped into memory instead of read (no copy out of the page cache into fresh pages
/// the kernel zeroes first: about 0.1-0.4 s of a single core for a 125 MB gold set on the
/// project's 2-core machine, before any row could be read), a smaller one read. As with
/// any mapped file (ripgrep maps large files the same way), a file truncated by another
/// program while it is being read ends the process with SIGBUS, and one rewritten in place
/// may be read half old, half new.
pub fn map_bytes(path: &Path) -> std::io::Result<FileBytes> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() < MAP_MIN {
        return std::fs::read(path).map(FileBytes::Read);
    }
    map_file(&file).map(FileBytes::Mapped)
}

fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: a read-only private map of a regular file, read as bytes; see [`map_bytes`]
    // for a file changed while mapped.
    unsafe { memmap2::Mmap::map(file) }
}

/// Where a chunk of whole lines of about `chunk` bytes from `start` ends: the last `\n`
/// within `chunk` bytes, else the first one beyond (a line longer than `chunk` is a chunk of
/// its own); `None` when the rest is no longer than `chunk` or has no `\n` (the last chunk
/// is the rest). The chunked readers of journals and predictions files share it.
pub fn chunk_end(bytes: &[u8], start: usize, chunk: usize) -> Option<usize> {
    let limit = start.saturating_add(chunk.max(1));
    if limit >= bytes.len() {
        return None;
    }
    memchr::memrchr(b'\n', &bytes[start..limit])
        .map(|i| start + i)
        .or_else(|| memchr::memchr(b'\n', &bytes[limit..]).map(|i| limit + i))
}

/// What a map is released in multiples of: 64 KiB, page-aligned on any page size that
/// divides it.
const RELEASE_UNIT: usize = 1 << 16;

impl FileBytes {
    /// For a reader going front to back: the map's pages before byte `end` (rounded down to
    /// 64 KiB) and from `*released` on are dropped from the process once `batch` bytes or
    /// more are due, and `*released` moves up. Mapped file pages count in the process's
    /// resident memory until dropped: without this, reading a 1 GB journal through a map
    /// would hold 1 GB. A dropped page is read again from the file (the page cache) if
    /// touched again, so nothing that still borrows the bytes breaks. Read bytes: nothing.
    pub fn release_before(&self, end: usize, released: &mut usize, batch: usize) {
        let FileBytes::Mapped(m) = self else {
            return;
        };
        let end = end.min(m.len()) & !(RELEASE_UNIT - 1);
        if end < *released + batch.max(RELEASE_UNIT) {
            return;
        }
        // SAFETY: a private read-only map of a file: a dropped page reads back from the file
        // if touched again (no reference into the map is invalidated).
        let _ = unsafe {
            m.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                *released,
                end - *released,
            )
        };
        *released = end;
    }

    /// Tells the kernel the bytes will be read once, front to back (read ahead of the
    /// reader). Read bytes: nothing.
    pub fn advise_sequential(&self) {
        if let FileBytes::Mapped(m) = self {
            let _ = m.advise(memmap2::Advice::Sequential);
        }
    }
}

/// `bytes` as UTF-8 text, checked with SIMD (`simdutf8`: several times faster than
/// `std::str::from_utf8` on the ASCII of journals and gold sets, which are read whole at a
/// million tickets); on invalid bytes, the standard library's error (with the position of
/// the first invalid byte, for the caller's message).
pub fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes))
}

#[cfg(test)]
mod tests {
    /// `utf8` agrees with `std::str::from_utf8`, error position included, on valid text and
    /// on one bad byte (a stray continuation, a cut sequence, an overlong form, a surrogate)
    /// at every offset of texts from 0 to 100 bytes, ASCII and not.
    #[test]
    fn utf8_is_std_from_utf8() {
        let bad: [&[u8]; 5] = [b"\x80", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80", b"\xff"];
        for text in ["ticket T-1 refund please", "é€😀 mixed ünïcode"] {
            let long: String = text.chars().cycle().take(100).collect();
            for n in 0..=long.len() {
                if !long.is_char_boundary(n) {
                    continue;
                }
                let ok = &long.as_bytes()[..n];
                assert_eq!(super::utf8(ok), std::str::from_utf8(ok));
                for b in bad {
                    let s = [ok, b, &long.as_bytes()[n..]].concat();
                    let (ours, std) = (super::utf8(&s), std::str::from_utf8(&s));
                    assert_eq!(
                        ours.map_err(|e| e.valid_up_to()),
                        std.map_err(|e| e.valid_up_to())
                    );
                    assert!(ours.is_err());
                }
            }
        }
    }
}
