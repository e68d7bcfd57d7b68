//! The model-file parser and the panic-free forward pass on arbitrary bytes:
//! whatever `Model::from_bytes` accepts must classify inputs of every type
//! without a panic, as on the device, and every float it accepted must be
//! valid. Inputs whose first byte is odd get a correct CRC appended, so the
//! fuzzer also explores past the checksum.
#![no_main]

use ffn_infer_embedded::{InputSlice, Model, format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 {
        bytes.extend_from_slice(&crc32fast::hash(rest).to_le_bytes());
    }
    let checked = format::check(&bytes);
    let Ok(model) = Model::from_bytes(&bytes) else { return };
    assert!(checked.is_ok(), "from_bytes accepted what check refused");
    // Host-side decoding reads every float back: all of them must be finite.
    let decoded = format::decode(&bytes).expect("an accepted model decodes");
    assert!(decoded.network.params.iter().all(|p| p.is_finite()), "non-finite parameter accepted");
    let inputs = model.inputs().min(1 << 16);
    let values: Vec<u8> = bytes.iter().cycle().take(inputs).copied().collect();
    let floats: Vec<f32> = values.iter().map(|&v| v as f32 - 100.0).collect();
    let signed: Vec<i8> = values.iter().map(|&v| v as i8).collect();
    let wide: Vec<i16> = values.iter().map(|&v| (v as i16 - 128) * 200).collect();
    let mut scratch = vec![0u32; model.scratch_bytes().div_ceil(4)];
    let scratch: &mut [u8] = bytemuck::cast_slice_mut(&mut scratch);
    let mut scores = vec![0.0f32; model.classes()];
    for input in [InputSlice::U8(&values), InputSlice::I8(&signed), InputSlice::I16(&wide), InputSlice::F32(&floats)] {
        if let Ok(class) = model.predict_slice(input, scratch, &mut scores) {
            assert!(class < model.classes());
        }
    }
});
