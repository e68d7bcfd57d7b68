//! The Keras `mnist.npz` reader (zip + npy) on arbitrary bytes.
#![no_main]

use ffn_trainer::data::{npz_to_idx, parse_npy_u8};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_npy_u8(data);
    let _ = npz_to_idx(data);
});
