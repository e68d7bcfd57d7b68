//! The std side of ffn: data loading, the training loop, wandb offline runs,
//! sweeps, reports and model export, and the commands that run them
//! ([`commands`]); the binaries in `src/bin` (`ffn`, `train`) are thin.

pub mod atomic;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod export;
pub mod flags;
pub mod huge_pages;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod sweep;
pub mod wandb;
