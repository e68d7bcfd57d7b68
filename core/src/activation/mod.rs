//! Hidden-layer activations. Each lives in its own file as two scalar
//! formulas (the value, and the slope written in terms of the *output*, so
//! the backward pass needs only the stored activations), taken with the name
//! from `ffn-spec`, so the trainer and the device (`ffn-infer-embedded`)
//! compute the same function under the same name;
//! [`activation_kernels!`](crate::activation_kernels) turns them into
//! SIMD-dispatched kernels over blocks of rows. Adding one = its formulas in
//! `ffn-spec`, one file here + its name in the [`REGISTRY`] line.

crate::registry!(ActivationSpec: identity, sigmoid, tanh, relu);

use crate::kernels::Kernels;
use crate::matrix::{MatMut, MatRef};

/// A hidden-layer activation, as the training code and the CLI see it.
#[derive(Debug)]
pub struct ActivationSpec {
    /// The CLI / config name (`-a`), matched case-insensitively.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// One line for the CLI's help.
    pub help: &'static str,
    /// `y = f(x)` in place, over a block of rows.
    pub forward: fn(Kernels, values: MatMut),
    /// `y = f(first + second)`: a layer's two depth blocks (see
    /// `model::order`) added, then activated.
    pub sum_forward: fn(Kernels, values: MatMut, first: MatRef, second: MatRef),
    /// `grad *= f'(x)`, with `f'` computed from the stored output `y = f(x)`.
    pub backward: fn(Kernels, outputs: MatRef, grads: MatMut),
    /// The scalar formulas, for references and tests.
    pub value: fn(f32) -> f32,
    pub slope_from_output: fn(f32) -> f32,
}

/// Look an activation up by name or alias (case-insensitive; `relu` finds `ReLU`).
pub fn by_name(name: &str) -> Option<&'static ActivationSpec> {
    crate::registry::find(REGISTRY, name)
}

/// Builds `SPEC` and its kernels from the two scalar functions `value(x)`
/// and `slope_from_output(y)` in scope in the calling file, given the
/// `ffn_spec::Activation` (its name), the help line and (optionally) aliases.
#[macro_export]
macro_rules! activation_kernels {
    ($activation:expr, $help:literal $(, aliases: [$($alias:literal),*])?) => {
        pub const SPEC: $crate::activation::ActivationSpec = $crate::activation::ActivationSpec {
            name: $activation.name(),
            aliases: &[$($($alias),*)?],
            help: $help,
            forward,
            sum_forward,
            backward,
            value,
            slope_from_output,
        };

        $crate::simd_kernel! {
            fn forward(kernels: Kernels, values: $crate::matrix::MatMut) {
                let mut values = values.flat_if(true);
                for r in 0..values.rows() {
                    for v in values.row_mut(r) {
                        *v = value(*v);
                    }
                }
            }
        }

        $crate::simd_kernel! {
            fn sum_forward(
                kernels: Kernels,
                values: $crate::matrix::MatMut,
                first: $crate::matrix::MatRef,
                second: $crate::matrix::MatRef,
            ) {
                let flat = values.is_contiguous() && first.is_contiguous() && second.is_contiguous();
                let (mut values, first, second) = (values.flat_if(flat), first.flat_if(flat), second.flat_if(flat));
                for r in 0..values.rows() {
                    for ((v, a), b) in values.row_mut(r).iter_mut().zip(first.row(r)).zip(second.row(r)) {
                        *v = value(*a + *b);
                    }
                }
            }
        }

        $crate::simd_kernel! {
            fn backward(kernels: Kernels, outputs: $crate::matrix::MatRef, grads: $crate::matrix::MatMut) {
                let flat = outputs.is_contiguous() && grads.is_contiguous();
                let (outputs, mut grads) = (outputs.flat_if(flat), grads.flat_if(flat));
                for r in 0..grads.rows() {
                    for (g, y) in grads.row_mut(r).iter_mut().zip(outputs.row(r)) {
                        *g *= slope_from_output(*y);
                    }
                }
            }
        }
    };
}
