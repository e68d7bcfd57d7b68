//! Every optimizer in the registry against a plainly written `f64` reference
//! of its published rule, over several steps with non-default
//! hyper-parameters (so a swapped β or a misplaced ε shows).
//!
//! References (checked against the literature, not just the doc comments):
//! - momentum (course form): `u ← m·u + lr·g`, `w ← w − u`.
//! - nag: Sutskever et al. 2013 in the stored-point form PyTorch uses, which
//!   is the course's look-ahead rule under `w' = w − m·u`:
//!   `u ← m·u + lr·g`, `w ← w − (m·u + lr·g)` (with the new `u`).
//! - rmsprop: Hinton's lecture 6e with ε outside the root.
//! - adam: Kingma & Ba 2015, Algorithm 1 (ε outside the root of v̂).
//! - nadam: Dozat 2016 in its common simplified form (no momentum schedule):
//!   `w ← w − lr/(√v̂ + ε)·(β1·m̂ + (1−β1)·g/(1−β1ᵗ))`.
//! - eve: Koushik & Hayashi 2016, Algorithm 1 with f* = 0, β3 = 0.999,
//!   k = 0.1, K = 10: `θ ← θ − α·m̂/(d·√v̂ + ε)`.
//! - amsgrad: Reddi et al. 2018 with Adam's bias corrections, as PyTorch's
//!   `amsgrad=True`: `v̂max ← max(v̂max, v)`, `θ ← θ − α·m̂/(√(v̂max/(1−β2ᵗ)) + ε)`.
//!
//! Tolerance: the f32 implementation drifts from the f64 reference by a few
//! f32 ulps of `w` per step, and rounds each step's displacement to ~1e-7
//! relative; `|w − w_ref| ≤ 1e-5·|w_ref − w₀| + 1e-6` after every step is two
//! orders above both, and far below any formula mistake (ε = 1e-3 against
//! gradients down to 1e-3 makes its placement a several-percent effect).

mod common;

use common::{test_rng, uniform_vec};
use ffn_core::optim::{self, Hyper, Optimizer, OptimizerSpec};
use ffn_core::rng::uniform;

const N: usize = 257;
const STEPS: usize = 8;

fn hyper() -> Hyper {
    Hyper {
        learning_rate: 0.02,
        momentum: 0.8,
        beta: 0.85,
        beta1: 0.7,
        beta2: 0.95,
        epsilon: 1e-3,
        // The model adds decay to the gradient; an optimizer that applied it
        // again would miss the reference, which ignores it.
        weight_decay: 0.3,
    }
}

/// Batch losses that take Eve through every branch: a rise inside the clip
/// range, a tiny rise clipped up to ×1.1, a crash clipped to ÷11, a jump
/// clipped to ×11, falls inside the range and a small fall clipped to ÷1.1.
const LOSSES: [f32; STEPS] = [2.0, 2.5, 2.51, 0.1, 30.0, 3.0, 2.9, 1.0];

/// The plain f64 rules, one step at a time.
struct Reference {
    name: &'static str,
    h: Hyper,
    w: Vec<f64>,
    /// First state buffer (velocity, mean square or m).
    a: Vec<f64>,
    /// Second state buffer (v).
    b: Vec<f64>,
    /// Third state buffer (the running maximum of v).
    c: Vec<f64>,
    t: i32,
    d: f64,
    f_hat: f64,
}

impl Reference {
    fn new(name: &'static str, h: Hyper, w: &[f32]) -> Self {
        let w: Vec<f64> = w.iter().map(|&x| x as f64).collect();
        let n = w.len();
        Reference { name, h, w, a: vec![0.0; n], b: vec![0.0; n], c: vec![0.0; n], t: 0, d: 1.0, f_hat: 0.0 }
    }

