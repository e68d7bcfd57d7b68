//! End to end through the real `export` and `predict` binaries, on a model
//! trained here with ffn-core on real Fashion-MNIST data.

mod cli_support;

use cli_support::{assert_clean_error, export_accuracies, fashion_dir, run};
use ffn_core::model::Model as CoreModel;
use ffn_infer_embedded::format::{Network, encode_f32};
use ffn_infer_embedded::{Activation, ElementType, InputType, Model, Scratch};
use ffn_trainer::data::info::DataInfo;
use ffn_trainer::data::{self, DatasetName, IMAGE_LEN as INPUT_SIZE, LoadOptions};
use ffn_trainer::export::describe::description;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A 784-128-64-10 ReLU model after one Adam epoch over 20 000 training images,
/// with its test accuracy as ffn-core's own forward pass measures it.
struct Trained {
    sizes: Vec<usize>,
    params: Vec<f32>,
    core_test_accuracy: f64,
}

fn dataset() -> &'static data::Dataset {
    static DATA: OnceLock<data::Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let opts = LoadOptions { data_dir: Some(fashion_dir()), allow_download: false, ..LoadOptions::default() };
        data::load(DatasetName::FashionMnist, &opts).expect("Fashion-MNIST in ../shared/data")
    })
}

fn trained() -> &'static Trained {
    static MODEL: OnceLock<Trained> = OnceLock::new();
    MODEL.get_or_init(|| {
        let data = dataset();
        let sizes = vec![INPUT_SIZE, 128, 64, 10];
        let relu = ffn_core::activation::by_name("ReLU").unwrap();
        let loss = ffn_core::loss::by_name("cross_entropy").unwrap();
        let mut model = CoreModel::new(&sizes, relu, ffn_core::Init::Xavier, 3, 32);
        let hyper = ffn_core::Hyper { learning_rate: 1e-3, ..Default::default() };
        let mut optimizer =
            ffn_core::optim::Optimizer::new(ffn_core::optim::by_name("adam").unwrap(), hyper, model.params.len());
        let n = 20_000.min(data.train.len());
        for start in (0..n).step_by(32) {
            let end = (start + 32).min(n);
            let images = &data.train.inputs_of(start..end);
            model.train_step(
                &ffn_core::exec::Serial,
                images,
                &data.train.labels[start..end],
                loss,
                0.0,
                &mut optimizer,
            );
        }
        let stats = model.evaluate(&ffn_core::exec::Serial, &data.test.inputs(), &data.test.labels, loss, |_, _| {});
        let core_test_accuracy = 100.0 * stats.correct as f64 / data.test.len() as f64;
        Trained { sizes, params: model.params.to_vec(), core_test_accuracy }
    })
}

/// The trained model as a version-2 f32 file describing `dataset` (as `train` writes it).
fn model_file(dataset: DatasetName) -> Vec<u8> {
    let t = trained();
    let network = Network::new(&t.sizes, Activation::Relu, t.params.clone());
    encode_f32(&network, &description(&DataInfo::for_dataset(dataset), InputType::U8, "export-test")).unwrap()
}

fn run_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.ffn"), model_file(DatasetName::FashionMnist)).unwrap();
    dir
}

/// The percentage on the line starting with `prefix`.
fn percent_after(stdout: &str, prefix: &str) -> f64 {
    let line = stdout.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in {stdout}"));
    line.split_whitespace().find_map(|w| w.strip_suffix("%")?.parse().ok()).unwrap_or_else(|| panic!("{line}"))
}

