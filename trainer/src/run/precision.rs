//! `--precision`: whether the training step's products round their operands
//! to bf16, and which bf16 kernel level a run multiplies with (recorded in
//! `config.json`, kept by `--resume`).

use crate::config::TrainConfig;
use ffn_core::kernels::bf16;

/// `--precision`: the element type of the training step's matrix products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    Bf16,
}

impl Precision {
    pub const ALL: [Precision; 2] = [Precision::F32, Precision::Bf16];

    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Precision::F32 => "every product in f32",
            Precision::Bf16 => {
                "products of bf16 operands summed in f32; weights, optimizer, loss and evaluation stay f32"
            }
        }
    }
}

/// The bf16 kernels of a `--precision bf16` run, recorded in
/// `config.bf16_level`: the best level this CPU allows or, when resuming,
/// the level the run started with (lowered to what this CPU allows, with a
/// note that the bits then differ from an uninterrupted run's).
pub fn bf16_kernels(config: &mut TrainConfig) -> (Option<bf16::Kernels>, Option<String>) {
    if config.precision != Precision::Bf16 {
        config.bf16_level = None;
        return (None, None);
    }
    let recorded =
        config.bf16_level.as_deref().and_then(|name| bf16::Level::ALL.into_iter().find(|l| l.name() == name));
    let kernels = recorded.map_or_else(bf16::Kernels::detect, bf16::Kernels::force);
    let note = recorded.filter(|&l| l != kernels.level()).map(|l| {
        format!(
            "note: this run started with bf16 level {} but this CPU allows only {}: its bits will differ from an \
             uninterrupted run's",
            l.name(),
            kernels.level().name()
        )
    });
    config.bf16_level = Some(kernels.level().name().into());
    (Some(kernels), note)
}
