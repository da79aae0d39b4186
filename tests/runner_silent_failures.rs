//! End to end through the `verdict` binary: configuration and proxy answers that used to make
//! a run go wrong without saying so (issue 9). Regression tests, named after the defect:
//! - item 3: `a_malformed_base_url_exits_2_before_anything_is_sent_or_written`
//! - item 10: `a_short_key_echoed_back_by_a_proxy_is_redacted` (keys `x` and `abc`)
//! - item 2 (the stored error text): also in `a_short_key_echoed_back_by_a_proxy_is_redacted`,
//!   whose 400 answers are stored with their "HTTP 400 type:" prefix once.
//!
//! The proxy here is a few lines of HTTP/1.1 over a real socket on 127.0.0.1: it answers every
//! request with a 400 whose message echoes the `x-api-key` header, as a misconfigured
//! OpenAI-compatible proxy does ("No connected db.").

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{files, journal, path_str, run, verdict};
use verdict::eval_log::Outcome;

/// A server that answers every request with HTTP 400 echoing the key it was sent. Returns
/// its base URL and a counter of requests.
fn echo_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut key, mut len) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    match name.to_ascii_lowercase().as_str() {
                        "x-api-key" => key = value.trim().to_string(),
                        "content-length" => len = value.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let answer = serde_json::json!({
                "type": "error",
                "error": {
                    "type": "no_db_connection",
                    "message": format!("No connected db. Key {key} has no team; check {key}."),
                },
            })
            .to_string();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, count)
}

fn args<'a>(out: &'a str, cache: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "evals/support.yaml",
        "--variant",
        "classify-ticket",
        "--limit",
        "2",
        "--out",
        out,
        "--cache-dir",
        cache,
        "--format",
        "json",
    ]
}

#[test]
fn a_malformed_base_url_exits_2_before_anything_is_sent_or_written() {
    // Nothing listens at these: a request, had one been sent, would have been a connection
    // error retried seven times. None is: the check comes first.
    for bad in ["not a url", "ftp://127.0.0.1/", "http://", "127.0.0.1:8000"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("run");
        let cache = tmp.path().join("cache");
        let o = run(&mut verdict(
            bad,
            "sk-ant-k",
            &args(path_str(&out), path_str(&cache)),
        ));
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("ANTHROPIC_BASE_URL"), "{bad}: {stderr}");
        assert!(stderr.contains(&format!("{bad:?}")), "{bad}: {stderr}");
        assert!(stderr.contains("classify-ticket"), "{bad}: {stderr}");
        assert!(!out.exists(), "{bad}: a run folder was written");
        assert!(files(&cache).is_empty(), "{bad}: the cache was written");
        // A dry run sends nothing either, but the configuration is still wrong.
        let mut dry = args(path_str(&out), path_str(&cache));
        dry.push("--dry-run");
        assert_eq!(
            run(&mut verdict(bad, "sk-ant-k", &dry)).status.code(),
            Some(2)
        );
    }
}

#[test]
fn a_short_key_echoed_back_by_a_proxy_is_redacted() {
    let (proxy, count) = echo_proxy();
    for key in ["x", "abc"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("run");
        let cache = tmp.path().join("cache");
        let o = run(&mut verdict(
            &proxy,
            key,
            &args(path_str(&out), path_str(&cache)),
        ));
        assert!(o.status.code().is_some(), "killed by a signal");
        let recs = journal(&out);
        assert_eq!(recs.len(), 2, "{key}");
        for r in &recs {
            assert_eq!(r.outcome, Outcome::ProviderError);
            let e = r.error.as_deref().unwrap();
            assert_eq!(
                e,
                "HTTP 400 no_db_connection: No connected db. Key [redacted] has no team; check [redacted]. (after 1 attempt)",
                "{key}"
            );
        }
        // Nowhere in the run folder, the output or the messages does the echo keep the key.
        let mut texts = vec![
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        ];
        for f in files(&out) {
            // (graded.bin is binary: its text parts are what could hold a key.)
            texts.push(String::from_utf8_lossy(&std::fs::read(f).unwrap()).to_string());
        }
        for t in &texts {
            assert!(!t.contains(&format!("Key {key} ")), "{key}: {t}");
            assert!(!t.contains(&format!("check {key}.")), "{key}: {t}");
        }
    }
    assert_eq!(count.load(Ordering::SeqCst), 4);
}
