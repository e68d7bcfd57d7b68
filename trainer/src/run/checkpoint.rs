//! Epoch-end checkpoints: everything needed to continue a run so that it ends
//! bit-identical to an uninterrupted one. Shuffles are derived from
//! `(seed, epoch)`, so no RNG state needs saving.
//!
//! File: `FFNCKPT1` magic, CRC-32 of the payload (u32 LE), postcard payload.

use super::metrics::EpochMetrics;
use ffn_core::model::Model;
use ffn_core::optim::Optimizer;
use serde::{Deserialize, Serialize};
use std::path::Path;

const MAGIC: &[u8; 8] = b"FFNCKPT1";
pub const FILE_NAME: &str = "checkpoint.ffnck";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    pub epochs_done: usize,
    pub params: Vec<f32>,
    pub optimizer_state: Vec<f32>,
    pub optimizer_scalars: [f64; 4],
    pub optimizer_step: u64,
    pub history: Vec<EpochMetrics>,
    /// The wandb offline run being continued, if any.
    pub wandb_dir: Option<String>,
    pub wall_seconds: f64,
}

impl Checkpoint {
    /// The state of a run after `history.len()` epochs.
    pub fn capture(
        model: &Model,
        optimizer: &Optimizer,
        history: &[EpochMetrics],
        wandb_dir: Option<String>,
        wall_seconds: f64,
    ) -> Self {
        Checkpoint {
            epochs_done: history.len(),
            params: model.params.to_vec(),
            optimizer_state: optimizer.state.to_vec(),
            optimizer_scalars: optimizer.scalars,
            optimizer_step: optimizer.step,
            history: history.to_vec(),
            wandb_dir,
            wall_seconds,
        }
    }

    pub fn save(&self, run_dir: &Path) -> std::io::Result<()> {
        let payload = postcard::to_allocvec(self).map_err(std::io::Error::other)?;
        let mut bytes = Vec::with_capacity(payload.len() + 12);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        crate::atomic::write(&run_dir.join(FILE_NAME), &bytes)
    }

    pub fn load(run_dir: &Path) -> Result<Checkpoint, String> {
        let path = run_dir.join(FILE_NAME);
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no checkpoint in {}: it is not a run folder, or the run stopped before its first checkpoint \
                 (start it again without --resume)",
                run_dir.display()
            ),
            _ => format!("cannot read {}: {e}", path.display()),
        })?;
        Self::decode(&bytes).map_err(|why| format!("{} is not a usable checkpoint: {why}", path.display()))
    }

    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, &'static str> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err("wrong magic (not an ffn checkpoint)");
        }
        let crc = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        let payload = &bytes[12..];
        if crc32fast::hash(payload) != crc {
            return Err("CRC mismatch (truncated or corrupt)");
        }
        postcard::from_bytes(payload).map_err(|_| "payload does not decode")
    }
}
