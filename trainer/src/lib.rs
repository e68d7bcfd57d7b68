//! The std side of ffn: data loading, the training loop, wandb offline runs,
//! sweeps, reports and model export. The binaries in `src/bin` are thin.

pub mod data;
pub mod export;
pub mod report;
pub mod sweep;
pub mod wandb;
