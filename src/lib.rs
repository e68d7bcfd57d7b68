//! The `ffn` workspace package: it owns the workspace-level criterion benches
//! (`benches/`) and re-exports the crates (the tests sit beside the binaries,
//! in `trainer/tests/`).
pub use ffn_core as core;
pub use ffn_infer_embedded as infer_embedded;
pub use ffn_trainer as trainer;
