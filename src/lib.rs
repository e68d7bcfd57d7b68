//! The `ffn` workspace package: it owns the workspace-level integration tests
//! (`tests/`) and criterion benches (`benches/`), and re-exports the crates.
pub use ffn_core as core;
pub use ffn_infer_embedded as infer_embedded;
pub use ffn_trainer as trainer;
