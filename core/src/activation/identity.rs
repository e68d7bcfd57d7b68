//! `f(x) = x`. The formulas are `ffn-spec`'s, shared with the device.

use ffn_spec::activation::{identity as value, identity_slope as slope_from_output};

crate::activation_kernels!(ffn_spec::Activation::Identity, "f(x) = x: no non-linearity (the layers stay one linear map)", aliases: ["linear"]);