#[test]
fn export_writes_int8_within_half_a_point_of_f32() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path());
    let f32_out = tmp.path().join("copy.f32.ffn");
    let data_dir = fashion_dir();
    let args = [dir.as_os_str(), "--f32".as_ref(), f32_out.as_os_str(), "--data_dir".as_ref(), data_dir.as_os_str()];
    let r = run("export", tmp.path(), &args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let (f32_accuracy, int8_accuracy) = export_accuracies(&r.stdout);
    // The f32 column is the trainer's model run by infer-embedded: same accuracy as ffn-core.
    assert!(
        (f32_accuracy - trained().core_test_accuracy).abs() < 0.015,
        "{f32_accuracy} vs ffn-core {}",
        trained().core_test_accuracy
    );
    assert!(f32_accuracy > 80.0, "the trained model should be a real classifier: {}", r.stdout);
    assert!((int8_accuracy - f32_accuracy).abs() <= 0.5, "int8 {int8_accuracy} vs f32 {f32_accuracy}");
    // Integer requantisation against the same int8 model with float requantisation (issue 21 item 3).
    let float_requant = percent_after(&r.stdout, "int8 with float requantisation");
    assert!((int8_accuracy - float_requant).abs() <= 0.2, "integer {int8_accuracy} vs float {float_requant}");

    // Only --f32 was asked for, so no int8 file; the f32 copy is the input, byte for byte.
    assert!(!dir.join("model.int8.ffn").exists());
    assert_eq!(std::fs::read(&f32_out).unwrap(), std::fs::read(dir.join("model.ffn")).unwrap());

    // Without --int8/--f32 the int8 model lands beside the input; it is int8, ~4x smaller, and loads.
    let r = run("export", tmp.path(), &[dir.as_os_str(), "--data_dir".as_ref(), data_dir.as_os_str()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let int8 = std::fs::read(dir.join("model.int8.ffn")).unwrap();
    let model = Model::from_bytes(&int8).unwrap();
    assert_eq!(model.element(), ElementType::Int8);
    assert_eq!((model.input_type(), model.inputs(), model.classes()), (InputType::U8, INPUT_SIZE, 10));
    assert_eq!(model.class_name(9), Some("Ankle boot"));
    assert_eq!((model.source(), model.run()), ("fashion_mnist", "export-test"));
    assert!(int8.len() * 3 < std::fs::read(&f32_out).unwrap().len());
    let flash_row = r.stdout.lines().find(|l| l.starts_with("flash")).unwrap();
    assert!(flash_row.contains(&int8.len().to_string()), "{flash_row}");
}

#[test]
fn predict_reads_pgm_png_and_idx_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path());
    let data = dataset();
    let index = 17;
    let pixels: [u8; INPUT_SIZE] = data.test.raw(index).unwrap().try_into().unwrap();

    let pgm = tmp.path().join("image.pgm");
    let mut bytes = b"P5\n28 28\n255\n".to_vec();
    bytes.extend(pixels);
    std::fs::write(&pgm, bytes).unwrap();
    let png_path = tmp.path().join("image.png");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&png_path).unwrap());
        let mut encoder = png::Encoder::new(file, 28, 28);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header().unwrap().write_image_data(&pixels).unwrap();
    }
    let idx = format!("{}:{index}", fashion_dir().join("t10k-images-idx3-ubyte.gz").display());

    let model_bytes = std::fs::read(dir.join("model.ffn")).unwrap();
    let model = Model::from_bytes(&model_bytes).unwrap();
    let mut scratch = Scratch::<8192>::new();
    let expected = model.predict(&pixels, scratch.as_mut_bytes(), &mut []).unwrap();
    let class_name = DatasetName::FashionMnist.class_names()[expected];

    let args = [dir.join("model.ffn").into_os_string(), pgm.into(), png_path.into(), idx.into()];
    let r = run("predict", tmp.path(), &args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    for line in &lines {
        let (_, result) = line.split_once(": ").unwrap();
        assert!(result.starts_with(&format!("{class_name} (")), "{line}");
        let total: f64 = result
            .split(" | ")
            .nth(1)
            .unwrap()
            .split(", ")
            .map(|s| s.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{line}");
    }
    assert_eq!(lines[0].split_once(": ").unwrap().1, lines[2].split_once(": ").unwrap().1);
}

#[test]
fn bad_input_is_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path());
    let model = dir.join("model.ffn");
    let mut corrupt = std::fs::read(&model).unwrap();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 1;
    let corrupt_path = tmp.path().join("corrupt.ffn");
    std::fs::write(&corrupt_path, &corrupt).unwrap();
    let truncated_path = tmp.path().join("truncated.ffn");
    std::fs::write(&truncated_path, &corrupt[..middle]).unwrap();
    let small = tmp.path().join("small.pgm");
    std::fs::write(&small, b"P5 27 28 255\n").unwrap();

    let missing = tmp.path().join("missing.ffn");
    assert_clean_error(&run("export", tmp.path(), &[&missing]), "ffn export", Some(1), &["missing.ffn"]);
    assert_clean_error(&run("export", tmp.path(), &[&corrupt_path]), "ffn export", Some(1), &["corrupt"]);
    assert_clean_error(
        &run("predict", tmp.path(), &[&truncated_path, &small]),
        "ffn predict",
        Some(1),
        &["truncated.ffn"],
    );
    let r = run("predict", tmp.path(), &[&model, &small]);
    assert_bad_samples(&r, &["small.pgm", "27×28"], 1, 1);
    let idx = format!("{}:10000", fashion_dir().join("t10k-images-idx3-ubyte.gz").display());
    assert_bad_samples(&run("predict", tmp.path(), &[model.to_str().unwrap(), &idx]), &["10000"], 1, 1);
    let r = run("export", tmp.path(), &[dir.to_str().unwrap(), "--calibration", "2"]);
    assert_clean_error(&r, "ffn export", Some(2), &["calibration"]);
    let r = run("export", tmp.path(), &[dir.to_str().unwrap(), "--calibration_samples", "0"]);
    assert_clean_error(&r, "ffn export", Some(1), &["--calibration_samples 0", "at least 1"]);
}

