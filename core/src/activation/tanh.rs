//! `f(x) = tanh x` (libm's `tanhf`), `f' = 1 - y²`. The formulas are
//! `ffn-spec`'s, shared with the device.

use ffn_spec::activation::{tanh as value, tanh_slope as slope_from_output};

crate::activation_kernels!(ffn_spec::Activation::Tanh, "f(x) = tanh x, the hyperbolic tangent");
