//! What a model will cost on each Cortex-M core the firmware runs on
//! (`infer-embedded/firmware/boards.sh`), before anything is flashed: the
//! whole image of the minimal firmware that embeds it (vector table, code,
//! read-only data and `.data`'s initial values, as `firmware/measure.sh`
//! counts them), its RAM (statics, peak stack, the model's scratch and one
//! input sample) and the instructions of one inference.
//!
//! A small linear cost model per core and element type: a fixed firmware
//! plus the model file for flash; a fixed part plus scratch plus the input
//! for RAM; and for instructions a constant, a cost per multiply-accumulate,
//! per output neuron (requantisation, activation), per layer and per input
//! (the input stage: none beyond a copy for `u8` images read as they are, a
//! float affine map for `f32` features).

use ffn_infer_embedded::ElementType::{self, F32, Int8};
use ffn_infer_embedded::InputType;

/// One core's costs, for one element type.
struct Costs {
    /// The QEMU board of `boards.sh` it was measured on.
    board: &'static str,
    core: &'static str,
    element: ElementType,
    /// Flash beyond the model file, for integer and for f32 input (whose
    /// conversion code the firmware then holds).
    firmware_flash: [f64; 2],
    /// RAM beyond the scratch and one input sample, for integer and for f32 input.
    firmware_ram: [f64; 2],
    /// Instructions: constant, per MAC, per output neuron, per layer, per
    /// `u8`/`i8`/`i16` input, per `f32` input.
    instructions: [f64; 6],
}

/// Fitted by `scripts/fit-estimate.py` on the QEMU runs (`-icount shift=0`: exact instruction
/// counts) that `infer-embedded/firmware/estimate-data.sh` prints for the 18 models of
/// `trainer/examples/estimate_models.rs` (16 to 784 inputs, 1 to 4 hidden layers) and six
/// exported Fashion-MNIST models (784-16-10 to 784-4×128-10, int8 fed u8 or f32, and f32); the
/// runs and the hour are in `benches/RESULTS.md` ("Footprint estimate before flashing").
/// The firmware runs f32 on the M4F only (as `measure.sh`), so only that core has f32 costs.
/// Refit when the firmware or the inference kernels change (`tests/export_estimate.rs` fails
/// then): `infer-embedded/firmware/refit-estimate.sh` does it all and prints this table.
/// The fit's largest errors on its own rows: instructions 9.1 % (int8 models fed f32 images on
/// the M0), flash 6.3 %, RAM 3.6 %.
#[rustfmt::skip]
const COSTS: [Costs; 7] = [
    // board, core, element, firmware flash and RAM (integer input, f32 input),
    // instructions: constant, per MAC, per output, per layer, per u8/i8/i16 input, per f32 input
    costs("microbit", "Cortex-M0", Int8, [31352, 35221], [1672, 1679],
        [1561.1793, 6.2917, 222.0255, -147.7456, 4.5639, 645.8908]),
    costs("lm3s6965evb", "Cortex-M3", Int8, [30991, 34929], [1538, 1599],
        [1192.2657, 4.6279, 110.2666, -200.4284, 2.3766, 420.4648]),
    costs("mps2-an386", "Cortex-M4F", Int8, [28881, 32517], [1559, 1647],
        [-527.0762, 2.2597, 102.6722, 742.1195, -0.8539, 50.4108]),
    costs("mps2-an500", "Cortex-M7", Int8, [28881, 32517], [1559, 1647],
        [-527.0762, 2.2597, 102.6722, 742.1195, -0.8539, 50.4108]),
    costs("mps2-an505", "Cortex-M33", Int8, [30553, 34867], [1541, 1643],
        [-532.9138, 2.1296, 105.0455, 746.6475, -0.9109, 44.1441]),
    costs("mps3-an547", "Cortex-M55", Int8, [30553, 34867], [1541, 1643],
        [-529.8056, 2.1297, 105.0313, 744.7759, -0.9150, 44.1584]),
    costs("mps2-an386", "Cortex-M4F", F32, [30596, 31415], [1597, 1646],
        [276.7808, 4.2467, 57.6164, 206.1524, 17.7127, 4.8677]),
];

const fn costs(
    board: &'static str,
    core: &'static str,
    element: ElementType,
    firmware_flash: [u32; 2],
    firmware_ram: [u32; 2],
    instructions: [f64; 6],
) -> Costs {
    Costs {
        board,
        core,
        element,
        firmware_flash: [firmware_flash[0] as f64, firmware_flash[1] as f64],
        firmware_ram: [firmware_ram[0] as f64, firmware_ram[1] as f64],
        instructions,
    }
}

/// What one core is predicted to need.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub core: &'static str,
    /// The QEMU board the prediction was fitted on.
    pub board: &'static str,
    pub element: ElementType,
    pub flash: usize,
    pub ram: usize,
    pub instructions: usize,
}

/// The predictions for a model of layer `sizes` fed `input_type`, whose file is
/// `model_bytes` long and needs `scratch_bytes` of scratch for that input type:
/// one per core that runs `element`.
pub fn estimates(
    sizes: &[usize],
    input_type: InputType,
    element: ElementType,
    model_bytes: usize,
    scratch_bytes: usize,
) -> Vec<Estimate> {
    let inputs = sizes.first().copied().unwrap_or(0);
    let macs: usize = sizes.windows(2).map(|w| w[0] * w[1]).sum();
    let outputs: usize = sizes.iter().skip(1).sum();
    let layers = sizes.len().saturating_sub(1);
    let float = input_type == InputType::F32;
    let (integer_inputs, float_inputs) = if float { (0, inputs) } else { (inputs, 0) };
    let features = [1, macs, outputs, layers, integer_inputs, float_inputs];
    COSTS
        .iter()
        .filter(|c| c.element == element)
        .map(|c| {
            let instructions: f64 = c.instructions.iter().zip(features).map(|(k, n)| k * n as f64).sum();
            Estimate {
                core: c.core,
                board: c.board,
                element,
                flash: (c.firmware_flash[float as usize] + model_bytes as f64).round() as usize,
                ram: (c.firmware_ram[float as usize] + (scratch_bytes + inputs * input_type.size()) as f64).round()
                    as usize,
                instructions: instructions.max(0.0).round() as usize,
            }
        })
        .collect()
}
