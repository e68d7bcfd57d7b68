//! The crate's one error type: what [`Model::from_bytes`](crate::Model::from_bytes)
//! refuses in a file, and what [`Model::predict`](crate::Model::predict) refuses
//! in a call. Each has a stable negative [`code`](Error::code) for a C API.

/// Everything that can be wrong with a model file or a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than the file's own structure needs.
    Truncated,
    /// The file does not start with `FFNM`: not an ffn model.
    BadMagic,
    /// A version-1 file: readable by the host tools only, which convert it.
    Version1,
    /// A format version this build does not know.
    UnsupportedVersion(u8),
    /// The CRC-32 in the file does not match its contents: corrupted.
    BadCrc { stored: u32, computed: u32 },
    /// The bytes passed the CRC but their structure is not a version-2 file
    /// (an unknown tag, a bad header, non-zero padding, wrong lengths).
    Malformed,
    /// Layer sizes with a zero, fewer than 2 classes, or sizes that overflow.
    BadSizes,
    /// Class or feature names, or a provenance text, that are not one
    /// NUL-terminated UTF-8 string per entry.
    BadNames,
    /// A non-finite, zero or negative preprocessing value (divisor, standard
    /// deviation, input-stage scale) or a non-finite mean or center.
    BadPreprocessing,
    /// A non-finite f32 weight in layer `layer`.
    BadWeight { layer: u32 },
    /// A non-finite f32 bias, or an int8 bias the i32 accumulator cannot hold, in layer `layer`.
    BadBias { layer: u32 },
    /// A non-finite, zero or negative int8 scale, or a zero point that does not fit, in layer `layer`.
    BadScale { layer: u32 },
    /// An int8 multiplier or shift outside its range or not equal to the
    /// layer's scales, in layer `layer`.
    BadRequantisation { layer: u32 },
    /// The input does not have the model's length.
    InputLength { expected: usize, got: usize },
    /// Input value `index` is NaN or infinite.
    NonFiniteInput { index: usize },
    /// The scratch slice is shorter than [`Model::scratch_bytes`](crate::Model::scratch_bytes).
    ScratchTooSmall { needed: usize, got: usize },
    /// The scratch slice does not start at a multiple of [`SCRATCH_ALIGN`](crate::SCRATCH_ALIGN) bytes.
    ScratchMisaligned,
    /// The scores slice is neither empty nor long enough for every class.
    ScoresTooSmall { needed: usize, got: usize },
    /// An f32 model overflowed on this input (a logit is infinite or NaN).
    NonFiniteResult,
}

impl Error {
    /// A stable negative number per kind, for C callers (`FFN_E_*`).
    pub const fn code(&self) -> i32 {
        match self {
            Error::Truncated => -1,
            Error::BadMagic => -2,
            Error::Version1 => -3,
            Error::UnsupportedVersion(_) => -4,
            Error::BadCrc { .. } => -5,
            Error::Malformed => -6,
            Error::BadSizes => -7,
            Error::BadNames => -8,
            Error::BadPreprocessing => -9,
            Error::BadWeight { .. } => -10,
            Error::BadBias { .. } => -11,
            Error::BadScale { .. } => -12,
            Error::BadRequantisation { .. } => -13,
            Error::InputLength { .. } => -20,
            Error::NonFiniteInput { .. } => -21,
            Error::ScratchTooSmall { .. } => -22,
            Error::ScratchMisaligned => -23,
            Error::ScoresTooSmall { .. } => -24,
            Error::NonFiniteResult => -25,
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Truncated => write!(f, "model file is truncated"),
            Error::BadMagic => write!(f, "not an ffn model file (bad magic bytes)"),
            Error::Version1 => write!(
                f,
                "model file format version 1 is read by the host tools only: convert it with \
                 `ffn export MODEL.ffn --int8 OUT.ffn` (or `--f32 OUT.ffn`)"
            ),
            Error::UnsupportedVersion(v) => write!(
                f,
                "model file format version {v} is not supported (this build reads version {})",
                ffn_spec::model_file::VERSION
            ),
            Error::BadCrc { stored, computed } => {
                write!(f, "model file is corrupted (CRC-32 {computed:08x}, file says {stored:08x})")
            }
            Error::Malformed => write!(f, "model file structure is malformed"),
            Error::BadSizes => write!(f, "model layer sizes must be non-zero, with at least 2 classes"),
            Error::BadNames => write!(f, "model file has malformed class, feature or provenance names"),
            Error::BadPreprocessing => {
                write!(f, "model file has a non-finite, zero or negative preprocessing value")
            }
            Error::BadWeight { layer } => write!(f, "model layer {layer} has a non-finite weight"),
            Error::BadBias { layer } => write!(f, "model layer {layer} has a non-finite or out-of-range bias"),
            Error::BadScale { layer } => {
                write!(f, "model layer {layer} has a non-finite, zero or negative int8 scale or a bad zero point")
            }
            Error::BadRequantisation { layer } => {
                write!(f, "model layer {layer} has a requantisation multiplier that does not match its scales")
            }
            Error::InputLength { expected, got } => {
                write!(f, "the model reads {expected} input values, got {got}")
            }
            Error::NonFiniteInput { index } => write!(f, "input value {index} is not a finite number"),
            Error::ScratchTooSmall { needed, got } => {
                write!(f, "the model needs {needed} bytes of scratch, got {got}")
            }
            Error::ScratchMisaligned => {
                write!(f, "scratch must start at a multiple of {} bytes", crate::SCRATCH_ALIGN)
            }
            Error::ScoresTooSmall { needed, got } => {
                write!(f, "scores must be empty or hold {needed} classes, got room for {got}")
            }
            Error::NonFiniteResult => write!(f, "the model overflowed on this input (a score is not finite)"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
