//! JSON strings, escaped as serde_json escapes them, eight bytes at a time.

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it: `"` and `\` with a
/// backslash, backspace, form feed, newline, carriage return and tab by their short escapes, the
/// other control characters as `\u00XX` (lower-case hex); everything else as it is.
pub(super) fn push_string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // Room for the quotes and for a short string's whole word (see `copy_clean`).
    out.reserve(bytes.len() + 10);
    out.push(b'"');
    if let Some(at) = copy_clean(out, bytes) {
        push_escaped(out, &bytes[at..]);
    }
    out.push(b'"');
}

/// Copies `bytes` while none needs an escape, eight at a time, and returns where the first that
/// does is. Model text is mostly short and clean, so this avoids both a loop per byte and a
/// copy of unknown length: the last eight bytes are read as one word (overlapping the words
/// before, already found clean), a shorter string as one padded word that is written whole and
/// cut back.
fn copy_clean(out: &mut Vec<u8>, bytes: &[u8]) -> Option<usize> {
    let start = out.len();
    let Some(last) = bytes.last_chunk::<8>() else {
        let word = short_word(bytes);
        if let Some(at) = escape_in(word) {
            out.extend_from_slice(&bytes[..at]);
            return Some(at);
        }
        out.extend_from_slice(&word.to_le_bytes());
        out.truncate(start + bytes.len());
        return None;
    };
    let (words, _) = bytes.as_chunks::<8>();
    for (n, word) in words.iter().enumerate() {
        if let Some(at) = escape_in(u64::from_le_bytes(*word)) {
            out.extend_from_slice(&word[..at]);
            return Some(n * 8 + at);
        }
        out.extend_from_slice(word);
    }
    let from = bytes.len() - 8;
    out.truncate(start + from);
    if let Some(at) = escape_in(u64::from_le_bytes(*last)) {
        out.extend_from_slice(&last[..at]);
        return Some(from + at);
    }
    out.extend_from_slice(last);
    None
}

/// A string of fewer than eight bytes as one word, its bytes in order from the lowest, the rest
/// `0xff` (which needs no escape). Read with two loads that overlap.
fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let data = if let (Some(lo), Some(hi)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4))
    } else if let (Some(lo), Some(hi)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        u64::from(u16::from_le_bytes(*lo)) | u64::from(u16::from_le_bytes(*hi)) << (8 * (n - 2))
    } else {
        bytes.first().map_or(0, |&b| u64::from(b))
    };
    let padding = u64::MAX.checked_shl(8 * n as u32).unwrap_or(0);
    data | padding
}

/// The index of the first of the eight bytes of `word` (lowest first) that is a control
/// character, a quote or a backslash. The classic "has a byte less than n" test flags bytes in
/// place; a borrow can wrongly flag a byte above a flagged one, never below, so the lowest flag
/// is exact.
pub(in crate::codec) fn escape_in(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Each test leaves a byte's high bit set where the byte is below `n` (given that its own
    // high bit is clear); the high bits are kept once, for all three.
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    let flags = (control | quote | backslash) & HIGH;
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

/// Appends `bytes`, whose first byte needs an escape, escaping what needs it.
#[cold]
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut run = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPES[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        run = i + 1;
        if escape == b'u' {
            let hex = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[hex[usize::from(byte >> 4)], hex[usize::from(byte & 0xf)]]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
    }
    out.extend_from_slice(&bytes[run..]);
}

/// Per byte: 0 when written as it is, else the letter after the backslash (`u` for `\u00XX`).
static ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};
