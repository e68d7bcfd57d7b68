//! The bf16 products (`kernels::bf16`): the conversion and the `VDPBF16PS`
//! model against the instructions, every level against its reference bit for
//! bit (odd and large shapes, every operand layout, both starts, any split),
//! the AMX driver through its modelled tiles on any CPU, and the selection.

mod common;

use common::{assert_same_bits, test_rng, uniform_vec};
use ffn_core::kernels::bf16::convert::{round, to_bf16};
use ffn_core::kernels::bf16::reference::{Order, reference, vdpbf16ps};
use ffn_core::kernels::bf16::{Block, DenseProducts, Kernels, Level, PackedA, PackedB, Start, amx};
use ffn_core::rng::Rng;

/// Around the 8/32-row tiles and blocks, the 32-column panels, and the pairs
/// and 32-`k` tile rows (odd `k` included).
const MS: [usize; 6] = [1, 5, 16, 31, 33, 70];
const KS: [usize; 8] = [1, 2, 3, 31, 32, 33, 64, 97];
const NS: [usize; 6] = [1, 10, 17, 32, 33, 70];

/// A level's product of row-major `a` (`m×k`, or `k×m` read transposed) and
/// `b` (`k×n`, or `n×k` read transposed), into `C` with row stride `n + 3`.
struct Case {
    m: usize,
    k: usize,
    n: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    c0: Vec<f32>,
}

impl Case {
    fn new(rng: &mut Rng, m: usize, k: usize, n: usize) -> Case {
        let a = uniform_vec(rng, m * k, -1.0, 1.0);
        let b = uniform_vec(rng, k * n, -1.0, 1.0);
        let c0 = uniform_vec(rng, m * (n + 3), -1.0, 1.0);
        Case { m, k, n, a, b, c0 }
    }

    fn a_strides(&self, transposed: bool) -> (usize, usize) {
        if transposed { (1, self.m) } else { (self.k, 1) }
    }

    fn b_strides(&self, transposed: bool) -> (usize, usize) {
        if transposed { (1, self.k) } else { (self.n, 1) }
    }

    /// Packed with the instructions of the best level here; checked against
    /// the portable packing (the f32 level's), element for element.
    fn packed(&self, a_t: bool, b_t: bool) -> (PackedA, PackedB) {
        let pack = |kernels: Kernels| {
            let ((rsa, csa), (rsb, csb)) = (self.a_strides(a_t), self.b_strides(b_t));
            let (mut pa, mut pb) = (PackedA::new(), PackedB::new());
            pa.pack(kernels, self.m, self.k, (&self.a, rsa, csa));
            pb.pack(kernels, self.k, self.n, (&self.b, rsb, csb));
            (pa, pb)
        };
        let (fast, portable) = (pack(Kernels::detect()), pack(Kernels::force(Level::F32)));
        let what = format!("{}×{}×{}, transposed {a_t} {b_t}", self.m, self.k, self.n);
        assert_eq!(fast.0.data(), portable.0.data(), "packed A of {what}");
        assert_eq!(fast.1.data(), portable.1.data(), "packed B of {what}");
        fast
    }

    fn reference(&self, order: Order, a_t: bool, b_t: bool, start: Start) -> Vec<f32> {
        let ((rsa, csa), (rsb, csb)) = (self.a_strides(a_t), self.b_strides(b_t));
        let mut c = self.c0.clone();
        let (m, k, n) = (self.m, self.k, self.n);
        reference(order, m, k, n, (&self.a, rsa, csa), (&self.b, rsb, csb), (&mut c, n + 3), start);
        c
    }

    /// The reference is the product of the rounded operands (within f32
    /// summation error), and leaves the padding columns of `C` alone.
    fn assert_reference_is_a_product(&self, c: &[f32], a_t: bool, b_t: bool, start: Start) {
        let ((rsa, csa), (rsb, csb)) = (self.a_strides(a_t), self.b_strides(b_t));
        let ld = self.n + 3;
        for i in 0..self.m {
            for j in 0..ld {
                if j >= self.n {
                    assert_eq!(c[i * ld + j].to_bits(), self.c0[i * ld + j].to_bits(), "padding written");
                    continue;
                }
                let mut exact = if start == Start::Current { self.c0[i * ld + j] as f64 } else { 0.0 };
                for kk in 0..self.k {
                    exact += round(self.a[i * rsa + kk * csa]) as f64 * round(self.b[kk * rsb + j * csb]) as f64;
                }
                let error = (c[i * ld + j] as f64 - exact).abs();
                assert!(error <= 1e-6 * (self.k as f64 + 2.0), "reference {}×{}×{}: {error:e}", self.m, self.k, self.n);
            }
        }
    }
}

