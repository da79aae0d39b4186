//! A cursor over a JSON text for the fast readers of run folders (journal lines in
//! [`super::scan`], gold.jsonl lines in `gate::grading`): it reads only what it is sure of
//! (strings without escapes, plain numbers, literals, objects and arrays) and says `None`
//! for anything else, so the caller can give the line up to serde.

/// A cursor over a JSON text that reads only what it is sure of (`None` otherwise).
///
/// `LOOSE`: white space between tokens is skipped, as JSON allows. A compact cursor
/// (`Scan::compact`, for the lines `verdict run` writes, which have none) skips nothing, so
/// white space where a token should be is simply not what it expects: it says `None`, and
/// the caller reads the text again with a loose cursor. It never reads a text differently,
/// only gives up on more of them.
pub(crate) struct Scan<'a, const LOOSE: bool = true> {
    pub(crate) text: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
}

/// Deepest nesting skipped (serde_json refuses beyond 128).
const MAX_DEPTH: usize = 100;

impl<'a> Scan<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scan {
            text,
            b: text.as_bytes(),
            i: 0,
        }
    }
}

impl<'a> Scan<'a, false> {
    /// A cursor that expects no white space between tokens.
    pub(crate) fn compact(text: &'a str) -> Self {
        Scan {
            text,
            b: text.as_bytes(),
            i: 0,
        }
    }
}

impl<'a, const LOOSE: bool> Scan<'a, LOOSE> {
    /// At the end of the text (after white space).
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    /// Skips white space. The lines verdict writes have none, so the first test (a byte
    /// above the space: no white space here) is the one that decides almost every call.
    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        if LOOSE && self.b.get(self.i).is_some_and(|&c| c <= b' ') {
            self.ws_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn ws_slow(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes or control characters.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let b = self.b;
        let mut i = start;
        #[cfg(target_arch = "x86_64")]
        while i + 16 <= b.len() {
            if let Some(k) = special16(b, i) {
                return self.string_to(start, i + k);
            }
            i += 16;
        }
        // Eight bytes at a time: the first quote, backslash or control character (the
        // lowest flagged byte of each test below is exact: a borrow only flags bytes above
        // a true one).
        const LO: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        while let Some(w) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
            let q = x ^ (LO * u64::from(b'"'));
            let e = x ^ (LO * u64::from(b'\\'));
            let m = ((q.wrapping_sub(LO) & !q)
                | (e.wrapping_sub(LO) & !e)
                | (x.wrapping_sub(LO * 0x20) & !x))
                & HI;
            if m != 0 {
                return self.string_to(start, i + (m.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        loop {
            let c = *b.get(i)?;
            if c == b'"' || c == b'\\' || c < 0x20 {
                return self.string_to(start, i);
            }
            i += 1;
        }
    }

    /// `text[start..end]`, where the byte at `start` and the byte before `end` are ASCII
    /// bytes the cursor has just read (an opening quote or brace, a digit, a closing quote
    /// or brace), so both are character boundaries: without the checks and the panic path
    /// of `&text[start..end]`, which cost more than reading a short string.
    ///
    /// Only for those positions: every caller passes ones it has just checked.
    #[inline(always)]
    fn slice(&self, start: usize, end: usize) -> &'a str {
        let b = self.b;
        let next_to_ascii =
            |i: usize| i < b.len() && b[i].is_ascii() || i > 0 && b[i - 1].is_ascii();
        debug_assert!(start <= end && end <= b.len());
        debug_assert!(next_to_ascii(start) && next_to_ascii(end));
        // SAFETY: in UTF-8 an ASCII byte is a whole character, so the position of one and
        // the position just after one are character boundaries; the callers pass positions
        // within the text whose byte (for `start`) or previous byte (for `end`) they have
        // just read as an ASCII quote, brace or digit (checked above in debug builds).
        unsafe { self.text.get_unchecked(start..end) }
    }

    /// [`Scan::slice`] for the text of the value the cursor has just read: from `start`
    /// (at its first byte, `{` or `[`) to the cursor (after its last, `}` or `]`).
    pub(crate) fn value_text(&self, start: usize) -> &'a str {
        debug_assert!(matches!(self.b[start], b'{' | b'['));
        debug_assert!(matches!(self.b[self.i - 1], b'}' | b']'));
        self.slice(start, self.i)
    }

    /// The string from `start` when byte `end` (a quote, backslash or control character)
    /// is its closing quote.
    #[inline(always)]
    fn string_to(&mut self, start: usize, end: usize) -> Option<&'a str> {
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(self.slice(start, end))
    }

    pub(crate) fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        eq_short(self.b.get(self.i..self.i + word.len())?, word).then(|| self.i += word.len())
    }

