//! `--precision`: whether the training step's products round their operands
//! to bf16 (the kernel level a bf16 run uses is chosen in the set-up stage).

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
