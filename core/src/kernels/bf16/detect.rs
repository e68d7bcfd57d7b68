//! Which bf16 levels this CPU and OS allow.
//!
//! AMX needs three things: the CPU's `amx_tile` and `amx_bf16` bits
//! (CPUID leaf 7), an OS that saves tile state (XCR0 bits 17 and 18), and,
//! on Linux, the process's permission to use the large tile-data state,
//! requested once with `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`
//! (without it the first tile instruction kills the process with SIGILL). A
//! refusal (an older kernel, a hypervisor or seccomp policy) leaves AMX off and
//! the next level in force. The system call is two instructions of `asm!`,
//! so `core` needs no C library for it; it runs only with `std` on Linux.

use super::Level;

/// Whether `level` may run here (for [`Level::Amx`], after asking the OS).
pub fn available(level: Level) -> bool {
    match level {
        Level::F32 => true,
        Level::Avx512Bf16 => avx512_bf16(),
        Level::Amx => amx(),
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn avx512_bf16() -> bool {
    std::is_x86_feature_detected!("avx512bf16")
        && std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
}

#[cfg(not(all(feature = "std", target_arch = "x86_64")))]
fn avx512_bf16() -> bool {
    false
}

/// The AMX level also packs and converts with AVX-512 (every AMX CPU has it).
#[cfg(all(feature = "std", target_arch = "x86_64", target_os = "linux"))]
fn amx() -> bool {
    use core::arch::x86_64::{__cpuid_count, _xgetbv};
    if !avx512_bf16() {
        return false;
    }
    let (max_leaf, leaf1, leaf7) = (__cpuid_count(0, 0).eax, __cpuid_count(1, 0), __cpuid_count(7, 0));
    let (tile, bf16) = (leaf7.edx >> 24 & 1 == 1, leaf7.edx >> 22 & 1 == 1);
    let osxsave = leaf1.ecx >> 27 & 1 == 1;
    if max_leaf < 7 || !tile || !bf16 || !osxsave {
        return false;
    }
    // SAFETY: OSXSAVE is set, so XGETBV may run.
    let xcr0 = unsafe { _xgetbv(0) };
    if xcr0 >> 17 & 3 != 3 {
        return false;
    }
    request_tile_data()
}

#[cfg(not(all(feature = "std", target_arch = "x86_64", target_os = "linux")))]
fn amx() -> bool {
    false
}

/// `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`: 0 when granted
/// (also when it was granted before: the permission is the process's, for all
/// its threads, and asking again is harmless).
#[cfg(all(feature = "std", target_arch = "x86_64", target_os = "linux"))]
fn request_tile_data() -> bool {
    const SYS_ARCH_PRCTL: usize = 158;
    const ARCH_REQ_XCOMP_PERM: usize = 0x1023;
    const XFEATURE_XTILEDATA: usize = 18;
    let result: isize;
    // SAFETY: a system call that changes only which state components the
    // process may use; `syscall` clobbers rcx and r11.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") SYS_ARCH_PRCTL => result,
            in("rdi") ARCH_REQ_XCOMP_PERM,
            in("rsi") XFEATURE_XTILEDATA,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    result == 0
}
