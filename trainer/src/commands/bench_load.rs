//! `ffn bench-load`: how long a dataset takes to load until its splits are ready for
//! training, and the process's peak resident memory. Run it once per measurement (the
//! peak is the process's): `benches/csv_load.sh` writes a 1,000,000 × 64 CSV with
//! `--write_csv` and times loads of it.

use crate::data::{self, DataSource, DatasetName, FileSource, LoadOptions};
use anyhow::{Context, Result};
use clap::Parser;
use ffn_core::rng::{normal, rng_for};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Seconds and peak memory of loading a dataset (or writing a synthetic CSV)")]
pub struct Args {
    /// Own data to load (CSV/TSV, .npy/.npz, IDX, image folder).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The labels of a .npy or IDX `--data`.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// A built-in dataset to load instead (mnist, fashion_mnist).
    #[arg(long)]
    dataset: Option<String>,
    /// Write a synthetic CSV here (`--rows` × `--features` Gaussian features, `--classes` labels) and exit.
    #[arg(long)]
    write_csv: Option<PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    #[arg(long, default_value_t = 64)]
    features: usize,
    #[arg(long, default_value_t = 10)]
    classes: usize,
    /// Time `str::parse::<f32>` against `fast_float2::parse` on the numbers of this CSV's first 64 MB and exit.
    #[arg(long)]
    compare_parsers: Option<PathBuf>,
}

/// Seconds per pass of each float parser over the same cells, alternated (A B A B …), as
/// (std, fast-float2) medians of 5, and the cells' count.
fn compare_parsers(path: &PathBuf) -> Result<(f64, f64, usize)> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)?.take(64 << 20).read_to_end(&mut text)?;
    let cells: Vec<&[u8]> = text.split(|&b| b == b',' || b == b'\n').skip(65).filter(|c| c.contains(&b'.')).collect();
    let time = |parse: &dyn Fn(&[u8]) -> f32| {
        let started = Instant::now();
        let sum: f32 = cells.iter().map(|c| parse(c)).sum();
        std::hint::black_box(sum);
        started.elapsed().as_secs_f64()
    };
    let std_parse = |c: &[u8]| std::str::from_utf8(c).ok().and_then(|s| s.parse::<f32>().ok()).unwrap_or(0.0);
    let fast_parse = |c: &[u8]| fast_float2::parse::<f32, _>(c).unwrap_or(0.0);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        a.push(time(&std_parse));
        b.push(time(&fast_parse));
    }
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    Ok((a[2], b[2], cells.len()))
}

/// The process's peak resident memory in bytes (Linux: VmHWM).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn write_csv(path: &PathBuf, rows: usize, features: usize, classes: usize) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let header: Vec<String> = (0..features).map(|j| format!("f{j}")).chain(["label".into()]).collect();
    writeln!(out, "{}", header.join(","))?;
    let mut rng = rng_for(7, 0);
    let mut line = String::new();
    for i in 0..rows {
        line.clear();
        let label = i % classes;
        for j in 0..features {
            // Class-dependent means, so that the data is learnable.
            let x = normal(&mut rng) + if j % classes == label { 1.5 } else { 0.0 };
            line.push_str(&format!("{x:.6},"));
        }
        line.push_str(&label.to_string());
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// `args` are the command line after the program name; `program` names the
/// command in help (`ffn bench-load`).
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) -> Result<()> {
    let args = Args::try_parse_from(std::iter::once(program.into()).chain(args))
        .unwrap_or_else(|e| crate::cli::exit_with_clap_error(e, program));
    if let Some(path) = &args.compare_parsers {
        let (std_s, fast_s, cells) = compare_parsers(path)?;
        let ns = |s: f64| s * 1e9 / cells as f64;
        println!(
            "{{\"cells\":{cells},\"std_parse_ns\":{:.1},\"fast_float2_ns\":{:.1},\"speedup\":{:.2}}}",
            ns(std_s),
            ns(fast_s),
            std_s / fast_s
        );
        return Ok(());
    }
    if let Some(path) = &args.write_csv {
        return write_csv(path, args.rows, args.features, args.classes);
    }
    let source = match (&args.data, &args.dataset) {
        (Some(data), _) => {
            let mut files = FileSource::new(data);
            files.labels = args.labels.clone();
            DataSource::Files(files)
        }
        (None, Some(name)) => {
            DataSource::Builtin(DatasetName::from_name(name).with_context(|| format!("unknown dataset {name}"))?)
        }
        (None, None) => anyhow::bail!("pass --data PATH, --dataset NAME or --write_csv PATH"),
    };
    let started = Instant::now();
    let ds = data::load_source(&source, &LoadOptions::default())?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = |s: &data::Split| match s.values() {
        data::Values::Bytes(b) => b.len(),
        data::Values::Floats(f) => f.len() * 4,
    };
    let data_bytes = bytes(&ds.train) + bytes(&ds.validation) + bytes(&ds.test);
    println!(
        "{{\"seconds\":{seconds:.3},\"peak_rss_mb\":{:.1},\"data_mb\":{:.1},\"train\":{},\"validation\":{},\"test\":{},\"inputs\":{},\"classes\":{}}}",
        peak_rss().unwrap_or(0) as f64 / 1e6,
        data_bytes as f64 / 1e6,
        ds.train.len(),
        ds.validation.len(),
        ds.test.len(),
        ds.info.input_len,
        ds.info.classes.len()
    );
    Ok(())
}
