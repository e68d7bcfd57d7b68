//! C API of `ffn-infer-embedded`: a static library (`libffn_c.a`) and its
//! header `ffn.h`, which cbindgen generates from this crate (committed; CI
//! checks it is current).
//!
//! Nothing here allocates or keeps global state. Every pointer is checked for
//! NULL and alignment, every length for the address space, the buffers for
//! overlap (Rust's `&mut` must not alias), and the model struct for a
//! successful [`ffn_model_init`]; the library's own checks then do the rest.
//! Errors are negative `FFN_E_*` codes (`src/codes.rs`, and `ffn.h`). No call can panic: the
//! `panic-never` feature turns that into a link error (see the README).
// no_std on the bare-metal targets (its own panic handler); the host build links
// std, whose unwinding stops at the `extern "C"` boundary (an abort).
#![cfg_attr(target_os = "none", no_std)]

mod codes;
mod view;

pub use codes::*;
use core::ffi::{c_char, c_void};
use ffn_infer_embedded::{Input, Model};
use view::{Region, slice};

/// 64-bit words of `ffn_model`: room for the tag and the library's `Model`
/// on 32- and 64-bit targets (checked at compile time; 132 bytes are used
/// on Cortex-M, 216 on 64-bit hosts).
pub const FFN_MODEL_WORDS: usize = 28;
/// Bytes of an `ffn_model`.
pub const FFN_MODEL_BYTES: usize = FFN_MODEL_WORDS * 8;
/// The alignment (bytes) the scratch buffer must start at (f32 models keep
/// their activations there).
pub const FFN_SCRATCH_ALIGN: usize = 4;

/// A validated model: a view into the borrowed model bytes and a few numbers.
/// Declared with its real size and alignment so C can place it anywhere
/// (static, stack, inside a struct); only `ffn_model_init` fills it.
#[repr(C)]
pub struct ffn_model {
    storage: [u64; FFN_MODEL_WORDS],
}

/// Word 0 of an initialised [`ffn_model`]; the `Model` follows at word 1.
const TAG: u64 = u64::from_le_bytes(*b"ffnmodel");

