//! Tests of the module above.
use super::*;

/// The tickets of a journal's records, read in chunks of `chunk` bytes (serde for every line).
fn tickets_read(path: &Path, chunk: usize) -> Vec<String> {
    read_journal_chunked(
        path,
        chunk,
        |l| serde_json::from_str::<PredictionRecord>(l).ok(),
        |r| Some(r.ticket),
    )
    .unwrap()
}

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
        assert_eq!(tickets_read(&path, chunk), expect, "chunk {chunk}");
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

/// A journal of more than [`crate::file_bytes::MAP_MIN`] bytes is mapped, and the pages of
/// chunks done with are dropped from the map as it is read: every chunk size still reads
/// each line once, in order, with its line number, the torn last line skipped, and through
/// `read_journal_views` too.
#[test]
fn a_mapped_journal_reads_as_a_read_one_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("predictions.jsonl");
    let mut j = Journal::open(&path).unwrap();
    let mut expect = Vec::new();
    let mut i = 0usize;
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < crate::file_bytes::MAP_MIN + 300_000 {
        let mut r = PredictionRecord::new("v", &format!("T-{i}"), 0, Outcome::Ok);
        r.error = Some("y".repeat(i * 13 % 700));
        j.append(&r).unwrap();
        expect.push(r.ticket.clone());
        i += 1;
    }
    drop(j);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"v\":1,\"vari");
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        crate::file_bytes::map_bytes(&path).unwrap(),
        crate::file_bytes::FileBytes::Mapped(_)
    ));
    for chunk in [5, 4096, 70_000, 1 << 20, 16 << 20] {
        assert_eq!(tickets_read(&path, chunk), expect, "chunk {chunk}");
    }
    let mut viewed = Vec::new();
    read_journal_views(
        &path,
        |_| (),
        |lines| {
            viewed.extend(lines.iter().map(|(l, ())| l.ticket.to_string()));
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(viewed, expect);
    // A bad line deep in the file is an error at its line.
    let text = String::from_utf8(bytes).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = lines.len() - 40;
    lines[bad] = "{not json";
    std::fs::write(&path, lines.join("\n")).unwrap();
    for chunk in [4096, 1 << 20] {
        match read_journal_chunked(&path, chunk, |_| None, Some).unwrap_err() {
            Error::Invalid(d) => assert_eq!(d[0].pos.unwrap().line, bad + 1, "chunk {chunk}"),
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

/// What the grader reads of a line, from the fast scanner or from serde: equal field by
/// field (NaN confidence equal to NaN), outputs looked up by every key either side has.
fn assert_same_view(line: &str, fast: &scan::JournalLine, careful: &scan::JournalLine) {
    assert_eq!(fast.variant, careful.variant, "{line}");
    assert_eq!(fast.ticket, careful.ticket, "{line}");
    assert_eq!(fast.repeat, careful.repeat, "{line}");
    assert_eq!(fast.outcome, careful.outcome, "{line}");
    let conf = |c: Option<f64>| {
        c.map(|x| {
            if x.is_nan() {
                "NaN".into()
            } else {
                x.to_bits().to_string()
            }
        })
    };
    assert_eq!(conf(fast.confidence), conf(careful.confidence), "{line}");
    assert_eq!(fast.usage, careful.usage, "{line}");
    let bits = |x: Option<f64>| x.map(f64::to_bits);
    assert_eq!(bits(fast.cost_usd), bits(careful.cost_usd), "{line}");
    assert_eq!(bits(fast.latency_ms), bits(careful.latency_ms), "{line}");
    assert_eq!(
        bits(fast.latency_e2e_ms),
        bits(careful.latency_e2e_ms),
        "{line}"
    );
    assert_eq!(fast.cached, careful.cached, "{line}");
    assert_eq!(fast.error, careful.error, "{line}");
    assert_eq!(fast.stop_reason, careful.stop_reason, "{line}");
    assert_eq!(fast.started_at_ms, careful.started_at_ms, "{line}");
    assert_eq!(fast.finished_at_ms, careful.finished_at_ms, "{line}");
    let scan::Outputs::Map(map) = &careful.outputs else {
        panic!("serde's view holds a map")
    };
    for key in map.keys().map(String::as_str).chain(["absent", ""]) {
        assert_eq!(
            fast.output(key),
            careful.output(key),
            "{line}: output {key:?}"
        );
    }
}

/// The fast journal scanner (compare and gate read with it) reads every line exactly as
/// serde reads it through `read_journal`, or gives the line up to serde: never a different
/// value. Checked over a real record and a hundred variations of it: escapes, Unicode,
/// exponents, negative and huge numbers, nulls, missing, unknown and duplicate keys, wrong
/// types, whitespace, nesting and bad JSON.
#[test]
fn the_journal_scanner_reads_what_serde_reads_or_gives_up() {
    let mut r = PredictionRecord::new("prompt-a", "T-0001", 2, Outcome::Ok);
    r.outputs = serde_json::from_str(
        r#"{"department":"billing","priority":"high","intents":["refund","cancel"],"requires_human":false,"note":3}"#,
    )
    .unwrap();
    r.confidence = Some(0.87);
    r.usage = Some(Usage {
        input_tokens: 512,
        output_tokens: 40,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 0,
    });
    r.cost_usd = Some(0.001234);
    r.latency_ms = Some(812.5);
    r.latency_e2e_ms = Some(1020.25);
    r.started_at_ms = Some(1_764_000_000_000);
    r.finished_at_ms = Some(1_764_000_001_020);
    r.stop_reason = Some("tool_use".into());
    r.request_id = Some("req_01".into());
    r.attempts = Some(1);
    let base = serde_json::to_string(&r).unwrap();
    // The plain line takes the fast path (otherwise this test would test nothing).
    assert!(scan::scan_line(&base).is_some(), "{base}");
    // The same record with outputs of strings and booleans only, which the scanner reads
    // once into a small flat list (`Outputs::Flat`), not as text to scan again.
    r.outputs = serde_json::from_str(
        r#"{"department":"billing","priority":"high","requires_human":false}"#,
    )
    .unwrap();
    let flat = serde_json::to_string(&r).unwrap();
    assert!(
        matches!(
            scan::scan_line(&flat).map(|l| l.outputs),
            Some(scan::Outputs::Flat { n: 3, .. })
        ),
        "{flat}"
    );

    let edits: &[(&str, &str)] = &[
        ("", ""),
        (r#""T-0001""#, r#""T-\u0030001""#),
        // Keys out of the writer's order, repeated, spaced, or near the one expected next
        // (`Scan::object_in_order` tries the next key by its bytes first).
        (r#""v":1,"#, ""),
        (r#""v":1,"#, r#""x":1,"v":1,"#),
        (r#""repeat":2,"#, r#""repeat":2,"repeat":3,"#),
        (r#""repeat":2,"#, r#""outcome":"ok","repeat":2,"#),
        (r#""ticket":"#, r#""ticket" :"#),
        (r#""ticket":"#, r#" "ticket":"#),
        (r#""variant":"#, r#""variants":"x","variant":"#),
        (r#""variant":"#, r#""varian":"x","variant":"#),
        (r#""confidence":"#, r#""confidencE":1,"confidence":"#),
        (
            r#""finished_at_ms":"#,
            r#""finished_at_ms":1,"finished_at_ms":"#,
        ),
        (
            r#""finished_at_ms":"#,
            r#""finished_at_mss":1,"finished_at_ms":"#,
        ),
        (r#""T-0001""#, r#""Tésté-✓""#),
        (r#""prompt-a""#, r#""prompt\"a""#),
        (r#""billing""#, r#""bil\nling""#),
        (r#""billing""#, r#""billing ünïcode 😀""#),
        (r#""billing""#, "null"),
        (r#""billing""#, "12"),
        (r#""billing""#, r#"{"x":[1,2,{"y":null}]}"#),
        (r#"["refund","cancel"]"#, "[]"),
        (r#"["refund","cancel"]"#, r#"["refund",1]"#),
        (r#"["refund","cancel"]"#, r#"[ "refund" , "cancel" ]"#),
        ("false", "true"),
        ("0.87", "8.7e-1"),
        ("0.87", "87E-2"),
        ("0.87", "-0.87"),
        ("0.87", "-0"),
        ("0.87", "1"),
        ("0.87", "0.870000000000000000001"),
        ("0.87", "123456789012345678901234567890"),
        ("0.87", "null"),
        ("0.87", r#""high""#),
        ("0.87", "[0.87]"),
        ("0.87", "true"),
        ("0.87", "087"),
        ("0.87", ".87"),
        ("0.87", "0.87.1"),
        ("512", "5.12e2"),
        ("512", "-512"),
        ("512", "18446744073709551615"),
        ("512", "18446744073709551616"),
        ("512", "null"),
        (r#","output_tokens":40"#, ""),
        (r#""cache_read_input_tokens":100,"#, ""),
        (
            r#""input_tokens":512"#,
            r#""input_tokens":512,"input_tokens":3"#,
        ),
        ("0.001234", "1.234e-3"),
        ("0.001234", "null"),
        ("0.001234", r#""0.001""#),
        ("812.5", "8125E-1"),
        ("812.5", "-1"),
        ("1764000000000", "-1"),
        ("1764000000000", "1.5"),
        ("1764000000000", "null"),
        (r#""cached":false"#, r#""cached":true"#),
        (r#""cached":false"#, r#""cached":null"#),
        (r#""cached":false"#, r#""cached":0"#),
        (r#""tool_use""#, r#""end_turn""#),
        (r#""tool_use""#, "null"),
        (r#""tool_use""#, "7"),
        (r#""req_01""#, "null"),
        (r#""req_01""#, "1"),
        (r#""attempts":1"#, r#""attempts":null"#),
        (r#""attempts":1"#, r#""attempts":-1"#),
        (r#""outcome":"ok""#, r#""outcome":"invalid_output""#),
        (r#""outcome":"ok""#, r#""outcome":"refused""#),
        (r#""outcome":"ok""#, r#""outcome":"provider_error""#),
        (r#""outcome":"ok""#, r#""outcome":"OK""#),
        (r#""outcome":"ok""#, r#""outcome":"ok","outcome":"refused""#),
        (r#""outcome":"ok","#, ""),
        (r#""v":1"#, r#""v":2"#),
        (r#""v":1"#, r#""v":1.0"#),
        (r#""v":1,"#, ""),
        (r#""repeat":2"#, r#""repeat":-2"#),
        (r#""repeat":2"#, r#""repeat":4294967296"#),
        (r#""repeat":2"#, r#""repeat":2,"repeat":3"#),
        (r#""ticket":"T-0001","#, ""),
        (
            r#""variant":"prompt-a""#,
            r#""variant":"prompt-a","variant":"b""#,
        ),
        (r#""variant":"prompt-a""#, r#""variant":null"#),
        (r#""outputs":{"#, r#""outputs":{"department":"x","#),
        (r#""outputs":{"#, r#""outputs":["#),
        (
            r#""outputs":{"#,
            r#""unknown":{"a":[1,{"b":"\"}"}]},"outputs":{"#,
        ),
        (
            r#""error":null"#,
            r#""error":"HTTP 529: overloaded \u00e9""#,
        ),
        (r#""error":null"#, r#""error":"plain""#),
        ("{", "  { "),
        (":", " : "),
        (",", " ,\t"),
        ("}", "}  "),
        ("}", "} x"),
        ("}", ""),
        ("\"", "'"),
    ];
    // Edits of the flat outputs: more keys than it holds, a repeated key, other values.
    let flat_edits: &[(&str, &str)] = &[
        (r#""high""#, r#""high","a":"1","b":true"#),
        (r#""high""#, r#""high","department":"sales""#),
        (r#""high""#, r#""high","department":null"#),
        (r#""high""#, r#""high","n":1"#),
        (r#""high""#, r#""high","l":["x"]"#),
        (r#""billing""#, r#""bil\"ling""#),
        (r#"false,"#, r#"fals,"#),
        (
            r#""outputs":{"department":"billing","priority":"high","requires_human":false}"#,
            r#""outputs":{}"#,
        ),
        (r#""outputs":{"#, r#""outputs":{ "#),
    ];
    let mut fast_taken = 0;
    let cases = edits
        .iter()
        .map(|e| (&base, e))
        .chain(edits.iter().chain(flat_edits).map(|e| (&flat, e)));
    for (base, (from, to)) in cases {
        // Each edit at its first occurrence, and (for short patterns) at every one.
        let mut lines = vec![base.replacen(from, to, 1)];
        if from.len() <= 2 && !from.is_empty() {
            lines.push(base.replace(from, to));
        }
        for line in lines {
            let careful = careful_line(Path::new("j.jsonl"), &line, 1, false);
            let Some(fast) = scan::scan_line(&line) else {
                continue; // given up: serde reads it, with its errors
            };
            fast_taken += 1;
            let record = careful
                .unwrap_or_else(|e| panic!("scanner read a line serde refuses: {line}\n{e}"))
                .expect("a non-blank line");
            assert_same_view(&line, &fast, &scan::JournalLine::from_record(record));
        }
    }
    // Most variations are valid lines the scanner reads itself.
    assert!(
        fast_taken >= 80,
        "only {fast_taken} lines took the fast path"
    );
}

#[test]
fn push_lines_splits_as_str_lines() {
    for text in [
        "",
        "\n",
        "a",
        "a\n",
        "a\r\nb\r",
        "a\r\n\r\nb\r\n",
        "a\n\nb\n",
        "\r\n\r",
        "x\r\r\ny",
        "{\"v\":1}\n{\"v\":1}\r\n{\"v",
    ] {
        let mut got = Vec::new();
        super::scan::push_lines(text, &mut got);
        assert_eq!(got, text.lines().collect::<Vec<_>>(), "{text:?}");
    }
}

/// `eq_short` and `eq_upto32` are `==` on byte strings of every length, equal or differing in
/// any one byte.
#[test]
fn eq_short_is_slice_equality() {
    use super::cursor::eq_upto32;
    use super::eq_short;
    for eq in [eq_short, eq_upto32] {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            assert!(eq(&a, &a.clone()), "{n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!eq(&a, &b), "{n} {i}");
                assert!(!eq(&b, &a), "{n} {i}");
            }
            let longer = [&a[..], b"x"].concat();
            assert!(!eq(&a, &longer), "{n}");
            assert!(!eq(&longer, &a), "{n}");
        }
    }
    assert!(eq_short(b"variant", b"variant") && !eq_short(b"variant", b"variance"));
}

/// `Scan::string` ends a string at its first quote, backslash or control character, found
/// 16 bytes at a time (SSE2) and then 8 and 1 at a time: checked against a byte loop for
/// every such character at every offset of strings of 0 to 40 bytes, ASCII and not, with the
/// string ending at the text's end or before more text.
#[test]
fn string_stops_where_a_byte_loop_stops() {
    let fill = ["abcdefgh", "é€😀x", "    "];
    for f in fill {
        let body: String = f.chars().cycle().take(40).collect();
        for n in 0..=body.chars().count() {
            let s: String = body.chars().take(n).collect();
            for special in ['"', '\\', '\n', '\u{1}', '\u{1f}'] {
                // The special character at every char position of s, then a closing quote.
                for at in 0..=s.chars().count() {
                    let head: String = s.chars().take(at).collect();
                    let tail: String = s.chars().skip(at).collect();
                    for after in ["", "\",1", "\"rest of the line xxxxxxxxxxxxxxxx"] {
                        let text = format!("\"{head}{special}{tail}\"{after}");
                        let mut c = Scan::new(&text);
                        let got = c.string();
                        let expected = (special == '"').then_some(head.as_str());
                        assert_eq!(got, expected, "{text:?}");
                        if got.is_some() {
                            assert_eq!(c.i, head.len() + 2, "{text:?}");
                        }
                    }
                }
                // No special character: the string ends at its closing quote, or is unclosed.
                for text in [
                    format!("\"{s}\""),
                    format!("\"{s}\",\"x\""),
                    format!("\"{s}"),
                ] {
                    let closed = text.len() > s.len() + 1;
                    assert_eq!(
                        Scan::new(&text).string(),
                        closed.then_some(s.as_str()),
                        "{text:?}"
                    );
                }
            }
        }
    }
}

/// A compact cursor reads the lines `verdict run` writes as a loose one does, and gives up on
/// white space anywhere between tokens, where the loose one reads on.
#[test]
fn a_compact_cursor_gives_up_on_white_space_only() {
    let r = {
        let mut r = PredictionRecord::new("prompt-a", "T-1", 0, Outcome::Ok);
        r.outputs = serde_json::from_str(r#"{"intent":"refund","urgent":true}"#).unwrap();
        r.confidence = Some(0.75);
        r
    };
    let line = serde_json::to_string(&r).unwrap();
    let mut compact = Scan::compact(&line);
    let mut loose = Scan::new(&line);
    assert!(compact.skip_value(0).is_some() && compact.i == line.len());
    assert!(loose.skip_value(0).is_some() && loose.i == line.len());
    // A space after each token of the line, one at a time.
    let mut spaced = 0;
    for (at, c) in line.char_indices() {
        if !matches!(c, '{' | '}' | ':' | ',' | '[' | ']') {
            continue;
        }
        let text = format!("{} {}", &line[..=at], &line[at + 1..]);
        let mut loose = Scan::new(&text);
        assert!(loose.skip_value(0).is_some() && loose.at_end(), "{text}");
        let mut compact = Scan::compact(&text);
        assert!(
            compact.skip_value(0).is_none() || !compact.at_end(),
            "{text}"
        );
        assert!(scan::scan_line(&text).is_some(), "{text}");
        spaced += 1;
    }
    assert!(spaced > 10, "{spaced}");
}

/// `scan_line_into` reads a line into a `JournalLine` that held another line (as the journal
/// reader's list reuses its places): nothing of the earlier line is left, whether the new
/// one is read, given up on by the compact cursor, or given up on altogether.
#[test]
fn scan_line_into_leaves_nothing_of_the_line_before() {
    let mut full = PredictionRecord::new("prompt-a", "T-1", 3, Outcome::Refusal);
    full.outputs = serde_json::from_str(r#"{"intent":"refund","urgent":true}"#).unwrap();
    full.confidence = Some(0.5);
    full.usage = Some(Usage {
        input_tokens: 10,
        output_tokens: 2,
        ..Usage::default()
    });
    full.cost_usd = Some(0.25);
    full.latency_ms = Some(12.5);
    full.cached = true;
    full.error = Some("boom".into());
    full.stop_reason = Some("tool_use".into());
    full.latency_e2e_ms = Some(13.0);
    full.started_at_ms = Some(1);
    full.finished_at_ms = Some(2);
    let full = serde_json::to_string(&full).unwrap();
    let bare = serde_json::to_string(&PredictionRecord::new("b", "T-2", 0, Outcome::Ok)).unwrap();
    let spaced = bare.replace(",", ", ");
    for next in [&bare, &spaced] {
        let mut out = scan::scan_line(&full).unwrap();
        assert!(scan::scan_line_into(next, &mut out), "{next}");
        let careful = careful_line(Path::new("j.jsonl"), next, 1, false)
            .unwrap()
            .unwrap();
        assert_same_view(next, &out, &scan::JournalLine::from_record(careful));
        assert!(
            matches!(out.outputs, scan::Outputs::Flat { n: 0, .. }),
            "{next}"
        );
    }
    let mut out = scan::scan_line(&full).unwrap();
    assert!(!scan::scan_line_into(
        r#"{"v":1,"variant":"a\u0062"}"#,
        &mut out
    ));
}

/// Lines the fast readers give up on (an escape in a string, as in an `invalid_output`
/// record's message, which quotes the value) are read by serde one by one, among lines read
/// fast in parallel: every record in order, the same as serde alone reads them, through
/// `read_journal` and `read_journal_views`; blank lines and the torn last line are no
/// record; a bad line is the error at its own line, before or after an escaped one.
#[test]
fn escaped_lines_among_fast_ones_read_in_order_and_errors_keep_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("predictions.jsonl");
    let mut j = Journal::open(&path).unwrap();
    for i in 0..6000 {
        let mut r = PredictionRecord::new("v", &format!("T-{i}"), 0, Outcome::Ok);
        r.confidence = Some(0.5);
        r.latency_ms = Some(i as f64 / 8.0);
        if i % 97 == 3 {
            r.outcome = Outcome::InvalidOutput;
            r.error = Some(format!(
                "classify: property `intent` = \"x{i}\": not a value"
            ));
        }
        j.append(&r).unwrap();
    }
    drop(j);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let blank_at = text.match_indices('\n').nth(2500).unwrap().0;
    text.insert(blank_at, '\n'); // a blank line after line 2501
    text.push_str("{\"v\":1,\"variant\":\"v\",\"ticket\":\"T-torn"); // a torn last line
    std::fs::write(&path, &text).unwrap();
    let serde_alone: Vec<PredictionRecord> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(serde_alone.len(), 6000);
    assert_eq!(read_journal(&path).unwrap(), serde_alone);
    let mut viewed: Vec<(String, String, Option<String>)> = Vec::new();
    read_journal_views(
        &path,
        |l| Some(l.outcome),
        |lines| {
            for (l, o) in lines {
                assert_eq!(Some(l.outcome), *o, "the tag is the line's");
                let e = l.error.as_deref().map(str::to_string);
                viewed.push((l.ticket.to_string(), l.outcome.name().to_string(), e));
            }
            Ok(())
        },
    )
    .unwrap();
    let expect: Vec<(String, String, Option<String>)> = serde_alone
        .iter()
        .map(|r| {
            (
                r.ticket.clone(),
                r.outcome.name().to_string(),
                r.error.clone(),
            )
        })
        .collect();
    assert_eq!(viewed, expect);
    // A bad line just before and just after escaped lines: the error is at the first one.
    let lines: Vec<&str> = text.lines().collect();
    let escaped: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("\\\""))
        .collect();
    for bad in [escaped[20] - 1, escaped[20] + 1] {
        let mut broken = lines.clone();
        broken[bad] = "{not json";
        broken[bad + 5] = "{\"v\":1,\"variant\":3}";
        std::fs::write(&path, broken.join("\n")).unwrap();
        for e in [
            read_journal(&path).unwrap_err(),
            read_journal_views(&path, |_| (), |_| Ok(())).unwrap_err(),
        ] {
            match e {
                Error::Invalid(d) => assert_eq!(d[0].pos.unwrap().line, bad + 1),
                other => panic!("{other:?}"),
            }
        }
    }
}

/// A plain decimal of any length reads to the same double through the cursor as through
/// serde_json (with `float_roundtrip`): the runner's latencies (17 significant digits), long
/// ones beyond 19 digits, halfway cases between two doubles, and random ones of 1 to 40
/// digits with the point anywhere; signs and exponents are serde's own.
#[test]
fn long_plain_decimals_read_as_serde_reads_them() {
    use rand::{Rng, SeedableRng};
    let mut cases: Vec<String> = [
        "229.93698844761278",
        "485.9072266295183",
        "9007199254740993",
        "9007199254740993.0000000000000001",
        "0.1000000000000000055511151231257827",
        "0.30000000000000004",
        "2.2250738585072011",
        "1.7976931348623157",
        "4503599627370496.5",
        "4503599627370497.5",
        "123456789012345678901234567890.123456789",
        "0.000000000000000000000000000000000000000000000000000001",
        "1764201600230.5",
        "-0.5",
        "1e5",
        "2.5E-3",
        "1e400",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for _ in 0..20_000 {
        let n = rng.gen_range(1..=40);
        let mut d: String = (0..n)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        if d.len() > 1 && d.starts_with('0') {
            d.replace_range(0..1, "1");
        }
        if rng.gen_bool(0.8) {
            let p = rng.gen_range(1..=d.len());
            if p < d.len() {
                d.insert(p, '.');
            }
        }
        cases.push(d);
    }
    for t in &cases {
        let serde: Option<f64> = serde_json::from_str(t).ok();
        let mut s = Scan::compact(t);
        let fast = s.f64();
        assert_eq!(
            fast.map(f64::to_bits),
            serde.map(f64::to_bits),
            "{t}: the cursor read {fast:?}, serde {serde:?}"
        );
        if fast.is_some() {
            assert_eq!(s.i, t.len(), "{t}");
        }
    }
}

/// The cursor's integers (eight digits at a time, then one by one) read what serde_json
/// reads into a u64, to the end of the text or not at all: every length from 1 to 22 digits,
/// leading zeros, the u64 limit and one past it, and random digit strings.
#[test]
fn integers_read_as_serde_reads_them() {
    use rand::{Rng, SeedableRng};
    let mut cases: Vec<String> = [
        "0",
        "00",
        "07",
        "1764201600230",
        "99999999",
        "100000000",
        "12345678901234567",
        "123456789012345678",
        "18446744073709551615",
        "18446744073709551616",
        "1.5",
        "1e3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for _ in 0..20_000 {
        let n = rng.gen_range(1..=22);
        cases.push(
            (0..n)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect(),
        );
    }
    for t in &cases {
        let mut s = Scan::compact(t);
        let fast = s.u64().filter(|_| s.i == t.len());
        assert_eq!(fast, serde_json::from_str::<u64>(t).ok(), "{t}");
        // Followed by more of a line, the same number and the cursor before the rest.
        let line = format!("{t},\"x\":1}}");
        let mut s = Scan::compact(&line);
        let fast = s.u64().filter(|_| s.b[s.i] == b',');
        assert_eq!(fast, serde_json::from_str::<u64>(t).ok(), "{line}");
    }
}

/// `read_journal_views` scans a chunk while the sink takes the chunk before it; errors still
/// come in the file's order: a sink error on an early line wins over a bad line later in the
/// file (already scanned), and a bad line wins over a sink error on any line after it.
#[test]
fn pipelined_views_keep_errors_in_the_files_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("predictions.jsonl");
    let mut j = Journal::open(&path).unwrap();
    for i in 0..20_000 {
        let mut r = PredictionRecord::new("v", &format!("T-{i}"), 0, Outcome::Ok);
        r.error = Some("z".repeat(100));
        j.append(&r).unwrap();
    }
    drop(j);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.len() > 5 * (512 << 10), "several chunks");
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = 15_000;
    lines[bad] = "{not json";
    std::fs::write(&path, lines.join("\n")).unwrap();
    let stop_at = |ticket: &'static str| {
        let mut seen = 0usize;
        read_journal_views(
            &path,
            |_| (),
            move |ls| {
                for (l, ()) in ls {
                    seen += 1;
                    if l.ticket == ticket {
                        return Err(Error::Usage(format!("sink stopped after {seen}")));
                    }
                }
                Ok(())
            },
        )
        .unwrap_err()
    };
    // The sink stops before the bad line: its error, after every line before it in order.
    match stop_at("T-4000") {
        Error::Usage(m) => assert_eq!(m, "sink stopped after 4001"),
        other => panic!("{other:?}"),
    }
    // The bad line comes first: its error, at its line.
    match stop_at("T-19000") {
        Error::Invalid(d) => assert_eq!(d[0].pos.unwrap().line, bad + 1),
        other => panic!("{other:?}"),
    }
}
