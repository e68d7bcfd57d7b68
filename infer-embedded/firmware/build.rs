//! Prepares everything the firmware needs, in OUT_DIR:
//! - `memory.x` for the board `FFN_BOARD` names (default `mps2-an386`; one
//!   `memory-<board>.x` per board of `boards.sh`);
//! - `model.ffn`, embedded: `FFN_MODEL` if set, else the committed default
//!   model (feature `f32`: the same model dequantised to f32, for
//!   comparison). It must be a version-2 file (`ffn export` converts older ones);
//! - `consts.rs`: the board, the input type and count, the scratch size.
//!
//! And `ffn-samples.bin` beside the firmware ELF (`target/<triple>/release/`),
//! which the firmware streams over semihosting (so a 256 KiB part needs no
//! room for them): one record per sample, its `inputs` values in the
//! model's input type (little-endian), its label and the host's prediction
//! (`u16` LE each), computed with the same `ffn-infer-embedded` code built for
//! the host. The samples are `FFN_SAMPLES` and `FFN_LABELS` (files in exactly
//! that layout, `u16` labels) if set, else the first `FFN_IMAGES` test images
//! (from `FFN_FIRST_IMAGE`; default 256) of the MNIST or Fashion-MNIST test set
//! the model names as its source, read from `FFN_DATA_DIR` or the
//! repository's `../shared/data` (the datasets are never committed).

use ffn_infer_embedded::format::{decode, encode_f32};
use ffn_infer_embedded::{InputSlice, InputType, Model};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::{env, fs};

const DEFAULT_MODEL: &str = "models/fashion-4x128-relu.int8.ffn";

type BuildResult<T> = Result<T, String>;

