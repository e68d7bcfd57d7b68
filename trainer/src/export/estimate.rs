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
//! (the input stage: `Direct`, 8-bit images read as they are, or `Affine`, a
//! float map per value, which `f32` inputs and standardised features take).
//! The fit's rows have direct stages with `u8` inputs and affine ones with
//! `f32` inputs only: `i8`/`i16` inputs are costed as their stage's `u8`/`f32`.

use super::HostModel;
use ffn_infer_embedded::ElementType::{self, F32, Int8};
use ffn_infer_embedded::InputStage;

/// One core's costs, for one element type.
struct Costs {
    /// The QEMU board of `boards.sh` it was measured on.
    board: &'static str,
    core: &'static str,
    element: ElementType,
    /// Flash beyond the model file, for a direct and for an affine input
    /// stage (whose code the firmware then holds).
    firmware_flash: [f64; 2],
    /// RAM beyond the scratch and one input sample, direct and affine.
    firmware_ram: [f64; 2],
    /// Instructions: constant, per MAC, per output neuron, per layer, per
    /// input read directly, per input through the affine stage.
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
    // board, core, element, firmware flash and RAM (direct input stage, affine),
    // instructions: constant, per MAC, per output, per layer, per direct input, per affine input
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

/// The predictions for a model file, one per core that runs its element type.
pub fn estimates(model_bytes: &[u8]) -> Result<Vec<Estimate>, ffn_infer_embedded::Error> {
    let model = HostModel::from_bytes(model_bytes)?;
    let sizes: Vec<usize> = model.sizes().collect();
    let (input_type, element) = (model.input_type(), model.element());
    let inputs = model.inputs();
    let macs: usize = sizes.windows(2).map(|w| w[0] * w[1]).sum();
    let outputs: usize = sizes.iter().skip(1).sum();
    let layers = sizes.len().saturating_sub(1);
    let affine = model.input_stage() == InputStage::Affine;
    let (direct_inputs, affine_inputs) = if affine { (0, inputs) } else { (inputs, 0) };
    let features = [1, macs, outputs, layers, direct_inputs, affine_inputs];
    let ram = model.scratch_bytes_for(input_type) + inputs * input_type.size();
    Ok(COSTS
        .iter()
        .filter(|c| c.element == element)
        .map(|c| {
            let instructions: f64 = c.instructions.iter().zip(features).map(|(k, n)| k * n as f64).sum();
            Estimate {
                core: c.core,
                board: c.board,
                element,
                flash: (c.firmware_flash[affine as usize] + model_bytes.len() as f64).round() as usize,
                ram: (c.firmware_ram[affine as usize] + ram as f64).round() as usize,
                instructions: instructions.max(0.0).round() as usize,
            }
        })
        .collect())
}
