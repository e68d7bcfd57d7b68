//! Accuracy of a model over labelled samples, through `ffn-infer-embedded`
//! (or any other classifier of one sample, such as the float reference).

use super::HostModel;
use crate::data;
use crate::data::info::Preprocessing;
use ffn_infer_embedded::InputSlice;

/// Sample values in the units of the data file, as the device is fed them.
#[derive(Clone, Debug)]
pub enum Values {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

/// Labelled samples of `inputs` values each.
#[derive(Clone, Debug)]
pub struct Samples {
    pub inputs: usize,
    pub values: Values,
    pub labels: Vec<u32>,
}

impl Samples {
    /// A split's samples in the units of its data file: the bytes of 8-bit
    /// data; float data (which the split holds preprocessed, as the network
    /// reads it) mapped back through `preprocessing`.
    pub fn from_split(split: &data::Split, preprocessing: &Preprocessing) -> Self {
        let inputs = split.width();
        let values = match split.values() {
            data::Values::Bytes(bytes) => Values::U8(bytes.clone()),
            data::Values::Floats(floats) => Values::F32(match preprocessing {
                Preprocessing::Identity => floats.clone(),
                Preprocessing::Divide { divisor } => floats.iter().map(|x| x * divisor).collect(),
                Preprocessing::Standardize { mean, std } | Preprocessing::StandardizeBytes { mean, std } => {
                    floats.iter().enumerate().map(|(k, x)| x * std[k % inputs] + mean[k % inputs]).collect()
                }
            }),
        };
        Samples { inputs, values, labels: split.labels.clone() }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Sample `i`'s values.
    pub fn sample(&self, i: usize) -> InputSlice<'_> {
        let range = i * self.inputs..(i + 1) * self.inputs;
        match &self.values {
            Values::U8(v) => InputSlice::U8(&v[range]),
            Values::F32(v) => InputSlice::F32(&v[range]),
        }
    }

    /// The first `count` samples' values as f32, in the data's units.
    pub fn as_f32(&self, count: usize) -> Vec<f32> {
        let len = count.min(self.len()) * self.inputs;
        match &self.values {
            Values::U8(v) => v[..len].iter().map(|&x| x as f32).collect(),
            Values::F32(v) => v[..len].to_vec(),
        }
    }
}

/// The class `classify` gives every sample, the samples split over the available cores.
pub fn classify_all(
    samples: &Samples,
    classify: impl Fn(InputSlice<'_>) -> Option<usize> + Sync,
) -> Vec<Option<usize>> {
    let count = samples.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(count.div_ceil(256)).max(1);
    let per_thread = count.div_ceil(threads).max(1);
    let mut classes = vec![None; count];
    std::thread::scope(|scope| {
        for (part, out) in classes.chunks_mut(per_thread).enumerate() {
            let classify = &classify;
            scope.spawn(move || {
                for (k, class) in out.iter_mut().enumerate() {
                    *class = classify(samples.sample(part * per_thread + k));
                }
            });
        }
    });
    classes
}

/// Share of samples `classify` gets right, in percent (a sample it cannot classify counts as wrong).
pub fn accuracy_with(samples: &Samples, classify: impl Fn(InputSlice<'_>) -> Option<usize> + Sync) -> f64 {
    let predicted = classify_all(samples, classify);
    let correct = predicted.iter().zip(&samples.labels).filter(|(p, l)| **p == Some(**l as usize)).count();
    100.0 * correct as f64 / samples.len().max(1) as f64
}

/// The device's accuracy: the model run through `ffn-infer-embedded`.
pub fn accuracy_percent(model: &HostModel<'_>, samples: &Samples) -> f64 {
    let scratch_bytes = model.scratch_bytes();
    accuracy_with(samples, |input| {
        let mut scratch = vec![0u32; scratch_bytes.div_ceil(4)];
        model.predict_slice(input, bytemuck::cast_slice_mut(&mut scratch), &mut []).ok()
    })
}
