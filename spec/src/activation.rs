//! Hidden-layer activations: names, file tags and formulas, defined once.
//!
//! `ffn-core` builds its SIMD training kernels from [`value`](Activation::value)'s
//! per-activation functions below ([`identity`], [`sigmoid`], [`tanh`], [`relu`])
//! and their slopes; `ffn-infer-embedded` applies the same functions on the
//! device (f32 models) and the exporter builds int8 lookup tables from them.

use serde::{Deserialize, Serialize};

/// A hidden-layer activation. The discriminant is its tag in model files
/// (version 1 wrote it as a postcard enum index, version 2 as one byte: the
/// same numbers), in the CLI's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Activation {
    Identity = 0,
    Sigmoid = 1,
    Tanh = 2,
    Relu = 3,
}

/// How an int8 layer applies its activation after requantisation, without floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Int8Activation {
    /// Saturate to the int8 range (identity).
    Saturate,
    /// Saturate, and clamp below at the output zero point (ReLU: real 0).
    ClampAtZero,
    /// Requantise into the table's input domain, then look the output up in a
    /// 256-entry table (sigmoid, tanh), as TFLite's int8 LOGISTIC/TANH do.
    Table,
}

impl Activation {
    /// Every activation, in the CLI's (and the tags') order.
    pub const ALL: [Activation; 4] = [Activation::Identity, Activation::Sigmoid, Activation::Tanh, Activation::Relu];

    /// The name of the `-a` flag's choice and of ffn-core's registry entry.
    pub const fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "ReLU",
        }
    }

    /// Looks a name up case-insensitively (`relu` finds `ReLU`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The tag written in model files.
    pub const fn tag(self) -> u8 {
        self as u8
    }

    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Activation::Identity),
            1 => Some(Activation::Sigmoid),
            2 => Some(Activation::Tanh),
            3 => Some(Activation::Relu),
            _ => None,
        }
    }

    /// `f(x)`.
    #[inline(always)]
    pub fn value(self, x: f32) -> f32 {
        match self {
            Activation::Identity => identity(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => tanh(x),
            Activation::Relu => relu(x),
        }
    }

    /// `f'` written in terms of the output `y = f(x)`, so the backward pass
    /// needs only the stored activations.
    #[inline(always)]
    pub fn slope_from_output(self, y: f32) -> f32 {
        match self {
            Activation::Identity => identity_slope(y),
            Activation::Sigmoid => sigmoid_slope(y),
            Activation::Tanh => tanh_slope(y),
            Activation::Relu => relu_slope(y),
        }
    }

    /// How an int8 layer computes it.
    pub const fn int8(self) -> Int8Activation {
        match self {
            Activation::Identity => Int8Activation::Saturate,
            Activation::Relu => Int8Activation::ClampAtZero,
            Activation::Sigmoid | Activation::Tanh => Int8Activation::Table,
        }
    }
}

/// `f(x) = x`.
#[inline(always)]
pub fn identity(x: f32) -> f32 {
    x
}

#[inline(always)]
pub fn identity_slope(_y: f32) -> f32 {
    1.0
}

/// `f(x) = 1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

/// `f' = y (1 - y)`.
#[inline(always)]
pub fn sigmoid_slope(y: f32) -> f32 {
    y * (1.0 - y)
}

/// `f(x) = tanh x`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    libm::tanhf(x)
}

/// `f' = 1 - y²`.
#[inline(always)]
pub fn tanh_slope(y: f32) -> f32 {
    1.0 - y * y
}

/// `f(x) = max(0, x)`.
#[inline(always)]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

/// The slope at 0 is taken as 0.
#[inline(always)]
pub fn relu_slope(y: f32) -> f32 {
    if y > 0.0 { 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tags_round_trip() {
        for (tag, activation) in Activation::ALL.into_iter().enumerate() {
            assert_eq!(activation.tag() as usize, tag);
            assert_eq!(Activation::from_tag(tag as u8), Some(activation));
            assert_eq!(Activation::from_name(activation.name()), Some(activation));
        }
        assert_eq!(Activation::from_name("relu"), Some(Activation::Relu));
        assert_eq!(Activation::from_name("SIGMOID"), Some(Activation::Sigmoid));
        assert_eq!(Activation::from_name("softplus"), None);
        assert_eq!(Activation::from_tag(4), None);
    }

    #[test]
    fn slopes_match_finite_differences() {
        for activation in Activation::ALL {
            for x in [-2.0f32, -0.5, 0.3, 1.7] {
                let h = 1e-3;
                let numeric = (activation.value(x + h) - activation.value(x - h)) / (2.0 * h);
                let analytic = activation.slope_from_output(activation.value(x));
                assert!((numeric - analytic).abs() < 1e-2, "{activation:?} at {x}: {numeric} vs {analytic}");
            }
        }
    }
}