fn main() {
    if let Err(message) = run() {
        // A build script reports errors by failing; this message is what the user sees.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn gunzip(path: &Path) -> BuildResult<Vec<u8>> {
    let file = fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot decompress {}: {e}", path.display()))?;
    Ok(bytes)
}

/// Finds a dataset's test files: `FFN_DATA_DIR` (the dataset folder or its parent),
/// else `<repo>/../shared/data/<folder>`.
fn data_dir(manifest: &Path, folder: &str) -> BuildResult<PathBuf> {
    let candidates: Vec<PathBuf> = match env::var_os("FFN_DATA_DIR") {
        Some(dir) => vec![PathBuf::from(&dir).join(folder), PathBuf::from(dir)],
        None => vec![manifest.join("../../../shared/data").join(folder)],
    };
    candidates.iter().find(|dir| dir.join("t10k-images-idx3-ubyte.gz").is_file()).cloned().ok_or_else(|| {
        format!(
            "{folder} test files not found in {}; set FFN_DATA_DIR to the folder holding t10k-images-idx3-ubyte.gz",
            candidates.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")
        )
    })
}

fn env_usize(name: &str, default: usize) -> BuildResult<usize> {
    match env::var(name) {
        Ok(value) => value.parse().map_err(|_| format!("{name}={value} is not a count")),
        Err(_) => Ok(default),
    }
}

fn read(path: &Path) -> BuildResult<Vec<u8>> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `count` test images of the dataset the model names, from `first`, as the model's input type.
fn test_images(manifest: &Path, model: &Model<'_>, first: usize, count: usize) -> BuildResult<(Vec<u8>, Vec<u8>)> {
    let folder = match model.source() {
        "mnist" => "mnist",
        "fashion_mnist" => "fashion-mnist",
        other => {
            return Err(format!(
                "the model's data ({other:?}) is not MNIST or Fashion-MNIST: set FFN_SAMPLES and FFN_LABELS"
            ));
        }
    };
    let dir = data_dir(manifest, folder)?;
    let images = gunzip(&dir.join("t10k-images-idx3-ubyte.gz"))?;
    let labels = gunzip(&dir.join("t10k-labels-idx1-ubyte.gz"))?;
    if images.len() < 16 || images[..4] != [0, 0, 8, 3] || labels.len() < 8 || labels[..4] != [0, 0, 8, 1] {
        return Err(format!("{} does not hold IDX test images and labels", dir.display()));
    }
    let (images, labels) = (&images[16..], &labels[8..]);
    let inputs = model.inputs();
    let available = (images.len() / inputs).min(labels.len());
    if count == 0 || first + count > available {
        return Err(format!("FFN_FIRST_IMAGE={first} + FFN_IMAGES={count} must be in 1..={available}"));
    }
    let pixels = &images[first * inputs..(first + count) * inputs];
    let values: Vec<u8> = InputSlice::U8(pixels)
        .converted(model.input_type())
        .into_iter()
        .flat_map(|v| match model.input_type() {
            InputType::U8 => vec![v as u8],
            InputType::I8 => vec![v as i8 as u8],
            InputType::I16 => (v as i16).to_le_bytes().to_vec(),
            InputType::F32 => v.to_le_bytes().to_vec(),
        })
        .collect();
    let labels = labels[first..first + count].iter().flat_map(|&l| (l as u16).to_le_bytes()).collect();
    Ok((values, labels))
}

/// Classifies each sample of `bytes` (`inputs` values of the model's input
/// type, LE) with the host build, fed in that type as the firmware feeds it.
fn host_classes(model: &Model<'_>, bytes: &[u8]) -> BuildResult<Vec<u8>> {
    let size = model.input_type().size();
    let mut scratch = vec![0u32; model.scratch_bytes().div_ceil(4)];
    let mut expected = Vec::new();
    for sample in bytes.chunks_exact(model.inputs() * size) {
        let values = sample.chunks_exact(size);
        let (i8s, i16s, f32s): (Vec<i8>, Vec<i16>, Vec<f32>) = match model.input_type() {
            InputType::I8 => (values.map(|v| v[0] as i8).collect(), vec![], vec![]),
            InputType::I16 => (vec![], values.map(|v| i16::from_le_bytes([v[0], v[1]])).collect(), vec![]),
            InputType::F32 => (vec![], vec![], values.map(|v| f32::from_le_bytes([v[0], v[1], v[2], v[3]])).collect()),
            InputType::U8 => (vec![], vec![], vec![]),
        };
        let input = match model.input_type() {
            InputType::U8 => InputSlice::U8(sample),
            InputType::I8 => InputSlice::I8(&i8s),
            InputType::I16 => InputSlice::I16(&i16s),
            InputType::F32 => InputSlice::F32(&f32s),
        };
        let class = model
            .predict_slice(input, bytemuck::cast_slice_mut(&mut scratch), &mut [])
            .map_err(|e| format!("the host cannot classify a sample: {e}"))?;
        expected.extend((class as u16).to_le_bytes());
    }
    Ok(expected)
}

fn run() -> BuildResult<()> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR unset")?);
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?);
    for name in ["FFN_BOARD", "FFN_MODEL", "FFN_DATA_DIR", "FFN_IMAGES", "FFN_FIRST_IMAGE", "FFN_SAMPLES", "FFN_LABELS"]
    {
        println!("cargo:rerun-if-env-changed={name}");
    }
    let board = env::var("FFN_BOARD").unwrap_or_else(|_| "mps2-an386".into());

    // cortex-m-rt's link.x INCLUDEs memory.x; distinct names in the crate root keep
    // the linker from picking a stale `memory.x` there first.
    let memory = format!("memory-{board}.x");
    fs::copy(manifest.join(&memory), out.join("memory.x"))
        .map_err(|e| format!("FFN_BOARD={board}: {memory}: {e} (the boards are listed in boards.sh)"))?;
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");

    let model_path = env::var_os("FFN_MODEL").map(PathBuf::from).unwrap_or_else(|| manifest.join(DEFAULT_MODEL));
    println!("cargo:rerun-if-changed={}", model_path.display());
    let mut model_bytes = read(&model_path)?;
    let bad_model = |e: ffn_infer_embedded::Error| format!("model {}: {e}", model_path.display());
    if env::var_os("CARGO_FEATURE_F32").is_some() {
        let decoded = decode(&model_bytes).map_err(bad_model)?;
        let description = decoded.description.ok_or_else(|| bad_model(ffn_infer_embedded::Error::Version1))?;
        model_bytes = encode_f32(&decoded.network, &description).map_err(|e| e.to_string())?;
    }
    let model = Model::from_bytes(&model_bytes).map_err(bad_model)?;
    fs::write(out.join("model.ffn"), &model_bytes).map_err(|e| e.to_string())?;

    let (samples, labels) = match (env::var_os("FFN_SAMPLES"), env::var_os("FFN_LABELS")) {
        (Some(samples), Some(labels)) => {
            let (samples, labels) = (PathBuf::from(samples), PathBuf::from(labels));
            println!("cargo:rerun-if-changed={}", samples.display());
            println!("cargo:rerun-if-changed={}", labels.display());
            (read(&samples)?, read(&labels)?)
        }
        (None, None) => {
            let count = env_usize("FFN_IMAGES", 256)?;
            test_images(&manifest, &model, env_usize("FFN_FIRST_IMAGE", 0)?, count)?
        }
        _ => return Err("set both FFN_SAMPLES and FFN_LABELS, or neither".into()),
    };
    let sample_bytes = model.inputs() * model.input_type().size();
    let count = labels.len() / 2;
    if count == 0 || samples.len() != count * sample_bytes || labels.len() % 2 != 0 {
        return Err(format!(
            "{} bytes of samples and {} of labels: expected {sample_bytes} bytes per sample ({} × {}) and 2 per label",
            samples.len(),
            labels.len(),
            model.inputs(),
            model.input_type().name()
        ));
    }

    let expected = host_classes(&model, &samples)?;
    let records: Vec<u8> = samples
        .chunks_exact(sample_bytes)
        .zip(labels.chunks_exact(2).zip(expected.chunks_exact(2)))
        .flat_map(|(sample, (label, class))| [sample, label, class].concat())
        .collect();
    // OUT_DIR is target/<triple>/<profile>/build/ffn-firmware-<hash>/out: the ELF is 3 levels up.
    let elf_dir = out.ancestors().nth(3).ok_or("OUT_DIR is not inside a target folder")?;
    fs::write(elf_dir.join("ffn-samples.bin"), &records).map_err(|e| e.to_string())?;
    let sizes: Vec<String> = model.sizes().map(|s| s.to_string()).collect();
    let layer_sizes: Vec<usize> = model.sizes().collect();
    let macs: usize = layer_sizes.windows(2).map(|w| w[0] * w[1]).sum();
    let activation = model.activations().next().map_or("identity", |a| a.name());
    fs::write(
        out.join("consts.rs"),
        format!(
            "/// Scratch for the model's own input type.\npub const SCRATCH_BYTES: usize = {};\n\
             pub const INPUTS: usize = {};\npub const MACS: usize = {macs};\npub const BOARD: &str = \"{board}\";\n\
             /// The model's input element type.\npub type Input = {};\n\
             pub const MODEL_DESCRIPTION: &str = \"{} {} {} {}\";\n",
            model.scratch_bytes_for(model.input_type()).max(4),
            model.inputs(),
            model.input_type().name(),
            model.element().name(),
            sizes.join("-"),
            activation,
            model.input_type().name(),
        ),
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}
