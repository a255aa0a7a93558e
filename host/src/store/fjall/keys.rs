//! Ordered byte keys for tuples: fjall compares keys as bytes, so a tuple's elements are
//! written so that byte order is the tuple's order, and a tuple's key is a prefix of the keys
//! of every longer tuple that starts with it.
//!
//! A number is 8 bytes big-endian. A text element is its bytes with each 0x00 written as
//! 0x00 0xFF, ended by 0x00 0x01 (which sorts before any continuation, so "a" < "a\0" < "ab").
//! The last element of a key may be written raw ([`Key::tail`]): nothing follows it.

use crate::store::StoreError;

/// A key being built, element by element.
#[derive(Debug, Default, Clone)]
pub(super) struct Key(Vec<u8>);

impl Key {
    pub fn new() -> Self {
        Self(Vec::with_capacity(32))
    }

    pub fn num(mut self, n: u64) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }

    pub fn text(mut self, s: &str) -> Self {
        for &b in s.as_bytes() {
            self.0.push(b);
            if b == 0 {
                self.0.push(0xFF);
            }
        }
        self.0.extend_from_slice(&[0, 1]);
        self
    }

    /// A text element that is the key's last: written as is.
    pub fn tail(mut self, s: &str) -> Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    pub fn bytes(self) -> Vec<u8> {
        self.0
    }
}

/// The one-number key.
pub(super) fn num(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Reads a key's elements back, in the order they were written.
pub(super) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub fn new(key: &'a [u8]) -> Self {
        Self(key)
    }

    pub fn num(&mut self) -> Result<u64, StoreError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<8>()
            .ok_or_else(|| corrupt("a number"))?;
        self.0 = rest;
        Ok(u64::from_be_bytes(*head))
    }

    pub fn text(&mut self) -> Result<String, StoreError> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            match (self.0[i], self.0.get(i + 1)) {
                (0, Some(1)) => {
                    self.0 = &self.0[i + 2..];
                    return String::from_utf8(out).map_err(|_| corrupt("text"));
                }
                (0, Some(0xFF)) => {
                    out.push(0);
                    i += 2;
                }
                (0, _) => return Err(corrupt("text")),
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        Err(corrupt("an unended text"))
    }

    /// The rest of the key, as text (an element written with [`Key::tail`]).
    pub fn tail(self) -> Result<String, StoreError> {
        String::from_utf8(self.0.to_vec()).map_err(|_| corrupt("text"))
    }
}

/// A number stored as a value.
pub(super) fn decode_num(value: &[u8]) -> Result<u64, StoreError> {
    Reader::new(value).num()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("a stored key is damaged: it should hold {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: u64) -> Vec<u8> {
        Key::new().text(a).num(b).bytes()
    }

    #[test]
    fn byte_order_is_tuple_order() {
        let tuples = [
            ("", 5),
            ("a", 0),
            ("a", 9),
            ("a\0", 0),
            ("a\0b", 1),
            ("ab", 0),
            ("b", 0),
        ];
        let keys: Vec<_> = tuples.iter().map(|(a, b)| pair(a, *b)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn elements_read_back_as_written() {
        let key = Key::new().text("bo\0t").num(42).tail("k\0ey").bytes();
        let mut r = Reader::new(&key);
        assert_eq!(r.text().unwrap(), "bo\0t");
        assert_eq!(r.num().unwrap(), 42);
        assert_eq!(r.tail().unwrap(), "k\0ey");
    }

    #[test]
    fn a_tuple_key_prefixes_the_longer_ones_only() {
        let plugin = Key::new().text("p").bytes();
        assert!(Key::new().text("p").tail("x").bytes().starts_with(&plugin));
        assert!(!Key::new().text("pq").tail("x").bytes().starts_with(&plugin));
    }

    #[test]
    fn damaged_keys_are_errors() {
        assert!(Reader::new(&[1, 2]).num().is_err());
        assert!(Reader::new(b"abc").text().is_err());
        assert!(Reader::new(&[b'a', 0, 7]).text().is_err());
    }
}
