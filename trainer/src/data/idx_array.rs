//! IDX files of any element type and shape (EMNIST, KMNIST and other MNIST-style sets):
//! a big-endian magic `0x0000TTNN` (element type `TT`, `NN` dimensions), the dimensions,
//! then the data. The fixed-shape MNIST reader is `idx.rs`.

use std::path::Path;

use super::array::{Array, ArrayData, Role};
use super::{DataError, gz};

/// An IDX file's element type: (name, bytes per element).
fn element(code: u8) -> Option<(&'static str, usize)> {
    Some(match code {
        0x08 => ("u8", 1),
        0x09 => ("i8", 1),
        0x0B => ("i16", 2),
        0x0C => ("i32", 4),
        0x0D => ("f32", 4),
        0x0E => ("f64", 8),
        _ => return None,
    })
}

/// Whether `start` (the first bytes of a file, decompressed) looks like an IDX header.
pub(crate) fn looks_like_idx(start: &[u8]) -> bool {
    matches!(start, [0, 0, code, dims, ..] if element(*code).is_some() && (1..=8).contains(dims))
}

/// Reads the IDX file at `path` (gzipped or not).
pub(crate) fn load_idx(path: &Path, role: Role) -> Result<Array, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Read { path: path.into(), source })?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) { gz::gunzip(&bytes).map_err(|e| e.in_file(path))? } else { bytes };
    parse_idx_array(bytes, role).map_err(|problem| DataError::invalid(path, problem))
}

/// Parses a decompressed IDX file; the data of a `u8` file keeps its buffer.
pub(crate) fn parse_idx_array(mut bytes: Vec<u8>, role: Role) -> Result<Array, String> {
    let Some(&[0, 0, code, ndims]) = bytes.first_chunk::<4>() else {
        return Err("not an IDX file (it does not start with an IDX magic number)".into());
    };
    let (name, size) = element(code).ok_or_else(|| format!("not an IDX file (unknown element type {code:#04x})"))?;
    let header_len = 4 + 4 * ndims as usize;
    if ndims == 0 || bytes.len() < header_len {
        return Err(format!("the IDX header is truncated or announces {ndims} dimensions"));
    }
    let shape: Vec<usize> =
        bytes[4..header_len].chunks_exact(4).map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize).collect();
    let expected = shape.iter().try_fold(size as u64, |acc, &d| acc.checked_mul(d as u64)).unwrap_or(u64::MAX);
    let actual = (bytes.len() - header_len) as u64;
    if actual != expected {
        let dims = shape.iter().map(usize::to_string).collect::<Vec<_>>().join("×");
        return Err(format!("the header announces {dims} {name} values ({expected} bytes) but {actual} bytes follow"));
    }
    let data = &bytes[header_len..];
    let numbers = |convert: &dyn Fn(&[u8]) -> f64| data.chunks_exact(size).map(convert).collect::<Vec<f64>>();
    let as_f64: Vec<f64> = match code {
        0x08 if role == Role::Features => {
            bytes.drain(..header_len);
            return Ok(Array { shape, data: ArrayData::Bytes(bytes) });
        }
        0x08 => numbers(&|b| f64::from(b[0])),
        0x09 => numbers(&|b| f64::from(b[0] as i8)),
        0x0B => numbers(&|b| f64::from(i16::from_be_bytes([b[0], b[1]]))),
        0x0C => numbers(&|b| f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
        0x0D => numbers(&|b| f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
        _ => numbers(&|b| f64::from_be_bytes(b.try_into().unwrap_or([0; 8]))),
    };
    let data = match role {
        Role::Features => ArrayData::Floats(as_f64.into_iter().map(|v| v as f32).collect()),
        Role::Labels => ArrayData::Numbers(as_f64),
    };
    Ok(Array { shape, data })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An IDX file of element type `code` with `shape` and raw big-endian `data`.
    pub(crate) fn idx(code: u8, shape: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, code, shape.len() as u8];
        shape.iter().for_each(|d| out.extend(d.to_be_bytes()));
        out.extend(data);
        out
    }

    #[test]
    fn any_shape_and_element_type() {
        let a =
            parse_idx_array(idx(0x08, &[2, 3, 2, 1], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), Role::Features).unwrap();
        assert_eq!((a.shape, a.data), (vec![2, 3, 2, 1], ArrayData::Bytes((0..12).collect())));
        let i16s: Vec<u8> = [-5i16, 1000].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(
            parse_idx_array(idx(0x0B, &[2], &i16s), Role::Labels).unwrap().data,
            ArrayData::Numbers(vec![-5.0, 1000.0])
        );
        let f32s: Vec<u8> = [0.5f32, -2.0].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(
            parse_idx_array(idx(0x0D, &[1, 2], &f32s), Role::Features).unwrap().data,
            ArrayData::Floats(vec![0.5, -2.0])
        );
        assert_eq!(
            parse_idx_array(idx(0x08, &[2], &[7, 3]), Role::Labels).unwrap().data,
            ArrayData::Numbers(vec![7.0, 3.0])
        );
        assert!(looks_like_idx(&idx(0x08, &[1], &[0])) && !looks_like_idx(b"1,2,3\n"));
    }

    #[test]
    fn damaged_headers_are_errors() {
        let err = |b: Vec<u8>| parse_idx_array(b, Role::Features).unwrap_err();
        assert!(err(idx(0x08, &[2, 2], &[0; 3])).contains("4 bytes) but 3 bytes follow"));
        assert!(err(idx(0x07, &[1], &[0])).contains("unknown element type 0x07"));
        assert!(err(vec![0, 0, 8, 3, 0, 0]).contains("truncated"));
        assert!(err(b"\x1f\x8b\x08\x00".to_vec()).contains("not an IDX file"));
        assert!(err(idx(0x08, &[u32::MAX, u32::MAX, u32::MAX], &[])).contains("but 0 bytes follow"));
    }
}