    fn step(&mut self, grads: &[f32], loss: f32) {
        self.t += 1;
        let t = self.t;
        let lr = self.h.learning_rate as f64;
        let mom = self.h.momentum as f64;
        let beta = self.h.beta as f64;
        let b1 = self.h.beta1 as f64;
        let b2 = self.h.beta2 as f64;
        let eps = self.h.epsilon as f64;
        if self.name == "eve" {
            let f = loss as f64;
            if t == 1 {
                self.d = 1.0;
                self.f_hat = f;
            } else {
                let (k, big_k, beta3) = (0.1, 10.0, 0.999);
                let (lo, hi) =
                    if f >= self.f_hat { (k + 1.0, big_k + 1.0) } else { (1.0 / (big_k + 1.0), 1.0 / (k + 1.0)) };
                let c = (f / self.f_hat).max(lo).min(hi);
                let new_f_hat = c * self.f_hat;
                let r = (new_f_hat - self.f_hat).abs() / new_f_hat.min(self.f_hat);
                self.d = beta3 * self.d + (1.0 - beta3) * r;
                self.f_hat = new_f_hat;
            }
        }
        for (i, &g) in grads.iter().enumerate() {
            let g = g as f64;
            let (w, a, b, c) = (&mut self.w[i], &mut self.a[i], &mut self.b[i], &mut self.c[i]);
            match self.name {
                "sgd" => *w -= lr * g,
                "momentum" => {
                    *a = mom * *a + lr * g;
                    *w -= *a;
                }
                "nag" => {
                    *a = mom * *a + lr * g;
                    *w -= mom * *a + lr * g;
                }
                "rmsprop" => {
                    *a = beta * *a + (1.0 - beta) * g * g;
                    *w -= lr * g / (a.sqrt() + eps);
                }
                "adam" | "nadam" | "eve" | "amsgrad" => {
                    *a = b1 * *a + (1.0 - b1) * g;
                    *b = b2 * *b + (1.0 - b2) * g * g;
                    *c = c.max(*b);
                    let m_hat = *a / (1.0 - b1.powi(t));
                    let v_hat = *b / (1.0 - b2.powi(t));
                    *w -= match self.name {
                        "adam" => lr * m_hat / (v_hat.sqrt() + eps),
                        "nadam" => lr / (v_hat.sqrt() + eps) * (b1 * m_hat + (1.0 - b1) * g / (1.0 - b1.powi(t))),
                        "amsgrad" => lr * m_hat / ((*c / (1.0 - b2.powi(t))).sqrt() + eps),
                        _ => lr * m_hat / (self.d * v_hat.sqrt() + eps),
                    };
                }
                other => panic!("no reference for optimizer {other}"),
            }
        }
    }
}

/// Gradients with magnitudes spread over three decades (log-uniform), both signs.
fn gradients(rng: &mut ffn_core::rng::Rng) -> Vec<f32> {
    (0..N)
        .map(|_| {
            let magnitude = 10f32.powf(-3.0 * uniform(rng));
            if uniform(rng) < 0.5 { -magnitude } else { magnitude }
        })
        .collect()
}

fn check(spec: &'static OptimizerSpec) {
    let mut rng = test_rng(3);
    let start = uniform_vec(&mut rng, N, -1.0, 1.0);
    let mut params = start.clone();
    let mut optimizer = Optimizer::new(spec, hyper(), N);
    let mut reference = Reference::new(spec.name, hyper(), &start);
    let mut moved = 0.0f64;
    let mut worst = 0.0f64;
    for (step, &loss) in LOSSES.iter().enumerate() {
        let grads = gradients(&mut rng);
        optimizer.update(&mut params, &grads, loss);
        reference.step(&grads, loss);
        for (i, (&w, &r)) in params.iter().zip(&reference.w).enumerate() {
            let displacement = (r - start[i] as f64).abs();
            moved = moved.max(displacement);
            let error = (w as f64 - r).abs();
            let bound = 1e-5 * displacement + 1e-6;
            worst = worst.max(error / bound);
            assert!(
                error <= bound,
                "{} step {}: parameter {i} is {w:e}, reference {r:e} (moved {displacement:e})",
                spec.name,
                step + 1
            );
        }
    }
    assert_eq!(optimizer.step, STEPS as u64);
    println!("{}: moved up to {moved:.3}, worst error / bound {worst:.3}", spec.name);
    // Each rule must actually move the parameters for the check to mean anything.
    assert!(moved > 0.01, "{}: parameters barely moved ({moved:e})", spec.name);
}

#[test]
fn every_optimizer_matches_its_reference_over_several_steps() {
    for &spec in optim::REGISTRY {
        check(spec);
    }
}

