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
