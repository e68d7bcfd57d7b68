//! The SIMD builds of every element-wise kernel give the same bits as the
//! portable build (the kernels promise it: no reordering, fused multiply-adds only through `math::fma`).
//!
//! Each comparison runs the same work with `Kernels::at(Level::Scalar)` and
//! with the level under test: the level is a value the caller holds, so the
//! runs do not disturb each other.

mod common;

use common::{assert_same_bits, random_labels, test_rng, uniform_vec};
use ffn_core::Init;
use ffn_core::activation;
use ffn_core::exec::Serial;
use ffn_core::kernels::elementwise::{column_sums, fill_rows_with_bias, scale_bytes, scale_into, sum_into};
use ffn_core::kernels::exp::exp_in_place;
use ffn_core::kernels::gemm::UNPACKED_MAX_BATCH;
use ffn_core::kernels::{Kernels, Level};
use ffn_core::loss;
use ffn_core::math::exp as libm_expf;
use ffn_core::matrix::{MatMut, MatRef};
use ffn_core::model::Model;
use ffn_core::optim::{self, Hyper, Optimizer};
use ffn_core::rng::Rng;

/// Odd lengths and lengths around the 8- and 16-lane widths, so every
/// vector body and every scalar tail runs.
const LENGTHS: [usize; 9] = [1, 7, 8, 15, 16, 17, 33, 1000, 1023];

/// Inputs with the awkward values mixed in: ±0, saturating magnitudes, tiny values.
fn awkward(rng: &mut Rng, n: usize) -> Vec<f32> {
    let specials = [0.0, -0.0, 1e-30, -1e-30, 40.0, -40.0, 100.0, -100.0, 1e-6];
    let mut values = uniform_vec(rng, n, -6.0, 6.0);
    for (v, s) in values.iter_mut().step_by(5).zip(specials.iter().cycle()) {
        *v = *s;
    }
    values
}

/// Runs `run` with the scalar kernels and with `level`'s, checks both give
/// the same bits, and returns them.
fn same_at(level: Level, what: &str, run: impl Fn(Kernels) -> Vec<f32>) -> Vec<f32> {
    let scalar = run(Kernels::at(Level::Scalar));
    let wide = run(Kernels::at(level));
    assert_same_bits(&format!("{what} at {}", level.name()), &scalar, &wide);
    wide
}