const _: () = {
    assert!(core::mem::size_of::<Model<'static>>() + 8 <= FFN_MODEL_BYTES, "ffn_model is too small");
    assert!(core::mem::align_of::<Model<'static>>() <= 8);
    assert!(FFN_SCRATCH_ALIGN == ffn_infer_embedded::SCRATCH_ALIGN);
};

/// The model behind `model`, if it is a non-NULL, aligned, initialised `ffn_model`.
fn model_of(model: *const ffn_model) -> Result<&'static Model<'static>, i32> {
    if model.is_null() {
        return Err(FFN_E_NULL);
    }
    if !model.addr().is_multiple_of(core::mem::align_of::<ffn_model>()) {
        return Err(FFN_E_MISALIGNED);
    }
    let storage = model.cast::<u64>();
    // SAFETY: non-NULL and aligned; the caller promises FFN_MODEL_BYTES
    // readable bytes. The tag is only written after a successful init.
    if unsafe { storage.read() } != TAG {
        return Err(FFN_E_NOT_INITIALISED);
    }
    // SAFETY: the tag says word 1 holds a `Model` written by `ffn_model_init`,
    // whose borrowed bytes the caller keeps alive (header contract).
    Ok(unsafe { &*storage.add(1).cast::<Model<'static>>() })
}

/// Validates `len` model bytes at `bytes` once and sets up `model`, which then
/// borrows them: they must stay valid and unchanged while `model` is used.
/// Returns 0, or a negative `FFN_E_*` code (and `model` is left unusable).
///
/// # Safety
/// `model` points to `FFN_MODEL_BYTES` writable bytes; `bytes` to `len`
/// readable bytes (both checked for NULL, alignment and overlap).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ffn_model_init(model: *mut ffn_model, bytes: *const u8, len: usize) -> i32 {
    if model.is_null() {
        return FFN_E_NULL;
    }
    if !model.addr().is_multiple_of(core::mem::align_of::<ffn_model>()) {
        return FFN_E_MISALIGNED;
    }
    let storage = model.cast::<u64>();
    // SAFETY: non-NULL and aligned: the caller's FFN_MODEL_BYTES. Cleared
    // first so a failed init never leaves an older model usable.
    unsafe { storage.write(0) };
    let own = Region::of(model.cast_const(), 1);
    let file = match unsafe { slice(bytes, len) } {
        Ok(file) => file,
        Err(code) => return code,
    };
    if own.overlaps(Region::of_slice(file)) {
        return FFN_E_OVERLAP;
    }
    match Model::from_bytes(file) {
        Ok(checked) => {
            // SAFETY: word 1 onwards holds at least size_of::<Model>() bytes,
            // 8-aligned (compile-time checks above); then the tag marks it.
            unsafe {
                storage.add(1).cast::<Model<'static>>().write(checked);
                storage.write(TAG);
            }
            0
        }
        Err(error) => error.code(),
    }
}

/// Values per sample (`input_len` of the predict calls); 0 if `model` is not initialised.
#[unsafe(no_mangle)]
pub extern "C" fn ffn_model_inputs(model: *const ffn_model) -> usize {
    model_of(model).map_or(0, |m| m.inputs())
}

/// Number of classes (`scores_len`); 0 if `model` is not initialised.
#[unsafe(no_mangle)]
pub extern "C" fn ffn_model_classes(model: *const ffn_model) -> usize {
    model_of(model).map_or(0, |m| m.classes())
}

/// Bytes of scratch every predict call accepts (any input type), to be
/// aligned to `FFN_SCRATCH_ALIGN`; 0 if `model` is not initialised.
#[unsafe(no_mangle)]
pub extern "C" fn ffn_model_scratch_bytes(model: *const ffn_model) -> usize {
    model_of(model).map_or(0, |m| m.scratch_bytes())
}

/// The name of class `class` as a NUL-terminated UTF-8 string inside the model
/// bytes (borrowed like them); NULL if out of range or `model` is not initialised.
#[unsafe(no_mangle)]
pub extern "C" fn ffn_model_class_name(model: *const ffn_model, class: usize) -> *const c_char {
    match model_of(model).ok().and_then(|m| m.class_name(class)) {
        // The file stores each name followed by its NUL (checked at init).
        Some(name) => name.as_ptr().cast(),
        None => core::ptr::null(),
    }
}

/// The shared body of the predict calls: check every pointer, then predict.
///
/// # Safety
/// As for `ffn_predict_u8`.
unsafe fn predict<T: Input>(
    model: *const ffn_model,
    input: *const T,
    input_len: usize,
    scratch: *mut c_void,
    scratch_len: usize,
    scores: *mut f32,
    scores_len: usize,
) -> Result<usize, i32> {
    let checked = model_of(model)?;
    // SAFETY (each `slice`): the caller's lengths; `slice` checks NULL, alignment and size.
    let input = unsafe { slice(input, input_len) }?;
    let scratch = unsafe { view::slice_mut(scratch.cast::<u8>(), scratch_len) }?;
    let scores: &mut [f32] =
        if scores.is_null() && scores_len == 0 { &mut [] } else { unsafe { view::slice_mut(scores, scores_len) }? };
    let (own, model_bytes) = (Region::of(model, 1), Region::of_slice(checked.bytes()));
    let regions = [own, model_bytes, Region::of_slice(input), Region::of_slice(scratch), Region::of_slice(scores)];
    // Only the two written buffers may not overlap anything (reads may share memory).
    for (i, written) in regions.iter().enumerate().skip(3) {
        if regions.iter().enumerate().any(|(j, other)| i != j && written.overlaps(*other)) {
            return Err(FFN_E_OVERLAP);
        }
    }
    checked.predict(input, scratch, scores).map_err(|e| e.code())
}

/// Classifies one sample of `input_len` bytes (`ffn_model_inputs()` values in
/// the units of the training data: grey levels 0–255 for images), converted to
/// the model's input type (saturating). `scratch`: at least
/// `ffn_model_scratch_bytes()` bytes at a multiple of `FFN_SCRATCH_ALIGN`.
/// `scores`: NULL with `scores_len` 0, or at least `ffn_model_classes()` floats
/// that receive the softmax probabilities. Returns the class index (≥ 0), or a
/// negative `FFN_E_*` code.
///
/// # Safety
/// Each pointer points to its length of valid memory (NULL, alignment,
/// address-space size and overlap are checked).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ffn_predict_u8(
    model: *const ffn_model,
    input: *const u8,
    input_len: usize,
    scratch: *mut c_void,
    scratch_len: usize,
    scores: *mut f32,
    scores_len: usize,
) -> i32 {
    let result = unsafe { predict(model, input, input_len, scratch, scratch_len, scores, scores_len) };
    result.map_or_else(|code| code, |class| class as i32)
}

/// `ffn_predict_u8` for `float` input (4-byte aligned; NaN or ±inf is
/// `FFN_E_NON_FINITE_INPUT`), converted to the model's input type (rounded
/// and saturated for integer types).
///
/// # Safety
/// As for `ffn_predict_u8`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ffn_predict_f32(
    model: *const ffn_model,
    input: *const f32,
    input_len: usize,
    scratch: *mut c_void,
    scratch_len: usize,
    scores: *mut f32,
    scores_len: usize,
) -> i32 {
    let result = unsafe { predict(model, input, input_len, scratch, scratch_len, scores, scores_len) };
    result.map_or_else(|code| code, |class| class as i32)
}

/// A fixed sentence for `code` (any value; ≥ 0 is a class), NUL-terminated, static.
#[unsafe(no_mangle)]
pub extern "C" fn ffn_error_message(code: i32) -> *const c_char {
    codes::message(code).as_ptr()
}

#[cfg(all(target_os = "none", not(feature = "panic-never")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // Unreachable: the panic-never build proves no call can get here.
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(all(target_os = "none", feature = "panic-never"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: linking a reachable panic fails on this name.
        fn ffn_c_a_panic_is_reachable() -> !;
    }
    // SAFETY: never runs; the program does not link if this is reachable.
    unsafe { ffn_c_a_panic_is_reachable() }
}
