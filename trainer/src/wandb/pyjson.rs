//! JSON text as Python's `json.dumps` writes it (`", "` and `": "` separators,
//! `repr` floats such as `1e-05`, ASCII-only strings). wandb builds every
//! `value_json` that way, so matching it keeps our logs byte-comparable with
//! the ones wandb and the reference writer produce.

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter};
use std::io::{self, Write};

struct PyFormatter;

impl Formatter for PyFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(py_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(w, f64::from(value))
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        // ensure_ascii=True: every non-ASCII char becomes \uXXXX (surrogate pairs above the BMP).
        let mut buf = [0u16; 2];
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                for unit in c.encode_utf16(&mut buf) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, escape: CharEscape) -> io::Result<()> {
        // Python writes control characters as \u00XX (lower-case hex) and the rest like serde_json.
        let s: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => return write!(w, "\\u{byte:04x}"),
            _ => return Err(io::Error::other("unknown JSON escape")),
        };
        w.write_all(s)
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, in fixed notation when
/// the decimal exponent is in [-4, 16), else `d.ddde±XX`; never an integer form.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    // Rust's `{:e}` gives the same shortest digits as Python, e.g. "-1.25e-7".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let point = exp + 1; // decimal point position relative to the first digit
    let body = if (-3..=16).contains(&point) {
        if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        }
    } else {
        let (head, tail) = digits.split_at(1);
        let frac = if tail.is_empty() { String::new() } else { format!(".{tail}") };
        format!("{head}{frac}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    };
    format!("{sign}{body}")
}

/// `json.dumps(value)` as Python writes it.
pub fn dumps(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter);
    // Writing a Value into a Vec cannot fail: no I/O error, no non-string keys.
    if value.serialize(&mut ser).is_err() {
        return "null".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_python_repr() {
        let cases = [
            (0.001, "0.001"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456.789, "123456.789"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e17, "1.2345e+17"),
            (0.0, "0.0"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want, "repr({x:e})");
        }
    }

    #[test]
    fn containers_use_python_separators() {
        let v = json!({"b": [64, 32, 16], "a": {"type": "step", "gamma": 0.5}, "n": null, "t": true});
        assert_eq!(dumps(&v), r#"{"a": {"gamma": 0.5, "type": "step"}, "b": [64, 32, 16], "n": null, "t": true}"#);
        assert_eq!(dumps(&json!("tanh")), r#""tanh""#);
        assert_eq!(dumps(&json!(-3)), "-3");
    }

    #[test]
    fn strings_are_ascii_only() {
        assert_eq!(dumps(&json!("é\u{1F600}\"\\\n\u{1}")), r#""\u00e9\ud83d\ude00\"\\\n\u0001""#);
    }
}