fn check_level(level: Level) {
    let mut rng = test_rng(5);
    for &n in &LENGTHS {
        for &spec in activation::REGISTRY {
            let x = awkward(&mut rng, n);
            let grads = uniform_vec(&mut rng, n, -2.0, 2.0);
            same_at(level, &format!("{} forward, n = {n}", spec.name), |k| {
                let mut y = x.clone();
                (spec.forward)(k, MatMut::row_of(&mut y));
                y
            });
            let mut y = x.clone();
            (spec.forward)(Kernels::detect(), MatMut::row_of(&mut y));
            same_at(level, &format!("{} backward, n = {n}", spec.name), |k| {
                let mut g = grads.clone();
                (spec.backward)(k, MatRef::row_of(&y), MatMut::row_of(&mut g));
                g
            });
        }

        // The kernels over strided blocks, as the plans call them: a block of
        // `rows` rows of `n` values with row stride `n + 3` (the columns in
        // between untouched), the same bits as row by row, at every level.
        let (rows, stride) = (1 + n % 5, n + 3);
        let reach = (rows - 1) * stride + n;
        let (first, second) = (awkward(&mut rng, reach), awkward(&mut rng, reach));
        let grads = uniform_vec(&mut rng, reach, -2.0, 2.0);
        let per_row = |row: usize| row * stride..row * stride + n;
        for &spec in activation::REGISTRY {
            let forward = same_at(level, &format!("{} sum_forward, {rows} × {n}", spec.name), |k| {
                let mut values = vec![f32::NAN; reach];
                let (a, b) = (MatRef::new(&first, rows, n, stride), MatRef::new(&second, rows, n, stride));
                (spec.sum_forward)(k, MatMut::new(&mut values, rows, n, stride), a, b);
                values
            });
            let mut expected = vec![f32::NAN; reach];
            for row in 0..rows {
                let at = per_row(row);
                let sums = MatMut::row_of(&mut expected[at.clone()]);
                sum_into(
                    Kernels::detect(),
                    sums,
                    MatRef::row_of(&first[at.clone()]),
                    MatRef::row_of(&second[at.clone()]),
                );
                (spec.forward)(Kernels::detect(), MatMut::row_of(&mut expected[at]));
            }
            assert_same_bits(&format!("{} sum_forward against rows", spec.name), &forward, &expected);
            let backward = same_at(level, &format!("{} backward over a block, {rows} × {n}", spec.name), |k| {
                let mut g = grads.clone();
                (spec.backward)(k, MatRef::new(&forward, rows, n, stride), MatMut::new(&mut g, rows, n, stride));
                g
            });
            let mut expected = grads.clone();
            for row in 0..rows {
                let at = per_row(row);
                (spec.backward)(
                    Kernels::detect(),
                    MatRef::row_of(&forward[at.clone()]),
                    MatMut::row_of(&mut expected[at]),
                );
            }
            assert_same_bits(&format!("{} backward against rows", spec.name), &backward, &expected);
        }
        let sums = same_at(level, &format!("column_sums over a block, {rows} × {n}"), |k| {
            let mut sums = vec![f32::NAN; n];
            column_sums(k, &mut sums, MatRef::new(&first, rows, n, stride));
            sums
        });
        let packed: Vec<f32> = (0..rows).flat_map(|row| first[per_row(row)].to_vec()).collect();
        let mut expected = vec![f32::NAN; n];
        column_sums(Kernels::detect(), &mut expected, MatRef::new(&packed, rows, n, n));
        assert_same_bits("column_sums over a block against packed rows", &sums, &expected);

        let params = uniform_vec(&mut rng, n, -1.0, 1.0);
        let grads: Vec<Vec<f32>> = (0..3).map(|_| awkward(&mut rng, n)).collect();
        let hyper = Hyper { learning_rate: 0.01, epsilon: 1e-6, ..Hyper::default() };
        for &spec in optim::REGISTRY {
            same_at(level, &format!("{} update, n = {n}", spec.name), |k| {
                let mut optimizer = Optimizer::new(spec, hyper, n);
                optimizer.kernels = k;
                let mut w = params.clone();
                for (step, g) in grads.iter().enumerate() {
                    optimizer.update(&mut w, g, 1.0 / (step + 1) as f32);
                }
                w.extend_from_slice(&optimizer.state);
                w
            });
        }

        let bias = uniform_vec(&mut rng, n, -1.0, 1.0);
        same_at(level, &format!("fill_rows_with_bias, width {n}"), |k| {
            let mut out = vec![f32::NAN; rows * n];
            fill_rows_with_bias(k, MatMut::new(&mut out, rows, n, n), &bias);
            out
        });
        same_at(level, &format!("scale_into, n = {n}"), |k| {
            let mut out = vec![f32::NAN; n];
            scale_into(k, MatMut::row_of(&mut out), MatRef::row_of(&params), 0.37);
            out
        });
        // Every byte value: the bits of the division the loader uses, at this level too.
        let bytes: Vec<u8> = (0..n + 256).map(|i| (i * 37 % 256) as u8).collect();
        same_at(level, &format!("scale_bytes, n = {}", bytes.len()), |k| {
            let mut out = vec![f32::NAN; bytes.len()];
            scale_bytes(k, &mut out, &bytes);
            let divided: Vec<f32> = bytes.iter().map(|&b| b as f32 / 255.0).collect();
            assert_same_bits(&format!("scale_bytes against b / 255 at {}", k.level().name()), &out, &divided);
            out
        });
        // Arguments on libm's main path, and the same with its special cases mixed in.
        let arguments = uniform_vec(&mut rng, n, -87.0, 87.0);
        for (what, x) in [("exp_in_place", arguments), ("exp_in_place, special values", awkward(&mut rng, n))] {
            same_at(level, &format!("{what}, n = {n}"), |k| {
                let mut y = x.clone();
                exp_in_place(k, &mut y);
                let libm: Vec<f32> = x.iter().map(|&v| libm_expf(v)).collect();
                assert_same_bits(&format!("{what} against libm at {}", k.level().name()), &y, &libm);
                y
            });
        }
        let matrix = awkward(&mut rng, rows * n);
        same_at(level, &format!("column_sums, {rows} × {n}"), |k| {
            let mut sums = vec![f32::NAN; n];
            column_sums(k, &mut sums, MatRef::new(&matrix, rows, n, n));
            sums
        });
    }

    // The whole model: forward, loss, backward and two updates, end to end, at
    // a batch above `UNPACKED_MAX_BATCH`: smaller batches use the AVX-512-only
    // chain GEMM (`tests/chain_gemm.rs` holds it to its scalar reference),
    // while the other levels use matrixmultiply, whose sums are ordered
    // differently.
    let sizes = [33, 17, 15, 10];
    let batch = UNPACKED_MAX_BATCH + 1;
    let inputs = uniform_vec(&mut rng, batch * 33, 0.0, 1.0);
    let labels = random_labels(&mut rng, batch, 10);
    for &act in activation::REGISTRY {
        for &loss in loss::REGISTRY {
            same_at(level, &format!("model step, {} + {}", act.name, loss.name), |k| {
                let mut model = Model::new(&sizes, act, Init::Xavier, 9, batch);
                model.kernels = k;
                let mut optimizer =
                    Optimizer::new(optim::by_name("adam").unwrap(), Hyper::default(), model.params.len());
                optimizer.kernels = k;
                // The second step starts from non-zero biases.
                model.train_step(&Serial, &inputs, &labels, loss, 0.1, &mut optimizer);
                model.train_step(&Serial, &inputs, &labels, loss, 0.1, &mut optimizer);
                let mut out = model.grads.to_vec();
                out.extend_from_slice(&model.params);
                out
            });
        }
    }

    // Small batches sum each layer's product in two depth blocks. Without
    // AVX-512 the products go through matrixmultiply at every level, so AVX2
    // must match the portable build bit for bit; layers wider than 32 give
    // both blocks inputs. With AVX-512 the chain kernels sum in another
    // order: close, not equal.
    let sizes = [40, 34, 33, 10];
    let batch = 16;
    let inputs = uniform_vec(&mut rng, batch * 40, 0.0, 1.0);
    let labels = random_labels(&mut rng, batch, 10);
    let small_steps = |k: Kernels| {
        let relu = activation::by_name("relu").unwrap();
        let mut model = Model::new(&sizes, relu, Init::Xavier, 9, batch);
        model.kernels = k;
        let hyper = Hyper { weight_decay: 1e-3, ..Hyper::default() };
        let mut optimizer = Optimizer::new(optim::by_name("rmsprop").unwrap(), hyper, model.params.len());
        optimizer.kernels = k;
        model.set_dropout(0.25, ffn_core::rng::rng_for(9, 1));
        let cross_entropy = loss::by_name("cross_entropy").unwrap();
        model.train_step(&Serial, &inputs, &labels, cross_entropy, 0.1, &mut optimizer);
        model.train_step(&Serial, &inputs, &labels, cross_entropy, 0.1, &mut optimizer);
        let mut out = model.grads.to_vec();
        out.extend_from_slice(&model.params);
        out
    };
    if level == Level::Avx512 {
        let scalar = small_steps(Kernels::at(Level::Scalar));
        let wide = small_steps(Kernels::at(level));
        for (i, (a, b)) in scalar.iter().zip(&wide).enumerate() {
            assert!((a - b).abs() <= 1e-4 * a.abs().max(b.abs()) + 1e-6, "small-batch step, value {i}: {a} vs {b}");
        }
    } else {
        same_at(level, "small-batch step", small_steps);
    }
}

#[test]
fn simd_kernels_give_the_same_bits_as_scalar() {
    let detected = Level::detected();
    let mut tested = Vec::new();
    for level in [Level::Avx2, Level::Avx512] {
        if Kernels::at(level).level() == level {
            check_level(level);
            tested.push(level.name());
        }
    }
    println!("detected {}; compared scalar against {:?}", detected.name(), tested);
    if tested.is_empty() {
        // Nothing to compare on this CPU; still run the scalar path end to end.
        check_level(Level::Scalar);
    }
    // On x86_64 CI machines AVX2 is standard: a silent scalar-only run there
    // would mean the dispatch is broken, not that the test passed.
    if cfg!(target_arch = "x86_64") && std::env::var_os("CI").is_some() {
        assert!(!tested.is_empty(), "no SIMD level detected on an x86_64 CI machine");
    }
}
