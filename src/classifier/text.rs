//! Text analysis for the local classifier: lowercasing and n-gram extraction that
//! reproduce scikit-learn's `TfidfVectorizer` analyzers (`analyzer="word"` with the
//! default token pattern `(?u)\b\w\w+\b`, and `analyzer="char_wb"`), written by hand
//! so the hot path needs no regex engine.

use super::FeatureSpec;

/// A "word" character as in Python's `\w` with `re.UNICODE`: alphanumeric or `_`.
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Lowercases `text` the way scikit-learn's default preprocessor does (`str.lower()`).
pub(crate) fn preprocess(text: &str) -> String {
    text.to_lowercase()
}

/// Word tokens of an already lowercased text: maximal runs of word characters that are
/// at least two characters long (scikit-learn's `(?u)\b\w\w+\b`).
pub(crate) fn word_tokens(lowered: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    let mut n_chars = 0usize;
    for (i, c) in lowered.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
                n_chars = 0;
            }
            n_chars += 1;
        } else if let Some(s) = start.take() {
            if n_chars >= 2 {
                tokens.push(&lowered[s..i]);
            }
        }
    }
    if let Some(s) = start {
        if n_chars >= 2 {
            tokens.push(&lowered[s..]);
        }
    }
    tokens
}

/// Calls `emit` once per n-gram occurrence of `spec` in the lowercased text, in
/// scikit-learn's order. `buf` is scratch space reused between calls.
pub(crate) fn visit_ngrams(
    spec: &FeatureSpec,
    lowered: &str,
    buf: &mut String,
    emit: &mut dyn FnMut(&str),
) {
    match *spec {
        FeatureSpec::Word { min_n, max_n } => {
            let tokens = word_tokens(lowered);
            for n in min_n..=max_n.min(tokens.len()) {
                for window in tokens.windows(n) {
                    if n == 1 {
                        emit(window[0]);
                    } else {
                        buf.clear();
                        for (k, t) in window.iter().enumerate() {
                            if k > 0 {
                                buf.push(' ');
                            }
                            buf.push_str(t);
                        }
                        emit(buf);
                    }
                }
            }
        }
        FeatureSpec::CharWb { min_n, max_n } => {
            let mut bounds: Vec<usize> = Vec::new();
            for word in lowered.split_whitespace() {
                buf.clear();
                buf.push(' ');
                buf.push_str(word);
                buf.push(' ');
                bounds.clear();
                bounds.extend(buf.char_indices().map(|(i, _)| i));
                bounds.push(buf.len());
                let w_len = bounds.len() - 1;
                for n in min_n..=max_n {
                    // Mirrors sklearn's `_char_wb_ngrams`: a padded word no longer than
                    // `n` is emitted once, whole, and ends the loop over `n`.
                    let mut offset = 0usize;
                    emit(&buf[bounds[0]..bounds[n.min(w_len)]]);
                    while offset + n < w_len {
                        offset += 1;
                        emit(&buf[bounds[offset]..bounds[offset + n]]);
                    }
                    if offset == 0 {
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ngrams(spec: FeatureSpec, text: &str) -> Vec<String> {
        let lowered = preprocess(text);
        let mut out = Vec::new();
        let mut buf = String::new();
        visit_ngrams(&spec, &lowered, &mut buf, &mut |s| out.push(s.to_string()));
        out
    }

    #[test]
    fn word_tokens_follow_sklearn_token_pattern() {
        // sklearn: TfidfVectorizer().build_analyzer()("I can't use my card_2, é-mail x9!")
        assert_eq!(
            word_tokens(&preprocess("I can't use my card_2, é-mail x9!")),
            vec!["can", "use", "my", "card_2", "mail", "x9"]
        );
        assert!(word_tokens("a b c ! ?").is_empty());
        assert_eq!(word_tokens("Ünïcode wörds"), vec!["Ünïcode", "wörds"]);
    }

    #[test]
    fn word_ngrams_match_sklearn() {
        // sklearn: TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()("Where is my CARD?")
        assert_eq!(
            ngrams(
                FeatureSpec::Word { min_n: 1, max_n: 2 },
                "Where is my CARD?"
            ),
            vec!["where", "is", "my", "card", "where is", "is my", "my card"]
        );
        assert_eq!(
            ngrams(FeatureSpec::Word { min_n: 2, max_n: 3 }, "top up now"),
            vec!["top up", "up now", "top up now"]
        );
        assert!(ngrams(FeatureSpec::Word { min_n: 2, max_n: 2 }, "one").is_empty());
    }

    #[test]
    fn char_wb_ngrams_match_sklearn() {
        // sklearn: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
        //   .build_analyzer()("Hi  ATM")
        let got = ngrams(FeatureSpec::CharWb { min_n: 2, max_n: 5 }, "Hi  ATM");
        let want = vec![
            " h", "hi", "i ", " hi", "hi ", " hi ", // " hi " has 4 chars: stops at n=4
            " a", "at", "tm", "m ", " at", "atm", "tm ", " atm", "atm ", " atm ",
        ];
        assert_eq!(got, want);
        // A one-letter word: " a " is emitted for n=2 then whole at n=3, then stops.
        assert_eq!(
            ngrams(FeatureSpec::CharWb { min_n: 2, max_n: 5 }, "a"),
            vec![" a", "a ", " a "]
        );
        assert_eq!(
            ngrams(FeatureSpec::CharWb { min_n: 3, max_n: 3 }, "é"),
            vec![" é "]
        );
    }
}
