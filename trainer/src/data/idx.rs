//! IDX parsing (LeCun's format: big-endian header, then u8 data). Every header field
//! is checked against the bytes that are really there before anything is sliced,
//! so no input can make these functions panic or allocate more than the input's size.

use super::DataError;

/// 0x00000803: unsigned bytes, three dimensions (count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// 0x00000801: unsigned bytes, one dimension (count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
pub const ROWS: usize = 28;
pub const COLS: usize = 28;
/// Pixels per image.
pub const IMAGE_LEN: usize = ROWS * COLS;
pub const CLASSES: usize = 10;

/// The four gzipped IDX files of a dataset (found by `locate`, also unpacked from `mnist.npz`).
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte.gz";
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte.gz";
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte.gz";
/// The four files a dataset folder must hold to count.
pub const FILES: [&str; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// The content of an IDX image file: `count` images of `rows`×`cols` bytes, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

fn problem(problem: impl Into<String>) -> DataError {
    DataError::Idx { file: "IDX data".into(), problem: problem.into() }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn describe_magic(magic: u32) -> String {
    match magic {
        IMAGES_MAGIC => "0x00000803 (an image file)".into(),
        LABELS_MAGIC => "0x00000801 (a label file)".into(),
        m if m >> 16 != 0 => format!("{m:#010x} (not an IDX file: is it still compressed?)"),
        m => format!("{m:#010x} (element type {:#04x}, {} dimensions)", (m >> 8) & 0xff, m & 0xff),
    }
}

/// The header of an IDX file: its dimensions and the data length they announce.
pub(crate) struct Header {
    pub dims: Vec<usize>,
    pub len: usize,
    /// In u64, saturating: a header announcing 2^32 × 2^32 × 2^32 bytes is just "truncated".
    pub data_len: u64,
}

/// Checks the magic and the dimensions (with `check_dims`, before any length check, whose
/// error would otherwise hide the real problem). `bytes` may hold more than the header.
fn parse_header(
    bytes: &[u8],
    magic: u32,
    what: &str,
    check_dims: fn(&[usize]) -> Result<(), DataError>,
) -> Result<Header, DataError> {
    let found = be_u32(bytes, 0).ok_or_else(|| {
        problem(format!("{} bytes is too short for an IDX {what} file (the header alone is longer)", bytes.len()))
    })?;
    if found != magic {
        return Err(problem(format!(
            "wrong magic number {} where an IDX {what} file has {}",
            describe_magic(found),
            describe_magic(magic)
        )));
    }
    let ndims = (magic & 0xff) as usize;
    let len = 4 + 4 * ndims;
    let dims: Vec<usize> = (0..ndims)
        .map(|d| be_u32(bytes, 4 + 4 * d).map(|v| v as usize))
        .collect::<Option<_>>()
        .ok_or_else(|| problem(format!("truncated header: {} bytes, an IDX {what} header has {len}", bytes.len())))?;
    check_dims(&dims)?;
    let data_len = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64)).unwrap_or(u64::MAX);
    Ok(Header { dims, len, data_len })
}

impl Header {
    /// Checks that `actual` data bytes follow the header, as it announces.
    pub(crate) fn check_data_len(&self, actual: u64) -> Result<(), DataError> {
        let (dims, data_len) = (dims_text(&self.dims), self.data_len);
        if actual < data_len {
            return Err(problem(format!(
                "truncated: the header announces {dims} with {data_len} data bytes but only {actual} follow"
            )));
        }
        if actual > data_len {
            let extra = actual - data_len;
            return Err(problem(format!(
                "{extra} unexpected trailing bytes after the {data_len} data bytes of {dims}"
            )));
        }
        Ok(())
    }
}

/// [`parse_header`] and the length check; returns the dimensions and the data.
fn split_header<'a>(
    bytes: &'a [u8],
    magic: u32,
    what: &str,
    check_dims: fn(&[usize]) -> Result<(), DataError>,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let header = parse_header(bytes, magic, what, check_dims)?;
    header.check_data_len((bytes.len() - header.len) as u64)?;
    Ok((header.dims, &bytes[header.len..]))
}

fn dims_text(dims: &[usize]) -> String {
    dims.iter().map(usize::to_string).collect::<Vec<_>>().join("×")
}

/// Parses a decompressed IDX image file (magic 2051) of 28×28 images.
pub fn parse_idx_images(bytes: &[u8]) -> Result<Images, DataError> {
    let (count, pixels) = image_data(bytes)?;
    Ok(Images { count, rows: ROWS, cols: COLS, pixels: pixels.to_vec() })
}

