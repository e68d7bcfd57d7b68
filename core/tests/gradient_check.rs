//! Finite-difference checks of `Model::forward_backward`.
//!
//! The reference is an independent, plain-loop forward pass in `f64` written
//! here from the documented maths (layout, activations, softmax, losses,
//! label smoothing), not from the crate's code. Its objective is
//!
//! `J = (1/B)·Σ_rows loss_row + (wd/2)·Σ_weights w²` (biases excluded),
//!
//! which is exactly what "batch-mean gradients plus `wd·w` on weights" is the
//! gradient of. Central differences of `J` in `f64` (h = 1e-5: truncation
//! ~h²·J''' ≈ 1e-10, round-off ~1e-16/h ≈ 1e-11) are accurate to far better
//! than the `f32` model, so the whole comparison error is the model's own
//! `f32` rounding.
//!
//! Tolerance: `|g − r| ≤ 1e-3·|r| + 2e-6`. The f32 backward pass carries
//! relative errors of a few 1e-7 on each product and sum; entries built from
//! cancelling terms can only be trusted to ~1e-7 × the magnitude of the terms
//! (O(0.1) here), hence the absolute floor. Measured worst cases are printed
//! (`--nocapture`); they sit one to two orders of magnitude below the bound,
//! while any real mistake (a missing factor, a transposed weight, decay on
//! biases or `wd` instead of `wd/2` in J) is off by 1e-2 or more.

mod common;

use common::{random_labels, test_rng, uniform_vec};
use ffn_core::Init;
use ffn_core::activation::{self, ActivationSpec};
use ffn_core::loss::{self, LossSpec};
use ffn_core::model::Model;
use ffn_core::rng::{Rng, rng_for, uniform};

const INPUTS: usize = 12;
const CLASSES: usize = 10;
/// Distinct widths so a transposed or mis-offset block cannot go unnoticed.
const HIDDEN: [usize; 3] = [7, 6, 5];
/// Layers wide enough that small-batch steps split every hidden layer's
/// weight rows between two parts (cut at 16; see `Model::train_step`): both
/// parts' partial products, input gradients and bias columns get checked.
const WIDE: [usize; 4] = [40, 34, 33, CLASSES];
/// In the wide cases every `WIDE_STRIDE`-th parameter is checked (a stride
/// prime to every row length, so each row and column of every block is hit).
const WIDE_STRIDE: usize = 7;
const H: f64 = 1e-5;
const RTOL: f64 = 1e-3;
const ATOL: f64 = 2e-6;
/// ReLU is only differentiable away from 0: inputs are redrawn until every
/// hidden pre-activation is at least this far from it, far beyond what an
/// `H` perturbation (or f32 rounding) can move it.
const KINK_MARGIN: f64 = 1e-3;

fn activate(name: &str, x: f64) -> f64 {
    match name {
        "identity" => x,
        "sigmoid" => 1.0 / (1.0 + (-x).exp()),
        "tanh" => x.tanh(),
        "ReLU" => x.max(0.0),
        other => panic!("no reference for activation {other}"),
    }
}

/// Everything the reference needs besides the parameters.
struct Problem<'a> {
    sizes: &'a [usize],
    activation: &'a str,
    loss: &'a str,
    inputs: Vec<f32>,
    labels: &'a [u32],
    smoothing: f64,
    weight_decay: f64,
    /// Inverted dropout on hidden outputs, masks drawn from `dropout_rng()`.
    dropout: f64,
}

/// The documented mask rule: hidden layers in order, each row-major, one
/// `uniform` draw per unit, dropped when the draw is below the rate.
fn dropout_rng() -> Rng {
    rng_for(99, 7)
}

/// What one reference forward pass found.
struct Reference {
    /// `J` above.
    objective: f64,
    /// Σ_rows loss_row, without decay (what `StepStats::loss_sum` reports).
    loss_sum: f64,
    /// Sign of every hidden pre-activation, to spot ReLU kink crossings.
    signs: Vec<bool>,
    /// Smallest |hidden pre-activation|.
    min_abs_hidden: f64,
}

