//! Per-epoch metrics, the run summary and the confusion matrix, as written
//! to the run folder (`metrics.jsonl`, `summary.json`, `confusion.json`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: f64,
    pub val_accuracy: f64,
    pub learning_rate: f64,
    pub seconds: f64,
}

impl EpochMetrics {
    /// One line of `metrics.jsonl`, newline included.
    pub fn to_json_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("metrics serialise");
        line.push('\n');
        line
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// `finished`, `stopped` (early termination by a sweep), `failed` or `interrupted`.
    pub state: String,
    pub epochs_done: usize,
    pub val_accuracy: Option<f64>,
    pub best_val_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    pub test_loss: Option<f64>,
    pub wall_seconds: f64,
    pub reason: Option<String>,
    /// [`weights_digest`] of the final weights; equal digests mean bit-identical training.
    /// Absent from run folders written before it existed.
    #[serde(default)]
    pub weights_digest: Option<String>,
}

/// FNV-1a over the bits of `params`, as 16 hex digits.
pub fn weights_digest(params: &[f32]) -> String {
    let digest =
        params.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, w| (h ^ w.to_bits() as u64).wrapping_mul(0x100_0000_01b3));
    format!("{digest:016x}")
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Confusion {
    pub classes: Vec<String>,
    /// `matrix[true][predicted]` counts on the test set.
    pub matrix: Vec<Vec<u64>>,
    /// `examples[true][predicted]`: the first few test-set indices of each cell
    /// off the diagonal (so a report can show the confused images).
    pub examples: Vec<Vec<Vec<u32>>>,
}

/// Test indices kept per confusion cell.
const EXAMPLES_PER_CELL: usize = 6;

impl Confusion {
    pub fn new(classes: &[&str]) -> Self {
        let n = classes.len();
        Confusion {
            classes: classes.iter().map(|c| c.to_string()).collect(),
            matrix: vec![vec![0; n]; n],
            examples: vec![vec![Vec::new(); n]; n],
        }
    }

    /// Counts test sample `index`.
    pub fn add(&mut self, index: usize, truth: usize, predicted: usize) {
        self.matrix[truth][predicted] += 1;
        let cell = &mut self.examples[truth][predicted];
        if truth != predicted && cell.len() < EXAMPLES_PER_CELL {
            cell.push(index as u32);
        }
    }

    /// Plain-text table for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::from("confusion matrix (rows = true class, columns = predicted):\n");
        for (name, row) in self.classes.iter().zip(&self.matrix) {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:5}")).collect();
            out.push_str(&format!("{name:>12} {}\n", cells.join("")));
        }
        out
    }
}
