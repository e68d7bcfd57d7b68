//! `f(x) = 1 / (1 + e^-x)` (libm's `expf`), `f' = y (1 - y)`. The formulas
//! are `ffn-spec`'s, shared with the device.

use ffn_spec::activation::{sigmoid as value, sigmoid_slope as slope_from_output};

crate::activation_kernels!(ffn_spec::Activation::Sigmoid, "f(x) = 1 / (1 + e^-x), the logistic function", aliases: ["logistic"]);