impl Problem<'_> {
    fn reference(&self, params: &[f64]) -> Reference {
        let batch = self.labels.len();
        let layers = self.sizes.len() - 1;
        let mut a: Vec<f64> = self.inputs[..batch * self.sizes[0]].iter().map(|&x| x as f64).collect();
        let mut offset = 0;
        let mut decay = 0.0;
        let mut signs = Vec::new();
        let mut min_abs_hidden = f64::INFINITY;
        let mut drop_rng = dropout_rng();
        for layer in 0..layers {
            let (fan_in, fan_out) = (self.sizes[layer], self.sizes[layer + 1]);
            // Documented layout: row-major fan_in × fan_out weights, then fan_out biases.
            let w = &params[offset..offset + fan_in * fan_out];
            let b = &params[offset + fan_in * fan_out..offset + fan_in * fan_out + fan_out];
            offset += fan_in * fan_out + fan_out;
            decay += w.iter().map(|w| w * w).sum::<f64>();
            let mut z = vec![0.0; batch * fan_out];
            for r in 0..batch {
                for j in 0..fan_out {
                    let mut s = b[j];
                    for i in 0..fan_in {
                        s += a[r * fan_in + i] * w[i * fan_out + j];
                    }
                    z[r * fan_out + j] = s;
                }
            }
            if layer + 1 < layers {
                for v in z.iter_mut() {
                    signs.push(*v > 0.0);
                    min_abs_hidden = min_abs_hidden.min(v.abs());
                    *v = activate(self.activation, *v);
                    if self.dropout > 0.0 {
                        let dropped = (uniform(&mut drop_rng) as f64) < self.dropout;
                        *v = if dropped { 0.0 } else { *v / (1.0 - self.dropout) };
                    }
                }
            }
            a = z;
        }
        assert_eq!(offset, params.len(), "reference layout covers every parameter");
        let classes = self.sizes[layers];
        let mut loss_sum = 0.0;
        for (logits, &label) in a.chunks_exact(classes).zip(self.labels) {
            let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<f64> = logits.iter().map(|z| (z - max).exp()).collect();
            let total: f64 = exps.iter().sum();
            for (k, e) in exps.iter().enumerate() {
                let p = e / total;
                let hot = if k == label as usize { 1.0 } else { 0.0 };
                let t = (1.0 - self.smoothing) * hot + self.smoothing / classes as f64;
                loss_sum += match self.loss {
                    "cross_entropy" => -t * p.ln(),
                    "mean_squared_error" => (p - t) * (p - t),
                    other => panic!("no reference for loss {other}"),
                };
            }
        }
        Reference {
            objective: loss_sum / batch as f64 + 0.5 * self.weight_decay * decay,
            loss_sum,
            signs,
            min_abs_hidden,
        }
    }
}

/// Worst errors seen over all checked parameters.
#[derive(Default)]
struct Worst {
    abs: f64,
    /// Worst `|g − r| / (RTOL·|r| + ATOL)`: must stay below 1.
    ratio: f64,
    checked: usize,
    largest_gradient: f64,
}

struct Case {
    /// `[INPUTS, HIDDEN[..hidden_layers]…, CLASSES]`, or [`WIDE`].
    wide: bool,
    hidden_layers: usize,
    activation: &'static ActivationSpec,
    loss: &'static LossSpec,
    batch: usize,
    weight_decay: f32,
    smoothing: f32,
    dropout: f32,
}