/// Parses a decompressed IDX label file (magic 2049) of labels 0–9.
pub fn parse_idx_labels(bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    label_data(bytes).map(<[u8]>::to_vec)
}

/// The checks of [`parse_idx_images`] without the copy: the image count and the pixels.
pub(crate) fn image_data(bytes: &[u8]) -> Result<(usize, &[u8]), DataError> {
    let (dims, pixels) = split_header(bytes, IMAGES_MAGIC, "image", check_image_dims)?;
    Ok((dims[0], pixels))
}

/// The header of an image file from its first [`IMAGES_HEADER_LEN`] bytes (or fewer, if the
/// file is shorter), for a reader that streams the pixels.
pub(crate) fn image_header(bytes: &[u8]) -> Result<Header, DataError> {
    parse_header(bytes, IMAGES_MAGIC, "image", check_image_dims)
}

pub(crate) const IMAGES_HEADER_LEN: usize = 16;

fn check_image_dims(dims: &[usize]) -> Result<(), DataError> {
    match dims {
        [_, ROWS, COLS] => Ok(()),
        [_, rows, cols] => {
            Err(problem(format!("images are {rows}×{cols} pixels; ffn expects {ROWS}×{COLS} (MNIST-style) images")))
        }
        _ => Err(problem("an image file needs three dimensions")),
    }
}

/// The checks of [`parse_idx_labels`] without the copy.
pub(crate) fn label_data(bytes: &[u8]) -> Result<&[u8], DataError> {
    let (_, labels) = split_header(bytes, LABELS_MAGIC, "label", |_| Ok(()))?;
    if let Some(i) = labels.iter().position(|&l| l as usize >= CLASSES) {
        return Err(problem(format!("label {} of sample {i} is not a class 0–9", labels[i])));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn image_file(count: u32, rows: u32, cols: u32) -> Vec<u8> {
        let mut b = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [count, rows, cols] {
            b.extend(d.to_be_bytes());
        }
        b.extend((0..count as usize * rows as usize * cols as usize).map(|i| (i % 251) as u8));
        b
    }

    fn label_file(labels: &[u8]) -> Vec<u8> {
        let mut b = LABELS_MAGIC.to_be_bytes().to_vec();
        b.extend((labels.len() as u32).to_be_bytes());
        b.extend(labels);
        b
    }

    fn message(r: Result<impl std::fmt::Debug, DataError>) -> String {
        r.expect_err("must be rejected").to_string()
    }

    #[test]
    fn parses_well_formed_files() {
        let images = parse_idx_images(&image_file(3, 28, 28)).unwrap();
        assert_eq!((images.count, images.rows, images.cols, images.pixels.len()), (3, 28, 28, 3 * 784));
        assert_eq!(images.pixels[250..252], [250, 0]);
        assert_eq!(parse_idx_labels(&label_file(&[0, 9, 3])).unwrap(), vec![0, 9, 3]);
        assert_eq!(parse_idx_images(&image_file(0, 28, 28)).unwrap().count, 0);
        assert!(parse_idx_labels(&label_file(&[])).unwrap().is_empty());
    }

    #[test]
    fn rejects_wrong_magic_with_a_hint() {
        let labels = label_file(&[1, 2]);
        assert!(message(parse_idx_images(&labels)).contains("a label file"));
        assert!(message(parse_idx_labels(&image_file(1, 28, 28))).contains("an image file"));
        let gz = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(message(parse_idx_images(&gz)).contains("still compressed"));
    }

    #[test]
    fn rejects_bad_lengths_and_dims() {
        let mut file = image_file(2, 28, 28);
        file.pop();
        assert!(message(parse_idx_images(&file)).contains("truncated"));
        file.extend([0, 0]);
        assert!(message(parse_idx_images(&file)).contains("trailing"));
        assert!(message(parse_idx_images(&image_file(2, 32, 32))).contains("32×32"));
        assert!(message(parse_idx_images(&image_file(1, 28, 28)[..10])).contains("truncated header"));
        assert!(message(parse_idx_labels(&[0, 0])).contains("too short"));
        let mut huge = image_file(0, 28, 28);
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(message(parse_idx_images(&huge)).contains("truncated"));
    }

    #[test]
    fn rejects_labels_outside_0_to_9() {
        assert!(message(parse_idx_labels(&label_file(&[1, 10, 2]))).contains("label 10 of sample 1"));
    }
}
