//! `f(x) = max(0, x)`; the slope at 0 is taken as 0. The formulas are
//! `ffn-spec`'s, shared with the device.

use ffn_spec::activation::{relu as value, relu_slope as slope_from_output};

crate::activation_kernels!(ffn_spec::Activation::Relu, "f(x) = max(0, x), rectified linear unit");
