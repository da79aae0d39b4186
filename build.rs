//! Sets `VERDICT_SOURCE_ID`: a hash of the crate's sources (`src/`), `Cargo.toml` and
//! `Cargo.lock`. A run folder's graded.bin (`src/run_dir/graded_cache.rs`) is read only by a
//! verdict built from the same ones, since what it holds is laid out by that code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    files.sort();
    files.push(PathBuf::from("Cargo.toml"));
    files.push(PathBuf::from("Cargo.lock"));
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in &files {
        // (Cargo.lock is absent from a package built from crates.io: hashed as empty.)
        let bytes = std::fs::read(f).unwrap_or_default();
        f.to_string_lossy().replace('\\', "/").hash(&mut h);
        bytes.hash(&mut h);
    }
    println!("cargo:rustc-env=VERDICT_SOURCE_ID={:016x}", h.finish());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
