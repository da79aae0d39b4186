//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by
//! .ci/run) opens report.html of a fixed run (tests/fixtures/html) at a phone's and a
//! laptop's size and the test checks, over the DevTools protocol: no console error, no
//! request of any kind, no horizontal overflow outside the scrolling table/chart containers,
//! every chart's marks against run.json, and that a ticket made of markup shows as text with
//! no dialog opening. The comparison page (`verdict compare --format html`) gets the same
//! checks. Screenshots of every section of both pages are saved under
//! target/report-screenshots/ (`375x812-summary.png`, `compare-1280x800-flips.png`, ...).
//!
//! The protocol runs over `--remote-debugging-pipe` (file descriptors 3 and 4, messages
//! ending in NUL): no port, no WebSocket client, nothing to install but Chromium. Without
//! Chromium the test is skipped, unless `CI=true`, where it fails.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

const HOSTILE: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
/// Only a guard against a browser that hangs; never an assertion on speed.
const HANG_GUARD: Duration = Duration::from_secs(180);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Chromium binary: `VERDICT_CHROMIUM`, else the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VERDICT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A browser driven over the DevTools protocol through a pipe.
struct Browser {
    child: Child,
    to: std::io::PipeWriter,
    from: Receiver<Value>,
    next_id: u64,
    /// Every event received, in order.
    events: Vec<Value>,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch(bin: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (chrome_in, to) = std::io::pipe().unwrap();
        let (from_pipe, chrome_out) = std::io::pipe().unwrap();
        let (fd_in, fd_out) = (chrome_in.as_raw_fd(), chrome_out.as_raw_fd());
        let mut cmd = Command::new(bin);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. The two
        // pipe ends are first moved above 9 so that placing them at 3 and 4 cannot clobber
        // one with the other.
        unsafe {
            cmd.pre_exec(move || {
                let a = libc::fcntl(fd_in, libc::F_DUPFD, 10);
                let b = libc::fcntl(fd_out, libc::F_DUPFD, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        drop(chrome_in);
        drop(chrome_out);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(from_pipe);
            let mut buf = Vec::new();
            while r.read_until(0, &mut buf).map(|n| n > 0).unwrap_or(false) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
                buf.clear();
            }
        });
        Browser {
            child,
            to,
            from: rx,
            next_id: 0,
            events: Vec::new(),
            session: None,
            _profile: profile,
        }
    }

    /// Sends a command (to the page's session once attached) and waits for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        loop {
            let v = self.recv();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    fn recv(&mut self) -> Value {
        match self.from.recv_timeout(HANG_GUARD) {
            Ok(v) => {
                // A dialog would block the page: record it (the test fails on it), dismiss it.
                if v["method"] == "Page.javascriptDialogOpening" {
                    let mut bytes = serde_json::to_vec(&json!({
                        "id": 1_000_000 + self.events.len(),
                        "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": false},
                        "sessionId": self.session,
                    }))
                    .unwrap();
                    bytes.push(0);
                    self.to.write_all(&bytes).unwrap();
                }
                v
            }
            Err(RecvTimeoutError::Timeout) => panic!("chromium stopped answering"),
            Err(RecvTimeoutError::Disconnected) => panic!("chromium exited"),
        }
    }

    /// Waits for an event of a method.
    fn wait_for(&mut self, method: &str) {
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        loop {
            let v = self.recv();
            let hit = v["method"] == method;
            self.events.push(v);
            if hit {
                return;
            }
        }
    }

    /// Evaluates an expression in the page and returns its value.
    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_fixture(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .current_dir(root())
        .args([
            "run",
            "tests/fixtures/html/eval.yaml",
            "--no-cache",
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Elements that stick out of the viewport on the right, except inside a scrolling
/// container (tables and wide charts scroll inside their `.scroll` box by design).
const OVERFLOW_JS: &str = r#"(() => {
  const w = document.documentElement.clientWidth;
  const bad = [];
  if (document.documentElement.scrollWidth > w) bad.push('document ' + document.documentElement.scrollWidth + ' > ' + w);
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('.scroll')) continue;
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) bad.push(e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' right=' + Math.round(r.right));
  }
  return bad.slice(0, 20);
})()"#;

/// Per chart kind and variant: the data-count of its marks, in order.
const MARKS_JS: &str = r#"(() => {
  const out = {};
  for (const m of document.querySelectorAll('svg [data-count]')) {
    const key = m.getAttribute('class') + '|' + (m.getAttribute('data-variant') || '');
    (out[key] = out[key] || []).push(Number(m.getAttribute('data-count')));
  }
  return out;
})()"#;

/// The Chromium binary, or `None` when the test is to be skipped (never with `CI=true`).
fn chromium_or_skip() -> Option<PathBuf> {
    let bin = chromium();
    if bin.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but no Chromium: install it (apt-get install -y chromium) or set VERDICT_CHROMIUM");
        }
        eprintln!("skipped: no chromium on PATH (set VERDICT_CHROMIUM, or CI=true to fail)");
    }
    bin
}