/// A whole product into `C` with the given row stride.
type Run = Box<dyn Fn(&PackedA, &PackedB, &mut [f32], usize, Start)>;

/// Every level this CPU allows, each forced, plus the AMX driver with its
/// tiles modelled: `(name, order, run)`.
fn runs() -> Vec<(String, Order, Run)> {
    let mut runs: Vec<(String, Order, Run)> = Vec::new();
    for wanted in Level::ALL {
        let kernels = Kernels::force(wanted);
        if kernels.level() == wanted {
            let run =
                move |a: &PackedA, b: &PackedB, c: &mut [f32], ld: usize, s: Start| kernels.gemm(a, b, (c, ld), s);
            runs.push((wanted.name().to_string(), wanted.order(), Box::new(run)));
        }
    }
    let modelled = |a: &PackedA, b: &PackedB, c: &mut [f32], ld: usize, s: Start| {
        amx::modelled_block(&Block::whole(a, b, ld, s), c)
    };
    runs.push(("amx (modelled tiles)".to_string(), Order::Tiles, Box::new(modelled)));
    runs
}

#[test]
fn every_level_matches_its_reference_bit_for_bit_on_odd_shapes_layouts_and_starts() {
    let mut rng = test_rng(22);
    let runs = runs();
    let mut compared = 0;
    for m in MS {
        for k in KS {
            for n in NS {
                let case = Case::new(&mut rng, m, k, n);
                for (a_t, b_t) in [(false, false), (true, false), (false, true)] {
                    let (pa, pb) = case.packed(a_t, b_t);
                    for start in [Start::Current, Start::Zero] {
                        for order in [Order::PairByPair, Order::Tiles] {
                            let expected = case.reference(order, a_t, b_t, start);
                            case.assert_reference_is_a_product(&expected, a_t, b_t, start);
                            for (name, _, run) in runs.iter().filter(|(_, o, _)| *o == order) {
                                let mut got = case.c0.clone();
                                run(&pa, &pb, &mut got, n + 3, start);
                                let what =
                                    format!("{name} {m}×{k}×{n}, A transposed {a_t}, B transposed {b_t}, {start:?}");
                                assert_same_bits(&what, &got, &expected);
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    let names: Vec<&str> = runs.iter().map(|(name, _, _)| name.as_str()).collect();
    println!("{compared} products compared; levels: {names:?}");
    // F32 and the modelled AMX driver run everywhere: at least two per case.
    assert!(compared >= MS.len() * KS.len() * NS.len() * 3 * 2 * 2);
}

/// The products of one default-recipe step (batch 256, 784→768→768→10), in
/// the layouts the step reads them: every level gives its reference's bits.
#[test]
fn the_default_recipe_products_match_the_reference_at_every_level() {
    let mut rng = test_rng(23);
    let runs = runs();
    // (m, k, n, A transposed, B transposed): forward X·W, weight gradient
    // Xᵀ·dY, input gradient dY·Wᵀ.
    let shapes = [
        (256, 784, 768, false, false),
        (784, 256, 768, true, false),
        (256, 768, 784, false, true),
        (256, 768, 10, false, false),
        (768, 256, 10, true, false),
        (256, 10, 768, false, true),
    ];
    for (m, k, n, a_t, b_t) in shapes {
        let case = Case::new(&mut rng, m, k, n);
        let (pa, pb) = case.packed(a_t, b_t);
        for order in [Order::PairByPair, Order::Tiles] {
            let expected = case.reference(order, a_t, b_t, Start::Zero);
            for (name, _, run) in runs.iter().filter(|(_, o, _)| *o == order) {
                let mut got = case.c0.clone();
                run(&pa, &pb, &mut got, n + 3, Start::Zero);
                assert_same_bits(&format!("{name} {m}×{k}×{n}"), &got, &expected);
            }
        }
    }
}

/// A product computed block by block (as threads split it) has the bits of
/// one call, at every level.
#[test]
fn any_split_into_blocks_gives_the_bits_of_one_call() {
    let mut rng = test_rng(24);
    let (m, k, n) = (150, 77, 101);
    let case = Case::new(&mut rng, m, k, n);
    let (pa, pb) = case.packed(false, false);
    let ld = n + 3;
    for wanted in Level::ALL {
        let kernels = Kernels::force(wanted);
        let mut whole = case.c0.clone();
        kernels.gemm(&pa, &pb, (&mut whole, ld), Start::Current);
        for (row_cut, col_cut) in [(32, 64), (64, 32), (128, 96)] {
            let mut split = case.c0.clone();
            for rows in [0..row_cut, row_cut..m] {
                for cols in [0..col_cut, col_cut..n] {
                    let corner = rows.start * ld + cols.start;
                    let block = Block { a: &pa, b: &pb, rows: rows.clone(), cols, rsc: ld, start: Start::Current };
                    kernels.gemm_block(&block, &mut split[corner..]);
                }
            }
            assert_same_bits(&format!("{} cut at {row_cut}, {col_cut}", kernels.level().name()), &split, &whole);
        }
    }
}

/// A dense layer's three products through `DenseProducts`, each computed in
/// two blocks of rows as two threads would: the reference's bits for `Y = bias
/// + X·W`, `dW = Xᵀ·dY` and `dX = dY·Wᵀ`, at every level.
#[test]
fn a_dense_layer_s_products_have_the_reference_bits_in_blocks_of_rows() {
    let mut rng = test_rng(27);
    let (batch, fan_in, fan_out) = (45, 100, 70);
    let x = uniform_vec(&mut rng, batch * fan_in, 0.0, 1.0);
    let w = uniform_vec(&mut rng, fan_in * fan_out, -0.2, 0.2);
    let dy = uniform_vec(&mut rng, batch * fan_out, -0.1, 0.1);
    let bias_rows = uniform_vec(&mut rng, batch * fan_out, -0.1, 0.1);
    for wanted in Level::ALL {
        let kernels = Kernels::force(wanted);
        let order = kernels.level().order();
        let mut layer = DenseProducts::new();
        layer.pack_weights(kernels, &w, fan_in, fan_out);
        layer.pack_input(kernels, &x, batch, fan_in);
        layer.pack_delta(kernels, &dy, batch, fan_out);
        let (mut y, mut dw, mut dx) = (bias_rows.clone(), vec![0.0; fan_in * fan_out], vec![0.0; batch * fan_in]);
        for rows in [0..32, 32..batch] {
            layer.forward(kernels, rows.clone(), &mut y[rows.start * fan_out..]);
            layer.input_gradient(kernels, rows.clone(), &mut dx[rows.start * fan_in..]);
        }
        for rows in [0..64, 64..fan_in] {
            layer.weight_gradient(kernels, rows.clone(), &mut dw[rows.start * fan_out..], Start::Zero);
        }
        // (what, got, C before, m, k, n, A, B, start)
        let products = [
            ("Y", &y, &bias_rows, batch, fan_in, fan_out, (&x, fan_in, 1), (&w, fan_out, 1), Start::Current),
            (
                "dW",
                &dw,
                &vec![0.0; fan_in * fan_out],
                fan_in,
                batch,
                fan_out,
                (&x, 1, fan_in),
                (&dy, fan_out, 1),
                Start::Zero,
            ),
            (
                "dX",
                &dx,
                &vec![0.0; batch * fan_in],
                batch,
                fan_out,
                fan_in,
                (&dy, fan_out, 1),
                (&w, 1, fan_out),
                Start::Zero,
            ),
        ];
        for (what, got, before, m, k, n, (a, rsa, csa), (b, rsb, csb), start) in products {
            let mut expected = before.clone();
            reference(order, m, k, n, (a, rsa, csa), (b, rsb, csb), (&mut expected, n), start);
            assert_same_bits(&format!("{} {what}", kernels.level().name()), got, &expected);
        }
    }
}

#[test]
fn packing_buffers_are_reused_across_shapes_without_stale_values() {
    let mut rng = test_rng(25);
    let kernels = Kernels::detect();
    let (mut pa, mut pb) = (PackedA::new(), PackedB::new());
    // A large shape first leaves non-zero values where a smaller one pads.
    for (m, k, n) in [(70, 97, 70), (5, 3, 10), (33, 33, 33), (1, 1, 1)] {
        let case = Case::new(&mut rng, m, k, n);
        pa.pack(kernels, m, k, (&case.a, k, 1));
        pb.pack(kernels, k, n, (&case.b, n, 1));
        let mut got = case.c0.clone();
        kernels.gemm(&pa, &pb, (&mut got, n + 3), Start::Zero);
        assert_same_bits(
            &format!("{m}×{k}×{n}"),
            &got,
            &case.reference(kernels.level().order(), false, false, Start::Zero),
        );
    }
}

#[test]
fn empty_products_leave_c_alone_and_bad_blocks_are_refused() {
    let kernels = Kernels::detect();
    let (mut pa, mut pb) = (PackedA::new(), PackedB::new());
    pa.pack(kernels, 4, 0, (&[], 0, 1));
    pb.pack(kernels, 0, 3, (&[], 3, 1));
    let mut c = vec![1.5f32; 12];
    kernels.gemm(&pa, &pb, (&mut c, 3), Start::Current);
    assert_eq!(c, vec![1.5; 12], "k = 0 with Start::Current keeps C");
    kernels.gemm(&pa, &pb, (&mut c, 3), Start::Zero);
    assert_eq!(c, vec![0.0; 12], "k = 0 with Start::Zero zeroes C");

    let a = vec![1.0f32; 40 * 8];
    pa.pack(kernels, 40, 8, (&a, 8, 1));
    pb.pack(kernels, 8, 3, (&a, 3, 1));
    let misaligned = std::panic::catch_unwind(|| {
        let mut c = vec![0.0f32; 40 * 3];
        let block = Block { a: &pa, b: &pb, rows: 8..40, cols: 0..3, rsc: 3, start: Start::Zero };
        kernels.gemm_block(&block, &mut c);
    });
    assert!(misaligned.is_err(), "a block starting at row 8 is refused");
    let short = std::panic::catch_unwind(|| {
        let mut c = vec![0.0f32; 40 * 3 - 1];
        kernels.gemm(&pa, &pb, (&mut c, 3), Start::Zero);
    });
    assert!(short.is_err(), "a C one element short is refused");
}

#[test]
fn conversion_rounds_to_nearest_even_and_flushes_subnormals() {
    assert_eq!(to_bf16(1.0), 0x3F80);
    assert_eq!(to_bf16(f32::from_bits(0x3F80_8000)), 0x3F80, "a tie rounds to the even 0x3F80");
    assert_eq!(to_bf16(f32::from_bits(0x3F81_8000)), 0x3F82, "a tie rounds to the even 0x3F82");
    assert_eq!(to_bf16(f32::from_bits(0x3F80_8001)), 0x3F81, "above the tie rounds up");
    assert_eq!(to_bf16(f32::MAX), 0x7F80, "the largest float rounds to infinity");
    assert_eq!(to_bf16(-f32::INFINITY), 0xFF80);
    assert_eq!(to_bf16(f32::from_bits(0x8000_0001)), 0x8000, "a subnormal becomes a zero of its sign");
    assert_eq!(to_bf16(f32::from_bits(0x7F80_0001)), 0x7FC0, "a signalling NaN becomes quiet");
}

#[cfg(target_arch = "x86_64")]
mod instructions {
    //! The models against the instructions, on CPUs that have AVX512-BF16.
    use super::*;
    use std::arch::x86_64::*;

    fn available() -> bool {
        std::is_x86_feature_detected!("avx512bf16") && std::is_x86_feature_detected!("avx512f")
    }

    #[target_feature(enable = "avx512f,avx512bf16")]
    fn convert16(x: &[f32; 16]) -> [u16; 16] {
        // SAFETY: 16 floats read; the result is 32 bf16, the low 16 from `x`.
        unsafe {
            let v = _mm512_loadu_ps(x.as_ptr());
            let pairs: [u16; 32] = core::mem::transmute(_mm512_cvtne2ps_pbh(v, v));
            pairs[..16].try_into().unwrap()
        }
    }

    #[target_feature(enable = "avx512f,avx512bf16")]
    fn dot16(c: &[f32; 16], a: &[u32; 16], b: &[u32; 16]) -> [f32; 16] {
        // SAFETY: 16 lanes read from each array.
        unsafe {
            let a: __m512bh = core::mem::transmute(_mm512_loadu_si512(a.as_ptr().cast()));
            let b: __m512bh = core::mem::transmute(_mm512_loadu_si512(b.as_ptr().cast()));
            core::mem::transmute(_mm512_dpbf16_ps(_mm512_loadu_ps(c.as_ptr()), a, b))
        }
    }

    #[test]
    fn conversion_has_the_bits_of_vcvtne2ps2bf16_on_a_stride_of_all_floats() {
        if !available() {
            println!("no AVX512-BF16 here: only the fixed cases of the conversion were checked");
            return;
        }
        let mut checked = 0u64;
        let mut x = [0.0f32; 16];
        let mut bits = 0u64;
        while bits < 1 << 32 {
            for (lane, v) in x.iter_mut().enumerate() {
                *v = f32::from_bits((bits + lane as u64 * 0x1000_0001) as u32);
            }
            // SAFETY: AVX512-BF16 checked above.
            let hardware = unsafe { convert16(&x) };
            for (v, h) in x.iter().zip(hardware) {
                assert_eq!(to_bf16(*v), h, "{:#010x}", v.to_bits());
            }
            checked += 16;
            bits += 61;
        }
        assert!(checked > 1 << 30);
    }

    /// Random pairs and accumulators, half of them where products and sums
    /// fall into the subnormal range (where the flushing shows).
    #[test]
    fn vdpbf16ps_model_has_the_bits_of_the_instruction() {
        if !available() {
            println!("no AVX512-BF16 here: the VDPBF16PS model was not compared");
            return;
        }
        let mut rng = test_rng(26);
        let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ ffn_core::rng::below(&mut rng, 1 << 30) as u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut tiny_results = 0;
        for round in 0..250_000 {
            let tiny = round % 2 == 0;
            let half = |r: u64| {
                let exponent = if tiny { 40 + (r >> 1) % 40 } else { 100 + (r >> 1) % 50 };
                ((r & 1) << 15 | exponent << 7 | (r >> 9) & 0x7F) as u32
            };
            let (mut a, mut b, mut c) = ([0u32; 16], [0u32; 16], [0.0f32; 16]);
            for lane in 0..16 {
                let (r1, r2, r3) = (next(), next(), next());
                a[lane] = half(r1) | half(r1 >> 20) << 16;
                b[lane] = half(r2) | half(r2 >> 20) << 16;
                let exponent = if tiny { r3 % 6 } else { 100 + r3 % 50 } as u32;
                c[lane] = f32::from_bits(((r3 >> 40) as u32 & 1) << 31 | exponent << 23 | (r3 >> 8) as u32 & 0x7F_FFFF);
            }
            // SAFETY: AVX512-BF16 checked above.
            let hardware = unsafe { dot16(&c, &a, &b) };
            for lane in 0..16 {
                let model = vdpbf16ps(c[lane], a[lane], b[lane]);
                assert_eq!(
                    model.to_bits(),
                    hardware[lane].to_bits(),
                    "c {:e}, a {:#x}, b {:#x}",
                    c[lane],
                    a[lane],
                    b[lane]
                );
                tiny_results += (model != 0.0 && model.abs() < 1e-30) as usize;
            }
        }
        assert!(tiny_results > 1000, "the cases reached the flushing range ({tiny_results})");
    }

    /// The selection on this machine: each forced level is the one asked for
    /// when the CPU has it, and the next one down otherwise.
    #[test]
    fn forcing_selects_each_level_the_cpu_has_and_falls_back_otherwise() {
        let has_bf16 = available() && std::is_x86_feature_detected!("avx512bw");
        let leaf7 = __cpuid_count(7, 0);
        let cpu_amx = leaf7.edx >> 24 & 1 == 1 && leaf7.edx >> 22 & 1 == 1;
        assert_eq!(Kernels::force(Level::F32).level(), Level::F32);
        let bf16 = Kernels::force(Level::Avx512Bf16).level();
        assert_eq!(bf16, if has_bf16 { Level::Avx512Bf16 } else { Level::F32 });
        let best = Kernels::force(Level::Amx).level();
        if !cpu_amx {
            assert_eq!(best, bf16, "no AMX in CPUID: the best level is the next one down");
        }
        assert_eq!(Kernels::detect().level(), best);
        println!("AMX in CPUID: {cpu_amx}; levels: f32, {}, best {}", bf16.name(), best.name());
    }
}
