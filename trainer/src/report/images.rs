//! Test-set images for the report (class samples, confused examples): the
//! built-in datasets' test IDX files, or the test split of a run's own image
//! data (an image folder, IDX files, arrays of 2-D samples), and their PNG encoding.

use super::runs::Run;
use crate::config::TrainConfig;
use crate::data::info::{ImageShape, Preprocessing};
use crate::data::{self, DataSource, DatasetName, FileSource, IMAGE_LEN, SearchPaths, Values};
use base64::Engine;
use std::path::{Path, PathBuf};

/// The test split of one dataset as 8-bit pixels (rows, then columns, then channels).
#[derive(Clone, Debug)]
pub struct TestSet {
    /// Class names, by class index.
    pub classes: Vec<String>,
    /// Where the images were read from.
    pub source: PathBuf,
    pub shape: ImageShape,
    pub pixels: Vec<u8>,
    pub labels: Vec<u32>,
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
        Ok(TestSet {
            classes: name.class_names().iter().map(|c| c.to_string()).collect(),
            source: dir,
            shape: ImageShape { height: images.rows, width: images.cols, channels: 1 },
            pixels: images.pixels,
            labels: labels.into_iter().map(u32::from).collect(),
        })
    }

    /// The test split of a run's own image data, read and split as `train`
    /// did from the flags in its `config.json`. Relative paths are tried from
    /// the current folder, then from each folder above the run folder (where
    /// `train` or `sweep` most likely ran).
    pub fn of_run(run: &Run) -> Result<TestSet, String> {
        let shape = run.data.as_ref().and_then(|d| d.image).ok_or("not image data")?;
        let text = std::fs::read_to_string(run.dir.join("config.json")).map_err(|e| e.to_string())?;
        let config: TrainConfig =
            serde_json::from_str(&text).map_err(|e| format!("its config.json is not a run configuration: {e}"))?;
        let DataSource::Files(mut files) = config.source()? else { return Err("not own data".into()) };
        if files.data.is_relative()
            && !files.data.exists()
            && let Some(base) = run.dir.ancestors().skip(1).find(|base| base.join(&files.data).exists())
        {
            rebase(&mut files, base);
        }
        let mut load = config.load_options();
        load.allow_download = false;
        let data = data::load_source(&DataSource::Files(files), &load).map_err(|e| {
            format!("{e} (paths in config.json are relative to the folder train ran in: run the report there)")
        })?;
        if data.test.width() != shape.len() {
            return Err(format!(
                "the data now holds {} values per sample, the run had {}",
                data.test.width(),
                shape.len()
            ));
        }
        let pixels = match data.test.values() {
            Values::Bytes(bytes) => bytes.clone(),
            Values::Floats(values) => {
                // Back to the file's units: standardised per pixel, an image is hard to read.
                let raw: Vec<f32> = match &data.info.preprocessing {
                    Preprocessing::Standardize { mean, std }
                        if mean.len() == shape.len() && std.len() == shape.len() =>
                    {
                        let per_pixel = mean.iter().zip(std).cycle();
                        values.iter().zip(per_pixel).map(|(v, (m, s))| v * s + m).collect()
                    }
                    _ => values.clone(),
                };
                raw.chunks(shape.len().max(1)).flat_map(stretch).collect()
            }
        };
        Ok(TestSet { classes: data.info.classes, source: data.source, shape, pixels, labels: data.test.labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let n = self.shape.len();
        self.pixels.get(index * n..(index + 1) * n)
    }

    /// The first test image of each class (the same every time, unlike a random pick).
    pub fn first_of_each_class(&self) -> Vec<Option<usize>> {
        let mut first = vec![None; self.classes.len()];
        for (i, &label) in self.labels.iter().enumerate() {
            if let Some(slot @ None) = first.get_mut(label as usize) {
                *slot = Some(i);
            }
        }
        first
    }

    /// Image `index` as a PNG data URI.
    pub fn image_uri(&self, index: usize) -> Option<String> {
        let s = self.shape;
        let pixels = self.image(index)?;
        Some(data_uri(&encode_png(pixels, s.width as u32, s.height as u32, s.channels == 3)))
    }
}

/// Relative paths of `files` taken from `base`.
fn rebase(files: &mut FileSource, base: &Path) {
    let on = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    on(&mut files.data);
    [&mut files.labels, &mut files.test_data, &mut files.test_labels].into_iter().flatten().for_each(on);
}

/// A float sample as grey levels, its smallest value black and its largest white.
fn stretch(values: &[f32]) -> Vec<u8> {
    let (lo, hi) = values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let range = if hi > lo { hi - lo } else { 1.0 };
    values.iter().map(|&v| ((v - lo) / range * 255.0).round().clamp(0.0, 255.0) as u8).collect()
}

/// An 8-bit greyscale PNG of `width`×`height` pixels.
pub fn png_gray(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    encode_png(pixels, width, height, false)
}

/// An 8-bit PNG of `width`×`height` pixels, grey or RGB.
fn encode_png(pixels: &[u8], width: u32, height: u32, rgb: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(if rgb { png::ColorType::Rgb } else { png::ColorType::Grayscale });
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
        assert_eq!(test.classes[9], "Ankle boot");
    }
}
