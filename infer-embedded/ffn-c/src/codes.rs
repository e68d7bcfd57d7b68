//! The `FFN_E_*` codes C callers see: the model and call errors of
//! [`ffn_infer_embedded::Error::code`] (checked equal at compile time), plus
//! the pointer errors only a C boundary has, each with a fixed message.

use core::ffi::CStr;
use ffn_infer_embedded::Error;

/// Fewer bytes than the model file's own structure needs (a cut-off file).
pub const FFN_E_TRUNCATED: i32 = -1;
/// The bytes are not an ffn model file (they do not start with `FFNM`).
pub const FFN_E_BAD_MAGIC: i32 = -2;
/// A format-version-1 file: convert it on the host with `export MODEL --int8 OUT` (or `--f32`).
pub const FFN_E_VERSION_1: i32 = -3;
/// A format version this library does not read.
pub const FFN_E_UNSUPPORTED_VERSION: i32 = -4;
/// The CRC-32 does not match the contents: the file is corrupted.
pub const FFN_E_BAD_CRC: i32 = -5;
/// The CRC matches but the structure is not a version-2 file.
pub const FFN_E_MALFORMED: i32 = -6;
/// Layer sizes with a zero, fewer than 2 classes, or sizes that overflow.
pub const FFN_E_BAD_SIZES: i32 = -7;
/// Class or feature names, or provenance texts, that are not NUL-terminated UTF-8.
pub const FFN_E_BAD_NAMES: i32 = -8;
/// A non-finite, zero or negative preprocessing value (divisor, standard deviation, scale).
pub const FFN_E_BAD_PREPROCESSING: i32 = -9;
/// A non-finite f32 weight.
pub const FFN_E_BAD_WEIGHT: i32 = -10;
/// A non-finite f32 bias, or an int8 bias the i32 accumulator cannot hold.
pub const FFN_E_BAD_BIAS: i32 = -11;
/// A non-finite, zero or negative int8 scale, or a zero point that does not fit.
pub const FFN_E_BAD_SCALE: i32 = -12;
/// An int8 fixed-point multiplier or shift that does not match the layer's scales.
pub const FFN_E_BAD_REQUANTISATION: i32 = -13;
/// `input_len` is not `ffn_model_inputs()`.
pub const FFN_E_INPUT_LENGTH: i32 = -20;
/// An `ffn_predict_f32` input value is NaN or infinite.
pub const FFN_E_NON_FINITE_INPUT: i32 = -21;
/// `scratch_len` is smaller than `ffn_model_scratch_bytes()`.
pub const FFN_E_SCRATCH_TOO_SMALL: i32 = -22;
/// `scratch` does not start at a multiple of `FFN_SCRATCH_ALIGN` bytes.
pub const FFN_E_SCRATCH_MISALIGNED: i32 = -23;
/// `scores_len` is neither 0 nor at least `ffn_model_classes()`.
pub const FFN_E_SCORES_TOO_SMALL: i32 = -24;
/// An f32 model overflowed on this input (a score is not finite).
pub const FFN_E_NON_FINITE_RESULT: i32 = -25;
/// A required pointer is NULL (`scores` may be NULL only with `scores_len` 0).
pub const FFN_E_NULL: i32 = -30;
/// The `ffn_model` was not set up by a successful `ffn_model_init`.
pub const FFN_E_NOT_INITIALISED: i32 = -31;
/// `model`, a `float` array or the model struct is not aligned for its type.
pub const FFN_E_MISALIGNED: i32 = -32;
/// A length whose bytes do not fit the address space.
pub const FFN_E_TOO_LONG: i32 = -33;
/// Two of the buffers passed (model bytes, model, input, scratch, scores) overlap.
pub const FFN_E_OVERLAP: i32 = -34;

