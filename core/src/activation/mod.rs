//! Hidden-layer activations. Each lives in its own file as two scalar formulas
//! (the value, and the slope written in terms of the *output*, so the backward
//! pass needs only the stored activations), taken from `ffn-spec` so the
//! trainer and the device (`ffn-infer-embedded`) compute the same function
//! under the same name; [`activation_kernels!`](crate::activation_kernels)
//! turns them into SIMD-dispatched slice kernels. Adding one = its formulas in
//! `ffn-spec`, one file here + one line in [`REGISTRY`].

mod identity;
mod relu;
mod sigmoid;
mod tanh;

/// A hidden-layer activation, as the training code sees it.
#[derive(Debug)]
pub struct ActivationSpec {
    /// The CLI / config name (`-a`), matched case-insensitively.
    pub name: &'static str,
    /// `y = f(x)` in place.
    pub forward: fn(values: &mut [f32]),
    /// `grad *= f'(x)`, with `f'` computed from the stored output `y = f(x)`.
    pub backward: fn(outputs: &[f32], grads: &mut [f32]),
    /// `values = f(first + second)` on the rows of a block: row `r` is
    /// `[r·stride, r·stride + width)` of each slice (the sum of a layer's two
    /// partial products in the split training step, one call for the batch).
    pub sum_forward_rows: fn(values: &mut [f32], first: &[f32], second: &[f32], stride: usize, width: usize),
    /// [`ActivationSpec::backward`] on the rows of a block, as above.
    pub backward_rows: fn(outputs: &[f32], grads: &mut [f32], stride: usize, width: usize),
    /// The scalar formulas, for references and tests.
    pub value: fn(f32) -> f32,
    pub slope_from_output: fn(f32) -> f32,
}

/// Every activation ffn knows, in the CLI's order.
pub const REGISTRY: &[&ActivationSpec] = &[&identity::SPEC, &sigmoid::SPEC, &tanh::SPEC, &relu::SPEC];

/// Look an activation up by name (case-insensitive; `relu` finds `ReLU`).
pub fn by_name(name: &str) -> Option<&'static ActivationSpec> {
    REGISTRY.iter().copied().find(|spec| spec.name.eq_ignore_ascii_case(name))
}

/// Builds `SPEC` plus its `forward`/`backward` slice kernels from the two scalar
/// functions `value(x)` and `slope_from_output(y)` in scope in the calling
/// file, named as the given `ffn_spec::Activation` is.
#[macro_export]
macro_rules! activation_kernels {
    ($activation:expr) => {
        pub const SPEC: $crate::activation::ActivationSpec = $crate::activation::ActivationSpec {
            name: $activation.name(),
            forward,
            backward,
            sum_forward_rows,
            backward_rows,
            value,
            slope_from_output,
        };

        $crate::simd_kernel! {
            fn forward(values: &mut [f32]) {
                for v in values.iter_mut() {
                    *v = value(*v);
                }
            }
        }

        $crate::simd_kernel! { rows:
            fn sum_forward_rows(values: &mut [f32], first: &[f32], second: &[f32], stride: usize, width: usize) {
                let rows = values.chunks_mut(stride).zip(first.chunks(stride)).zip(second.chunks(stride));
                for ((v, a), b) in rows {
                    for ((v, a), b) in v[..width].iter_mut().zip(&a[..width]).zip(&b[..width]) {
                        *v = value(*a + *b);
                    }
                }
            }
        }

        $crate::simd_kernel! { rows:
            fn backward_rows(outputs: &[f32], grads: &mut [f32], stride: usize, width: usize) {
                for (g, y) in grads.chunks_mut(stride).zip(outputs.chunks(stride)) {
                    for (g, y) in g[..width].iter_mut().zip(&y[..width]) {
                        *g *= slope_from_output(*y);
                    }
                }
            }
        }

        $crate::simd_kernel! {
            fn backward(outputs: &[f32], grads: &mut [f32]) {
                for (g, y) in grads.iter_mut().zip(outputs) {
                    *g *= slope_from_output(*y);
                }
            }
        }
    };
}