/// Issue 23 point 3: an int8 model that lost more than `--max_int8_loss`
/// points against f32 is not written (nor the f32 copy asked beside it),
/// unless the user raises the limit.
#[test]
fn export_refuses_an_int8_model_that_loses_accuracy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path());
    let data_dir = fashion_dir();
    let f32_out = tmp.path().join("copy.f32.ffn");
    // One calibration image and its median as the range: most activations saturate.
    let careless = ["--calibration_samples", "1", "--calibration", "0.5", "--data_dir", data_dir.to_str().unwrap()];
    let mut args = vec![dir.to_str().unwrap(), "--f32", f32_out.to_str().unwrap(), "--int8"];
    let int8_out = dir.join("model.int8.ffn");
    args.push(int8_out.to_str().unwrap());
    args.extend(careless);
    let r = run("export", tmp.path(), &args);
    assert_clean_error(&r, "ffn export", Some(1), &["points lost", "--max_int8_loss 1", "nothing written"]);
    assert!(!int8_out.exists() && !f32_out.exists(), "a refused export wrote a file");

    args.extend(["--max_int8_loss", "100"]);
    let r = run("export", tmp.path(), &args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let (f32_accuracy, int8_accuracy) = export_accuracies(&r.stdout);
    assert!(f32_accuracy - int8_accuracy > 1.0, "the careless calibration should lose accuracy: {}", r.stdout);
    assert!(int8_out.exists() && f32_out.exists());
    let r = run("export", tmp.path(), &[dir.to_str().unwrap(), "--max_int8_loss", "150"]);
    assert_clean_error(&r, "ffn export", Some(2), &["--max_int8_loss", "between 0 and 100"]);
}

/// `predict` reported `failed` bad samples of `total` on stderr (one line
/// each, naming them), then one error line, and exited 1 without a panic.
fn assert_bad_samples(r: &cli_support::Run, needles: &[&str], failed: usize, total: usize) {
    let ctx = r.describe();
    assert_eq!(r.code, Some(1), "{ctx}");
    assert!(!r.stderr.contains("panicked"), "{ctx}");
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), failed + 1, "{ctx}");
    for needle in needles {
        assert!(lines[..failed].iter().any(|l| l.contains(needle)), "no {needle:?}: {ctx}");
    }
    let summary = format!("ffn predict: error: {failed} of {total} inputs could not be classified");
    assert_eq!(lines[failed], summary, "{ctx}");
}

#[test]
fn predict_names_the_models_classes_and_goes_on_after_a_bad_image() {
    let tmp = tempfile::tempdir().unwrap();
    // The same network described as an MNIST model: its digits, not Fashion-MNIST's names (issue 23 point 16).
    let mnist = tmp.path().join("mnist.ffn");
    std::fs::write(&mnist, model_file(DatasetName::Mnist)).unwrap();
    let model_bytes = std::fs::read(&mnist).unwrap();
    let model = Model::from_bytes(&model_bytes).unwrap();
    let pixels = dataset().test.raw(3).unwrap();
    let mut scratch = Scratch::<8192>::new();
    let class = model.predict(pixels, scratch.as_mut_bytes(), &mut []).unwrap();
    let good = format!("{}:3", fashion_dir().join("t10k-images-idx3-ubyte.gz").display());
    let missing = tmp.path().join("missing.png").display().to_string();
    let not_an_image = tmp.path().join("notes.txt");
    std::fs::write(&not_an_image, "hello").unwrap();
    let args = [mnist.display().to_string(), good.clone(), missing, not_an_image.display().to_string(), good];
    let r = run("predict", tmp.path(), &args);
    assert_bad_samples(&r, &["missing.png", "notes.txt"], 2, 4);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.describe());
    for line in lines {
        let (_, result) = line.split_once(": ").unwrap();
        assert!(result.starts_with(&format!("{class} (")), "{line}");
        assert!(result.contains("| 0 0.") && !result.contains("Trouser"), "{line}");
    }
}

/// Nothing a user made is replaced unasked: exporting again gives the same
/// bytes (no change); an output path holding another file is refused with
/// nothing written, and `--overwrite` moves that file aside, never deleting it.
#[test]
fn export_never_replaces_another_file_unasked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(tmp.path());
    let data_dir = fashion_dir();
    let export = |extra: &[&str]| {
        let mut args = vec![dir.to_str().unwrap(), "--data_dir", data_dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        run("export", tmp.path(), &args)
    };
    let int8 = dir.join("model.int8.ffn");
    let r = export(&[]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let exported = std::fs::read(&int8).unwrap();
    let again = export(&[]);
    assert_eq!(again.code, Some(0), "the same bytes again are no change: {}", again.describe());
    assert_eq!(std::fs::read(&int8).unwrap(), exported);

    std::fs::write(&int8, b"my own notes").unwrap();
    let refused = export(&["--calibration", "max"]);
    assert_clean_error(&refused, "ffn export", Some(1), &["model.int8.ffn", "holds another file", "--overwrite"]);
    assert_eq!(std::fs::read(&int8).unwrap(), b"my own notes", "refused: nothing written");

    let moved = export(&["--overwrite"]);
    assert_eq!(moved.code, Some(0), "{}", moved.describe());
    assert!(moved.stdout.contains("model.int8.ffn.old-1"), "says where the file went: {}", moved.stdout);
    assert_eq!(std::fs::read(dir.join("model.int8.ffn.old-1")).unwrap(), b"my own notes");
    assert_eq!(std::fs::read(&int8).unwrap(), exported);
}