/// A browser with one page attached and the page, runtime, log and network domains on.
fn open_browser(bin: &Path) -> Browser {
    let mut b = Browser::launch(bin);
    let target = b.call("Target.createTarget", json!({"url": "about:blank"}));
    let session = b.call(
        "Target.attachToTarget",
        json!({"targetId": target["targetId"], "flatten": true}),
    );
    b.session = Some(session["sessionId"].as_str().unwrap().to_string());
    for m in [
        "Page.enable",
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
    ] {
        b.call(m, json!({}));
    }
    b
}

/// The phone and laptop viewports: (label, width, height, mobile).
const VIEWPORTS: [(&str, u32, u32, bool); 2] =
    [("375x812", 375, 812, true), ("1280x800", 1280, 800, false)];

/// Opens `page_url` at a viewport and checks what holds for every page: no request but the
/// page itself, and no horizontal overflow outside the scrolling containers.
fn visit(b: &mut Browser, page_url: &str, (label, w, h, mobile): (&str, u32, u32, bool)) {
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile}),
    );
    b.events.clear();
    b.call("Page.navigate", json!({"url": page_url}));
    b.wait_for("Page.loadEventFired");
    // Let the page's script run and anything it might trigger arrive.
    b.eval("new Promise(r => setTimeout(r, 300))");

    // No request but the page itself.
    let requests: Vec<String> = b
        .events
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .map(|e| {
            e["params"]["request"]["url"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .filter(|u| *u != page_url)
        .collect();
    assert!(requests.is_empty(), "{label}: requests made: {requests:?}");

    // Overflow.
    let bad = b.eval(OVERFLOW_JS);
    assert_eq!(bad, json!([]), "{label}: horizontal overflow");
}

/// Saves a screenshot of the header and of every section as `<prefix>-<section>.png` under
/// target/report-screenshots/; returns how many.
fn screenshots(b: &mut Browser, prefix: &str) -> usize {
    let shots = root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let sections: Vec<(String, f64, f64, f64)> = serde_json::from_value(b.eval(
        r#"[...document.querySelectorAll('main > section, header.top')].map(s => {
             const r = s.getBoundingClientRect();
             return [s.id || 'header', r.top + window.scrollY, r.height, document.documentElement.clientWidth];
           })"#,
    ))
    .unwrap();
    for (id, y, height, width) in &sections {
        let shot = b.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": y, "width": width, "height": height.clamp(1.0, 6000.0), "scale": 1}}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{prefix}-{id}: not a PNG");
        std::fs::write(shots.join(format!("{prefix}-{id}.png")), png).unwrap();
    }
    sections.len()
}

/// Console errors, exceptions and dialogs since the last navigation.
fn problems(b: &Browser) -> Vec<&Value> {
    b.events
        .iter()
        .filter(|e| {
            e["method"] == "Runtime.exceptionThrown"
                || e["method"] == "Page.javascriptDialogOpening"
                || (e["method"] == "Runtime.consoleAPICalled"
                    && matches!(e["params"]["type"].as_str(), Some("error" | "assert")))
                || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
        })
        .collect()
}

