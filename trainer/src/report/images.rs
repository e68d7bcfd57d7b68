//! Test-set images for the report (class samples, confused examples), read
//! straight from the two test IDX files, and their PNG encoding.

use crate::data::{self, DatasetName, IMAGE_LEN, SearchPaths};
use base64::Engine;
use std::path::{Path, PathBuf};

/// The test split of one dataset as raw bytes (0 = background).
#[derive(Clone, Debug)]
pub struct TestSet {
    pub name: DatasetName,
    pub source: PathBuf,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl TestSet {
    /// Looks the dataset up where `train` does (`--data_dir`, `FFN_DATA_DIR`,
    /// `../shared/data`, …) without downloading: a report never goes online.
    pub fn load(name: DatasetName, data_dir: Option<&Path>) -> Result<TestSet, String> {
        let dir = SearchPaths::from_env(data_dir).locate(name).map_err(|e| e.to_string())?;
        let images = data::parse_idx_images(&data::read_gz(&dir.join(data::TEST_IMAGES)).map_err(|e| e.to_string())?)
            .map_err(|e| e.in_file(&dir.join(data::TEST_IMAGES)).to_string())?;
        let labels = data::parse_idx_labels(&data::read_gz(&dir.join(data::TEST_LABELS)).map_err(|e| e.to_string())?)
            .map_err(|e| e.in_file(&dir.join(data::TEST_LABELS)).to_string())?;
        if images.count != labels.len() || images.rows * images.cols != IMAGE_LEN {
            return Err(format!("{}: the test images and labels do not match", dir.display()));
        }
        Ok(TestSet { name, source: dir, pixels: images.pixels, labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, index: usize) -> Option<&[u8]> {
        self.pixels.get(index * IMAGE_LEN..(index + 1) * IMAGE_LEN)
    }

    /// The first test image of each class (the same every time, unlike a random pick).
    pub fn first_of_each_class(&self) -> Vec<Option<usize>> {
        let mut first = vec![None; 10];
        for (i, &label) in self.labels.iter().enumerate() {
            if let Some(slot @ None) = first.get_mut(label as usize) {
                *slot = Some(i);
            }
        }
        first
    }
}

/// An 8-bit greyscale PNG of `width`×`height` pixels.
pub fn png_gray(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    // Writing into a Vec cannot fail for a correctly sized buffer.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(pixels);
    }
    out
}

pub fn data_uri(png: &[u8]) -> String {
    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png))
}

/// One 28×28 image as a PNG data URI.
pub fn image_uri(pixels: &[u8]) -> String {
    data_uri(&png_gray(pixels, 28, 28))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_decodable_png() {
        let pixels: Vec<u8> = (0..IMAGE_LEN).map(|i| (i % 256) as u8).collect();
        let bytes = png_gray(&pixels, 28, 28);
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (28, 28));
        assert_eq!(&buf[..IMAGE_LEN], &pixels[..]);
        assert!(image_uri(&pixels).starts_with("data:image/png;base64,iVBORw0KGgo"));
    }

    #[test]
    fn reads_the_real_test_set() {
        let Ok(test) = TestSet::load(DatasetName::FashionMnist, None) else {
            assert!(std::env::var_os("CI").is_none(), "Fashion-MNIST must be present in CI");
            eprintln!("skipped: Fashion-MNIST not found");
            return;
        };
        assert_eq!(test.len(), 10_000);
        let first = test.first_of_each_class();
        assert!(first.iter().all(Option::is_some));
        // The first test image of Fashion-MNIST is an ankle boot (label 9).
        assert_eq!(first[9], Some(0));
        assert!(test.image(9_999).is_some() && test.image(10_000).is_none());
    }
}
