//! Own data end to end through `data::load_source`: real MNIST digits written as CSV,
//! `.npy` pairs, `.npz`, PNG folders and reshaped IDX come back with the same values and
//! labels; classes, the stratified hold-out, standardisation and `DataInfo`.

mod support;

use ffn_trainer::data::info::{ImageShape, Preprocessing};
use ffn_trainer::data::{self, DataSource, DatasetName, FileSource, ImageSize, LoadOptions, Split};
use support::*;

const N: usize = 600;

fn names(labels: &[u8]) -> Vec<String> {
    labels.iter().map(u8::to_string).collect()
}

/// Every sample of `split`, as bytes, is the original digit (in file order).
fn assert_same_bytes(split: &Split, pixels: &[u8], labels: &[u8], classes: &[String]) {
    assert_eq!(split.len(), labels.len());
    for (i, (digit, &label)) in pixels.chunks_exact(784).zip(labels).enumerate() {
        assert_eq!(split.raw(i), Some(digit), "sample {i}");
        assert_eq!(classes[split.labels[i] as usize], label.to_string(), "sample {i}");
    }
}

#[test]
fn csv_of_real_digits_round_trips_standardised() {
    let (pixels, labels) = mnist_digits(N);
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "digits.csv", digits_csv(&pixels, &names(&labels)).as_bytes());
    let ds = load(with_itself_as_test(&csv), 0).unwrap();
    assert_eq!(ds.info.classes, (0..10).map(|d| d.to_string()).collect::<Vec<_>>());
    assert_eq!((ds.info.input_len, ds.info.feature_names.len()), (784, 784));
    assert_eq!(ds.info.feature_names[5], "p5");
    assert_eq!(ds.info.source, "digits.csv (test: digits.csv)");
    let Preprocessing::Standardize { mean, std } = &ds.info.preprocessing else { panic!("a table is standardised") };
    // The test split is the whole file in order: each value is (pixel − mean) / std, in f32.
    for (i, (digit, &label)) in pixels.chunks_exact(784).zip(&labels).enumerate() {
        let row = ds.test.input(i);
        for j in 0..784 {
            assert_eq!(row[j].to_bits(), ((digit[j] as f32 - mean[j]) / std[j]).to_bits(), "sample {i}, pixel {j}");
        }
        assert_eq!(ds.test.labels[i], u32::from(label));
    }
    // The statistics are the training split's: its columns have mean 0 and deviation 1 (or are constant).
    let (train, width) = (ds.train.inputs(), 784);
    for j in [300, 400, 500] {
        let column: Vec<f64> = train.chunks_exact(width).map(|r| f64::from(r[j])).collect();
        let m = column.iter().sum::<f64>() / column.len() as f64;
        let s = (column.iter().map(|x| (x - m).powi(2)).sum::<f64>() / column.len() as f64).sqrt();
        assert!(m.abs() < 1e-4 && (s - 1.0).abs() < 1e-4, "column {j}: mean {m}, std {s}");
    }
    assert_eq!((std[0], mean[0]), (1.0, 0.0), "the corner pixel is always 0: a constant column");
    assert_eq!(ds.train.len() + ds.validation.len(), N);
}

