//! Data loading end to end: the real files' published facts, the seeded split, the lookup
//! order, damaged files, and the download path against a loopback mirror.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ffn_trainer::data::{
    self, DataError, DatasetName, FILES, LoadOptions, Place, SearchPaths, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES,
    TRAIN_LABELS,
};
use flate2::{Compression, write::GzEncoder};

const FASHION: DatasetName = DatasetName::FashionMnist;
const MNIST: DatasetName = DatasetName::Mnist;

/// Process-global environment: only one test may change it at a time.
static ENV: Mutex<()> = Mutex::new(());

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

fn shared(name: DatasetName) -> PathBuf {
    shared_data().join(name.dir_name())
}

fn load_shared(name: DatasetName, opts: &LoadOptions) -> data::Dataset {
    data::load_dir(name, &shared(name), opts).unwrap_or_else(|e| panic!("{e}"))
}

fn file_labels(name: DatasetName, file: &str) -> Vec<u32> {
    let bytes = data::parse_idx_labels(&data::read_gz(&shared(name).join(file)).unwrap()).unwrap();
    bytes.into_iter().map(u32::from).collect()
}

fn class_counts(labels: &[u32]) -> [usize; 10] {
    let mut counts = [0; 10];
    for &l in labels {
        counts[l as usize] += 1;
    }
    counts
}

// ---------- the real files (facts from shared/data/README.md) ----------