/// The course project's six come first; every name and alias is unique and
/// found in any case. (No list of every optimizer here: a new one is its
/// file, its registry line and its reference rule above.)
#[test]
fn registry_holds_the_course_six_and_lookup_accepts_names_and_aliases() {
    let names: Vec<&str> = optim::REGISTRY.iter().map(|spec| spec.name).collect();
    assert_eq!(names[..6], ["sgd", "momentum", "nag", "rmsprop", "adam", "nadam"]);
    let mut all: Vec<&str> =
        optim::REGISTRY.iter().flat_map(|spec| spec.aliases.iter().copied().chain([spec.name])).collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count, "a name or alias is registered twice");
    for &spec in optim::REGISTRY {
        assert_eq!(optim::by_name(spec.name).map(|found| found.name), Some(spec.name));
        assert_eq!(optim::by_name(&spec.name.to_uppercase()).map(|found| found.name), Some(spec.name));
    }
    assert_eq!(optim::by_name("nesterov").map(|spec| spec.name), Some("nag"));
    assert_eq!(optim::by_name("NeStErOv").map(|spec| spec.name), Some("nag"));
    assert!(optim::by_name("no-such-optimizer").is_none());
    assert!(optim::by_name("").is_none());
    let state = |name: &str| optim::by_name(name).map(|spec| spec.state_buffers);
    let course = ["sgd", "momentum", "nag", "rmsprop", "adam", "nadam"].map(state);
    assert_eq!(course, [0, 1, 1, 1, 2, 2].map(Some));
}

/// The course defines NAG by the gradient at the look-ahead point:
/// `u ← m·u + lr·∇f(w − m·u)`, `w ← w − u`. The registry's rule keeps the
/// look-ahead point `w − m·u` itself; on a quadratic with exact gradients its
/// iterates must be exactly the course form's look-ahead points.
#[test]
fn nag_stores_the_course_forms_look_ahead_point() {
    let curvature = [0.5f64, 2.0, 8.0, 0.1];
    let grad = |w: &[f64]| -> Vec<f64> { w.iter().zip(&curvature).map(|(w, a)| a * w).collect() };
    let hyper = Hyper { learning_rate: 0.05, momentum: 0.9, ..Hyper::default() };
    let (lr, m) = (hyper.learning_rate as f64, hyper.momentum as f64);
    let mut w = [1.0f64, -2.0, 0.5, 3.0];
    let mut u = [0.0f64; 4];
    let mut stored: Vec<f32> = w.iter().map(|&x| x as f32).collect();
    let mut optimizer = Optimizer::new(optim::by_name("nesterov").unwrap(), hyper, 4);
    for step in 1..=30 {
        let look_ahead: Vec<f64> = w.iter().zip(&u).map(|(w, u)| w - m * u).collect();
        let g = grad(&look_ahead);
        for i in 0..4 {
            u[i] = m * u[i] + lr * g[i];
            w[i] -= u[i];
        }
        let at_stored: Vec<f32> =
            grad(&stored.iter().map(|&x| x as f64).collect::<Vec<_>>()).iter().map(|&g| g as f32).collect();
        optimizer.update(&mut stored, &at_stored, 0.0);
        for i in 0..4 {
            let expected = w[i] - m * u[i];
            assert!(
                (stored[i] as f64 - expected).abs() < 1e-5,
                "step {step}, coordinate {i}: {} vs {expected}",
                stored[i]
            );
        }
    }
}

/// A training batch can fit perfectly (f32 softmax gives p = 1 exactly, so the
/// cross-entropy is exactly 0) for many steps in a row. Eve divides by the
/// smoothed loss, so a zero loss must not turn into inf/NaN weights, also for
/// weights whose gradient is always 0 (MNIST's blank corner pixels).
#[test]
fn eve_survives_a_long_run_of_zero_losses() {
    let spec = optim::by_name("eve").unwrap();
    for first_loss in [0.0f32, 0.7] {
        let mut rng = test_rng(4);
        let mut params = uniform_vec(&mut rng, N, -1.0, 1.0);
        let mut grads = gradients(&mut rng);
        grads[..10].fill(0.0);
        let mut optimizer = Optimizer::new(spec, Hyper::default(), N);
        optimizer.update(&mut params, &grads, first_loss);
        for step in 0..2000 {
            optimizer.update(&mut params, &grads, 0.0);
            assert!(
                params.iter().all(|w| w.is_finite()),
                "first loss {first_loss}: non-finite weight after {} zero-loss steps",
                step + 1
            );
        }
        assert!(optimizer.scalars.iter().all(|s| s.is_finite()), "first loss {first_loss}: {:?}", optimizer.scalars);
        // And it keeps learning once the loss comes back.
        let before = params.clone();
        optimizer.update(&mut params, &grads, 1.5);
        assert!(params.iter().zip(&before).skip(10).all(|(a, b)| a != b));
    }
}
