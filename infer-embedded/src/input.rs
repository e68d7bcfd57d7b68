//! The caller's input values and their conversion to the model's input type.
//!
//! [`Model::predict`](crate::Model::predict) takes `&[u8]`, `&[i8]`, `&[i16]`
//! or `&[f32]` for every model: each value is first converted to the element
//! type the model was exported for (`ffn export --input_type`), saturating to its
//! range (floats rounded half away from zero), exactly as if the caller had
//! stored it in that type; then the model's own preprocessing applies.

use ffn_spec::InputType;

/// A slice of input values of one of the four supported types.
#[derive(Clone, Copy, Debug)]
pub enum InputSlice<'a> {
    U8(&'a [u8]),
    I8(&'a [i8]),
    I16(&'a [i16]),
    F32(&'a [f32]),
}

/// The element types [`Model::predict`](crate::Model::predict) accepts.
pub trait Input: Copy + sealed::Sealed {
    const TYPE: InputType;
    fn slice(values: &[Self]) -> InputSlice<'_>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
    impl Sealed for f32 {}
}

macro_rules! input {
    ($t:ty, $variant:ident) => {
        impl Input for $t {
            const TYPE: InputType = InputType::$variant;
            fn slice(values: &[Self]) -> InputSlice<'_> {
                InputSlice::$variant(values)
            }
        }
    };
}
input!(u8, U8);
input!(i8, I8);
input!(i16, I16);
input!(f32, F32);

impl InputSlice<'_> {
    pub fn len(&self) -> usize {
        match self {
            InputSlice::U8(v) => v.len(),
            InputSlice::I8(v) => v.len(),
            InputSlice::I16(v) => v.len(),
            InputSlice::F32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn input_type(&self) -> InputType {
        match self {
            InputSlice::U8(_) => InputType::U8,
            InputSlice::I8(_) => InputType::I8,
            InputSlice::I16(_) => InputType::I16,
            InputSlice::F32(_) => InputType::F32,
        }
    }

    /// The index of the first NaN or infinite value, if any.
    pub fn first_non_finite(&self) -> Option<usize> {
        match self {
            InputSlice::F32(v) => v.iter().position(|x| !x.is_finite()),
            _ => None,
        }
    }

    /// Calls `f(i, value)` with every value converted to `to` (saturating),
    /// as an `f32` (exact: every `u8`/`i8`/`i16` is an `f32`), in order. One
    /// loop per type pair, so nothing is decided per value.
    #[inline(always)]
    pub fn for_each_converted(&self, to: InputType, mut f: impl FnMut(usize, f32)) {
        macro_rules! each {
            ($values:expr, $convert:expr) => {
                for (i, &x) in $values.iter().enumerate() {
                    f(i, $convert(x))
                }
            };
        }
        match (*self, int_range(to)) {
            (InputSlice::U8(v), None) => each!(v, |x: u8| x as f32),
            (InputSlice::U8(v), Some((lo, hi))) => each!(v, |x: u8| (x as i32).clamp(lo, hi) as f32),
            (InputSlice::I8(v), None) => each!(v, |x: i8| x as f32),
            (InputSlice::I8(v), Some((lo, hi))) => each!(v, |x: i8| (x as i32).clamp(lo, hi) as f32),
            (InputSlice::I16(v), None) => each!(v, |x: i16| x as f32),
            (InputSlice::I16(v), Some((lo, hi))) => each!(v, |x: i16| (x as i32).clamp(lo, hi) as f32),
            (InputSlice::F32(v), None) => each!(v, |x: f32| x),
            // max/min rather than clamp, whose bound check could panic.
            (InputSlice::F32(v), Some((lo, hi))) => each!(v, |x: f32| libm::roundf(x).max(lo as f32).min(hi as f32)),
        }
    }

    /// The converted values, collected (host tools).
    #[cfg(feature = "std")]
    pub fn converted(&self, to: InputType) -> std::vec::Vec<f32> {
        let mut out = std::vec::Vec::with_capacity(self.len());
        self.for_each_converted(to, |_, x| out.push(x));
        out
    }
}

/// The range of an integer input type, `None` for f32.
const fn int_range(to: InputType) -> Option<(i32, i32)> {
    match to {
        InputType::U8 => Some((0, 255)),
        InputType::I8 => Some((-128, 127)),
        InputType::I16 => Some((-32768, 32767)),
        InputType::F32 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert<T: Input>(values: &[T], to: InputType) -> [f32; 4] {
        let mut out = [0.0; 4];
        T::slice(values).for_each_converted(to, |i, v| out[i] = v);
        out
    }

    #[test]
    fn conversions_saturate_and_round() {
        assert_eq!(convert(&[0u8, 127, 128, 255], InputType::I8), [0.0, 127.0, 127.0, 127.0]);
        assert_eq!(convert(&[-128i8, -1, 0, 127], InputType::U8), [0.0, 0.0, 0.0, 127.0]);
        assert_eq!(convert(&[-32768i16, -200, 300, 32767], InputType::I8), [-128.0, -128.0, 127.0, 127.0]);
        assert_eq!(convert(&[-0.5f32, 0.5, 254.5, 1e30], InputType::U8), [0.0, 1.0, 255.0, 255.0]);
        assert_eq!(convert(&[-2.5f32, 2.4, -1e9, 7.0], InputType::I16), [-3.0, 2.0, -32768.0, 7.0]);
        assert_eq!(convert(&[1u8, 2, 3, 255], InputType::F32), [1.0, 2.0, 3.0, 255.0]);
        assert_eq!(convert(&[1.25f32, -2.0, 3.5, 0.0], InputType::F32), [1.25, -2.0, 3.5, 0.0]);
    }

    #[test]
    fn only_floats_can_be_non_finite() {
        assert_eq!(InputSlice::F32(&[1.0, f32::NAN]).first_non_finite(), Some(1));
        assert_eq!(InputSlice::F32(&[1.0, f32::NEG_INFINITY]).first_non_finite(), Some(1));
        assert_eq!(InputSlice::U8(&[1, 2]).first_non_finite(), None);
    }
}
