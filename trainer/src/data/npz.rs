//! Keras's `mnist.npz` (what its mirror serves for MNIST, and what `keras.datasets.mnist`
//! leaves in `~/.keras/datasets/`): a zip of four `.npy` arrays, unpacked once into the
//! four IDX `.gz` files so that everything downstream sees one format.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, write::GzEncoder};

use super::DataError;
use super::idx::{self, COLS, IMAGES_MAGIC, LABELS_MAGIC, ROWS, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};

pub const MNIST_NPZ: &str = "mnist.npz";
/// SHA-256 of Keras's `mnist.npz`.
pub const MNIST_NPZ_SHA256: &str = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1";

/// The largest array read (60 000 × 784 bytes plus a header): a bound against zip bombs.
const MAX_ARRAY: u64 = 64 << 20;

/// (npz member, IDX file it becomes, dimensions after the count).
const ARRAYS: [(&str, &str, &[usize]); 4] = [
    ("x_train.npy", TRAIN_IMAGES, &[ROWS, COLS]),
    ("y_train.npy", TRAIN_LABELS, &[]),
    ("x_test.npy", TEST_IMAGES, &[ROWS, COLS]),
    ("y_test.npy", TEST_LABELS, &[]),
];

fn problem(problem: impl Into<String>) -> DataError {
    DataError::Npz { file: MNIST_NPZ.into(), problem: problem.into() }
}

/// A parsed `.npy` array of unsigned bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct NpyBytes<'a> {
    pub shape: Vec<usize>,
    pub data: &'a [u8],
}

/// Parses a `.npy` file holding a C-order array of `u8` (format versions 1–3).
pub fn parse_npy_u8(bytes: &[u8]) -> Result<NpyBytes<'_>, DataError> {
    let rest = bytes.strip_prefix(b"\x93NUMPY").ok_or_else(|| problem("not a .npy array (bad magic)"))?;
    let (header_len, header_start): (usize, usize) = match rest {
        [1, _, a, b, ..] => (u16::from_le_bytes([*a, *b]) as usize, 10),
        [2 | 3, _, a, b, c, d, ..] => (u32::from_le_bytes([*a, *b, *c, *d]) as usize, 12),
        [v, ..] => return Err(problem(format!(".npy format version {v} is not supported"))),
        [] => return Err(problem("truncated .npy header")),
    };
    let header = header_start
        .checked_add(header_len)
        .and_then(|end| bytes.get(header_start..end))
        .ok_or_else(|| problem("truncated .npy header"))?;
    let header = std::str::from_utf8(header).map_err(|_| problem(".npy header is not text"))?;
    let descr = dict_value(header, "descr").ok_or_else(|| problem(".npy header without 'descr'"))?;
    if !matches!(descr, "'|u1'" | "'<u1'" | "'>u1'" | "'u1'") {
        return Err(problem(format!("array of {descr}, expected unsigned bytes ('|u1')")));
    }
    if dict_value(header, "fortran_order") != Some("False") {
        return Err(problem("array is not in C order (fortran_order is not False)"));
    }
    let shape = dict_value(header, "shape").ok_or_else(|| problem(".npy header without 'shape'"))?;
    let shape: Vec<usize> = shape
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| problem(format!("bad shape {shape}")))?;
    let data = &bytes[header_start + header_len..];
    let expected = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if expected != Some(data.len()) {
        return Err(problem(format!("shape {shape:?} does not match its {} data bytes", data.len())));
    }
    Ok(NpyBytes { shape, data })
}

/// The text of `'key': value` in a .npy header dict (a Python literal), up to the next
/// top-level comma or the closing brace.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}':"))? + key.len() + 3;
    let rest = &header[start..];
    let mut depth = 0;
    let end = rest
        .char_indices()
        .find(|&(_, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' | '}' if depth == 0 => return true,
                _ => {}
            }
            false
        })
        .map_or(rest.len(), |(i, _)| i);
    Some(rest[..end].trim())
}

/// An IDX file (header + data) for an array of `count` items of `dims` each.
fn idx_file(magic: u32, count: usize, dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + data.len());
    out.extend(magic.to_be_bytes());
    for d in std::iter::once(count).chain(dims.iter().copied()) {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend(data);
    out
}

/// Checks the four arrays of an `mnist.npz` image and returns them as the four IDX files,
/// decompressed, in the order of `ARRAYS`.
pub fn npz_to_idx(npz: &[u8]) -> Result<[Vec<u8>; 4], DataError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(npz)).map_err(|e| problem(format!("not a zip archive ({e})")))?;
    let mut files: [Vec<u8>; 4] = Default::default();
    for ((member, _, dims), out) in ARRAYS.iter().zip(&mut files) {
        let mut entry = archive.by_name(member).map_err(|e| problem(format!("no {member} ({e})")))?;
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_ARRAY)
            .read_to_end(&mut bytes)
            .map_err(|e| problem(format!("cannot unpack {member} ({e})")))?;
        let array = parse_npy_u8(&bytes).map_err(|e| e.in_member(member))?;
        if array.shape.len() != 1 + dims.len() || array.shape[1..] != **dims {
            return Err(problem(format!("{member} has shape {:?}, expected (N, {dims:?})", array.shape)));
        }
        let (magic, count) =
            if dims.is_empty() { (LABELS_MAGIC, array.data.len()) } else { (IMAGES_MAGIC, array.shape[0]) };
        if count > u32::MAX as usize {
            return Err(problem(format!("{member} is too large for an IDX file")));
        }
        *out = idx_file(magic, count, dims, array.data);
    }
    // The same checks as for IDX files proper (labels 0–9, counts agree).
    for (images, labels) in [(0, 1), (2, 3)] {
        let (count, _) = idx::image_data(&files[images]).map_err(|e| e.into_npz(ARRAYS[images].0))?;
        let labels_len = idx::label_data(&files[labels]).map_err(|e| e.into_npz(ARRAYS[labels].0))?.len();
        if count != labels_len {
            return Err(problem(format!(
                "{} holds {count} images but {} holds {labels_len} labels",
                ARRAYS[images].0, ARRAYS[labels].0
            )));
        }
    }
    Ok(files)
}

