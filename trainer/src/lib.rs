//! The std side of ffn: data loading, the training loop, wandb offline runs,
//! sweeps, reports and model export. The binaries in `src/bin` are thin.

pub mod atomic;
pub mod cli;
pub mod config;
pub mod data;
pub mod export;
pub mod flags;
pub mod report;
pub mod run;
pub mod sweep;
pub mod wandb;
