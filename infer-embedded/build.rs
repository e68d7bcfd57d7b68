//! Chooses the int8 dot-product kernel per target, not per architecture (M0,
//! M3, M4 and M33 are all `target_arch = "arm"`): with the `dsp` feature the
//! SMLAD kernel is compiled only for cores with the DSP extension, which
//! stable Rust cannot test with `cfg(target_feature)`:
//! - `thumbv7em-*` (Armv7E-M: M4, M7) always have it;
//! - `thumbv8m.main-*` (M33, M35P, M55) have it as an option, so only when the
//!   build names the core (`-C target-cpu=cortex-m33` / `cortex-m55`) or the
//!   feature (`-C target-feature=+dsp`), which the assembler needs anyway;
//! - `thumbv6m-*` (M0, M0+) always use their own assembly kernel (`ffn_armv6m`);
//! - other targets (M3 `thumbv7m`, hosts) use the portable loops.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(ffn_dsp)");
    println!("cargo::rustc-check-cfg=cfg(ffn_armv6m)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let target = std::env::var("TARGET").unwrap_or_default();
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let names_dsp = ["+dsp", "target-cpu=cortex-m33", "target-cpu=cortex-m35p", "target-cpu=cortex-m55"]
        .iter()
        .any(|flag| flags.split('\x1f').any(|f| f.contains(flag)));
    let has_dsp = target.starts_with("thumbv7em") || (target.starts_with("thumbv8m.main") && names_dsp);
    if std::env::var_os("CARGO_FEATURE_DSP").is_some() && has_dsp {
        println!("cargo::rustc-cfg=ffn_dsp");
    }
    // Armv6-M's kernel needs no feature: it is that architecture's only kernel.
    if target.starts_with("thumbv6m") {
        println!("cargo::rustc-cfg=ffn_armv6m");
    }
}
