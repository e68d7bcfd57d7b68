//! Prepares everything the firmware embeds, in OUT_DIR:
//! - `memory.x` for the selected board (feature `lm3s6965`, else mps2-an386);
//! - `model.ffn`: `FFN_MODEL` if set, else the committed default model
//!   (feature `f32`: the same model dequantised to f32, for comparison);
//! - `images.bin`, `labels.bin`: `FFN_IMAGES` test images (default 256, or 64 on
//!   lm3s6965 whose 256 KiB flash also holds the model) from the Fashion-MNIST
//!   test set, read from `FFN_DATA_DIR` or the repository's `../shared/data`
//!   (the dataset itself is never committed);
//! - `expected.bin`: the host's predictions for those images, with the same
//!   `ffn-infer-embedded` code compiled for the host, so the firmware checks parity itself;
//! - `consts.rs`: counts and the scratch width.

use ffn_infer_embedded::format::{self, decode_f32, encode_f32};
use ffn_infer_embedded::{ElementType, Model, Scratch};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::{env, fs};

const DEFAULT_MODEL: &str = "models/fashion-4x128-relu.int8.ffn";
/// Host-side scratch for computing the expected classes; wider models are refused.
const HOST_WIDTH: usize = 4096;

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

/// Finds the Fashion-MNIST test files: `FFN_DATA_DIR` (the dataset folder or its parent),
/// else `<repo>/../shared/data/fashion-mnist`.
fn data_dir(manifest: &Path) -> BuildResult<PathBuf> {
    let candidates: Vec<PathBuf> = match env::var_os("FFN_DATA_DIR") {
        Some(dir) => vec![PathBuf::from(&dir).join("fashion-mnist"), PathBuf::from(dir)],
        None => vec![manifest.join("../../../shared/data/fashion-mnist")],
    };
    candidates.iter().find(|dir| dir.join("t10k-images-idx3-ubyte.gz").is_file()).cloned().ok_or_else(|| {
        format!(
            "Fashion-MNIST test files not found in {}; set FFN_DATA_DIR to the folder holding t10k-images-idx3-ubyte.gz",
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

fn run() -> BuildResult<()> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR unset")?);
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?);
    let small_part = env::var_os("CARGO_FEATURE_LM3S6965").is_some();
    for name in ["FFN_MODEL", "FFN_DATA_DIR", "FFN_IMAGES", "FFN_FIRST_IMAGE"] {
        println!("cargo:rerun-if-env-changed={name}");
    }

    // cortex-m-rt's link.x INCLUDEs memory.x; distinct names in the crate root keep
    // the linker from picking a stale `memory.x` there first.
    let memory = if small_part { "memory-lm3s6965.x" } else { "memory-mps2-an386.x" };
    fs::copy(manifest.join(memory), out.join("memory.x")).map_err(|e| format!("{memory}: {e}"))?;
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");

    let model_path = env::var_os("FFN_MODEL").map(PathBuf::from).unwrap_or_else(|| manifest.join(DEFAULT_MODEL));
    println!("cargo:rerun-if-changed={}", model_path.display());
    let mut model_bytes = fs::read(&model_path).map_err(|e| format!("model {}: {e}", model_path.display()))?;
    if env::var_os("CARGO_FEATURE_F32").is_some() {
        let decoded = decode_f32(&model_bytes).map_err(|e| format!("model {}: {e}", model_path.display()))?;
        model_bytes = encode_f32(&decoded.sizes, decoded.activation, &decoded.params);
    }
    let model =
        Model::<HOST_WIDTH>::from_bytes(&model_bytes).map_err(|e| format!("model {}: {e}", model_path.display()))?;
    fs::write(out.join("model.ffn"), &model_bytes).map_err(|e| e.to_string())?;

    let dir = data_dir(&manifest)?;
    let images = gunzip(&dir.join("t10k-images-idx3-ubyte.gz"))?;
    let labels = gunzip(&dir.join("t10k-labels-idx1-ubyte.gz"))?;
    if images.len() < 16 || images[..4] != [0, 0, 8, 3] || labels.len() < 8 || labels[..4] != [0, 0, 8, 1] {
        return Err(format!("{} does not hold IDX test images and labels", dir.display()));
    }
    let (images, labels) = (&images[16..], &labels[8..]);
    let available = (images.len() / format::INPUT_SIZE).min(labels.len());
    let count = env_usize("FFN_IMAGES", if small_part { 64 } else { 256 })?;
    let first = env_usize("FFN_FIRST_IMAGE", 0)?;
    if count == 0 || first + count > available {
        return Err(format!("FFN_FIRST_IMAGE={first} + FFN_IMAGES={count} must be in 1..={available}"));
    }
    let images = &images[first * format::INPUT_SIZE..(first + count) * format::INPUT_SIZE];
    let labels = &labels[first..first + count];

    let mut scratch = Box::new(Scratch::<HOST_WIDTH>::new());
    let expected: Vec<u8> = images
        .chunks_exact(format::INPUT_SIZE)
        .map(|image| model.predict(image.try_into().expect("chunks_exact(784)"), &mut scratch).class as u8)
        .collect();

    fs::write(out.join("images.bin"), images).map_err(|e| e.to_string())?;
    fs::write(out.join("labels.bin"), labels).map_err(|e| e.to_string())?;
    fs::write(out.join("expected.bin"), &expected).map_err(|e| e.to_string())?;
    let element = match model.element() {
        ElementType::F32 => "f32",
        ElementType::Int8 => "int8",
    };
    let sizes: Vec<String> = model.sizes().map(|s| s.to_string()).collect();
    fs::write(
        out.join("consts.rs"),
        format!(
            "/// Scratch width: the model's widest layer.\npub const WIDTH: usize = {};\n\
             pub const IMAGE_COUNT: usize = {count};\npub const FIRST_IMAGE: usize = {first};\n\
             pub const MODEL_DESCRIPTION: &str = \"{element} {} {}\";\n",
            model.max_width(),
            sizes.join("-"),
            model.activation().name(),
        ),
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}
