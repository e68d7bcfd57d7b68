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

/// `summary.json` as written: the [`Summary`] and the class names of the data
/// its scores are about (readers that need only the summary read a `Summary`).
#[derive(Serialize)]
pub struct SummaryFile<'a> {
    #[serde(flatten)]
    pub summary: &'a Summary,
    /// Class names, by class index.
    pub classes: &'a [String],
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

/// Above this many classes the console shows per-class lines, not the matrix.
pub const MAX_PRINTED_CLASSES: usize = 20;

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

    /// Plain-text table for the terminal: the matrix up to [`MAX_PRINTED_CLASSES`]
    /// classes, else each class's recall and its most frequent confusion.
    pub fn to_text(&self) -> String {
        let total = |row: &[u64]| row.iter().sum::<u64>();
        let name_width = self.classes.iter().map(|c| c.chars().count()).max().unwrap_or(0).clamp(12, 24);
        let short = |c: &str| -> String {
            if c.chars().count() <= name_width {
                c.to_string()
            } else {
                c.chars().take(name_width - 1).chain(['…']).collect()
            }
        };
        if self.classes.len() > MAX_PRINTED_CLASSES {
            let mut out = format!(
                "per class ({} classes; the whole matrix is in confusion.json): recall, most often taken for\n",
                self.classes.len()
            );
            for (t, (name, row)) in self.classes.iter().zip(&self.matrix).enumerate() {
                let recall = row[t] as f64 / total(row).max(1) as f64;
                let worst = (0..row.len()).filter(|&p| p != t && row[p] > 0).max_by_key(|&p| (row[p], usize::MAX - p));
                let worst = worst.map_or(String::new(), |p| format!("  {} ({})", short(&self.classes[p]), row[p]));
                out.push_str(&format!("{:>name_width$} {:6.2}%{worst}\n", short(name), 100.0 * recall));
            }
            return out;
        }
        let cell = self.matrix.iter().flatten().max().map_or(1, |m| m.to_string().len()).max(4) + 1;
        let mut out = String::from("confusion matrix (rows = true class, columns = predicted):\n");
        for (name, row) in self.classes.iter().zip(&self.matrix) {
            let cells: String = row.iter().map(|c| format!("{c:>cell$}")).collect();
            out.push_str(&format!("{:>name_width$} {cells}\n", short(name)));
        }
        out
    }
}
