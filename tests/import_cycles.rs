//! The import structure of `src/` as a test: no import cycle between files.
//!
//! Every `crate::`, `super::` and `self::` path in a file's code (its `use` lines and paths
//! written inline) is resolved to the file that defines the module it names, and becomes an
//! edge from the importing file to that file. Two kinds of path are not dependencies in the
//! layering sense and are left out: a `pub use` (a re-export: the facade of a module) and a
//! path from a module's `mod.rs` (or `lib.rs`) into its own children (a parent assembles its
//! parts). Test modules (`#[cfg(test)]` to the end of a file, `tests.rs`, `*_tests.rs`) are
//! left out too. The graph must be acyclic; a cycle fails the test with the files that form
//! it and the paths that tie them, so it can be fixed where it is.
//!
//! docs/architecture.md describes the layers this keeps honest; tests/architecture.rs checks
//! that domain modules do not import the loaders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A source file: its module path (`["provider", "client"]`) and its code.
struct SourceFile {
    rel: String,
    module: Vec<String>,
    /// `mod.rs` or `lib.rs`: a module whose children live in its folder.
    is_dir_module: bool,
    code: String,
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<SourceFile>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        if path.is_dir() {
            if rel == Path::new("bin") {
                continue; // separate binaries: they import `verdict::`, not `crate::`
            }
            collect(&path, root, out);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        if stem == "main" || stem == "tests" || stem.ends_with("_tests") {
            continue;
        }
        let mut module: Vec<String> = rel
            .parent()
            .unwrap()
            .components()
            .map(|c| c.as_os_str().to_str().unwrap().to_string())
            .collect();
        let is_dir_module = stem == "mod" || stem == "lib";
        if !is_dir_module {
            module.push(stem);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        out.push(SourceFile {
            rel: format!("src/{}", rel.display()),
            module,
            is_dir_module,
            code: strip(&text),
        });
    }
}

/// The code of a file without comments, string literals and its test module.
fn strip(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") && !line.starts_with(' ') {
            break;
        }
        code.push_str(line);
        code.push('\n');
    }
    // Drop comments and string contents (paths inside messages are not imports).
    let mut out = String::with_capacity(code.len());
    let b: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if b[i] == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == '\'' && b.get(i + 2) == Some(&'\'') {
            i += 3; // a char literal such as '"'
        } else if b[i] == '\'' && b.get(i + 1) == Some(&'\\') {
            // an escaped char literal such as '\'' or '\n'
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    // `x as y` becomes `x@y` before white space is dropped.
    let tree: String = tree
        .replace(" as ", "@")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(|e| format!("{prefix}{e}")))
        .collect()
}

/// Segments of a path, made absolute from the module `here`; `None` for an external crate.
fn absolute(path: &str, here: &[String], in_use: bool) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut base, rest): (Vec<String>, &[&str]) = match segs.first().copied() {
        Some("crate") => (Vec::new(), &segs[1..]),
        Some("self") => (here.to_vec(), &segs[1..]),
        Some("super") => {
            let mut base = here.to_vec();
            let mut i = 0;
            while segs.get(i) == Some(&"super") {
                base.pop();
                i += 1;
            }
            (base, &segs[i..])
        }
        // In a `use` of the 2018 edition a bare first segment is a crate or a child module;
        // children are resolved by the caller, which knows which modules exist.
        Some(_) if in_use => return None,
        _ => return None,
    };
    base.extend(rest.iter().map(|s| s.to_string()));
    Some(base)
}

struct Graph {
    files: Vec<SourceFile>,
    by_module: BTreeMap<Vec<String>, usize>,
}

impl Graph {
    /// The file defining the longest module prefix of `path`.
    fn file_of(&self, path: &[String]) -> Option<usize> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.by_module.get(&path[..n]).copied())
    }

    /// Follows a name re-exported by a `mod.rs` (`pub use child::Name`) to the child.
    fn resolve(&self, path: &[String], depth: usize) -> Option<usize> {
        let f = self.file_of(path)?;
        let file = &self.files[f];
        let n = file.module.len();
        if !file.is_dir_module || path.len() <= n || depth > 8 {
            return Some(f);
        }
        let name = &path[n];
        for stmt in use_statements(&file.code).into_iter().filter(|s| s.public) {
            for p in expand(&stmt.tree) {
                let (target, alias) = match p.split_once('@') {
                    Some((t, a)) => (t.to_string(), a.to_string()),
                    None => (p.clone(), p.rsplit("::").next().unwrap_or("").to_string()),
                };
                if &alias != name && !target.ends_with("::*") {
                    continue;
                }
                let abs = absolute(&target, &file.module, true).or_else(|| {
                    let mut child = file.module.clone();
                    child.extend(target.split("::").map(str::to_string));
                    self.by_module
                        .contains_key(&child[..n + 1])
                        .then_some(child)
                });
                if let Some(abs) = abs {
                    let abs: Vec<String> = abs.into_iter().filter(|s| s != "*").collect();
                    if let Some(t) = self.resolve(&abs, depth + 1) {
                        if t != f {
                            return Some(t);
                        }
                    }
                }
            }
        }
        Some(f)
    }
}

