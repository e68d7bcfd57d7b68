//! Writers of the formats own data comes in (written here by hand, independently of
//! the readers under test), and real MNIST digits to fill them with.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use ffn_trainer::data::{self, DataSource, Dataset, FileSource, LoadOptions};

pub fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// The first `n` images (n × 784 bytes) and labels of MNIST's test set.
pub fn mnist_digits(n: usize) -> (Vec<u8>, Vec<u8>) {
    let dir = shared_data().join("mnist");
    let images = data::parse_idx_images(&data::read_gz(&dir.join(data::TEST_IMAGES)).unwrap()).unwrap();
    let labels = data::parse_idx_labels(&data::read_gz(&dir.join(data::TEST_LABELS)).unwrap()).unwrap();
    (images.pixels[..n * 784].to_vec(), labels[..n].to_vec())
}

/// A `.npy` file: dtype `descr` (e.g. `<f4`), `shape`, and raw data in that dtype.
pub fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let shape_text = match shape {
        [n] => format!("({n},)"),
        dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
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

pub fn le_f32(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn le_i64(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A `.npz` archive of `members` (name without `.npy`, `.npy` bytes).
pub fn npz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(format!("{name}.npy"), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// An IDX file: element type `code`, `shape`, raw big-endian data.
pub fn idx(code: u8, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, code, shape.len() as u8];
    shape.iter().for_each(|&d| out.extend((d as u32).to_be_bytes()));
    out.extend(data);
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Grey `width`×`height` images as `root/<label>/<index>.png`.
pub fn png_folder(root: &Path, pixels: &[u8], labels: &[String], width: u32, height: u32) {
    let len = (width * height) as usize;
    for (i, (image, label)) in pixels.chunks_exact(len).zip(labels).enumerate() {
        let dir = root.join(label);
        std::fs::create_dir_all(&dir).unwrap();
        let image = image::GrayImage::from_raw(width, height, image.to_vec()).unwrap();
        image.save(dir.join(format!("{i:05}.png"))).unwrap();
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Loads `source` with seed `seed` (validation 10 %, as `train` does).
pub fn load(source: FileSource, seed: u64) -> Result<Dataset, String> {
    let opts = LoadOptions { seed, allow_download: false, ..LoadOptions::default() };
    data::load_source(&DataSource::Files(source), &opts).map_err(|e| e.to_string())
}

/// `data` with its own file as the test set: the test split is then every sample in file order.
pub fn with_itself_as_test(data: &Path) -> FileSource {
    let mut source = FileSource::new(data);
    source.test_data = Some(data.to_path_buf());
    source
}

/// A CSV of `pixels` (784 per row) with a header `p0,…,p783,label` and `labels`.
pub fn digits_csv(pixels: &[u8], labels: &[String]) -> String {
    let mut text: String = (0..784).map(|j| format!("p{j},")).collect();
    text.push_str("label\n");
    for (row, label) in pixels.chunks_exact(784).zip(labels) {
        row.iter().for_each(|p| text.push_str(&format!("{p},")));
        text.push_str(label);
        text.push('\n');
    }
    text
}