#[test]
fn npy_pairs_of_bytes_and_floats_round_trip() {
    let (pixels, labels) = mnist_digits(N);
    let dir = tempfile::tempdir().unwrap();
    let x = write(dir.path(), "x.npy", &npy("|u1", &[N, 28, 28], &pixels));
    let y64: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
    let y = write(dir.path(), "y.npy", &npy("<i8", &[N], &le_i64(&y64)));
    let mut source = with_itself_as_test(&x);
    (source.labels, source.test_labels) = (Some(y.clone()), Some(y.clone()));
    let ds = load(source, 1).unwrap();
    assert_same_bytes(&ds.test, &pixels, &labels, &ds.info.classes);
    assert_eq!(ds.info.preprocessing, Preprocessing::Divide { divisor: 255.0 });
    assert_eq!(ds.info.image, Some(ImageShape { height: 28, width: 28, channels: 1 }));
    assert_eq!(ds.info.source, "x.npy + y.npy (test: x.npy)");

    // Floats (scaled as Keras users often save them) with string labels.
    let floats: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let xf = write(dir.path(), "xf.npy", &npy("<f4", &[N, 784], &le_f32(&floats)));
    let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    let text: Vec<u8> = labels
        .iter()
        .flat_map(|&l| {
            let mut chars: Vec<u32> = words[l as usize].chars().map(|c| c as u32).collect();
            chars.resize(5, 0);
            chars.into_iter().flat_map(u32::to_le_bytes)
        })
        .collect();
    let yt = write(dir.path(), "yt.npy", &npy("<U5", &[N], &text));
    let mut source = FileSource::new(&xf);
    source.labels = Some(yt);
    let ds = load(source, 1).unwrap();
    let mut sorted = words.map(String::from).to_vec();
    sorted.sort();
    assert_eq!(ds.info.classes, sorted, "text classes sort lexicographically");
    assert!(matches!(ds.info.preprocessing, Preprocessing::Standardize { .. }));
    assert_eq!(ds.train.len() + ds.validation.len() + ds.test.len(), N);
    assert!(ds.train.bytes().is_none() && ds.train.width() == 784);
}

#[test]
fn npz_archives_with_their_own_test_arrays() {
    let (pixels, labels) = mnist_digits(N);
    let (train_n, dir) = (500, tempfile::tempdir().unwrap());
    let y: Vec<u8> = labels.clone();
    let archive = npz(&[
        ("x_train", npy("|u1", &[train_n, 28, 28], &pixels[..train_n * 784])),
        ("y_train", npy("|u1", &[train_n], &y[..train_n])),
        ("x_test", npy("|u1", &[N - train_n, 28, 28], &pixels[train_n * 784..])),
        ("y_test", npy("|u1", &[N - train_n], &y[train_n..])),
    ]);
    let path = write(dir.path(), "digits.npz", &archive);
    let ds = load(FileSource::new(&path), 2).unwrap();
    assert_same_bytes(&ds.test, &pixels[train_n * 784..], &labels[train_n..], &ds.info.classes);
    assert_eq!((ds.train.len(), ds.validation.len()), (450, 50));

    // X/y keys, float features, no test arrays: a stratified hold-out.
    let floats: Vec<f32> = pixels.iter().map(|&p| f32::from(p)).collect();
    let archive = npz(&[("X", npy("<f4", &[N, 784], &le_f32(&floats))), ("y", npy("|u1", &[N], &y))]);
    let ds = load(FileSource::new(write(dir.path(), "xy.npz", &archive)), 2).unwrap();
    assert_eq!(ds.test.len(), 120);
}

