//! `ffn export RUN_DIR|MODEL.ffn [--int8 OUT] [--f32 OUT]`: quantise a trained model
//! to int8 and print flash, RAM and test accuracy of f32 and int8 side by side, what they
//! will cost on each Cortex-M core, and whether they fit the boards (`--board NAME`: one).

use crate::data::DatasetName;
use crate::export::boards::{self, Board};
use crate::export::quantize::Calibration;
use crate::export::run::{ExportOptions, run};
use clap::Parser;
use ffn_infer_embedded::InputType;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "export", version, about = "Quantise a trained ffn model to int8 and compare it with f32")]
pub struct Args {
    /// A run folder (holding model.ffn, as `train` writes it) or a model file.
    input: PathBuf,
    /// Write the int8 model here (default when neither --int8 nor --f32 is given: model.int8.ffn beside the input).
    #[arg(long)]
    int8: Option<PathBuf>,
    /// Write the f32 model here.
    #[arg(long = "f32")]
    f32_out: Option<PathBuf>,
    /// The element type the device is fed: u8, i8, i16 or f32 (default: the model's; u8 for 8-bit images, f32 for tables).
    #[arg(long = "input_type", visible_alias = "input-type", value_parser = parse_input_type)]
    input_type: Option<InputType>,
    /// Dataset for calibration and the test accuracy (default: the model's source, else the run's config.json).
    #[arg(short = 'd', long, value_parser = parse_dataset)]
    dataset: Option<DatasetName>,
    /// Folder holding the four IDX files (default: the usual places, as for `train`).
    #[arg(long = "data_dir", visible_alias = "data-dir")]
    data_dir: Option<PathBuf>,
    /// Training samples used to calibrate the int8 activation ranges (at least 1).
    #[arg(long = "calibration_samples", visible_alias = "calibration-samples", default_value_t = 2000)]
    calibration_samples: usize,
    /// Activation range mapped to the 256 int8 steps: `max`, a quantile such as `0.9999`, or `auto` (best on validation data).
    #[arg(long, default_value = "auto", value_parser = parse_calibration)]
    calibration: CalibrationArg,
    /// Refuse to write anything when int8 is more than this many points of test accuracy below f32
    /// (a model quantised that badly classifies differently from the one trained; 100 keeps it anyway).
    #[arg(long = "max_int8_loss", visible_alias = "max-int8-loss", default_value_t = 1.0, value_parser = parse_points)]
    max_int8_loss: f64,
    /// Check that the model fits this board's flash and RAM, and warn when not: nrf52840,
    /// stm32f4-discovery, rp2040, lm3s6965 or microbit-v1 (default: say it for every one).
    #[arg(long, value_parser = parse_board)]
    board: Option<&'static Board>,
    /// An output path that holds another file (an earlier export): move that file aside to PATH.old-N
    /// (never deleted) instead of refusing.
    #[arg(long)]
    overwrite: bool,
}

fn parse_board(s: &str) -> Result<&'static Board, String> {
    boards::by_name(s).ok_or_else(|| format!("unknown board {s:?} (expected one of: {})", boards::names()))
}

fn parse_points(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(points) if (0.0..=100.0).contains(&points) => Ok(points),
        _ => Err(format!("{s:?} is not a number of points between 0 and 100")),
    }
}

#[derive(Clone, Copy, Debug)]
struct CalibrationArg(Option<Calibration>);

fn parse_dataset(s: &str) -> Result<DatasetName, String> {
    DatasetName::from_name(s).ok_or_else(|| format!("unknown dataset {s:?} (expected fashion_mnist or mnist)"))
}

fn parse_input_type(s: &str) -> Result<InputType, String> {
    InputType::from_name(s).ok_or_else(|| format!("unknown input type {s:?} (expected u8, i8, i16 or f32)"))
}

fn parse_calibration(s: &str) -> Result<CalibrationArg, String> {
    match s {
        "auto" => Ok(CalibrationArg(None)),
        "max" => Ok(CalibrationArg(Some(Calibration::Max))),
        q => match q.parse::<f32>() {
            Ok(q) if (0.5..=1.0).contains(&q) => Ok(CalibrationArg(Some(Calibration::Quantile(q)))),
            _ => Err(format!("{s:?} is not auto, max or a quantile in [0.5, 1]")),
        },
    }
}

/// `args` are the command line after the program name; `program` names the
/// command in messages and help (`ffn export`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) {
    let args = Args::try_parse_from(std::iter::once(program.into()).chain(args))
        .unwrap_or_else(|e| crate::cli::exit_with_clap_error(e, program));
    let options = ExportOptions {
        input: args.input,
        int8_out: args.int8,
        f32_out: args.f32_out,
        dataset: args.dataset,
        data_dir: args.data_dir,
        calibration_samples: args.calibration_samples,
        calibration: args.calibration.0,
        input_type: args.input_type,
        max_int8_loss: args.max_int8_loss,
        board: args.board,
        overwrite: args.overwrite,
    };
    match run(&options) {
        Ok(report) => {
            println!("{report}");
            // Without --board every board gets its verdict in the report, and no warning.
            for fit in report.misfits().filter(|_| options.board.is_some()) {
                eprintln!("warning: the {}", fit.verdict());
            }
        }
        Err(error) => crate::cli::fail(program, &format!("{error:#}"), 1),
    }
}
