//! The JSON text writer of the realistic batches.

use std::fmt::Write as _;

/// A minimal JSON text writer that keeps fields in the order they are written.
#[derive(Default)]
pub(super) struct Json(pub(super) String);

impl Json {
    pub(super) fn open(&mut self) {
        self.0.push('{');
    }

    pub(super) fn close(&mut self) {
        self.0.push('}');
    }

    pub(super) fn key(&mut self, key: &str) {
        if !matches!(self.0.as_bytes().last(), Some(b'{' | b'[') | None) {
            self.0.push(',');
        }
        self.string(key);
        self.0.push(':');
    }

    pub(super) fn string(&mut self, text: &str) {
        self.0.push('"');
        for c in text.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\t' => self.0.push_str("\\t"),
                c if u32::from(c) < 0x20 => {
                    let _ = write!(self.0, "\\u{:04x}", u32::from(c));
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    pub(super) fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    pub(super) fn num(&mut self, key: &str, value: i64) {
        self.key(key);
        let _ = write!(self.0, "{value}");
    }

    pub(super) fn float(&mut self, key: &str, value: f64) {
        self.key(key);
        let _ = write!(self.0, "{value:?}");
    }

    pub(super) fn raw(&mut self, key: &str, number: &str) {
        self.key(key);
        self.0.push_str(number);
    }

    pub(super) fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        self.0.push_str(if value { "true" } else { "false" });
    }

    pub(super) fn list(&mut self, key: &str, items: &[&str]) {
        self.key(key);
        self.0.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            self.string(item);
        }
        self.0.push(']');
    }

    pub(super) fn obj(&mut self, key: &str, fill: impl FnOnce(&mut Self)) {
        self.key(key);
        self.0.push('{');
        fill(self);
        self.0.push('}');
    }

    pub(super) fn arr(&mut self, key: &str, fill: impl FnOnce(&mut Self)) {
        self.key(key);
        self.0.push('[');
        fill(self);
        self.0.push(']');
    }

    pub(super) fn item_obj(&mut self, fill: impl FnOnce(&mut Self)) {
        if !matches!(self.0.as_bytes().last(), Some(b'[')) {
            self.0.push(',');
        }
        self.0.push('{');
        fill(self);
        self.0.push('}');
    }
}
