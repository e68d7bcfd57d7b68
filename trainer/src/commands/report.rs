//! `ffn report`: one self-contained HTML page answering the course project's
//! questions from run folders (see `crate::report`).

use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "report", version, about = "Write one self-contained HTML report from train/sweep run folders")]
pub struct Args {
    /// Folders searched recursively for run folders (each holds config.json, metrics.jsonl, ...).
    #[arg(required = true, value_name = "RUNS_DIR")]
    runs: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short, long, default_value = "report.html")]
    output: PathBuf,
    /// Folder with the gzipped IDX files (default: the places train looks).
    #[arg(long = "data_dir", visible_alias = "data-dir")]
    data_dir: Option<PathBuf>,
    /// Also write a PNG preview of the top of the page (needs chromium).
    #[arg(long, value_name = "PNG")]
    screenshot: Option<PathBuf>,
}

/// Preview size in CSS pixels: a laptop-wide page, the first sections tall.
const PREVIEW: (u32, u32) = (1280, 2600);

/// `args` are the command line after the program name; `program` names the
/// command in messages, help and the page (`ffn report`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) {
    let args: Vec<OsString> = args.into_iter().collect();
    let command_line = std::iter::once(program.to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let args = match Args::try_parse_from(std::iter::once(program.into()).chain(args)) {
        Ok(a) => a,
        Err(e) => crate::cli::exit_with_clap_error(e, program),
    };
    let mut opts = crate::report::Options::new(args.runs);
    opts.data_dir = args.data_dir;
    opts.command = command_line;
    // SOURCE_DATE_EPOCH (reproducible builds' convention) pins the date shown in the page.
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<u64>().ok()) {
        opts.generated = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    }
    match crate::report::write(&opts, &args.output) {
        Ok(w) => println!(
            "report: wrote {} ({} KiB): {} runs{}, sections {}",
            args.output.display(),
            w.bytes / 1024,
            w.runs,
            if w.skipped > 0 { format!(" ({} unreadable folders left out)", w.skipped) } else { String::new() },
            w.sections.join(", ")
        ),
        Err(e) => crate::cli::fail(program, &e.to_string(), 1),
    }
    if let Some(png) = args.screenshot {
        match crate::report::screenshot::screenshot(&args.output, &png, PREVIEW.0, PREVIEW.1) {
            Ok(()) => println!("report: wrote {} ({}×{} preview)", png.display(), PREVIEW.0, PREVIEW.1),
            Err(e) => crate::cli::fail(program, &e, 1),
        }
    }
}