fn check(case: &Case, rng: &mut Rng, worst: &mut Worst) {
    let mut sizes = vec![INPUTS];
    sizes.extend_from_slice(&HIDDEN[..case.hidden_layers]);
    sizes.push(CLASSES);
    if case.wide {
        sizes = WIDE.to_vec();
    }
    let inputs = sizes[0];
    let labels = random_labels(rng, case.batch, CLASSES);
    let mut model = Model::new(&sizes, case.activation, Init::Xavier, 17, case.batch);
    // Non-zero biases so their gradients and the bias add are exercised too.
    for layer in 0..sizes.len() - 1 {
        let range = model.layout().bias(layer);
        model.params[range.clone()].copy_from_slice(&uniform_vec(rng, range.len(), -0.5, 0.5));
    }
    let params: Vec<f64> = model.params.iter().map(|&p| p as f64).collect();

    let mut problem = Problem {
        sizes: &sizes,
        activation: case.activation.name,
        loss: case.loss.name,
        inputs: uniform_vec(rng, case.batch * inputs, -1.0, 1.0),
        labels: &labels,
        smoothing: case.smoothing as f64,
        weight_decay: case.weight_decay as f64,
        dropout: case.dropout as f64,
    };
    if case.activation.name == "ReLU" {
        let mut tries = 0;
        while problem.reference(&params).min_abs_hidden < KINK_MARGIN {
            tries += 1;
            assert!(tries < 100, "could not draw inputs away from the ReLU kink");
            problem.inputs = uniform_vec(rng, case.batch * inputs, -1.0, 1.0);
        }
    }
    let base = problem.reference(&params);

    model.set_dropout(case.dropout, dropout_rng());
    let stats = model.forward_backward(&problem.inputs, &labels, case.loss, case.smoothing, case.weight_decay);
    let label = format!(
        "{:?}, {} + {}, batch {}, wd {}, smoothing {}, dropout {}",
        sizes, case.activation.name, case.loss.name, case.batch, case.weight_decay, case.smoothing, case.dropout
    );
    let loss_error = (stats.loss_sum as f64 - base.loss_sum).abs();
    assert!(loss_error <= 1e-5 * base.loss_sum.abs() + 1e-6, "{label}: loss {} vs {}", stats.loss_sum, base.loss_sum);

    let mut perturbed = params.clone();
    let stride = if case.wide { WIDE_STRIDE } else { 1 };
    for (p, &g) in model.grads.iter().enumerate().step_by(stride) {
        perturbed[p] = params[p] + H;
        let plus = problem.reference(&perturbed);
        perturbed[p] = params[p] - H;
        let minus = problem.reference(&perturbed);
        perturbed[p] = params[p];
        assert!(plus.signs == base.signs && minus.signs == base.signs, "{label}: parameter {p} crosses a ReLU kink");
        let r = (plus.objective - minus.objective) / (2.0 * H);
        let error = (g as f64 - r).abs();
        let bound = RTOL * r.abs() + ATOL;
        assert!(error <= bound, "{label}: parameter {p}: backprop {g:e}, finite difference {r:e}");
        worst.abs = worst.abs.max(error);
        worst.ratio = worst.ratio.max(error / bound);
        worst.largest_gradient = worst.largest_gradient.max(r.abs());
        worst.checked += 1;
    }
}

#[test]
fn backprop_matches_finite_differences_for_every_activation_loss_depth_batch_regulariser_and_dropout() {
    assert_eq!(activation::REGISTRY.len(), 4, "a new activation needs a reference here");
    assert_eq!(loss::REGISTRY.len(), 2, "a new loss needs a reference here");
    let mut rng = test_rng(1);
    let mut worst = Worst::default();
    let mut cases = 0;
    for &activation in activation::REGISTRY {
        for &loss in loss::REGISTRY {
            for hidden_layers in 1..=3 {
                for batch in [1, 7] {
                    for weight_decay in [0.0, 0.1] {
                        for smoothing in [0.0, 0.2] {
                            for dropout in [0.0, 0.5] {
                                let case = Case {
                                    wide: false,
                                    hidden_layers,
                                    activation,
                                    loss,
                                    batch,
                                    weight_decay,
                                    smoothing,
                                    dropout,
                                };
                                check(&case, &mut rng, &mut worst);
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    for &activation in activation::REGISTRY {
        for &loss in loss::REGISTRY {
            for batch in [3, 33] {
                for dropout in [0.0, 0.5] {
                    let case = Case {
                        wide: true,
                        hidden_layers: 2,
                        activation,
                        loss,
                        batch,
                        weight_decay: 0.1,
                        smoothing: 0.2,
                        dropout,
                    };
                    check(&case, &mut rng, &mut worst);
                    cases += 1;
                }
            }
        }
    }
    println!(
        "{cases} cases, {} parameters checked; worst |g − r| = {:.2e}, worst error / bound = {:.3}, largest |r| = {:.2e}",
        worst.checked, worst.abs, worst.ratio, worst.largest_gradient
    );
    assert_eq!(cases, 4 * 2 * 3 * 2 * 2 * 2 * 2 + 4 * 2 * 2 * 2);
    // Guards against a vacuous check (e.g. every gradient ≈ 0).
    assert!(worst.largest_gradient > 0.05, "gradients too small to test anything");
}