#[test]
fn report_in_headless_chromium() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_fixture(&dir);
    let page_url = format!("file://{}", dir.join("report.html").display());
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();

    let mut b = open_browser(&bin);
    for viewport in VIEWPORTS {
        let label = viewport.0;
        visit(&mut b, &page_url, viewport);

        // Marks against run.json.
        let marks: HashMap<String, Vec<u64>> = serde_json::from_value(b.eval(MARKS_JS)).unwrap();
        let fields: Vec<Value> = run["metrics"]["fields"].as_array().unwrap().clone();
        for v in run["metrics"]["variants"].as_array().unwrap() {
            let name = v["name"].as_str().unwrap();
            let bins: Vec<u64> = v["calibration"]["reliability"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["count"].as_u64().unwrap())
                .filter(|&c| c > 0)
                .collect();
            assert_eq!(
                marks.get(&format!("rel-bar|{name}")),
                Some(&bins),
                "{label}: reliability bars of {name}"
            );
            // All four classes are shown: one cell per non-zero pair of the matrix.
            let label_fields: Vec<&Value> = v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f.get("label").is_some())
                .collect();
            let cells: Vec<u64> = label_fields
                .iter()
                .flat_map(|f| f["label"]["confusion"].as_array().unwrap().iter())
                .flat_map(|row| row.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
                .filter(|&c| c > 0)
                .collect();
            assert_eq!(
                marks.get(&format!("heat-cell|{name}")),
                Some(&cells),
                "{label}: heatmap cells of {name}"
            );
            let r = &v["routing"];
            let bands: Vec<u64> = ["auto", "clarify", "escalate"]
                .iter()
                .map(|k| r[k]["count"].as_u64().unwrap())
                .filter(|&c| c > 0)
                .collect();
            assert_eq!(
                marks.get(&format!("band|{name}")),
                Some(&bands),
                "{label}: bands of {name}"
            );
            let hist: u64 = marks
                .get(&format!("hist-bar|{name}"))
                .map_or(0, |v| v.iter().sum());
            assert_eq!(
                hist,
                v["calibration"]["n_scored"].as_u64().unwrap(),
                "{label}: the histogram counts every ticket with a confidence"
            );
        }
        assert!(!fields.is_empty());

        // The hostile ticket shows as text.
        let shown = b.eval(
            r#"(() => {
              const kind = document.getElementById('t-kind'); kind.value = 'all';
              kind.dispatchEvent(new Event('change'));
              const s = document.getElementById('t-search'); s.value = 'onerror';
              s.dispatchEvent(new Event('input'));
              const cells = [...document.querySelectorAll('#t-table td.text')];
              return {n: cells.length, text: cells.map(c => c.firstChild.textContent),
                      imgs: document.querySelectorAll('img').length,
                      scripts: document.querySelectorAll('script').length};
            })()"#,
        );
        assert_eq!(shown["n"], 1, "{label}: {shown}");
        assert_eq!(shown["text"][0], HOSTILE, "{label}");
        assert_eq!(shown["imgs"], 0, "{label}");
        assert_eq!(shown["scripts"], 2, "{label}");
        b.eval("new Promise(r => setTimeout(r, 200))");

        // Screenshots of every section.
        let n = screenshots(&mut b, label);
        assert!(n >= 6, "{label}: {n} sections");

        // Nothing went wrong on the console, and no dialog opened.
        let problems = problems(&b);
        assert!(problems.is_empty(), "{label}: {problems:#?}");
    }
}

/// The comparison page (`verdict compare ... --format html`) of the fixture run against a
/// copy whose `local-word` variant got the hostile ticket M-37 right, so that ticket is
/// among the flipped tickets.
#[test]
fn compare_page_in_headless_chromium() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_fixture(&dir);
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let journal = copy.join("predictions.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| {
            let mut r: Value = serde_json::from_str(l).unwrap();
            if r["ticket"] == "M-37" && r["variant"] == "local-word" {
                r["outputs"]["department"] = "technical".into();
            }
            r.to_string()
        })
        .collect();
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let page = tmp.path().join("compare.html");
    let out = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("compare")
        .arg(format!("{}:local-char", dir.display()))
        .arg(format!("{}:local-word", copy.display()))
        .args(["--format", "html"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&page, &out.stdout).unwrap();
    let page_url = format!("file://{}", page.display());

    let mut b = open_browser(&bin);
    for viewport in VIEWPORTS {
        let label = viewport.0;
        visit(&mut b, &page_url, viewport);

        // The charts are drawn with their marks: three intervals, and confusion cells.
        let marks = b.eval(
            r#"({intervals: document.querySelectorAll('svg .diff-interval[data-value]').length,
                 cells: document.querySelectorAll('svg .delta-cell[data-value]').length,
                 rows: document.querySelectorAll('table.cells tbody tr').length})"#,
        );
        assert_eq!(marks["intervals"], 3, "{label}: {marks}");
        assert!(marks["cells"].as_u64().unwrap() > 0, "{label}: {marks}");
        assert_eq!(
            marks["cells"], marks["rows"],
            "{label}: one bar per cell row"
        );

        // The hostile ticket shows as text; right -> wrong first.
        let shown = b.eval(
            r#"(() => {
              const rows = [...document.querySelectorAll('table.flips tbody tr')];
              return {ids: rows.map(r => r.cells[1].textContent),
                      dirs: rows.map(r => r.cells[0].textContent),
                      text: rows.map(r => r.cells[2].textContent),
                      imgs: document.querySelectorAll('img').length,
                      scripts: document.querySelectorAll('script').length};
            })()"#,
        );
        assert_eq!(
            shown["ids"],
            json!(["M-22", "M-27", "M-37"]),
            "{label}: {shown}"
        );
        assert_eq!(
            shown["dirs"],
            json!(["right → wrong", "right → wrong", "wrong → right"]),
            "{label}"
        );
        assert_eq!(shown["text"][2], HOSTILE, "{label}");
        assert_eq!(shown["imgs"], 0, "{label}");
        assert_eq!(shown["scripts"], 1, "{label}");
        b.eval("new Promise(r => setTimeout(r, 200))");

        let n = screenshots(&mut b, &format!("compare-{label}"));
        assert_eq!(n, 5, "{label}: the header and four sections");

        let problems = problems(&b);
        assert!(problems.is_empty(), "{label}: {problems:#?}");
    }
}
