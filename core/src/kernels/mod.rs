//! Kernels: element-wise loops with run-time SIMD selection, and the GEMMs.
//!
//! Every element-wise kernel is written once, as a plain loop over slices
//! ([`simd_kernel!`](crate::simd_kernel)). The macro compiles that body several times: a portable
//! build (whatever the compile target allows, SSE2 on x86_64) and, with `std`
//! on x86_64, builds with AVX2+FMA and with AVX-512 enabled, which LLVM
//! vectorises to 256/512-bit lanes. Which build runs is read from the
//! [`Kernels`] value the caller passes in: the caller detects the CPU once
//! and holds the result (tests pin a level by constructing one with
//! [`Kernels::at`]); core keeps no global state. The bodies are never
//! reordered, and fuse a multiply and an add only through
//! [`crate::math::fma`] (one rounding on every build), so every build gives
//! the same bits: SIMD changes speed, never results (the tests check that).
//!
//! The GEMMs are not element-wise: [`gemm::select`] picks one for each role
//! a product plays in a dense layer. So a model trained on two different CPUs
//! may differ in the last bits; on one machine, results never depend on the
//! thread count.
//!
//! [`bf16`] holds the bf16 products (f32 accumulation), not yet wired into
//! the training step.

#[cfg(feature = "alloc")]
pub mod bf16;
pub mod elementwise;
pub mod exp;
pub mod gemm;

/// The instruction sets a kernel build may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The compile target's baseline (SSE2 on x86_64, plain code elsewhere).
    Scalar,
    Avx2,
    Avx512,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2+fma",
            Level::Avx512 => "avx512",
        }
    }

    /// The best level this CPU supports.
    pub fn detected() -> Level {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vl")
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
}

/// Which kernel builds run: the caller's selection, made once.
///
/// Its level never exceeds what this CPU supports (the constructors cap
/// it), which is what makes the SIMD builds safe to call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels {
    level: Level,
}

impl Kernels {
    /// The best kernels this CPU runs.
    pub fn detect() -> Kernels {
        Kernels { level: Level::detected() }
    }

    /// Kernels of `wanted`'s level, lowered to what this CPU supports (so
    /// this can never select an illegal instruction).
    pub fn at(wanted: Level) -> Kernels {
        Kernels { level: wanted.min(Level::detected()) }
    }

    pub fn level(self) -> Level {
        self.level
    }
}

impl Default for Kernels {
    fn default() -> Self {
        Kernels::detect()
    }
}

/// Defines a public kernel function whose body is compiled once per
/// [`Level`] and dispatched at run time by the [`Kernels`] value it takes
/// first (which the body itself does not see). The body must be safe code.
#[macro_export]
macro_rules! simd_kernel {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($kernels:ident: Kernels $(, $arg:ident : $ty:ty)* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($kernels: $crate::kernels::Kernels $(, $arg: $ty)*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            {
                // SAFETY (both arms): a `Kernels` value never holds a level
                // above what `is_x86_feature_detected!` found on this CPU.
                match $kernels.level() {
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
            let _ = $kernels;
            body($($arg),*)
        }
    };
}

/// Treats subnormal floats as zero on this thread (x86 FTZ + DAZ) and on the
/// threads it starts afterwards (they inherit the setting). Heavily decayed
/// weights drift into the subnormal range, where every multiply takes a
/// micro-code assist (a run with weight decay 0.5 was many times slower per
/// epoch without this; see `benches/RESULTS.md`). Results stay
/// deterministic; values below 1.2e-38 become 0. Returns whether the
/// setting is in force.
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
