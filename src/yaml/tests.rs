//! Tests of the module above.
use super::*;

#[test]
fn positions_are_one_based() {
    let node = parse("a: 1\nb:\n  - x\n  - 'y'\n").unwrap();
    let Value::Map(entries) = &node.value else {
        panic!("not a map")
    };
    assert_eq!(entries[0].0.pos, Pos { line: 1, col: 1 });
    assert_eq!(entries[0].1.value, Value::Int(1));
    assert_eq!(entries[0].1.pos, Pos { line: 1, col: 4 });
    let Value::Seq(items) = &entries[1].1.value else {
        panic!("not a seq")
    };
    assert_eq!(items[1].pos, Pos { line: 4, col: 5 });
    assert_eq!(items[1].value, Value::Str("y".into()));
}

#[test]
fn core_schema_scalars() {
    let node = parse("[true, 'true', null, 3, -2.5, 1e3, abc, 0.9]").unwrap();
    let Value::Seq(items) = node.value else {
        panic!()
    };
    let values: Vec<Value> = items.into_iter().map(|n| n.value).collect();
    assert_eq!(
        values,
        vec![
            Value::Bool(true),
            Value::Str("true".into()),
            Value::Null,
            Value::Int(3),
            Value::Float(-2.5),
            Value::Float(1000.0),
            Value::Str("abc".into()),
            Value::Float(0.9)
        ]
    );
}

#[test]
fn syntax_error_has_position() {
    let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(err.pos.line >= 1, "{err:?}");
    assert!(!err.message.is_empty());
}

#[test]
fn duplicate_keys_are_errors() {
    let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(err.pos, Pos { line: 3, col: 1 });
    assert_eq!(err.path, "a");
    assert!(err
        .message
        .contains("duplicate key \"a\" (first at line 1, column 1)"));
    let err = parse("t:\n  - x: 1\n  - {y: 1, y: 2}\n").unwrap_err();
    assert_eq!(err.path, "t[1].y");
    assert_eq!(err.pos, Pos { line: 3, col: 12 });
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // Run on a small stack: the parse must not recurse per level.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let text: String = (0..20_000)
                .map(|i| format!("{}- \n", " ".repeat(i)))
                .collect();
            parse(&text).unwrap_err()
        })
        .unwrap();
    let err = handle.join().unwrap();
    assert!(err.message.contains("nest deeper than 128"), "{err:?}");
    assert_eq!(err.pos.line, MAX_DEPTH + 1);
    let ok: String = (0..MAX_DEPTH)
        .map(|i| format!("{}- \n", " ".repeat(i)))
        .collect();
    assert!(parse(&ok).is_ok());
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let err = parse(&text).unwrap_err();
    assert!(
        err.message.contains("aliases expand to more than"),
        "{err:?}"
    );
}

#[test]
fn a_second_document_is_an_error() {
    let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
    assert_eq!(err.pos.line, 2);
    assert!(err.message.contains("second YAML document"));
    assert!(parse("---\na: 1\n").is_ok());
    assert!(parse("---\na: 1\n...\n").is_ok());
}

#[test]
fn merge_keys_are_resolved() {
    let node =
        parse("base: &b {model: m, max_tokens: 5}\nv:\n  <<: *b\n  max_tokens: 7\n").unwrap();
    let json = node.to_json();
    assert_eq!(
        json["v"],
        serde_json::json!({"model": "m", "max_tokens": 7})
    );
    let node = parse("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b], z: 3}\n").unwrap();
    assert_eq!(
        node.to_json()["c"],
        serde_json::json!({"x": 1, "y": 2, "z": 3})
    );
    let err = parse("a: {<<: 3}\n").unwrap_err();
    assert!(
        err.message.contains("merge key `<<` takes a mapping"),
        "{err:?}"
    );
    assert_eq!(err.pos, Pos { line: 1, col: 9 });
}

#[test]
fn aliases_resolve() {
    let node = parse("a: &x [1, 2]\nb: *x\n").unwrap();
    let json = node.to_json();
    assert_eq!(json["b"], serde_json::json!([1, 2]));
}

#[test]
fn byte_order_mark_is_not_part_of_the_first_key() {
    let node = parse("\u{feff}name: x\ngold: g.yaml\n").unwrap();
    assert_eq!(node.to_json()["name"], serde_json::json!("x"));
    let err = parse("\u{feff}a: 1\na: 2\n").unwrap_err();
    assert_eq!(err.pos, Pos { line: 2, col: 1 });
}