struct UseStatement {
    public: bool,
    tree: String,
}

/// Every `use ...;` of a file's code.
fn use_statements(code: &str) -> Vec<UseStatement> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let before = rest[..at].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let after = &rest[at + 3..];
        let end = after.find(';').unwrap_or(after.len());
        out.push(UseStatement {
            public,
            tree: after[..end].trim().to_string(),
        });
        rest = &after[end..];
    }
    out
}

fn find_word(s: &str, word: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = s[from..].find(word).map(|i| i + from) {
        let ok_before = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let j = i + word.len();
        let ok_after = j < bytes.len() && bytes[j].is_ascii_whitespace();
        if ok_before && ok_after {
            return Some(i);
        }
        from = j;
    }
    None
}

/// Edges: file -> (file, the paths that tie them).
fn edges(g: &Graph) -> BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>> {
    let mut out: BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>> = BTreeMap::new();
    let inline = regex::Regex::new(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+").unwrap();
    for (fi, file) in g.files.iter().enumerate() {
        let mut paths: Vec<Vec<String>> = Vec::new();
        let mut code_wo_uses = file.code.clone();
        for stmt in use_statements(&file.code) {
            code_wo_uses = code_wo_uses.replacen(&stmt.tree, "", 1);
            if stmt.public {
                continue;
            }
            for p in expand(&stmt.tree) {
                let p = p.split('@').next().unwrap_or(&p).to_string();
                let abs = absolute(&p, &file.module, true).or_else(|| {
                    // `use child::X` from a module to its own child.
                    let mut child = file.module.clone();
                    child.extend(p.split("::").map(str::to_string));
                    g.by_module
                        .contains_key(&child[..file.module.len() + 1])
                        .then_some(child)
                });
                if let Some(abs) = abs {
                    paths.push(abs.into_iter().filter(|s| s != "*").collect());
                }
            }
        }
        for m in inline.find_iter(&code_wo_uses) {
            if let Some(abs) = absolute(m.as_str(), &file.module, false) {
                paths.push(abs);
            }
        }
        for p in paths {
            let Some(t) = g.resolve(&p, 0) else { continue };
            if t == fi {
                continue;
            }
            let target = &g.files[t];
            // A parent module assembling its own children is not a dependency that can cycle.
            if file.is_dir_module && target.module.starts_with(&file.module) {
                continue;
            }
            out.entry(fi)
                .or_default()
                .entry(t)
                .or_default()
                .insert(p.join("::"));
        }
    }
    out
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(n: usize, adj: &BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>) -> Vec<Vec<usize>> {
    struct St<'a> {
        adj: &'a BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut St, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on[v] = true;
        let targets: Vec<usize> = s
            .adj
            .get(&v)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        for w in targets {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = St {
        adj,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}

fn graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    let by_module = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    Graph { files, by_module }
}

#[test]
fn src_has_no_import_cycle() {
    let g = graph();
    let adj = edges(&g);
    let found = cycles(g.files.len(), &adj);
    let mut msg = String::new();
    for comp in &found {
        let names: Vec<&str> = comp.iter().map(|&i| g.files[i].rel.as_str()).collect();
        msg.push_str(&format!("cycle: {}\n", names.join(", ")));
        for &a in comp {
            for (&b, paths) in adj.get(&a).into_iter().flatten() {
                if comp.contains(&b) {
                    let ps: Vec<&str> = paths.iter().map(String::as_str).collect();
                    msg.push_str(&format!(
                        "  {} -> {}: {}\n",
                        g.files[a].rel,
                        g.files[b].rel,
                        ps.join(", ")
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "import cycles in src/:\n{msg}");
}

/// The checker itself finds a cycle it is shown, through a `use` and an inline path, and
/// does not count a re-export or a parent's use of its child.
#[test]
fn the_checker_sees_cycles() {
    let file = |rel: &str, module: &[&str], dir: bool, code: &str| SourceFile {
        rel: rel.into(),
        module: module.iter().map(|s| s.to_string()).collect(),
        is_dir_module: dir,
        code: strip(code),
    };
    let files = vec![
        file(
            "src/lib.rs",
            &[],
            true,
            "pub mod a;\npub mod b;\npub mod p;\n",
        ),
        file("src/a.rs", &["a"], false, "use crate::b::{x, y as z};\n"),
        file(
            "src/b.rs",
            &["b"],
            false,
            "fn f() { crate::a::g(); } // crate::p::q\n",
        ),
        file(
            "src/p/mod.rs",
            &["p"],
            true,
            "pub use c::Thing;\nuse self::c::other;\n",
        ),
        file(
            "src/p/c.rs",
            &["p", "c"],
            false,
            "use super::Shared;\nuse crate::p::Thing;\n",
        ),
    ];
    let by_module = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    let g = Graph { files, by_module };
    let adj = edges(&g);
    let found = cycles(g.files.len(), &adj);
    assert_eq!(found, vec![vec![1, 2]], "{:?}", adj);
}
