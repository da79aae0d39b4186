//! Tests of the module above.
use super::*;

#[test]
fn chunked_reading_equals_reading_whole_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("predictions.jsonl");
    let mut j = Journal::open(&path).unwrap();
    let mut expect = Vec::new();
    for i in 0..40 {
        let mut r = PredictionRecord::new("v", &format!("T-{i}"), 0, Outcome::Ok);
        // Lines of very different lengths, some longer than the smallest chunks.
        r.error = Some("x".repeat(i * 7 % 150));
        j.append(&r).unwrap();
        expect.push(r.ticket.clone());
    }
    drop(j);
    // A byte order mark before the first line and a torn last line.
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(std::fs::read(&path).unwrap());
    bytes.extend_from_slice(b"{\"v\":1,\"vari");
    std::fs::write(&path, &bytes).unwrap();
    for chunk in [1, 7, 64, 200, 333, 4096, 1 << 20] {
        let got: Vec<String> = read_journal_chunked(
            &path,
            chunk,
            |l| serde_json::from_str::<PredictionRecord>(l).ok(),
            |r| Some(r.ticket),
        )
        .unwrap();
        assert_eq!(got, expect, "chunk {chunk}");
    }
    // A bad line in the middle is an error at its line, whatever the chunk size.
    let text = String::from_utf8(bytes).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[22] = "{not json";
    std::fs::write(&path, lines.join("\n")).unwrap();
    for chunk in [1, 64, 333, 1 << 20] {
        let err = read_journal_chunked(
            &path,
            chunk,
            |l| serde_json::from_str::<PredictionRecord>(l).ok(),
            Some,
        )
        .unwrap_err();
        match err {
            Error::Invalid(d) => assert_eq!(d[0].pos.unwrap().line, 23, "chunk {chunk}"),
            other => panic!("chunk {chunk}: {other:?}"),
        }
    }
}

#[test]
fn journal_survives_a_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("predictions.jsonl");
    let mut j = Journal::open(&path).unwrap();
    let a = PredictionRecord::new("v", "T-1", 0, Outcome::Ok);
    j.append(&a).unwrap();
    drop(j);
    // A crash mid-write leaves half a line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"{\"v\":1,\"variant\":\"v\",\"tick").unwrap();
    drop(f);
    assert_eq!(read_journal(&path).unwrap(), vec![a.clone()]);
    // Reopening cuts the torn line so the next append starts clean.
    let mut j = Journal::open(&path).unwrap();
    let b = PredictionRecord::new("v", "T-2", 0, Outcome::Refusal);
    j.append(&b).unwrap();
    assert_eq!(read_journal(&path).unwrap(), vec![a, b]);
}

#[test]
fn a_bad_line_in_the_middle_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    std::fs::write(
        &path,
        "garbage\n{\"v\":1,\"variant\":\"a\",\"ticket\":\"t\",\"outcome\":\"ok\"}\n",
    )
    .unwrap();
    let err = read_journal(&path).unwrap_err().to_string();
    assert!(err.contains("p.jsonl:1:1"), "{err}");
}

#[test]
fn later_records_replace_earlier_ones() {
    let a = PredictionRecord::new("v", "T-1", 0, Outcome::ProviderError);
    let b = PredictionRecord::new("v", "T-2", 0, Outcome::Ok);
    let c = PredictionRecord::new("v", "T-1", 0, Outcome::Ok);
    assert_eq!(dedup_latest(vec![a, b.clone(), c.clone()]), vec![c, b]);
}
