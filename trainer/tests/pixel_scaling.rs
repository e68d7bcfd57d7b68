//! `--pixel_scaling standardize` end to end through the real binaries, on real
//! Fashion-MNIST: the run records the training split's per-pixel statistics,
//! its model file reads bytes and scores what `train` scored, the int8 export
//! follows it, and the scaling changes what is learnt.

mod cli_support;

use cli_support::{export_accuracies, fashion_dir, read_json, run};
use ffn_infer_embedded::{InputType, Model};
use std::path::Path;

fn train(cwd: &Path, out: &Path, scaling: &str) -> serde_json::Value {
    let (out_arg, data_dir) = (out.display().to_string(), fashion_dir().display().to_string());
    let args = [
        "--data_dir",
        &data_dir,
        "--train_limit",
        "6000",
        "-e",
        "2",
        "-sz",
        "64",
        "--pixel_scaling",
        scaling,
        "--no-wandb",
        "--output_dir",
        &out_arg,
    ];
    let r = run("train", cwd, &args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    read_json(&out.join("summary.json"))
}

#[test]
fn standardized_pixels_are_recorded_exported_and_scored_alike() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run_dir = tmp.path().join("std");
    let summary = train(tmp.path(), &run_dir, "standardize");

    let data = read_json(&run_dir.join("data.json"));
    let pre = &data["preprocessing"];
    assert_eq!(pre["kind"], "standardize_bytes", "{pre}");
    let numbers = |k: &str| pre[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
    let (mean, std) = (numbers("mean"), numbers("std"));
    assert_eq!((mean.len(), std.len()), (784, 784));
    assert!(std.iter().all(|&s| s >= 51.0), "every std is floored at 51 grey levels");
    // Fashion-MNIST's corners are black, its centre is cloth.
    assert!(mean[0] < 1.0 && mean[14 * 28 + 14] > 100.0, "corner {} centre {}", mean[0], mean[14 * 28 + 14]);
    assert!(std.iter().any(|&s| s > 51.0));

    // The run's model file reads the file's bytes and standardises them itself:
    // export's f32 column runs it on the test bytes and scores what train scored.
    let r = run("export", tmp.path(), &[run_dir.as_os_str(), "--data_dir".as_ref(), fashion_dir().as_os_str()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let (f32_accuracy, int8_accuracy) = export_accuracies(&r.stdout);
    let trained = 100.0 * summary["test_accuracy"].as_f64().unwrap();
    assert!((f32_accuracy - trained).abs() < 0.015, "model file {f32_accuracy} % against train's {trained} %");
    assert!(trained > 70.0, "a real classifier: {trained} %");
    assert!((int8_accuracy - f32_accuracy).abs() <= 0.5, "int8 {int8_accuracy} vs f32 {f32_accuracy}");
    for file in ["model.ffn", "model.int8.ffn"] {
        let bytes = std::fs::read(run_dir.join(file)).expect(file);
        assert_eq!(Model::from_bytes(&bytes).expect(file).input_type(), InputType::U8, "{file} reads bytes");
    }

    // `unit` learns from other inputs: another model.
    let unit = train(tmp.path(), &tmp.path().join("unit"), "unit");
    assert_ne!(unit["weights_digest"], summary["weights_digest"]);
    assert_eq!(read_json(&tmp.path().join("unit/data.json"))["preprocessing"]["kind"], "divide");
}
