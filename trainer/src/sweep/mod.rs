//! Hyper-parameter sweeps: a wandb sweep YAML (grid / random / bayes, hyperband
//! early termination) run locally with N parallel `train` processes,
//! resumable, with a live table and a final summary. The same YAML runs
//! unchanged under `wandb sweep` + `wandb agent` ([`agent`] builds the same
//! argument lists the agent does).
//!
//! One file per job: [`config`] reads the YAML, [`space`] draws values,
//! [`search`] picks the next configuration ([`tpe`] for bayes),
//! [`hyperband`] decides early stops, [`runner`] runs `train`, [`state`]
//! persists progress, [`table`] and [`summary`] show it, [`export`] copies a
//! compact result folder.

pub mod agent;
pub mod config;
pub mod error;
pub mod export;
pub mod hyperband;
pub mod locate;
pub mod names;
pub mod runner;
pub mod search;
pub mod space;
pub mod state;
pub mod summary;
pub mod table;
pub mod tpe;
pub mod value;

pub use config::SweepConfig;
pub use error::SweepError;
