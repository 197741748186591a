//! The fast reader's cursor: JSON's grammar over a document known to be UTF-8, strings found
//! eight bytes at a time, numbers read with their value on the way, and a way out to serde for
//! any one value.

use compact_str::CompactString;
use serde::de::Deserialize;
use serde_json::de::StrRead;

use super::{Bail, Fast, MAX_DEPTH};

/// A string's text: borrowed from the document when it had no escapes.
pub(crate) enum Text<'a> {
    Borrowed(&'a str),
    Owned(String),
}

impl Text<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }

    pub(super) fn into_compact(self) -> CompactString {
        match self {
            Text::Borrowed(s) => CompactString::from(s),
            Text::Owned(s) => CompactString::from(s),
        }
    }
}

/// A number's text, and its value when it is a plain integer (no fraction, no exponent) that
/// fits an `i64`.
pub(super) struct Number<'a> {
    pub(super) text: &'a str,
    integer: Option<i64>,
}

impl Number<'_> {
    /// The value of a plain integer that fits an `i64`. Not `-0`, which serde_json reads as
    /// the float `-0.0`.
    pub(super) fn as_i64(&self) -> Option<i64> {
        self.integer
    }
}

/// A cursor over a document that is valid UTF-8 throughout.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pub(super) pos: usize,
    depth: u32,
    /// The buffer strings with escapes are unescaped into.
    unescaped: String,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            depth: 0,
            unescaped: String::new(),
        }
    }

    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        // Compact JSON, as mParticle sends it, has no whitespace: one test.
        match self.bytes().get(self.pos) {
            Some(&b) if b > b' ' => Some(b),
            _ => self.peek_past_whitespace(),
        }
    }

    #[inline(never)]
    fn peek_past_whitespace(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Fast<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Fast<()> {
        self.peek();
        if self.bytes()[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn enter(&mut self) -> Fast<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    /// Reads an object: `each` gets every key (unescaped) with the reader at its value, and must
    /// read or skip the value.
    pub(crate) fn object(&mut self, each: impl FnMut(&mut Self, &str) -> Fast<()>) -> Fast<()> {
        self.eat(b'{')?;
        self.enter()?;
        if self.close(b'}') {
            return Ok(());
        }
        self.members(each)
    }

    /// Reads the members of an open object up to its end, starting with a key.
    fn members(&mut self, mut each: impl FnMut(&mut Self, &str) -> Fast<()>) -> Fast<()> {
        loop {
            if self.peek() != Some(b'"') {
                return Err(Bail);
            }
            let key = self.string()?;
            self.eat(b':')?;
            each(self, key.as_str())?;
            if self.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    /// Closes the open container if `close` is next.
    #[inline]
    fn close(&mut self, close: u8) -> bool {
        let closing = self.peek() == Some(close);
        if closing {
            self.pos += 1;
            self.depth -= 1;
        }
        closing
    }

    /// After a member or an element: a comma (`false`, another follows) or the container's
    /// `close` (`true`, closed); anything else gives up.
    #[inline]
    fn next_or_close(&mut self, close: u8) -> Fast<bool> {
        if self.peek() == Some(b',') {
            self.pos += 1;
            return Ok(false);
        }
        if self.close(close) {
            return Ok(true);
        }
        Err(Bail)
    }

    /// Reads the rest of an object whose first member has just been read.
    pub(crate) fn rest_of_object(
        &mut self,
        each: impl FnMut(&mut Self, &str) -> Fast<()>,
    ) -> Fast<()> {
        if self.next_or_close(b'}')? {
            return Ok(());
        }
        self.members(each)
    }

    /// Opens an object and reads its first key: `None` (nothing consumed) unless the value is an
    /// object with at least one member.
    pub(crate) fn first_key(&mut self) -> Fast<Option<Text<'a>>> {
        let at = self.pos;
        if self.peek() != Some(b'{') {
            return Ok(None);
        }
        self.pos += 1;
        if self.peek() != Some(b'"') {
            self.pos = at;
            return Ok(None);
        }
        self.enter()?;
        let key = self.string()?;
        self.eat(b':')?;
        Ok(Some(key))
    }

    /// Rewinds to `at`, outside the object [`first_key`](Self::first_key) opened.
    pub(crate) fn rewind_object(&mut self, at: usize) {
        self.pos = at;
        self.depth -= 1;
    }

    /// The reader's position (after whitespace), to come back to.
    pub(crate) fn mark(&mut self) -> usize {
        self.peek();
        self.pos
    }

    /// Reads an array: `each` reads every element.
    pub(crate) fn array(&mut self, mut each: impl FnMut(&mut Self) -> Fast<()>) -> Fast<()> {
        self.eat(b'[')?;
        self.enter()?;
        if self.close(b']') {
            return Ok(());
        }
        loop {
            each(self)?;
            if self.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// Reads a string, at its opening quote.
    pub(crate) fn string(&mut self) -> Fast<Text<'a>> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = self.clean_run(start);
        match self.bytes().get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                Ok(Text::Borrowed(&self.text[start..end]))
            }
            Some(b'\\') => {
                // Unescaped in the reader's own buffer, then copied once at its exact size: a
                // buffer grown for each string would be reallocated several times and keep its
                // slack in the model.
                let mut out = std::mem::take(&mut self.unescaped);
                out.clear();
                out.push_str(&self.text[start..end]);
                self.pos = end;
                let read = self.escaped(Some(&mut out));
                let text = out.as_str().to_owned();
                self.unescaped = out;
                read.map(|()| Text::Owned(text))
            }
            _ => Err(Bail),
        }
    }

    /// Where the first quote, backslash or control character at or after `from` is (the end
    /// of the text if none), eight bytes at a time.
    #[inline]
    fn clean_run(&self, from: usize) -> usize {
        let bytes = self.bytes();
        let mut at = from;
        while let Some(word) = bytes.get(at..).and_then(|b| b.first_chunk::<8>()) {
            if let Some(i) = super::super::write::escape_in(u64::from_le_bytes(*word)) {
                return at + i;
            }
            at += 8;
        }
        while let Some(&b) = bytes.get(at) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return at;
            }
            at += 1;
        }
        at
    }

    /// Reads the rest of a string from a backslash, unescaping into `out` (or only checking,
    /// without `out`), through the closing quote. Refuses what serde_json refuses: unknown
    /// escapes, bad hex, control characters; and lone surrogates, which serde_json reads in
    /// some places and not in others. A string with escapes is mostly escaped JSON, whose runs
    /// between escapes are short: they are found a byte at a time.
    fn escaped(&mut self, mut out: Option<&mut String>) -> Fast<()> {
        let bytes = self.bytes();
        let mut run = self.pos;
        loop {
            match *bytes.get(self.pos).ok_or(Bail)? {
                b'"' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(&self.text[run..self.pos]);
                    }
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(&self.text[run..self.pos]);
                    }
                    let escape = *bytes.get(self.pos + 1).ok_or(Bail)?;
                    self.pos += 2;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(Bail),
                    };
                    if let Some(out) = out.as_deref_mut() {
                        out.push(c);
                    }
                    run = self.pos;
                }
                0..=0x1f => return Err(Bail),
                _ => self.pos += 1,
            }
        }
    }

    /// The character of a `\u` escape (its `\u` read), a surrogate pair taken whole.
    fn unicode_escape(&mut self) -> Fast<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(Bail);
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Bail);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Bail),
            code => code,
        };
        char::from_u32(code).ok_or(Bail)
    }

    fn hex4(&mut self) -> Fast<u32> {
        let digits = self.bytes().get(self.pos..self.pos + 4).ok_or(Bail)?;
        let mut code = 0;
        for &d in digits {
            code = code * 16 + char::from(d).to_digit(16).ok_or(Bail)?;
        }
        self.pos += 4;
        Ok(code)
    }

    /// Reads a number as JSON's grammar has it, with the value of a plain integer taken on the
    /// way.
    pub(super) fn number(&mut self) -> Fast<Number<'a>> {
        self.peek();
        let bytes = self.bytes();
        let start = self.pos;
        let mut at = start;
        let negative = bytes.get(at) == Some(&b'-');
        if negative {
            at += 1;
        }
        // The integer part, accumulated as a negative number (the `i64` range reaches one
        // further below zero than above it); `None` once it overflows.
        let mut value: Option<i64> = Some(0);
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d) = bytes.get(at).filter(|d| d.is_ascii_digit()) {
                    value = value
                        .and_then(|v| v.checked_mul(10))
                        .and_then(|v| v.checked_sub(i64::from(d - b'0')));
                    at += 1;
                }
            }
            _ => return Err(Bail),
        }
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        let mut integer = true;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            integer = false;
            if !digits(&mut at) {
                return Err(Bail);
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            integer = false;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return Err(Bail);
            }
        }
        // A digit right after a leading zero (`01`) is not JSON.
        if bytes.get(at).is_some_and(u8::is_ascii_digit) {
            return Err(Bail);
        }
        self.pos = at;
        let integer = match (integer, negative, value) {
            // `-0` is the float -0.0 to serde_json.
            (true, true, Some(0)) | (false, _, _) => None,
            (true, true, v) => v,
            (true, false, v) => v.and_then(i64::checked_neg),
        };
        Ok(Number {
            text: &self.text[start..at],
            integer,
        })
    }

    /// Skips one value, checking it as strictly as serde_json does (or more).
    pub(crate) fn skip_value(&mut self) -> Fast<()> {
        match self.peek().ok_or(Bail)? {
            b'"' => {
                self.pos += 1;
                let end = self.clean_run(self.pos);
                self.pos = end;
                self.escaped(None)
            }
            b'{' => self.object(|r, _| r.skip_value()),
            b'[' => self.array(Reader::skip_value),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(drop),
        }
    }

    /// Reads a `null` if one is next.
    #[inline]
    pub(super) fn null(&mut self) -> Fast<bool> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Hands the next value to a serde decoder, on the value's text alone; an error gives up.
    pub(crate) fn via<T>(
        &mut self,
        read: impl FnOnce(&mut serde_json::Deserializer<StrRead<'a>>) -> serde_json::Result<T>,
    ) -> Fast<T> {
        let start = self.mark();
        self.skip_value()?;
        let mut de = serde_json::Deserializer::from_str(&self.text[start..self.pos]);
        read(&mut de).map_err(|_| Bail)
    }

    /// [`via`](Self::via) with the type's own `Deserialize`.
    pub(crate) fn via_serde<T: Deserialize<'a>>(&mut self) -> Fast<T> {
        self.via(|d| T::deserialize(d))
    }
}
