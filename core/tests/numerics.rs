//! Numerical edge cases of the output side: softmax on huge logits, the
//! cross-entropy clamp at p → 0, both losses' logit gradients against an
//! `f64` finite difference, and a saturated network staying finite.

mod common;

use common::{INPUT_SIZE, NUM_CLASSES, random_labels, test_rng, uniform_vec};
use ffn_core::Init;
use ffn_core::activation;
use ffn_core::kernels::Kernels;
use ffn_core::kernels::elementwise::softmax_rows;
use ffn_core::loss::{self, LossSpec, target};
use ffn_core::matrix::MatMut;
use ffn_core::model::Model;

const K: usize = NUM_CLASSES;

fn softmax_f64(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|z| (z - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

fn by_name(name: &str) -> &'static LossSpec {
    loss::by_name(name).unwrap()
}

#[test]
fn softmax_is_exact_enough_on_huge_and_extreme_logits() {
    let mut rows: Vec<Vec<f32>> = vec![
        // exp(89) overflows f32: only the max shift keeps these finite.
        vec![89.0, 88.0, 0.0, -5.0, 100.0, 95.0, 3.0, 2.0, 1.0, 0.0],
        {
            let mut r = vec![-1e30; K];
            r[3] = 1e30;
            r
        },
        vec![f32::MAX; K],
        vec![-f32::MAX; K],
        {
            let mut r = vec![0.0; K];
            r[0] = f32::MAX;
            r[1] = -f32::MAX;
            r
        },
    ];
    let mut rng = test_rng(8);
    for scale in [1.0, 30.0, 1e3, 1e5] {
        let offset = uniform_vec(&mut rng, 1, -1e4, 1e4)[0];
        rows.push(uniform_vec(&mut rng, K, -scale, scale).into_iter().map(|z| z + offset).collect());
    }
    for row in rows {
        let mut probs = row.clone();
        let rows = probs.len() / K;
        softmax_rows(Kernels::detect(), MatMut::new(&mut probs, rows, K, K));
        let expected = softmax_f64(&row.iter().map(|&z| z as f64).collect::<Vec<_>>());
        // For f32::MAX rows the f64 reference sees the same finite values.
        for (k, (&p, &e)) in probs.iter().zip(&expected).enumerate() {
            assert!(p.is_finite() && (p as f64 - e).abs() <= 1e-6, "logits {row:?}: p[{k}] = {p}, expected {e}");
        }
        let total: f32 = probs.iter().sum();
        assert!((total - 1.0).abs() < 1e-6, "logits {row:?}: sum {total}");
    }
}

#[test]
fn smoothed_targets_are_a_distribution() {
    for smoothing in [0.0f32, 0.1, 0.25, 1.0] {
        for label in 0..K as u32 {
            let total: f32 = (0..K).map(|k| target(k, label, K, smoothing)).sum();
            assert!((total - 1.0).abs() < 1e-6);
            let expected_hot = 1.0 - smoothing + smoothing / K as f32;
            assert!((target(label as usize, label, K, smoothing) - expected_hot).abs() < 1e-7);
        }
    }
}

#[test]
fn cross_entropy_stays_finite_when_the_true_class_gets_probability_zero() {
    let ce = by_name("cross_entropy");
    // What f32 softmax gives for a confidently wrong row: exact zeros.
    let mut probs = vec![0.0f32; 2 * K];
    probs[1] = 1.0; // row 0, label 0: p_label = 0
    probs[K + 2] = 1.0; // row 1, label 2: p_label = 1, a perfect hit
    let labels = [0u32, 2];
    let mut grads = vec![f32::NAN; 2 * K];
    let total = (ce.loss_and_grad)(&probs, &labels, 0.0, 0.5, Some(&mut grads));
    // −ln(1e-12) from the clamp on row 0, exactly 0 for row 1.
    let clamp_loss = -(1e-12f64).ln();
    assert!((total as f64 - clamp_loss).abs() < 1e-4 * clamp_loss, "loss {total}");
    assert_eq!((ce.loss_and_grad)(&probs[K..], &labels[1..], 0.0, 1.0, None), 0.0);
    // The gradient p − t needs no clamp: bounded by 1 (times the scale).
    assert!(grads.iter().all(|g| g.is_finite() && g.abs() <= 0.5));
    assert_eq!(grads[0], -0.5);
    assert_eq!(grads[1], 0.5);
    assert!(grads[K..].iter().all(|&g| g == 0.0));

    // With smoothing every class has a target, so every zero is clamped.
    let smoothed = (ce.loss_and_grad)(&probs[..K], &labels[..1], 0.1, 1.0, None);
    let expected = (1.0 - 0.1 + 0.1 / K as f64) * clamp_loss + (K as f64 - 2.0) * 0.01 * clamp_loss;
    assert!((smoothed as f64 - expected).abs() < 1e-4 * expected, "smoothed loss {smoothed}, expected {expected}");
}

/// `Σ_rows loss(softmax(z_row))` in f64 for the finite differences.
fn loss_of_logits(name: &str, logits: &[f64], labels: &[u32], smoothing: f64) -> f64 {
    let mut total = 0.0;
    for (row, &label) in logits.chunks_exact(K).zip(labels) {
        for (k, p) in softmax_f64(row).into_iter().enumerate() {
            let t = if k == label as usize { 1.0 - smoothing } else { 0.0 } + smoothing / K as f64;
            total += if name == "cross_entropy" { -t * p.ln() } else { (p - t) * (p - t) };
        }
    }
    total
}

#[test]
fn loss_values_and_logit_gradients_match_an_f64_reference() {
    let mut rng = test_rng(9);
    for &spec in loss::REGISTRY {
        for smoothing in [0.0f32, 0.1] {
            for batch in [1usize, 5] {
                let logits = uniform_vec(&mut rng, batch * K, -4.0, 4.0);
                let labels = random_labels(&mut rng, batch, K);
                let mut probs = logits.clone();
                let rows = probs.len() / K;
                softmax_rows(Kernels::detect(), MatMut::new(&mut probs, rows, K, K));
                let scale = 1.0 / batch as f32;
                let mut grads = vec![f32::NAN; batch * K];
                let total = (spec.loss_and_grad)(&probs, &labels, smoothing, scale, Some(&mut grads));
                // The summed loss is not scaled, with or without a gradient buffer.
                assert_eq!(total, (spec.loss_and_grad)(&probs, &labels, smoothing, 1.0, None));

                let z: Vec<f64> = logits.iter().map(|&x| x as f64).collect();
                let s = smoothing as f64;
                let reference = loss_of_logits(spec.name, &z, &labels, s);
                assert!((total as f64 - reference).abs() <= 1e-5 * reference, "{}: {total} vs {reference}", spec.name);
                let mut shifted = z.clone();
                for i in 0..z.len() {
                    let h = 1e-6;
                    shifted[i] = z[i] + h;
                    let plus = loss_of_logits(spec.name, &shifted, &labels, s);
                    shifted[i] = z[i] - h;
                    let minus = loss_of_logits(spec.name, &shifted, &labels, s);
                    shifted[i] = z[i];
                    let r = (plus - minus) / (2.0 * h) * scale as f64;
                    let g = grads[i] as f64;
                    assert!(
                        (g - r).abs() <= 1e-4 * r.abs() + 1e-7,
                        "{} smoothing {smoothing} batch {batch}: d/dz[{i}] = {g:e}, finite difference {r:e}",
                        spec.name
                    );
                }
            }
        }
    }
}

#[test]
fn a_saturated_network_keeps_finite_losses_and_gradients() {
    let mut rng = test_rng(10);
    let inputs = uniform_vec(&mut rng, 8 * INPUT_SIZE, 0.0, 1.0);
    let labels = random_labels(&mut rng, 8, K);
    for &act in activation::REGISTRY {
        let mut model = Model::new(&[INPUT_SIZE, 16, K], act, Init::Xavier, 3, 8);
        // Logits in the thousands: softmax rows become exact one-hots.
        model.params.iter_mut().for_each(|w| *w *= 1000.0);
        for &spec in loss::REGISTRY {
            let stats = model.forward_backward(&inputs, &labels, spec, 0.1, 1e-4);
            let per_row_bound = if spec.name == "cross_entropy" { -(1e-12f32).ln() } else { 2.0 };
            assert!(
                stats.loss_sum.is_finite() && stats.loss_sum <= 8.0 * per_row_bound * 1.0001,
                "{} + {}: loss {}",
                act.name,
                spec.name,
                stats.loss_sum
            );
            assert!(model.grads.iter().all(|g| g.is_finite()), "{} + {}: non-finite gradient", act.name, spec.name);
        }
    }
}
