//! Runs that fail say so, and a refused run leaves nothing behind (issue 9). One regression
//! test per defect, by item number:
//!
//! - 9.2 `every_request_failing_printed_only_tables_and_exited_0`: every request failing (HTTP
//!   404 for an unknown model) printed "0 ok" tables and exited 0; now the distinct errors with
//!   counts are in the report (every format) and on stderr before the tables, and the run
//!   exits 3.
//! - 9.2 `an_unreachable_provider_exited_0`: a provider that cannot be reached exits 3.
//! - 9.11 `cache_dir_naming_a_file_left_a_running_run_folder`
//! - 9.11 `max_requests_0_and_max_cost_0_left_an_empty_run_folder`
//! - 9.11 `a_non_empty_folder_without_run_json_was_said_to_hold_a_run`

mod common;

use std::path::Path;

use common::{path_str, run, Fake};
use verdict_fake::FakeConfig;

const KEY: &str = "sk-ant-test-key";

fn args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "run",
        "evals/support.yaml",
        "--variant",
        "classify-ticket",
        "--limit",
        "6",
        "--no-cache",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn every_request_failing_printed_only_tables_and_exited_0() {
    // The fake knows no model the eval asks for: every request is a 404 `not_found_error`.
    let fake = Fake::start(FakeConfig {
        models: Some(vec!["some-other-model".into()]),
        ..FakeConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    for format in ["table", "json"] {
        let dir = out.join(format);
        let o = run(&mut common::verdict(
            &fake.server.base_url,
            KEY,
            &args(path_str(&dir), &["--format", format]),
        ));
        assert_eq!(o.status.code(), Some(3), "{format}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("classify-ticket: 6 records not ok"),
            "{stderr}"
        );
        assert!(stderr.contains("6 x provider_error"), "{stderr}");
        assert!(stderr.contains("claude-haiku-4-5"), "{stderr}");
        assert!(
            stderr.contains("every request of variant \"classify-ticket\" failed"),
            "{stderr}"
        );
        // The errors come before the tables (stderr is written first) and are in the data.
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        assert_eq!(doc["status"], "complete");
        let errors = &doc["metrics"]["variants"][0]["errors"];
        assert_eq!(errors[0]["outcome"], "provider_error");
        assert_eq!(errors[0]["count"], 6);
        assert!(errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("claude-haiku-4-5"));
        if format == "json" {
            let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(printed["variants"][0]["errors"], *errors);
        }
    }
}

#[test]
fn an_unreachable_provider_exited_0() {
    let tmp = tempfile::tempdir().unwrap();
    // A project whose eval does not retry, so the test does not wait out the back-off.
    let proj = tmp.path().join("project");
    for sub in ["evals/support", "prompts/support"] {
        copy_dir(&common::repo().join(sub), &proj.join(sub));
    }
    let eval = std::fs::read_to_string(common::repo().join("evals/support.yaml"))
        .unwrap()
        .replace("max_retries: 6", "max_retries: 0");
    std::fs::write(proj.join("evals/support.yaml"), eval).unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tmp.path().join("run");
    let mut cmd = common::verdict(
        &format!("http://127.0.0.1:{port}"),
        KEY,
        &args(path_str(&out), &[]),
    );
    cmd.current_dir(&proj);
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("connection"), "{stderr}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn cache_dir_naming_a_file_left_a_running_run_folder() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let out = tmp.path().join("run");
    for cache in [file.clone(), file.join("sub")] {
        let o = run(&mut common::verdict(
            &fake.server.base_url,
            KEY,
            &[
                "run",
                "evals/support.yaml",
                "--variant",
                "classify-ticket",
                "--limit",
                "2",
                "--out",
                path_str(&out),
                "--cache-dir",
                path_str(&cache),
            ],
        ));
        assert_eq!(o.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("is a file"), "{stderr}");
        assert!(!out.exists(), "a run folder was made");
    }
    assert_eq!(fake.n_messages(), 0);
}

#[test]
fn max_requests_0_and_max_cost_0_left_an_empty_run_folder() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    for (flag, expect) in [
        ("--max-requests", "--max-requests 0 would send nothing"),
        ("--max-cost", "--max-cost 0 would send nothing"),
    ] {
        let o = run(&mut common::verdict(
            &fake.server.base_url,
            KEY,
            &args(path_str(&out), &[flag, "0"]),
        ));
        assert_eq!(o.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(expect), "{stderr}");
        assert!(!out.exists(), "{flag} 0 made a run folder");
    }
    assert_eq!(fake.n_messages(), 0);
}

#[test]
fn a_non_empty_folder_without_run_json_was_said_to_hold_a_run() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("notes");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("todo.txt"), "buy milk").unwrap();
    let o = run(&mut common::verdict(
        &fake.server.base_url,
        KEY,
        &args(path_str(&out), &[]),
    ));
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("already holds a run"), "{stderr}");
    assert!(!stderr.contains("--resume"), "{stderr}");
    assert!(
        stderr.contains("is not empty and holds no run (1 entry: todo.txt)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "the folder was changed"
    );
    assert_eq!(fake.n_messages(), 0);
}
