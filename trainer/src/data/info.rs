//! What a trained model needs to know about its data to be used without its
//! run folder: the input width, how raw values become the network's inputs,
//! the class names and where the data came from. `train` writes it to
//! `data.json` in the run folder; `export` copies it into the model file,
//! and `predict` and the device apply it.

use serde::{Deserialize, Serialize};

/// File name of [`DataInfo`] in a run folder.
pub const DATA_INFO_FILE: &str = "data.json";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DataInfo {
    /// Values per sample: the model's input width.
    pub input_len: usize,
    /// How a raw value (in the units of the data file) becomes a network input.
    pub preprocessing: Preprocessing,
    /// Image data: the shape each sample was read (or resized) to.
    pub image: Option<ImageShape>,
    /// Class names, by class index (what the model's outputs mean).
    pub classes: Vec<String>,
    /// Column names of tabular data (empty for images and headerless files).
    #[serde(default)]
    pub feature_names: Vec<String>,
    /// Where the data came from: a dataset name (`fashion_mnist`) or the file names.
    pub source: String,
}

/// How raw values become network inputs, feature by feature.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preprocessing {
    /// 8-bit images: `x / divisor` (255: grey levels to [0, 1]).
    Divide { divisor: f32 },
    /// Tables: `(x − mean[i]) / std[i]` with the training split's statistics
    /// (a constant column has `std` 1, so it becomes 0).
    Standardize { mean: Vec<f32>, std: Vec<f32> },
    /// 8-bit data under `--pixel_scaling standardize`: `(byte − mean[i]) / std[i]`
    /// with the training split's statistics in grey levels (`std` at least
    /// [`super::pixels::MIN_STD`]). The network reads bytes, as with `Divide`.
    StandardizeBytes { mean: Vec<f32>, std: Vec<f32> },
    /// Values are used as they are.
    Identity,
}

/// Height × width × channels of image samples (row-major, channels last).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageShape {
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

impl ImageShape {
    pub fn len(&self) -> usize {
        self.height * self.width * self.channels
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DataInfo {
    /// MNIST and Fashion-MNIST: 28×28 grey levels divided by 255, ten named classes.
    pub fn for_dataset(name: super::DatasetName) -> Self {
        let image = ImageShape { height: 28, width: 28, channels: 1 };
        DataInfo {
            input_len: image.len(),
            preprocessing: Preprocessing::Divide { divisor: 255.0 },
            image: Some(image),
            classes: name.class_names().iter().map(|c| c.to_string()).collect(),
            feature_names: Vec::new(),
            source: name.name().to_string(),
        }
    }
}
