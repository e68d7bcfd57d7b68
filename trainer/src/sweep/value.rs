//! A parameter value as the sweep YAML gives it, printed the way wandb's agent
//! prints it (Python's `str()`), so a local run and an agent run of the same
//! configuration get byte-identical `--key=value` arguments.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Value {
    /// A YAML scalar; `None` for null, sequences and mappings (train flags are scalars).
    pub fn from_yaml(v: &serde_yaml::Value) -> Option<Value> {
        match v {
            serde_yaml::Value::Bool(b) => Some(Value::Bool(*b)),
            serde_yaml::Value::Number(n) => match n.as_i64() {
                Some(i) => Some(Value::Int(i)),
                None => n.as_f64().map(Value::Float),
            },
            serde_yaml::Value::String(s) => Some(Value::Str(s.clone())),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Equality that treats `1` and `1.0` alike (configs read back from JSON).
    pub fn same(&self, other: &Value) -> bool {
        match (self.as_f64(), other.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => self == other,
        }
    }
}

impl fmt::Display for Value {
    /// Python's `str()`: `True`/`False`, ints as ints, floats by `repr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&python_float(*x)),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip (Rust's `{:e}`
/// gives the same digits), in positional notation when the decimal point
/// falls in `-4 < decpt <= 16`, else scientific with a signed, two-digit
/// exponent (`1e-05`, `1.5e+16`).
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    if -4 < decpt && decpt <= 16 {
        let n = digits.len() as i32;
        let body = if decpt <= 0 {
            format!("0.{}{digits}", "0".repeat((-decpt) as usize))
        } else if decpt >= n {
            format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
        } else {
            format!("{}.{}", &digits[..decpt as usize], &digits[decpt as usize..])
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        // Expected strings are CPython 3 `repr` outputs.
        let cases = [
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (0.001, "0.001"),
            (0.0005, "0.0005"),
            (0.5, "0.5"),
            (5.0, "5.0"),
            (64.0, "64.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e16, "1.5e+16"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5e-7, "-2.5e-07"),
            (123.456, "123.456"),
            (3e-4, "0.0003"),
            (1.2345e-5, "1.2345e-05"),
            (1e100, "1e+100"),
            (0.0, "0.0"),
        ];
        for (x, want) in cases {
            assert_eq!(python_float(x), want, "{x:e}");
        }
    }

    #[test]
    fn scalars_print_like_python_str() {
        assert_eq!(Value::Bool(true).to_string(), "True");
        assert_eq!(Value::Bool(false).to_string(), "False");
        assert_eq!(Value::Int(16).to_string(), "16");
        assert_eq!(Value::Str("ReLU".into()).to_string(), "ReLU");
    }
}
