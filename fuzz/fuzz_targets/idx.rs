//! The IDX parsers on arbitrary bytes: an error or a consistent result, never
//! a panic. The first byte picks the parser so one corpus serves both.
#![no_main]

use ffn_trainer::data::{parse_idx_images, parse_idx_labels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    if which & 1 == 0 {
        if let Ok(images) = parse_idx_images(bytes) {
            assert_eq!(images.pixels.len(), images.count * images.rows * images.cols);
            assert!(images.pixels.len() <= bytes.len());
        }
    } else if let Ok(labels) = parse_idx_labels(bytes) {
        assert!(labels.len() <= bytes.len());
    }
});
