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
/// counts) of the firmware with the four-rows-at-a-time int8 kernels, in the rows'
/// format of `infer-embedded/firmware/estimate-data.sh`: 16 model files of
/// `trainer/examples/estimate_models.rs` (its six shapes: 16 to 784 inputs, 1 to 4 hidden layers; int8 fed u8
/// or f32, and f32), two exported Fashion-MNIST models (784-16-10, 784-200-10) and the
/// committed 4×128 model; the runs and the hour are in `benches/RESULTS.md` ("Four rows at a
/// time"). The M7 and M55 rows are the M4F's and the M33's (the same builds, `boards.sh`:
/// QEMU counts the same instructions, flash and stack, which their measured rows confirmed).
/// The firmware runs f32 on the M4F only (as `measure.sh`), so only that core has f32 costs.
/// Refit when the firmware or the inference kernels change (`tests/export_estimate.rs` fails
/// then): `infer-embedded/firmware/refit-estimate.sh` does it all and prints this table.
/// The fit's largest errors on its own rows: instructions 5.2 % (a 400-16-16-4 int8 model on
/// the M33), flash 5.2 %, RAM 2.9 %.
#[rustfmt::skip]
const COSTS: [Costs; 7] = [
    // board, core, element, firmware flash and RAM (direct input stage, affine),
    // instructions: constant, per MAC, per output, per layer, per direct input, per affine input
    costs("microbit", "Cortex-M0", Int8, [36923, 40685], [1752, 1761],
        [1528.5826, 3.6569, 176.9047, 24.5457, 3.1738, 668.4367]),
    costs("lm3s6965evb", "Cortex-M3", Int8, [36615, 40024], [1597, 1596],
        [795.4701, 3.2616, 87.5688, 32.0079, 1.5762, 436.8358]),
    costs("mps2-an386", "Cortex-M4F", Int8, [35718, 38978], [1644, 1664],
        [-1813.6281, 1.4643, 64.1383, 1348.3935, -0.9323, 53.9468]),
    costs("mps2-an500", "Cortex-M7", Int8, [35718, 38978], [1644, 1664],
        [-1813.6281, 1.4643, 64.1383, 1348.3935, -0.9323, 53.9468]),
    costs("mps2-an505", "Cortex-M33", Int8, [37439, 41512], [1629, 1664],
        [-1881.8797, 1.4638, 63.8584, 1380.7335, -0.9816, 42.8776]),
    costs("mps3-an547", "Cortex-M55", Int8, [37439, 41512], [1629, 1664],
        [-1881.8797, 1.4638, 63.8584, 1380.7335, -0.9816, 42.8776]),
    costs("mps2-an386", "Cortex-M4F", F32, [37277, 39166], [1667, 1730],
        [220.7388, 4.2439, 56.2513, 211.6113, 16.2259, 8.4024]),
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
