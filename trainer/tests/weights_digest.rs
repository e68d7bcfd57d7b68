//! The bits every refactoring must keep: the final weights of fixed
//! configurations, trained through the real `train` binary with every flag
//! that matters given explicitly (so a later change of the defaults moves
//! nothing here), pinned as the FNV-1a digests `summary.json` records.
//!
//! The batch sizes take each path of the training step (16 and 64 the split
//! step, 256 the row split step on two threads and the plain step on one, 100
//! a partial last batch, 1 a single row); every optimizer, loss, activation
//! and initialiser appears once. Each configuration runs on 1 and 2 threads,
//! which must give the same bits.
//!
//! The digests are those of an AVX-512 CPU (this project's machine and CI):
//! matrixmultiply and ffn's own GEMM kernels pick their instructions per CPU,
//! so another CPU gives other (equally valid) last bits. There the test still
//! checks that the thread count changes nothing.

mod cli_support;

use cli_support::{fashion_dir, read_json, run};

/// The course project's best configuration, at `batch`.
fn course(batch: &str) -> Vec<&str> {
    let mut args = vec!["-nhl", "4", "-sz", "128", "-a", "ReLU", "-w_i", "Xavier", "-o", "rmsprop", "-lr", "0.0001"];
    args.extend(["-beta", "0.9", "-eps", "1e-8", "-w_d", "0.0005", "-l", "cross_entropy", "-b", batch]);
    args.extend(["--lr_schedule", "constant", "--warmup", "0", "--label_smoothing", "0", "--dropout", "0"]);
    args.extend(["--pixel_scaling", "unit"]);
    args
}

/// ffn's recipe of 2026-11 (2×768, adam, cosine, warm-up, smoothing, dropout).
fn recipe(batch: &str) -> Vec<&str> {
    let mut args = vec!["-nhl", "2", "-sz", "768", "-a", "ReLU", "-w_i", "Xavier", "-o", "adam", "-lr", "0.001"];
    args.extend(["-beta1", "0.9", "-beta2", "0.999", "-eps", "1e-8", "-w_d", "0", "-l", "cross_entropy"]);
    args.extend(["-b", batch, "--lr_schedule", "cosine", "--warmup", "0.02", "--label_smoothing", "0.1"]);
    args.extend(["--dropout", "0.2", "--pixel_scaling", "unit"]);
    args
}

/// A small net with `optimizer`, `loss`, `activation` and `init`, at `batch`.
fn small<'a>(optimizer: &'a str, loss: &'a str, activation: &'a str, init: &'a str, batch: &'a str) -> Vec<&'a str> {
    let lr = if batch == "1" { "0.0005" } else { "0.01" };
    let mut args = vec!["-nhl", "2", "-sz", "48", "-a", activation, "-w_i", init, "-o", optimizer, "-l", loss];
    args.extend(["-lr", lr, "-m", "0.9", "-beta", "0.9", "-beta1", "0.9", "-beta2", "0.999", "-eps", "1e-8"]);
    args.extend(["-w_d", "0.0001", "-b", batch, "--lr_schedule", "cosine", "--warmup", "0.1"]);
    args.extend(["--label_smoothing", "0.05", "--dropout", "0.1", "--pixel_scaling", "unit"]);
    args
}

/// (name, flags, training images, epochs, the digest on an AVX-512 CPU).
fn configurations() -> Vec<(&'static str, Vec<&'static str>, &'static str, &'static str, &'static str)> {
    vec![
        ("course b16", course("16"), "6000", "2", "7ec98c1fb8f98e45"),
        ("course b64", course("64"), "6000", "2", "b8a55c559f34fbb5"),
        ("course b256", course("256"), "6000", "2", "9c76d64bf00a87e2"),
        ("recipe b256", recipe("256"), "6000", "2", "6e2597756584cd7d"),
        ("recipe b100", recipe("100"), "3000", "1", "26dd7310569cbb50"),
        (
            "sgd mse sigmoid b64",
            small("sgd", "mean_squared_error", "sigmoid", "random", "64"),
            "3000",
            "2",
            "794b9a110a89afda",
        ),
        (
            "momentum tanh b32",
            small("momentum", "cross_entropy", "tanh", "Xavier", "32"),
            "3000",
            "1",
            "c3bce6f9503aeb17",
        ),
        ("nag identity b1", small("nag", "cross_entropy", "identity", "Xavier", "1"), "500", "1", "2cbee2a1b4afed27"),
        ("nadam b128", small("nadam", "cross_entropy", "ReLU", "Xavier", "128"), "3000", "2", "08587aff8b14acef"),
        ("eve b16", small("eve", "mean_squared_error", "ReLU", "Xavier", "16"), "3000", "1", "90fb09cc785ded9c"),
    ]
}

fn digest(flags: &[&str], train_limit: &str, epochs: &str, threads: &str) -> String {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("run");
    let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    for extra in ["--seed", "3", "-d", "fashion_mnist", "--no-wandb", "--threads", threads, "-e", epochs] {
        args.push(extra.into());
    }
    args.extend(["--train_limit".into(), train_limit.into(), "--data_dir".into(), fashion_dir().display().to_string()]);
    args.extend(["--output_dir".into(), out.display().to_string()]);
    let r = run("train", tmp.path(), &args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let summary = read_json(&out.join("summary.json"));
    summary["weights_digest"].as_str().unwrap_or_else(|| panic!("no weights_digest in {summary}")).to_string()
}

#[test]
fn fixed_configurations_keep_their_weights_bit_for_bit_on_any_thread_count() {
    let avx512 = std::is_x86_feature_detected!("avx512f");
    let (mut report, mut failures) = (Vec::new(), Vec::new());
    for (name, flags, limit, epochs, pinned) in configurations() {
        let one = digest(&flags, limit, epochs, "1");
        let two = digest(&flags, limit, epochs, "2");
        report.push(format!("{name}: 1 thread {one}, 2 threads {two}, pinned {pinned}"));
        if one != two {
            failures.push(format!("{name}: the thread count changed the weights"));
        }
        if avx512 && one != pinned {
            failures.push(format!("{name}: the weights changed"));
        }
    }
    let report = report.join("\n");
    assert!(failures.is_empty(), "{}\n{report}", failures.join("\n"));
    println!("{report}");
}
