//! Protobuf wire format, by hand: the few messages a `.wandb` log needs do not
//! justify a code generator and a vendored `.proto` tree.
//!
//! Encoding follows proto3 as the official serializer does: scalar fields at
//! their default value are left out, sub-messages are always written (a oneof
//! member must be present even when empty), and callers add fields in ascending
//! field-number order so the bytes equal what wandb itself would write.

const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const LEN: u64 = 2;
const FIXED32: u64 = 5;

/// One message under construction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Msg(Vec<u8>);

impl Msg {
    pub fn new() -> Self {
        Self::default()
    }

    /// uint64 / enum; left out when 0.
    pub fn uint(mut self, field: u32, value: u64) -> Self {
        if value != 0 {
            self.key(field, VARINT);
            put_varint(&mut self.0, value);
        }
        self
    }

    /// int32 / int64: negatives are 10-byte two's complement, as in protobuf.
    pub fn int(self, field: u32, value: i64) -> Self {
        self.uint(field, value as u64)
    }

    pub fn bool(self, field: u32, value: bool) -> Self {
        self.uint(field, u64::from(value))
    }

    /// string; left out when empty.
    pub fn string(mut self, field: u32, value: &str) -> Self {
        if !value.is_empty() {
            self.len_delimited(field, value.as_bytes());
        }
        self
    }

    /// One occurrence per element, the encoding of `repeated string`.
    pub fn strings<S: AsRef<str>>(self, field: u32, values: &[S]) -> Self {
        values.iter().fold(self, |m, v| m.string(field, v.as_ref()))
    }

    /// Sub-message; always written, even when empty.
    pub fn message(mut self, field: u32, value: Msg) -> Self {
        self.len_delimited(field, &value.0);
        self
    }

    /// `repeated` sub-messages.
    pub fn messages(self, field: u32, values: impl IntoIterator<Item = Msg>) -> Self {
        values.into_iter().fold(self, |m, v| m.message(field, v))
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn key(&mut self, field: u32, wire_type: u64) {
        put_varint(&mut self.0, (u64::from(field) << 3) | wire_type);
    }

    fn len_delimited(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, LEN);
        put_varint(&mut self.0, bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }
}

pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7F) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A decoded field value; only the wire types protobuf defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Value::Varint(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_str(self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("protobuf message ends inside a field at byte {0}")]
    Truncated(usize),
    #[error("protobuf varint longer than 10 bytes at byte {0}")]
    VarintTooLong(usize),
    #[error("unsupported protobuf wire type {wire_type} at byte {at}")]
    WireType { wire_type: u64, at: usize },
    #[error("protobuf field {field} has the wrong wire type or is not UTF-8")]
    FieldType { field: u32 },
}

/// Iterates over the `(field number, value)` pairs of one message.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf, pos: 0 }
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self.buf.get(self.pos).ok_or(DecodeError::Truncated(start))?;
            self.pos += 1;
            value |= u64::from(byte & 0x7F).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::VarintTooLong(start))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or(DecodeError::Truncated(self.pos))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn next_field(&mut self) -> Result<(u32, Value<'a>), DecodeError> {
        let at = self.pos;
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| DecodeError::WireType { wire_type: key & 7, at })?;
        let value = match key & 7 {
            VARINT => Value::Varint(self.varint()?),
            FIXED64 => Value::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().unwrap_or([0; 8]))),
            LEN => {
                let n = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated(self.pos))?;
                Value::Bytes(self.take(n)?)
            }
            FIXED32 => Value::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or([0; 4]))),
            wire_type => return Err(DecodeError::WireType { wire_type, at }),
        };
        Ok((field, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let item = self.next_field();
        if item.is_err() {
            self.pos = self.buf.len(); // an error ends the iteration
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_protobuf() {
        let m = Msg::new().uint(1, 150).string(2, "testing").uint(3, 0).string(4, "").message(5, Msg::new());
        assert_eq!(m.as_bytes(), &[0x08, 0x96, 0x01, 0x12, 7, b't', b'e', b's', b't', b'i', b'n', b'g', 0x2A, 0x00]);
        let neg = Msg::new().int(1, -1).into_bytes();
        assert_eq!(neg, [&[0x08][..], &[0xFF; 9], &[0x01]].concat());
        let big_field = Msg::new().message(200, Msg::new().string(1, "ab")).into_bytes();
        assert_eq!(big_field, [0xC2, 0x0C, 4, 0x0A, 2, b'a', b'b']);
    }

    #[test]
    fn decodes_what_it_encodes() {
        let inner = Msg::new().string(1, "key").string(16, "1.5");
        let m = Msg::new().int(1, -7).message(2, inner.clone()).uint(300, u64::MAX).into_bytes();
        let got: Vec<_> = fields(&m).collect::<Result<_, _>>().expect("valid");
        assert_eq!(
            got,
            vec![(1, Value::Varint(-7i64 as u64)), (2, Value::Bytes(inner.as_bytes())), (300, Value::Varint(u64::MAX))]
        );
    }

    #[test]
    fn rejects_truncated_input() {
        let m = Msg::new().string(1, "hello").into_bytes();
        let err = fields(&m[..4]).next().expect("one item");
        assert_eq!(err, Err(DecodeError::Truncated(2)));
        assert!(fields(&[0x80; 11]).next().expect("one item").is_err());
        assert!(fields(&[0x0B]).next().expect("one item").is_err(), "wire type 3 (groups) is not supported");
    }
}
