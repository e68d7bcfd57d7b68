//! `ffn predict MODEL.ffn INPUT...`: classify images (image models: PNG, PGM, or
//! `IDX_FILE:INDEX`) or CSV/TSV rows (table models) with the same
//! `ffn-infer-embedded` code the firmware runs.

use crate::export::predict::{PredictOptions, run};
use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "predict", version, about = "Classify images or table rows with an ffn model file")]
pub struct Args {
    /// A model file (f32 or int8) or a run folder holding model.ffn.
    model: PathBuf,
    /// Image models: PNG or PGM files of the model's size, or `IDX_FILE[.gz]:INDEX`.
    /// Table models: CSV or TSV files, one sample per row (`-` reads standard input).
    #[arg(required = true)]
    inputs: Vec<String>,
    /// The images are dark on light (the datasets are light on dark): invert them first.
    #[arg(long)]
    invert: bool,
    /// Column delimiter of table files (default: tab for .tsv, else detected from the first line).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!("{s:?} is not a one-character delimiter (use tab or \\t for tabs)")),
    }
}

/// `args` are the command line after the program name; `program` names the
/// command in messages and help (`ffn predict`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) {
    let args = Args::try_parse_from(std::iter::once(program.into()).chain(args))
        .unwrap_or_else(|e| crate::cli::exit_with_clap_error(e, program));
    let options = PredictOptions {
        program: program.to_string(),
        model: args.model,
        inputs: args.inputs,
        invert: args.invert,
        delimiter: args.delimiter,
    };
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr());
    match run(&options, &mut out, &mut err) {
        Ok(outcome) if outcome.failed == 0 => {}
        Ok(outcome) => crate::cli::fail(
            program,
            &format!("{} of {} inputs could not be classified", outcome.failed, outcome.failed + outcome.classified),
            1,
        ),
        Err(error) => crate::cli::fail(program, &format!("{error:#}"), 1),
    }
}
