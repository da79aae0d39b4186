//! The `verdict-fake-server` binary as the README starts it: it prints its base URL on
//! stdout and serves on 127.0.0.1 until killed. (Also makes `cargo test` build the binary,
//! which verdict's own tests start, e.g. tests/init_schema.rs.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn the_binary_prints_its_base_url_and_answers_on_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict-fake-server"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start verdict-fake-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let addr = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not a base URL: {url:?}"));
    assert!(addr.starts_with("127.0.0.1:"), "{url}");
    // A request without an API key: the strict fake answers 401 like the real API.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        b"POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "{}",
        response.lines().next().unwrap_or("")
    );
    assert!(response.contains("authentication_error"), "{response}");
}