    /// A JSON number's text.
    pub(crate) fn number_text(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        let b = self.b;
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > s
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if b.get(i) == Some(&b'0') {
            i += 1;
        } else if !digits(&mut i) {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.i = i;
        Some(self.slice(start, i))
    }

    /// A number as serde_json reads it into an `f64`.
    #[inline(always)]
    pub(crate) fn f64(&mut self) -> Option<f64> {
        match self.short_decimal() {
            Some(x) => Some(x),
            None => self.f64_slow(),
        }
    }

    /// [`Scan::f64`] for the numbers that are not short plain decimals.
    #[cold]
    #[inline(never)]
    fn f64_slow(&mut self) -> Option<f64> {
        let t = self.number_text()?;
        // A plain decimal of any length (the runner's latencies have 17 significant digits)
        // parses the same by `str::parse` and by serde_json, both correctly rounded (serde
        // with its `float_roundtrip` feature, which verdict turns on); the rest (a sign, an
        // exponent: out of range is serde's error, not an infinity) as serde does.
        if t.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            t.parse().ok()
        } else {
            serde_json::from_str(t).ok()
        }
    }

    /// A plain decimal (`digits` or `digits.digits`, no sign, no exponent, no leading zero
    /// before other digits), read in one pass. Of at most 15 digits: its digits as an
    /// integer m < 10^15 < 2^53 and its f fraction digits (f <= 15), so m and 10^f are exact
    /// doubles and m / 10^f is the correctly rounded value of the decimal, which is what
    /// serde_json and `str::parse` return (Clinger's fast path); longer, `str::parse` of its
    /// text (see [`Scan::f64_slow`]). Anything else: `None`, the cursor unmoved.
    #[inline]
    fn short_decimal(&mut self) -> Option<f64> {
        const POW10: [f64; 16] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        ];
        self.ws();
        let b = self.b;
        let mut i = self.i;
        let mut m: u64 = 0;
        let first = *b.get(i)?;
        if !first.is_ascii_digit() {
            return None;
        }
        let start = i;
        let mut int_digits = 0usize;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            int_digits += 1;
            i += 1;
        }
        if first == b'0' && int_digits > 1 {
            return None; // a leading zero: not JSON
        }
        let mut frac = 0usize;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                frac += 1;
                i += 1;
            }
            if frac == 0 {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E' | b'.')) {
            return None;
        }
        self.i = i;
        if int_digits + frac <= 15 {
            return Some(m as f64 / POW10[frac]);
        }
        // More digits than a double holds exactly (a run's latencies have 17): the decimal,
        // now known to be plain, parsed as `f64_slow` parses it (`m` is not used: it may
        // have wrapped).
        self.slice(start, i).parse().ok()
    }

    /// A non-negative integer that fits a `u64`.
    #[inline(always)]
    pub(crate) fn u64(&mut self) -> Option<u64> {
        // Up to 18 digits cannot overflow: read them in one pass.
        self.ws();
        let b = self.b;
        let mut i = self.i;
        let mut v: u64 = 0;
        // Eight digits at a time, twice at most (a run's timestamps have 13).
        while i - self.i <= 8 {
            let Some(w) = b.get(i..i + 8) else { break };
            let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
            if !eight_digits(x) {
                break;
            }
            v = v * 100_000_000 + eight_digits_value(x);
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() || i - self.i == 18 {
                break;
            }
            v = v * 10 + u64::from(c - b'0');
            i += 1;
        }
        let n = i - self.i;
        if n > 0
            && n < 18
            && !(b[self.i] == b'0' && n > 1)
            && !matches!(b.get(i), Some(b'.' | b'e' | b'E'))
        {
            self.i = i;
            return Some(v);
        }
        self.u64_slow()
    }

    /// [`Scan::u64`] for the rest: long, not plain, or not an integer.
    #[cold]
    #[inline(never)]
    fn u64_slow(&mut self) -> Option<u64> {
        let t = self.number_text()?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    pub(crate) fn is_null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    pub(crate) fn opt_f64(&mut self) -> Option<Option<f64>> {
        if self.is_null() {
            return Some(None);
        }
        self.f64().map(Some)
    }

    pub(crate) fn opt_u64(&mut self) -> Option<Option<u64>> {
        if self.is_null() {
            return Some(None);
        }
        self.u64().map(Some)
    }

    pub(crate) fn opt_str(&mut self) -> Option<Option<&'a str>> {
        if self.is_null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|_| true),
            b'f' => self.literal(b"false").map(|_| false),
            _ => None,
        }
    }

    /// `{ "key": value, ... }`, `each` reading each value.
    pub(crate) fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            each(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// [`Scan::object`] for an object whose keys usually come in one order: `quoted[k]` is
    /// key k as written (`"key":`, no space before the colon). After key k, key k + 1 is
    /// tried first by comparing its bytes in place (no scan for the closing quote, no look-up
    /// of the key); anything else is read as [`Scan::object`] reads it. `each` gets the key's
    /// index when read that way, else its text (`Err`), reads the value and returns the
    /// index of the key it recognised, if any.
    #[inline]
    pub(crate) fn object_in_order(
        &mut self,
        quoted: &[&[u8]],
        mut each: impl FnMut(&mut Self, Result<usize, &'a str>) -> Option<Option<usize>>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        let mut next = 0usize;
        loop {
            let guessed = quoted.get(next).is_some_and(|p| {
                self.b
                    .get(self.i..self.i + p.len())
                    .is_some_and(|b| eq_upto32(b, p))
            });
            let key = if guessed {
                self.i += quoted[next].len();
                Ok(next)
            } else {
                let key = self.string()?;
                self.eat(b':')?;
                Err(key)
            };
            if let Some(k) = each(self, key)? {
                next = k + 1;
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[ value, ... ]`, `each` reading each value.
    pub(crate) fn array(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Any JSON value, checked and skipped.
    pub(crate) fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.object(|s, _| s.skip_value(depth + 1)),
            b'[' => {
                self.i += 1;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number_text().map(|_| ()),
        }
    }
}

/// The offset of the first quote, backslash or control character among the 16 bytes of `b`
/// at `i` (which must be in `b`), or `None`: one SSE2 compare of each kind for the 16 (SSE2
/// is part of every x86-64 processor).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn special16(b: &[u8], i: usize) -> Option<usize> {
    use std::arch::x86_64::*;
    let bytes: &[u8; 16] = b[i..i + 16].try_into().expect("16 bytes");
    // SAFETY: SSE2 is always available on x86-64, and the load reads the 16 bytes of
    // `bytes` (an unaligned load).
    let m = unsafe {
        let x = _mm_loadu_si128(bytes.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        // c < 0x20 (unsigned) exactly when max(c, 0x1f) == 0x1f.
        let low = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(x, low), low);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
    };
    (m != 0).then(|| m.trailing_zeros() as usize)
}

/// Whether the eight bytes of `x` (little-endian: the first in the lowest byte) are all ASCII
/// digits: each byte's high half is 3, and stays 3 with 6 added (no byte above `9`).
#[inline(always)]
fn eight_digits(x: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    x & HIGH == ZEROS && x.wrapping_add(0x0606_0606_0606_0606) & HIGH == ZEROS
}

/// The number eight ASCII digits write ([`eight_digits`] holds), the first the most
/// significant: pairs, then fours, then the eight, each step one multiply (SWAR).
#[inline(always)]
fn eight_digits_value(x: u64) -> u64 {
    let x = x - 0x3030_3030_3030_3030;
    let x = (x * 10) + (x >> 8);
    (((x & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32)))
        .wrapping_add(((x >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

/// Two short byte strings equal, compared in line (a slice `==` is a `memcmp` call, which
/// costs more than the compare for keys and words of a few bytes): from 4 bytes on, as two
/// words that overlap (the first and the last 4 or 8 bytes, which together cover a string of
/// up to 8 or 16), not byte by byte.
#[inline]
pub fn eq_short(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word8 = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let word4 = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
    match n {
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// [`eq_short`], also in line for strings of 17 to 32 bytes (three or four words that
/// overlap): the journal's longest keys as written (`"cache_creation_input_tokens":`) are 30.
#[inline]
pub fn eq_upto32(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if !(17..=32).contains(&n) || n != b.len() {
        return eq_short(a, b);
    }
    let word8 = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    word8(a, 0) == word8(b, 0)
        && word8(a, 8) == word8(b, 8)
        && word8(a, n - 16) == word8(b, n - 16)
        && word8(a, n - 8) == word8(b, n - 8)
}
