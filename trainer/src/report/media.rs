//! The report's images and tables in forms other writers can log (e.g. as
//! wandb media): the class-sample grid as a PNG and the confusion matrix as
//! a wandb-style table (`{"_type": "table", "columns", "data"}`).

use super::images::{TestSet, png_gray};
use crate::run::metrics::Confusion;
use serde_json::{Value, json};

/// Pixels between two samples in the grid.
const GAP: usize = 2;

/// One sample per class side by side (first test image of each class), 8-bit
/// greyscale PNG (colour images contribute their first channel).
pub fn sample_grid_png(test: &TestSet) -> Vec<u8> {
    let (rows, cols, channels) = (test.shape.height, test.shape.width, test.shape.channels.max(1));
    let samples = test.first_of_each_class();
    let width = (samples.len() * (cols + GAP)).saturating_sub(GAP);
    let mut pixels = vec![0u8; width * rows];
    for (k, index) in samples.iter().enumerate() {
        let Some(image) = index.and_then(|i| test.image(i)) else { continue };
        for row in 0..rows {
            let at = row * width + k * (cols + GAP);
            for col in 0..cols {
                pixels[at + col] = image[(row * cols + col) * channels];
            }
        }
    }
    png_gray(&pixels, width as u32, rows as u32)
}

/// The confusion matrix as a long table: one row per (actual, predicted) cell.
pub fn confusion_table(c: &Confusion) -> Value {
    let mut data = Vec::new();
    for (i, row) in c.matrix.iter().enumerate() {
        for (j, n) in row.iter().enumerate() {
            data.push(json!([c.classes[i], c.classes[j], n]));
        }
    }
    json!({"_type": "table", "columns": ["Actual", "Predicted", "nPredictions"], "data": data})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_table_has_a_row_per_cell() {
        let mut c = Confusion::new(&["a", "b"]);
        c.matrix = vec![vec![3, 1], vec![0, 4]];
        let t = confusion_table(&c);
        assert_eq!(t["data"].as_array().unwrap().len(), 4);
        assert_eq!(t["data"][1], json!(["a", "b", 1]));
    }

    #[test]
    fn sample_grid_holds_each_class_sample() {
        let labels: Vec<u32> = (0..10).rev().collect();
        let pixels: Vec<u8> = (0..10).flat_map(|k| std::iter::repeat_n(k as u8 * 10, 28 * 28)).collect();
        let test = TestSet {
            classes: (0..10).map(|k| k.to_string()).collect(),
            source: Default::default(),
            shape: crate::data::info::ImageShape { height: 28, width: 28, channels: 1 },
            pixels,
            labels,
        };
        let png = sample_grid_png(&test);
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width as usize, info.height as usize), (10 * 30 - 2, 28));
        // Class 0 is the last image (index 9, value 90); it goes first.
        assert_eq!(buf[0], 90);
        assert_eq!(buf[30], 80);
    }
}
