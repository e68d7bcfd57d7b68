//! The model-file parser and the panic-free forward pass on arbitrary bytes:
//! whatever `Model::from_bytes` accepts must classify an image without a
//! panic, as on the device. Inputs whose first byte is odd get a correct
//! CRC appended, so the fuzzer also explores past the checksum.
#![no_main]

use ffn_infer_embedded::{INPUT_SIZE, Model, NUM_CLASSES, Scratch, format};
use libfuzzer_sys::fuzz_target;

/// Wide enough for every model the trainer writes by default.
const WIDTH: usize = 512;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 {
        bytes.extend_from_slice(&crc32fast::hash(rest).to_le_bytes());
    }
    let checked = format::check(&bytes);
    let Ok(model) = Model::<WIDTH>::from_bytes(&bytes) else { return };
    assert!(checked.is_ok(), "from_bytes accepted what check refused");
    let mut pixels = [0u8; INPUT_SIZE];
    for (p, b) in pixels.iter_mut().zip(bytes.iter().cycle()) {
        *p = *b;
    }
    let mut scratch = Box::new(Scratch::<WIDTH>::new());
    let prediction = model.predict(&pixels, &mut scratch);
    assert!(prediction.class < NUM_CLASSES);
});
