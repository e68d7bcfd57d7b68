//! Hidden-layer activations. Each lives in its own file as two scalar
//! formulas (the value, and the slope written in terms of the *output*, so
//! the backward pass needs only the stored activations);
//! [`activation_kernels!`] turns them into SIMD-dispatched kernels over
//! blocks of rows. Adding one = one file + its name in the [`REGISTRY`] line.

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
    /// `y = f(y + addend)` in place: a layer's product finished by adding
    /// its second depth block (see `model::order`), then activated.
    pub add_forward: fn(Kernels, values: MatMut, addend: MatRef),
    /// `grad *= f'(x)`, with `f'` computed from the stored output `y = f(x)`.
    pub backward: fn(Kernels, outputs: MatRef, grads: MatMut),
    /// The scalar formulas, for references and tests.
    pub value: fn(f32) -> f32,
    pub slope_from_output: fn(f32) -> f32,
}

impl crate::registry::Choice for ActivationSpec {
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn help(&self) -> &'static str {
        self.help
    }
}

/// Look an activation up by name or alias (case-insensitive; `relu` finds `ReLU`).
pub fn by_name(name: &str) -> Option<&'static ActivationSpec> {
    crate::registry::find(REGISTRY, name)
}

/// Builds `SPEC` and its kernels from the two scalar functions `value(x)`
/// and `slope_from_output(y)` defined in the calling file, given the name,
/// the help line and (optionally) aliases.
#[macro_export]
macro_rules! activation_kernels {
    ($name:literal, $help:literal $(, aliases: [$($alias:literal),*])?) => {
        pub const SPEC: $crate::activation::ActivationSpec = $crate::activation::ActivationSpec {
            name: $name,
            aliases: &[$($($alias),*)?],
            help: $help,
            forward,
            add_forward,
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
            fn add_forward(kernels: Kernels, values: $crate::matrix::MatMut, addend: $crate::matrix::MatRef) {
                let flat = values.is_contiguous() && addend.is_contiguous();
                let (mut values, addend) = (values.flat_if(flat), addend.flat_if(flat));
                for r in 0..values.rows() {
                    for (v, a) in values.row_mut(r).iter_mut().zip(addend.row(r)) {
                        *v = value(*v + *a);
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