#[test]
fn png_folders_round_trip_and_resize() {
    let (pixels, labels) = mnist_digits(200);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("digits");
    png_folder(&root, &pixels, &names(&labels), 28, 28);
    let ds = load(with_itself_as_test(&root), 3).unwrap();
    // The test split lists the folders in class order, files by name within each.
    let mut order: Vec<usize> = (0..200).collect();
    order.sort_by_key(|&i| (labels[i], i));
    let sorted_pixels: Vec<u8> = order.iter().flat_map(|&i| pixels[i * 784..(i + 1) * 784].to_vec()).collect();
    let sorted_labels: Vec<u8> = order.iter().map(|&i| labels[i]).collect();
    assert_same_bytes(&ds.test, &sorted_pixels, &sorted_labels, &ds.info.classes);
    assert_eq!(ds.info.image, Some(ImageShape { height: 28, width: 28, channels: 1 }));

    let mut source = FileSource::new(&root);
    (source.image_size, source.channels) = (Some(ImageSize { height: 14, width: 20 }), Some(3));
    let ds = load(source, 3).unwrap();
    assert_eq!(ds.info.image, Some(ImageShape { height: 14, width: 20, channels: 3 }));
    assert_eq!(ds.train.width(), 14 * 20 * 3);
    // Grey in, RGB out: the three channels agree; a resize keeps the mean brightness.
    let all: Vec<u8> = [&ds.train, &ds.validation, &ds.test].iter().flat_map(|s| s.bytes().unwrap().to_vec()).collect();
    assert!(all.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    let mean = |b: &[u8]| b.iter().map(|&v| f64::from(v)).sum::<f64>() / b.len() as f64;
    assert!((mean(&all) - mean(&pixels)).abs() < 3.0, "{} vs {}", mean(&all), mean(&pixels));
}

#[test]
fn reshaped_idx_files_round_trip_gzipped_or_not() {
    let (pixels, labels) = mnist_digits(N);
    let dir = tempfile::tempdir().unwrap();
    for (name, gz) in [("plain", false), ("zipped", true)] {
        let pack = |b: Vec<u8>| if gz { gzip(&b) } else { b };
        let x = write(dir.path(), &format!("{name}-images"), &pack(idx(0x08, &[N, 14, 56], &pixels)));
        let y = write(dir.path(), &format!("{name}-labels"), &pack(idx(0x08, &[N], &labels)));
        let mut source = with_itself_as_test(&x);
        (source.labels, source.test_labels) = (Some(y.clone()), Some(y));
        let ds = load(source, 4).unwrap();
        assert_same_bytes(&ds.test, &pixels, &labels, &ds.info.classes);
        assert_eq!(ds.info.image, Some(ImageShape { height: 14, width: 56, channels: 1 }), "{name}");
    }
}

#[test]
fn classes_are_the_distinct_labels_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let table = |name: &str, labels: &[&str], rows: usize| {
        let text: String = (0..rows).map(|i| format!("{},{}\n", i % 17, labels[i % labels.len()])).collect();
        write(dir.path(), name, format!("x,label\n{text}").as_bytes())
    };
    let ds = load(FileSource::new(table("pm.csv", &["1", "-1"], 100)), 0).unwrap();
    assert_eq!(ds.info.classes, ["-1", "1"]);
    let ds = load(FileSource::new(table("379.csv", &["9", "3", "7"], 90)), 0).unwrap();
    assert_eq!(ds.info.classes, ["3", "7", "9"]);
    // A thousand classes of two samples each.
    let many: Vec<String> = (0..1000).map(|c| format!("c{c:04}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let ds = load(FileSource::new(table("many.csv", &many, 2000)), 0).unwrap();
    assert_eq!((ds.info.classes.len(), ds.info.classes[999].as_str()), (1000, "c0999"));
    let all: Vec<u32> = [&ds.train, &ds.validation, &ds.test].iter().flat_map(|s| s.labels.clone()).collect();
    assert!(all.iter().all(|&l| l < 1000) && all.len() == 2000);
    assert_eq!(ds.test.len(), 400);
}

#[test]
fn the_test_hold_out_is_stratified_and_seeded() {
    let (pixels, labels) = mnist_digits(1000);
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", digits_csv(&pixels, &names(&labels)).as_bytes());
    let load_with = |seed, fraction| {
        let mut source = FileSource::new(&csv);
        source.test_fraction = fraction;
        load(source, seed).unwrap()
    };
    let ds = load_with(5, data::DEFAULT_TEST_FRACTION);
    assert_eq!((ds.train.len(), ds.validation.len(), ds.test.len()), (720, 80, 200));
    let count = |s: &[u32], c| s.iter().filter(|&&l| l == c).count() as f64;
    for c in 0..10 {
        let share = count(&ds.test.labels, c) / count(&labels.iter().map(|&l| u32::from(l)).collect::<Vec<_>>(), c);
        assert!((share - 0.2).abs() < 0.02, "class {c}: {share}");
    }
    let again = load_with(5, 0.2);
    assert_eq!((again.test, again.train), (ds.test.clone(), ds.train.clone()));
    assert_ne!(load_with(6, 0.2).test, ds.test);
    assert_eq!(load_with(5, 0.5).test.len(), 500);
}

#[test]
fn builtin_datasets_are_one_case_of_load_source() {
    let opts = LoadOptions { data_dir: Some(shared_data()), train_limit: Some(100), ..LoadOptions::default() };
    let ds = data::load_source(&DataSource::Builtin(DatasetName::FashionMnist), &opts).unwrap();
    assert_eq!(ds.info, data::DataInfo::for_dataset(DatasetName::FashionMnist));
    assert_eq!((ds.info.input_len, ds.info.classes[0].as_str()), (784, "T-shirt/top"));
    assert_eq!(ds.class_names()[9], "Ankle boot");
    assert!(ds.train.bytes().is_some(), "8-bit images are kept as bytes");
}