#[test]
fn fashion_mnist_matches_the_published_facts() {
    let train_labels = file_labels(FASHION, TRAIN_LABELS);
    let test_labels = file_labels(FASHION, TEST_LABELS);
    assert_eq!(train_labels[..10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert_eq!(test_labels[..10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    assert_eq!(class_counts(&train_labels), [6000; 10]);
    assert_eq!(class_counts(&test_labels), [1000; 10]);

    let ds = load_shared(FASHION, &LoadOptions::default());
    assert_eq!((ds.train.len(), ds.validation.len(), ds.test.len()), (54_000, 6_000, 10_000));
    assert_eq!(ds.test.labels[..10], test_labels[..10]);
    let mut both = class_counts(&ds.train.labels);
    both.iter_mut().zip(class_counts(&ds.validation.labels)).for_each(|(a, b)| *a += b);
    assert_eq!(both, [6000; 10]);
    assert_eq!(ds.source, shared(FASHION));
    assert_eq!(ds.info.classes[9], "Ankle boot");
    assert_eq!((ds.name, ds.info.input_len, ds.train.width()), (Some(FASHION), 784, 784));
}

#[test]
fn mnist_matches_the_published_facts() {
    let train_labels = file_labels(MNIST, TRAIN_LABELS);
    let test_labels = file_labels(MNIST, TEST_LABELS);
    assert_eq!(train_labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(test_labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert_eq!(class_counts(&train_labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert_eq!(class_counts(&test_labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);

    let ds = load_shared(MNIST, &LoadOptions::default());
    assert_eq!((ds.train.len(), ds.validation.len(), ds.test.len()), (54_000, 6_000, 10_000));
    let mut both = class_counts(&ds.train.labels);
    both.iter_mut().zip(class_counts(&ds.validation.labels)).for_each(|(a, b)| *a += b);
    assert_eq!(both, class_counts(&train_labels));
    // Pixels span 0–255 and are scaled by exactly 1/255.
    let test_pixels = ds.test.bytes().expect("8-bit images");
    assert_eq!(test_pixels.iter().min(), Some(&0));
    assert_eq!(test_pixels.iter().max(), Some(&255));
    assert_eq!(ds.test.inputs().len(), 10_000 * 784);
    for (&p, &x) in ds.train.bytes().unwrap().iter().zip(ds.train.inputs().iter()).step_by(97) {
        assert_eq!(x, p as f32 / 255.0);
    }
}

#[test]
fn split_holds_out_the_seeded_indices_of_the_training_file() {
    let images = data::parse_idx_images(&data::read_gz(&shared(FASHION).join(TRAIN_IMAGES)).unwrap()).unwrap();
    let labels = file_labels(FASHION, TRAIN_LABELS);
    let ds = load_shared(FASHION, &LoadOptions { seed: 7, ..LoadOptions::default() });
    let (train_order, validation_order) = data::split_indices(60_000, 7, 0.1);
    for (k, &i) in validation_order.iter().enumerate().step_by(599) {
        assert_eq!(ds.validation.raw(k), Some(&images.pixels[i * 784..(i + 1) * 784]));
        assert_eq!(ds.validation.labels[k], labels[i]);
    }
    for (k, &i) in train_order.iter().enumerate().step_by(5399) {
        assert_eq!(ds.train.raw(k), Some(&images.pixels[i * 784..(i + 1) * 784]));
        assert_eq!(ds.train.input(k)[400], images.pixels[i * 784 + 400] as f32 / 255.0);
    }
}

#[test]
fn same_seed_same_split_other_seed_other_split() {
    let small = |seed| LoadOptions { seed, train_limit: Some(500), ..LoadOptions::default() };
    let a = load_shared(FASHION, &small(3));
    let b = load_shared(FASHION, &small(3));
    let c = load_shared(FASHION, &small(4));
    assert_eq!(a.train, b.train);
    assert_eq!(a.validation, b.validation);
    assert_ne!(a.validation.labels, c.validation.labels);
    assert_ne!(a.train.labels, c.train.labels);
    // train_limit caps the training split only.
    assert_eq!((a.train.len(), a.validation.len(), a.test.len()), (500, 6_000, 10_000));

    let wide = load_shared(MNIST, &LoadOptions { validation_fraction: 0.25, ..LoadOptions::default() });
    assert_eq!((wide.train.len(), wide.validation.len()), (45_000, 15_000));
    let none =
        load_shared(MNIST, &LoadOptions { validation_fraction: 0.0, train_limit: Some(10), ..Default::default() });
    assert_eq!((none.train.len(), none.validation.len()), (10, 0));
}

#[test]
fn bad_options_are_errors() {
    for f in [-0.1, 1.0, f32::NAN] {
        let opts = LoadOptions { validation_fraction: f, ..LoadOptions::default() };
        let err = data::load_dir(MNIST, &shared(MNIST), &opts).unwrap_err().to_string();
        assert!(err.contains("validation fraction"), "{err}");
    }
    let err = data::load_dir(MNIST, &shared(MNIST), &LoadOptions { train_limit: Some(0), ..Default::default() });
    assert!(err.unwrap_err().to_string().contains("train limit 0"));
}

// ---------- small synthetic datasets ----------

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn idx_images(count: usize, pixel: u8) -> Vec<u8> {
    let mut b = 2051u32.to_be_bytes().to_vec();
    for d in [count as u32, 28, 28] {
        b.extend(d.to_be_bytes());
    }
    b.resize(16 + count * 784, pixel);
    b
}

fn idx_labels(count: usize, label: u8) -> Vec<u8> {
    let mut b = 2049u32.to_be_bytes().to_vec();
    b.extend((count as u32).to_be_bytes());
    b.resize(8 + count, label);
    b
}

/// Writes a tiny dataset (20 train, 5 test samples) whose labels are all `marker`.
fn write_dataset(dir: &Path, marker: u8) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(TRAIN_IMAGES), gz(&idx_images(20, marker))).unwrap();
    std::fs::write(dir.join(TRAIN_LABELS), gz(&idx_labels(20, marker))).unwrap();
    std::fs::write(dir.join(TEST_IMAGES), gz(&idx_images(5, marker))).unwrap();
    std::fs::write(dir.join(TEST_LABELS), gz(&idx_labels(5, marker))).unwrap();
}

fn marker_of(ds: &data::Dataset) -> u32 {
    ds.test.labels[0]
}

fn no_download() -> LoadOptions {
    LoadOptions { allow_download: false, ..LoadOptions::default() }
}

fn paths(places: Vec<Place>, cache: Option<PathBuf>) -> SearchPaths {
    SearchPaths { data_dir: None, places, cache, mirror: "http://127.0.0.1:9/unused/".into() }
}

#[test]
fn the_first_complete_folder_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    write_dataset(&a.join("fashion-mnist"), 1);
    std::fs::remove_file(a.join("fashion-mnist").join(TEST_LABELS)).unwrap(); // 3 of 4: does not count
    write_dataset(&b.join("fashion-mnist"), 2);
    write_dataset(&c.join("fashion-mnist"), 3);
    let order = paths(vec![Place::parent(&a), Place::parent(&b), Place::parent(&c)], None);
    let ds = data::load_with(FASHION, &no_download(), &order).unwrap();
    assert_eq!((marker_of(&ds), ds.source.clone()), (2, b.join("fashion-mnist")));
    assert_eq!((ds.train.len(), ds.validation.len(), ds.test.len()), (18, 2, 5));

    // Debian's and Keras's spelling `fashion-mnist`, and the CLI's `fashion_mnist`, both count.
    write_dataset(&a.join("fashion_mnist"), 4);
    assert_eq!(marker_of(&data::load_with(FASHION, &no_download(), &order).unwrap()), 4);

    // A folder named for the other dataset is never taken as this one.
    let explicit = paths(vec![Place::explicit(b.join("fashion-mnist")), Place::parent(&c)], None);
    let err = data::load_with(MNIST, &no_download(), &explicit).unwrap_err().to_string();
    assert!(!err.contains(&format!("{}, ", b.join("fashion-mnist").display())), "{err}");
    assert!(err.contains(&c.join("mnist").display().to_string()), "{err}");
    write_dataset(&c.join("mnist"), 5);
    assert_eq!(marker_of(&data::load_with(MNIST, &no_download(), &explicit).unwrap()), 5);

    // The download cache is the last place looked.
    let cached = paths(vec![Place::parent(tmp.path().join("empty"))], Some(c.clone()));
    assert_eq!(marker_of(&data::load_with(FASHION, &no_download(), &cached).unwrap()), 3);
}

#[test]
fn data_dir_is_used_alone() {
    let tmp = tempfile::tempdir().unwrap();
    write_dataset(&tmp.path().join("mnist"), 6);
    write_dataset(&tmp.path().join("other/mnist"), 7);
    let mut order = paths(vec![Place::parent(tmp.path().join("other"))], None);
    order.data_dir = Some(tmp.path().to_path_buf()); // the parent...
    assert_eq!(marker_of(&data::load_with(MNIST, &no_download(), &order).unwrap()), 6);
    order.data_dir = Some(tmp.path().join("mnist")); // ...or the folder itself
    assert_eq!(marker_of(&data::load_with(MNIST, &no_download(), &order).unwrap()), 6);
    // Missing there: an error about --data_dir, even though another place has the files
    // and downloads are allowed.
    order.data_dir = Some(tmp.path().join("nope"));
    let err = data::load_with(MNIST, &LoadOptions::default(), &order).unwrap_err();
    assert!(matches!(err, DataError::DataDir { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("--data_dir {}", tmp.path().join("nope").display())), "{err}");
    std::fs::write(tmp.path().join("file"), b"x").unwrap();
    order.data_dir = Some(tmp.path().join("file"));
    assert!(data::load_with(MNIST, &no_download(), &order).unwrap_err().to_string().contains("not a folder"));
}

#[test]
fn environment_lookup_order() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    const KEYS: [&str; 5] = ["HOME", "XDG_CACHE_HOME", "KERAS_HOME", "FFN_DATA_DIR", "FFN_DATA_MIRROR"];
    let saved = KEYS.map(std::env::var_os);
    let tmp = tempfile::tempdir().unwrap();
    write_dataset(&tmp.path().join("env/fashion-mnist"), 8);
    write_dataset(&tmp.path().join("itself"), 9);
    let set = |k: &str, v: &Path| unsafe { std::env::set_var(k, v) };
    set("HOME", &tmp.path().join("home"));
    set("XDG_CACHE_HOME", &tmp.path().join("xdg"));
    set("KERAS_HOME", &tmp.path().join("keras"));

    // FFN_DATA_DIR as a parent, then as the dataset folder itself, before ../shared/data.
    set("FFN_DATA_DIR", &tmp.path().join("env"));
    let ds = data::load(FASHION, &no_download()).unwrap();
    assert_eq!((marker_of(&ds), ds.source), (8, tmp.path().join("env/fashion-mnist")));
    set("FFN_DATA_DIR", &tmp.path().join("itself"));
    assert_eq!(marker_of(&data::load(FASHION, &no_download()).unwrap()), 9);
    assert_eq!(data::locate(FASHION, None).unwrap(), tmp.path().join("itself"));
    // --data_dir beats FFN_DATA_DIR.
    assert_eq!(data::locate(FASHION, Some(&tmp.path().join("env"))).unwrap(), tmp.path().join("env/fashion-mnist"));

    let shown = |p: &Path| p.display().to_string();
    let places: Vec<String> = SearchPaths::from_env(None).candidates(FASHION).iter().map(|p| shown(p)).collect();
    let position = |needle: &str| {
        places.iter().position(|p| p.ends_with(needle)).unwrap_or_else(|| panic!("{needle} not in {places:?}"))
    };
    let expected = [
        shown(&tmp.path().join("itself")),
        "shared/data/fashion-mnist".to_string(),
        "/usr/share/datasets/fashion-mnist".to_string(),
        shown(&tmp.path().join("keras/datasets/fashion-mnist")),
        shown(&tmp.path().join("xdg/ffn/fashion-mnist")),
    ];
    let positions: Vec<usize> = expected.iter().map(|e| position(e)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{places:?}");

    // Without FFN_DATA_DIR the workspace's shared/data is found from any current directory.
    unsafe { std::env::remove_var("FFN_DATA_DIR") };
    let found = data::locate(FASHION, None).unwrap();
    assert!(data::has_all_files(&found) && found.ends_with("fashion-mnist"), "{found:?}");
    set("FFN_DATA_MIRROR", Path::new("http://127.0.0.1:9/m/"));
    assert_eq!(SearchPaths::from_env(None).mirror, "http://127.0.0.1:9/m/");
    for (key, value) in KEYS.iter().zip(saved) {
        match value {
            Some(v) => unsafe { std::env::set_var(key, v) },
            None => unsafe { std::env::remove_var(key) },
        }
    }
}

// ---------- damaged files ----------

/// Loads a copy of the tiny dataset with one file replaced by `bytes`.
fn load_with_file(file: &str, bytes: &[u8]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    write_dataset(tmp.path(), 1);
    std::fs::write(tmp.path().join(file), bytes).unwrap();
    let result = data::load_dir(MNIST, tmp.path(), &LoadOptions::default());
    let message = result.expect_err("a damaged file must be an error").to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

#[test]
fn damaged_files_are_errors_naming_the_file() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (TRAIN_IMAGES, b"plain text, not gzip".to_vec(), "is not a gzip file"),
        (TRAIN_LABELS, Vec::new(), "the file is empty"),
        (TEST_IMAGES, gz(&idx_images(5, 0))[..40].to_vec(), "damaged gzip"),
        (TEST_IMAGES, gz(&idx_images(5, 0)[..16 + 5 * 784 - 1]), "truncated"),
        (TRAIN_IMAGES, gz(&[idx_images(20, 0), vec![0]].concat()), "trailing"),
        (TRAIN_IMAGES, gz(&idx_labels(20, 0)), "wrong magic"),
        (TEST_LABELS, gz(&idx_images(5, 0)), "wrong magic"),
        (TRAIN_LABELS, gz(&idx_labels(19, 0)), "20 images but"),
        (TEST_LABELS, gz(&idx_labels(6, 0)), "5 images but"),
        (TRAIN_LABELS, gz(&idx_labels(20, 10)), "not a class 0–9"),
    ];
    for (file, bytes, expected) in cases {
        let message = load_with_file(file, &bytes);
        assert!(message.contains(expected), "{file}: {message}");
        assert!(message.contains(file), "the message names {file}: {message}");
    }
    let mut odd = idx_images(20, 0);
    odd[11] = 32; // rows = 32
    assert!(load_with_file(TRAIN_IMAGES, &gz(&odd)).contains("28×28"));
}

// ---------- download from a loopback mirror ----------

/// A one-thread HTTP/1.1 server on 127.0.0.1 serving `files` by name (404 otherwise). It
/// answers at most `max_requests` requests and stops by itself after 120 s.
fn serve(files: HashMap<String, Vec<u8>>, max_requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/tf-keras-datasets/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut served = 0;
        while served < max_requests && Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            served += 1;
            stream.set_nonblocking(false).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let name = request.split_whitespace().nth(1).and_then(|p| p.rsplit('/').next()).unwrap_or("");
            let mut out = &stream;
            let _ = match files.get(name) {
                Some(body) => out
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                            .as_bytes(),
                    )
                    .and_then(|_| out.write_all(body)),
                None => out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    url
}

fn real_files(name: DatasetName) -> HashMap<String, Vec<u8>> {
    FILES.iter().map(|f| (f.to_string(), std::fs::read(shared(name).join(f)).unwrap())).collect()
}

fn download_paths(tmp: &Path, mirror: String) -> SearchPaths {
    SearchPaths {
        data_dir: None,
        places: vec![Place::parent(tmp.join("nothing"))],
        cache: Some(tmp.join("cache")),
        mirror,
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map_or(Vec::new(), |d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
}

#[test]
fn downloads_verified_files_into_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = download_paths(tmp.path(), serve(real_files(FASHION), 4));
    let ds =
        data::load_with(FASHION, &LoadOptions { train_limit: Some(100), ..LoadOptions::default() }, &paths).unwrap();
    let cache = tmp.path().join("cache/fashion-mnist");
    assert_eq!(ds.source, cache);
    assert_eq!(ds.test.labels[..10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    for file in FILES {
        assert_eq!(std::fs::read(cache.join(file)).unwrap(), std::fs::read(shared(FASHION).join(file)).unwrap());
    }
    let mut left = leftovers(&cache);
    left.sort();
    assert_eq!(
        left,
        {
            let mut f = FILES.map(String::from).to_vec();
            f.sort();
            f
        },
        "no temporary files remain"
    );
    // Now cached: a load with downloads forbidden finds it.
    assert_eq!(data::load_with(FASHION, &no_download(), &paths).unwrap().source, cache);
}

#[test]
fn a_wrong_checksum_is_refused_and_nothing_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = real_files(FASHION);
    // MNIST's training images under Fashion-MNIST's name: a valid file, but not the one expected.
    files.insert(TRAIN_IMAGES.into(), std::fs::read(shared(MNIST).join(TRAIN_IMAGES)).unwrap());
    let paths = download_paths(tmp.path(), serve(files, 4));
    let err = data::load_with(FASHION, &LoadOptions::default(), &paths).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"), "{message}");
    assert!(message.contains("expected 3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"), "{message}");
    assert!(message.contains(&format!("{}train-images-idx3-ubyte.gz", paths.mirror)), "{message}");
    assert!(leftovers(&tmp.path().join("cache/fashion-mnist")).is_empty(), "the bad download was not kept");
}

#[test]
fn identical_content_in_another_gzip_header_is_accepted() {
    // Debian's package and possibly other mirrors re-wrap the same deflate data: here the
    // gzip mtime field (bytes 4..8) of every file differs from the original's.
    let tmp = tempfile::tempdir().unwrap();
    let mut files = real_files(FASHION);
    files.values_mut().for_each(|gz| gz[4..8].copy_from_slice(&[1, 2, 3, 4]));
    let paths = download_paths(tmp.path(), serve(files.clone(), 4));
    let ds =
        data::load_with(FASHION, &LoadOptions { train_limit: Some(10), ..LoadOptions::default() }, &paths).unwrap();
    assert_eq!(ds.test.labels[..10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    let cached = std::fs::read(tmp.path().join("cache/fashion-mnist").join(TRAIN_LABELS)).unwrap();
    assert_eq!(cached, files[TRAIN_LABELS]);
}

#[test]
fn mnist_idx_files_are_used_when_the_mirror_has_no_mnist_npz() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = download_paths(tmp.path(), serve(real_files(MNIST), 5));
    let ds = data::load_with(MNIST, &LoadOptions { train_limit: Some(10), ..LoadOptions::default() }, &paths).unwrap();
    assert_eq!(ds.source, tmp.path().join("cache/mnist"));
    assert_eq!(ds.test.labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);

    let empty = download_paths(&tmp.path().join("other"), serve(HashMap::new(), 2));
    let message = data::load_with(MNIST, &LoadOptions::default(), &empty).unwrap_err().to_string();
    assert!(
        message.contains("train-images-idx3-ubyte.gz failed: not on the mirror (HTTP 404), and neither is mnist.npz"),
        "{message}"
    );
}

#[test]
fn mnist_comes_from_the_mirror_as_a_verified_mnist_npz() {
    let tmp = tempfile::tempdir().unwrap();
    let files = HashMap::from([("mnist.npz".to_string(), b"PK\x03\x04 not Keras's archive".to_vec())]);
    let paths = download_paths(tmp.path(), serve(files, 1));
    let message = data::load_with(MNIST, &LoadOptions::default(), &paths).unwrap_err().to_string();
    assert!(message.contains(&format!("{}mnist.npz had SHA-256", paths.mirror)), "{message}");
    assert!(message.contains(&format!("expected {}", data::MNIST_NPZ_SHA256)), "{message}");
    assert!(leftovers(&tmp.path().join("cache/mnist")).is_empty(), "the bad download was not kept");
}

#[test]
fn no_files_and_no_mirror_gives_one_error_listing_every_place() {
    let tmp = tempfile::tempdir().unwrap();
    // A port that was just free: the connection is refused at once.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut paths = download_paths(tmp.path(), format!("http://127.0.0.1:{port}/"));
    paths.places.push(Place::explicit(tmp.path().join("second")));
    let started = Instant::now();
    let message = data::load_with(FASHION, &LoadOptions::default(), &paths).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(15));
    for place in paths.candidates(FASHION) {
        assert!(message.contains(&place.display().to_string()), "{place:?} missing from: {message}");
    }
    assert!(message.contains(&format!("download of http://127.0.0.1:{port}/train-images-idx3-ubyte.gz failed")));
    // What is missing, where it looked (a folder per line), what was tried, how to get the files.
    let lines: Vec<&str> = message.lines().collect();
    assert!(lines[0].starts_with("fashion_mnist data not found: no folder holds all four files"), "{message}");
    assert!(lines[1].trim_start().starts_with("looked in: "), "{message}");
    for place in paths.candidates(FASHION) {
        assert!(
            lines.iter().any(|l| l.trim_start().ends_with(&place.display().to_string())),
            "{place:?} not on a line of its own: {message}"
        );
    }
    assert!(lines.iter().any(|l| l.trim_start().starts_with("tried:") && l.contains("download of")), "{message}");
    let get = lines.iter().find(|l| l.trim_start().starts_with("get them:")).expect(&message);
    assert!(get.contains("apt-get install dataset-fashion-mnist"), "{message}");
    assert!(lines.last().unwrap().contains("FFN_DATA_DIR"), "{message}");
    assert!(lines.iter().all(|l| l.len() < 300), "no line runs on: {message}");

    // A mirror without the files: 404 is reported as such.
    paths.mirror = serve(HashMap::new(), 1);
    let message = data::load_with(FASHION, &LoadOptions::default(), &paths).unwrap_err().to_string();
    assert!(message.contains("404"), "{message}");
    // Downloads forbidden: no attempt.
    let message = data::load_with(FASHION, &no_download(), &paths).unwrap_err().to_string();
    assert!(!message.contains("download of"), "{message}");
    // MNIST has no Debian package: the message says so instead of naming one.
    let message = data::load_with(MNIST, &no_download(), &paths).unwrap_err().to_string();
    assert!(message.contains("Debian has no MNIST package") && !message.contains("apt-get"), "{message}");
}