/// The library's errors keep their Rust codes: a mismatch fails the build.
const _: () = {
    let pairs = [
        (FFN_E_TRUNCATED, Error::Truncated),
        (FFN_E_BAD_MAGIC, Error::BadMagic),
        (FFN_E_VERSION_1, Error::Version1),
        (FFN_E_UNSUPPORTED_VERSION, Error::UnsupportedVersion(0)),
        (FFN_E_BAD_CRC, Error::BadCrc { stored: 0, computed: 0 }),
        (FFN_E_MALFORMED, Error::Malformed),
        (FFN_E_BAD_SIZES, Error::BadSizes),
        (FFN_E_BAD_NAMES, Error::BadNames),
        (FFN_E_BAD_PREPROCESSING, Error::BadPreprocessing),
        (FFN_E_BAD_WEIGHT, Error::BadWeight { layer: 0 }),
        (FFN_E_BAD_BIAS, Error::BadBias { layer: 0 }),
        (FFN_E_BAD_SCALE, Error::BadScale { layer: 0 }),
        (FFN_E_BAD_REQUANTISATION, Error::BadRequantisation { layer: 0 }),
        (FFN_E_INPUT_LENGTH, Error::InputLength { expected: 0, got: 0 }),
        (FFN_E_NON_FINITE_INPUT, Error::NonFiniteInput { index: 0 }),
        (FFN_E_SCRATCH_TOO_SMALL, Error::ScratchTooSmall { needed: 0, got: 0 }),
        (FFN_E_SCRATCH_MISALIGNED, Error::ScratchMisaligned),
        (FFN_E_SCORES_TOO_SMALL, Error::ScoresTooSmall { needed: 0, got: 0 }),
        (FFN_E_NON_FINITE_RESULT, Error::NonFiniteResult),
    ];
    let mut i = 0;
    while i < pairs.len() {
        assert!(pairs[i].0 == pairs[i].1.code());
        i += 1;
    }
};

/// A fixed English sentence per code (C strings in flash; the library's
/// `Display` texts carry numbers, which would need formatting and a buffer).
pub fn message(code: i32) -> &'static CStr {
    match code {
        0.. => c"ok (a class index)",
        FFN_E_TRUNCATED => c"model file is truncated",
        FFN_E_BAD_MAGIC => c"not an ffn model file (bad magic bytes)",
        FFN_E_VERSION_1 => {
            c"model file format version 1: convert it on the host with `export MODEL --int8 OUT` (or --f32)"
        }
        FFN_E_UNSUPPORTED_VERSION => c"model file format version is not supported by this library",
        FFN_E_BAD_CRC => c"model file is corrupted (CRC-32 mismatch)",
        FFN_E_MALFORMED => c"model file structure is malformed",
        FFN_E_BAD_SIZES => c"model layer sizes must be non-zero, with at least 2 classes",
        FFN_E_BAD_NAMES => c"model file has malformed class, feature or provenance names",
        FFN_E_BAD_PREPROCESSING => c"model file has a non-finite, zero or negative preprocessing value",
        FFN_E_BAD_WEIGHT => c"model file has a non-finite weight",
        FFN_E_BAD_BIAS => c"model file has a non-finite or out-of-range bias",
        FFN_E_BAD_SCALE => c"model file has a non-finite, zero or negative int8 scale or a bad zero point",
        FFN_E_BAD_REQUANTISATION => c"model file has a requantisation multiplier that does not match its scales",
        FFN_E_INPUT_LENGTH => c"input_len is not the model's number of inputs (ffn_model_inputs)",
        FFN_E_NON_FINITE_INPUT => c"an input value is NaN or infinite",
        FFN_E_SCRATCH_TOO_SMALL => c"scratch_len is smaller than ffn_model_scratch_bytes",
        FFN_E_SCRATCH_MISALIGNED => c"scratch must start at a multiple of FFN_SCRATCH_ALIGN bytes",
        FFN_E_SCORES_TOO_SMALL => c"scores_len must be 0 or at least ffn_model_classes",
        FFN_E_NON_FINITE_RESULT => c"the model overflowed on this input (a score is not finite)",
        FFN_E_NULL => c"a required pointer is NULL",
        FFN_E_NOT_INITIALISED => c"the ffn_model was not set up by a successful ffn_model_init",
        FFN_E_MISALIGNED => c"a pointer is not aligned for its type",
        FFN_E_TOO_LONG => c"a length does not fit the address space",
        FFN_E_OVERLAP => c"two of the buffers passed overlap",
        _ => c"unknown ffn error code",
    }
}