/// Unpacks the `mnist.npz` at `npz` into the four IDX `.gz` files in `dir`, each written
/// atomically, and returns `dir`.
pub fn unpack(npz: &Path, dir: &Path) -> Result<PathBuf, DataError> {
    let bytes = std::fs::read(npz).map_err(|source| DataError::Read { path: npz.into(), source })?;
    let files = npz_to_idx(&bytes).map_err(|e| e.in_file(npz))?;
    std::fs::create_dir_all(dir).map_err(|source| DataError::Write { path: dir.into(), source })?;
    eprintln!("unpacking {} into {}", npz.display(), dir.display());
    for ((_, name, _), content) in ARRAYS.iter().zip(&files) {
        let mut gz = GzEncoder::new(Vec::with_capacity(content.len() / 4), Compression::fast());
        gz.write_all(content)
            .and_then(|_| gz.finish())
            .and_then(|gz| write_atomic(&dir.join(name), &gz))
            .map_err(|source| DataError::Write { path: dir.join(name), source })?;
    }
    Ok(dir.to_path_buf())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl DataError {
    /// An IDX check failing on an array converted from the npz.
    fn into_npz(self, member: &str) -> Self {
        match self {
            DataError::Idx { problem: what, .. } => problem(format!("{member}: {what}")),
            other => other,
        }
    }

    fn in_member(self, member: &str) -> Self {
        match self {
            DataError::Npz { problem, file } => DataError::Npz { file, problem: format!("{member}: {problem}") },
            other => other,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    pub(crate) fn npy(shape: &[usize], data: &[u8]) -> Vec<u8> {
        let shape_text = match shape {
            [n] => format!("({n},)"),
            dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
        };
        let mut header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {shape_text}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    /// An `mnist.npz` in Keras's layout with `train`/`test` samples whose labels are `label`.
    pub(crate) fn npz(train: usize, test: usize, label: u8) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let pixels = |n: usize| (0..n * 784).map(|i| (i % 256) as u8).collect::<Vec<_>>();
        for (name, content) in [
            ("x_test.npy", npy(&[test, 28, 28], &pixels(test))),
            ("x_train.npy", npy(&[train, 28, 28], &pixels(train))),
            ("y_train.npy", npy(&[train], &vec![label; train])),
            ("y_test.npy", npy(&[test], &vec![label; test])),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(&content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn parses_numpy_headers() {
        let a = npy(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_npy_u8(&a).unwrap(), NpyBytes { shape: vec![2, 3], data: &[1, 2, 3, 4, 5, 6] });
        assert_eq!(parse_npy_u8(&npy(&[3], &[7, 8, 9])).unwrap().shape, [3]);
        let err = |b: &[u8]| parse_npy_u8(b).unwrap_err().to_string();
        assert!(err(&a[..a.len() - 1]).contains("does not match"));
        assert!(err(&a[..20]).contains("truncated"));
        assert!(err(b"PK\x03\x04").contains("bad magic"));
        // Same-length edits of the header text.
        let edit = |from: &[u8], to: &[u8]| {
            let mut b = a.clone();
            let at = b.windows(from.len()).position(|w| w == from).unwrap();
            b[at..at + to.len()].copy_from_slice(to);
            b
        };
        assert!(err(&edit(b"|u1", b"<i8")).contains("'<i8'"));
        assert!(err(&edit(b"False", b"True ")).contains("C order"));
        assert!(err(&edit(b"(2, 3)", b"(2, x)")).contains("bad shape"));
        assert!(err(&edit(b"\x01\x00", b"\x07\x00")).contains("version 7"));
    }

    #[test]
    fn unpacks_a_keras_style_archive_into_idx_files() {
        let files = npz_to_idx(&npz(5, 3, 4)).unwrap();
        let images = idx::image_data(&files[0]).unwrap();
        assert_eq!((images.0, images.1.len()), (5, 5 * 784));
        assert_eq!(idx::label_data(&files[3]).unwrap(), [4, 4, 4]);

        let dir = std::env::temp_dir().join(format!("ffn-npz-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MNIST_NPZ), npz(5, 3, 4)).unwrap();
        let out = unpack(&dir.join(MNIST_NPZ), &dir.join("mnist")).unwrap();
        let test_labels = idx::label_data(&super::super::read_gz(&out.join(TEST_LABELS)).unwrap()).unwrap().to_vec();
        assert_eq!(test_labels, [4, 4, 4]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_damaged_archives() {
        let err = |b: &[u8]| npz_to_idx(b).unwrap_err().to_string();
        assert!(err(b"not a zip").contains("not a zip archive"));
        let good = npz(5, 3, 4);
        assert!(err(&good[..good.len() / 2]).contains("mnist.npz"));
        assert!(err(&npz(5, 3, 10)).contains("not a class 0–9"));
    }
}
