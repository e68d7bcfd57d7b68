//! Version-1 files, read on the host only (`std` feature) so the tools can
//! convert them: the device refuses them ([`Error::Version1`]) and keeps one
//! inference path. A version-1 file was one postcard struct: magic, version,
//! element (`F32`/`Int8`), hidden activation, sizes `784 → … → 10` (`u32` LE),
//! int8 input scales (`f32` LE per layer), the payload (per layer, output-major
//! weights, int8 per-channel scales, `f32` biases) and a CRC-32.

use super::write::Network;
use crate::Error;
use ffn_spec::Activation;
use ffn_spec::model_file::{ElementType, MAGIC, VERSION_1};
use serde::{Deserialize, Serialize};
use std::vec;
use std::vec::Vec;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct ModelFile<'a> {
    magic: [u8; 4],
    version: u8,
    element: ElementType,
    activation: Activation,
    #[serde(borrow)]
    sizes: &'a [u8],
    #[serde(borrow)]
    input_scales: &'a [u8],
    #[serde(borrow)]
    payload: &'a [u8],
    crc32: [u8; 4],
}

/// Inputs and classes of every version-1 model: 28×28 images, 10 classes.
pub const V1_INPUTS: usize = 784;
pub const V1_CLASSES: usize = 10;

/// The network of a version-1 file (int8 weights dequantised: `q · scale`),
/// with its element type.
pub fn decode(bytes: &[u8]) -> Result<(ElementType, Network), Error> {
    if bytes.len() < 9 || bytes[..4] != MAGIC || bytes[4] != VERSION_1 {
        return Err(Error::Malformed);
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(Error::BadCrc { stored, computed });
    }
    let file = match postcard::take_from_bytes::<ModelFile<'_>>(bytes) {
        Ok((file, [])) => file,
        _ => return Err(Error::Malformed),
    };
    if file.sizes.len() % 4 != 0 {
        return Err(Error::BadSizes);
    }
    let sizes: Vec<usize> =
        file.sizes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap()) as usize).collect();
    if sizes.len() < 2 || sizes[0] != V1_INPUTS || sizes.last() != Some(&V1_CLASSES) || sizes.contains(&0) {
        return Err(Error::BadSizes);
    }
    let total: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
    let mut params = vec![0.0f32; total];
    let mut payload = file.payload;
    let mut offset = 0;
    let f32s = |bytes: &[u8]| -> Vec<f32> {
        bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    };
    for (layer, w) in sizes.windows(2).enumerate() {
        let (n, m) = (w[0], w[1]);
        let block = match file.element {
            ElementType::F32 => (n * m + m) * 4,
            ElementType::Int8 => n * m + 8 * m,
        };
        if payload.len() < block {
            return Err(Error::Malformed);
        }
        let (bytes, rest) = payload.split_at(block);
        payload = rest;
        let (weights, bias) = params[offset..offset + n * m + m].split_at_mut(n * m);
        let bias_bytes = match file.element {
            ElementType::F32 => {
                let (w, b) = bytes.split_at(n * m * 4);
                for (k, value) in f32s(w).into_iter().enumerate() {
                    weights[(k % n) * m + k / n] = value;
                }
                b
            }
            ElementType::Int8 => {
                let (w, rest) = bytes.split_at(n * m);
                let (s, b) = rest.split_at(m * 4);
                let scales = f32s(s);
                if scales.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
                    return Err(Error::BadScale { layer: layer as u32 });
                }
                for (j, (row, scale)) in w.chunks_exact(n).zip(scales).enumerate() {
                    for (i, &q) in row.iter().enumerate() {
                        weights[i * m + j] = q as i8 as f32 * scale;
                    }
                }
                b
            }
        };
        bias.copy_from_slice(&f32s(bias_bytes));
        offset += n * m + m;
    }
    if !payload.is_empty() {
        return Err(Error::Malformed);
    }
    if params.iter().any(|p| !p.is_finite()) {
        return Err(Error::BadWeight { layer: 0 });
    }
    Ok((file.element, Network::new(&sizes, file.activation, params)))
}

/// Writes a version-1 f32 file, for the tests that check old files still convert.
#[cfg(test)]
pub fn encode_f32(net: &Network) -> Vec<u8> {
    let sizes: Vec<u8> = net.sizes.iter().flat_map(|&s| (s as u32).to_le_bytes()).collect();
    let mut payload = Vec::new();
    for (n, m, weights, bias) in net.layers() {
        for j in 0..m {
            payload.extend((0..n).flat_map(|i| weights[i * m + j].to_le_bytes()));
        }
        payload.extend(bias.iter().flat_map(|b| b.to_le_bytes()));
    }
    let file = ModelFile {
        magic: MAGIC,
        version: VERSION_1,
        element: ElementType::F32,
        activation: net.hidden_activation(),
        sizes: &sizes,
        input_scales: &[],
        payload: &payload,
        crc32: [0; 4],
    };
    let mut bytes = postcard::to_allocvec(&file).unwrap();
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    bytes
}
