//! Element-wise kernels with run-time SIMD selection.
//!
//! Every kernel is written once, as a plain loop over slices
//! ([`simd_kernel!`](crate::simd_kernel)). The macro compiles that body several times: a portable
//! build (whatever the compile target allows, SSE2 on x86_64) and, with `std`
//! on x86_64, builds with AVX2+FMA and with AVX-512 enabled, which LLVM
//! vectorises to 256/512-bit lanes. The widest build that the CPU supports is
//! chosen at run time, once per call, by a cached feature check. The bodies
//! are never reordered, and fuse a multiply and an add only through
//! [`crate::math::fma`] (one rounding on every build), so every build gives
//! the same bits: SIMD changes speed, never results (the tests check that).
//!
//! The GEMMs are not element-wise: they run in matrixmultiply (which picks
//! its own kernel per CPU), except at batches up to 64 on AVX-512 CPUs, where
//! the forward products and weight gradients use [`chain_gemm`] (in the
//! split training step, `model::split_step`, and in evaluation) and, up to
//! batch 32, the split step's input gradients [`dot_gemm`]. So a model
//! trained on two different CPUs may differ in the last bits; on one machine,
//! results never depend on the thread count.
//!
//! [`force_level`] pins the level (tests, and `FFN_SIMD=scalar` in the trainer).

#[cfg(feature = "alloc")]
pub mod bf16;
pub mod chain_gemm;
pub mod dot_gemm;
pub mod elementwise;
pub mod exp;
pub mod gemm;
pub mod narrow_gemm;
#[cfg(feature = "std")]
pub mod parallel;
pub mod split;

use core::sync::atomic::{AtomicU8, Ordering};

/// The instruction sets a kernel build may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// The compile target's baseline (SSE2 on x86_64, plain code elsewhere).
    Scalar = 1,
    Avx2 = 2,
    Avx512 = 3,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2+fma",
            Level::Avx512 => "avx512",
        }
    }
}

// 0 = not decided yet.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// The best level this CPU supports.
pub fn detected_level() -> Level {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        if std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
        {
            return Level::Avx512;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Level::Avx2;
        }
    }
    Level::Scalar
}

/// The level kernels run at now.
#[inline]
pub fn level() -> Level {
    match LEVEL.load(Ordering::Relaxed) {
        2 => Level::Avx2,
        3 => Level::Avx512,
        1 => Level::Scalar,
        _ => {
            let detected = detected_level();
            LEVEL.store(detected as u8, Ordering::Relaxed);
            detected
        }
    }
}

/// Pin the kernel level; a level above what the CPU supports is lowered to the
/// detected one, so this can never select an illegal instruction.
pub fn force_level(wanted: Level) -> Level {
    let chosen = wanted.min(detected_level());
    LEVEL.store(chosen as u8, Ordering::Relaxed);
    chosen
}

/// Defines a public kernel function whose body is compiled once per [`Level`]
/// and dispatched at run time. The body must be safe code.
///
/// With `std`, a call whose slice arguments all have the same, large length is
/// cut into aligned pieces run on the [`parallel`] pool (see [`split`]), so a
/// body must treat equal-length slices element by element: index `i` of an
/// output may depend only on index `i` of the inputs (and on the scalars).
/// Every activation and optimizer kernel is like that.
///
/// `simd_kernel! { rows: fn ... }` defines a kernel that is never cut, for
/// bodies that walk rows of a strided block (where index `i` of one slice
/// belongs with index `i` of the others, but not every index is the body's).
#[macro_export]
macro_rules! simd_kernel {
    (rows: $(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            $crate::simd_kernel!(@dispatch $($arg: $ty),*);
            dispatch($($arg),*)
        }
    };
    (@dispatch $($arg:ident : $ty:ty),*) => {
        fn dispatch($($arg: $ty),*) {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            {
                // SAFETY (both arms): `level()` never reports a level above what
                // `is_x86_feature_detected!` found on this CPU.
                match $crate::kernels::level() {
                    $crate::kernels::Level::Avx512 => {
                        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                        unsafe fn wide($($arg: $ty),*) { body($($arg),*) }
                        return unsafe { wide($($arg),*) };
                    }
                    $crate::kernels::Level::Avx2 => {
                        #[target_feature(enable = "avx2,fma")]
                        unsafe fn wide($($arg: $ty),*) { body($($arg),*) }
                        return unsafe { wide($($arg),*) };
                    }
                    $crate::kernels::Level::Scalar => {}
                }
            }
            body($($arg),*)
        }
    };
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            $crate::simd_kernel!(@dispatch $($arg: $ty),*);

            #[cfg(feature = "std")]
            {
                use $crate::kernels::split::{self, KernelArg};
                $(let $arg = <$ty as KernelArg>::into_raw($arg);)*
                let len = split::common_len(&[$(<$ty as KernelArg>::len(&$arg)),*]);
                let pieces = len.map_or(1, split::pieces);
                if let (Some(len), true) = (len, pieces > 1) {
                    let piece = |index: usize| {
                        let range = split::piece_range(len, pieces, index);
                        // SAFETY: the pieces' ranges are disjoint and within every
                        // slice (all have length `len`), and `run` returns only
                        // after every piece is done, while the borrows are live.
                        dispatch($(unsafe { <$ty as KernelArg>::piece($arg, range.clone()) }),*)
                    };
                    $crate::kernels::parallel::run(pieces, &piece);
                } else {
                    // SAFETY: the original borrows, each rebuilt once.
                    dispatch($(unsafe { <$ty as KernelArg>::whole($arg) }),*)
                }
            }
            #[cfg(not(feature = "std"))]
            dispatch($($arg),*)
        }
    };
}

/// Treats subnormal floats as zero on this thread (x86 FTZ + DAZ) and on the
/// threads it starts afterwards (they inherit the setting). Heavily decayed
/// weights drift into the subnormal range, where every multiply takes a
/// micro-code assist: a run with weight decay 0.5 was 30× slower per epoch
/// without this. Results stay deterministic; values below 1.2e-38 become 0.
/// Returns whether the setting is in force.
pub fn flush_subnormals() -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        // MXCSR bit 15 = flush-to-zero, bit 6 = denormals-are-zero.
        #[allow(deprecated)]
        // SAFETY: only the SSE control register changes; every x86_64 CPU has SSE.
        unsafe {
            use core::arch::x86_64::{_mm_getcsr, _mm_setcsr};
            _mm_setcsr(_mm_getcsr() | 0x8040);
        }
        true
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        false
    }
}
