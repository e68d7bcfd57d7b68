//! Property tests of the IDX and gzip readers: no input makes them panic, and whatever
//! they accept is self-consistent.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use ffn_trainer::data::{self, IMAGE_LEN, TEST_IMAGES, TEST_LABELS};
use proptest::prelude::*;

fn shared(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist").join(file)
}

/// The real test-label file (10 008 bytes) and the real test-image file cut to its first
/// 20 images (header count patched to match), as starting points for mutations.
static REAL: LazyLock<(Vec<u8>, Vec<u8>)> = LazyLock::new(|| {
    let labels = data::read_gz(&shared(TEST_LABELS)).unwrap();
    let mut images = data::read_gz(&shared(TEST_IMAGES)).unwrap();
    images.truncate(16 + 20 * IMAGE_LEN);
    images[4..8].copy_from_slice(&20u32.to_be_bytes());
    (labels, images)
});

fn check_images(bytes: &[u8]) {
    if let Ok(images) = data::parse_idx_images(bytes) {
        assert_eq!((images.rows, images.cols), (28, 28));
        assert_eq!(images.pixels.len(), images.count * IMAGE_LEN);
        assert_eq!(bytes.len(), 16 + images.pixels.len());
    }
}

fn check_labels(bytes: &[u8]) {
    if let Ok(labels) = data::parse_idx_labels(bytes) {
        assert_eq!(bytes.len(), 8 + labels.len());
        assert!(labels.iter().all(|&l| l < 10));
    }
}

/// A byte edit: overwrite, insert or delete at a position (taken modulo the length).
#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Most edits hit the header, where the parser's decisions are made.
    let pos = prop_oneof![3 => 0usize..16, 1 => any::<usize>()];
    prop_oneof![
        4 => (pos.clone(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
        1 => (pos.clone(), any::<u8>()).prop_map(|(p, b)| Edit::Insert(p, b)),
        1 => pos.clone().prop_map(Edit::Delete),
        1 => pos.prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
        match *e {
            Edit::Set(p, b) if !bytes.is_empty() => {
                let i = at(p, bytes.len());
                bytes[i] = b;
            }
            Edit::Insert(p, b) => bytes.insert(at(p, bytes.len() + 1), b),
            Edit::Delete(p) if !bytes.is_empty() => {
                bytes.remove(at(p, bytes.len()));
            }
            Edit::Truncate(p) => bytes.truncate(at(p, bytes.len() + 1)),
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_images(&bytes);
        check_labels(&bytes);
    }

    #[test]
    fn arbitrary_headers_with_idx_magic_never_panic(
        magic in prop_oneof![Just(0x0803u32), Just(0x0801u32), any::<u32>()],
        dims in proptest::collection::vec(prop_oneof![0u32..40, Just(28u32), any::<u32>()], 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..3000),
    ) {
        let mut bytes = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
        bytes.extend(body);
        check_images(&bytes);
        check_labels(&bytes);
    }

    #[test]
    fn mutated_real_files_never_panic(edits in proptest::collection::vec(edit(), 1..4)) {
        let (labels, images) = &*REAL;
        let labels = apply(labels.clone(), &edits);
        let images = apply(images.clone(), &edits);
        check_labels(&labels);
        check_images(&images);
        check_images(&labels);
        check_labels(&images);
    }

    #[test]
    fn well_formed_files_round_trip(
        labels in proptest::collection::vec(0u8..10, 0..30),
        seed in any::<u8>(),
    ) {
        let n = labels.len();
        let mut label_file = 2049u32.to_be_bytes().to_vec();
        label_file.extend((n as u32).to_be_bytes());
        label_file.extend(&labels);
        prop_assert_eq!(data::parse_idx_labels(&label_file).unwrap(), labels);

        let pixels: Vec<u8> = (0..n * IMAGE_LEN).map(|i| (i as u8).wrapping_mul(seed)).collect();
        let mut image_file = 2051u32.to_be_bytes().to_vec();
        [n as u32, 28, 28].iter().for_each(|d| image_file.extend(d.to_be_bytes()));
        image_file.extend(&pixels);
        let images = data::parse_idx_images(&image_file).unwrap();
        prop_assert_eq!((images.count, images.pixels), (n, pixels));
    }
}

proptest! {
    // Each case writes a file: fewer cases.
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn damaged_gzip_is_an_error_not_a_panic(
        cut in 0usize..5148,
        flip in any::<(usize, u8)>(),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let real = std::fs::read(shared(TEST_LABELS)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.gz");

        // Any proper prefix of the file is missing its trailer at least.
        std::fs::write(&path, &real[..cut.min(real.len() - 1)]).unwrap();
        prop_assert!(data::read_gz(&path).is_err());

        let mut flipped = real.clone();
        let i = flip.0 % flipped.len();
        flipped[i] ^= flip.1;
        std::fs::write(&path, &flipped).unwrap();
        if let Ok(bytes) = data::read_gz(&path) {
            check_labels(&bytes);
        }

        let mut gz_junk = vec![0x1f, 0x8b];
        gz_junk.extend(&junk);
        std::fs::write(&path, &gz_junk).unwrap();
        let _ = data::read_gz(&path);
    }
}

fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_npy_and_npz_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(array) = data::parse_npy_u8(&bytes) {
            prop_assert_eq!(array.shape.iter().product::<usize>(), array.data.len());
        }
        let _ = data::npz_to_idx(&bytes);
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend(&bytes);
        let _ = data::npz_to_idx(&zipped);
    }

    #[test]
    fn mutated_npy_headers_never_panic(
        shape in "\\((\\d{0,3}, ?){0,3}\\d{0,3},?\\)",
        descr in prop_oneof![Just("'|u1'".to_string()), "'[<>|]?[uif][0-9]'", ".{0,6}"],
        fortran in prop_oneof![Just("False"), Just("True"), Just("")],
        edits in proptest::collection::vec(edit(), 0..3),
        data_len in 0usize..64,
    ) {
        let header = format!("{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}\n");
        let bytes = apply(npy(&header, &vec![1u8; data_len]), &edits);
        if let Ok(array) = data::parse_npy_u8(&bytes) {
            prop_assert_eq!(array.shape.iter().product::<usize>(), array.data.len());
        }
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

proptest! {
    // Each case writes and loads a small dataset: fewer cases.
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// The streaming reader of the training images (and the whole load) on mutated files.
    #[test]
    fn load_of_mutated_training_files_never_panics(
        image_edits in proptest::collection::vec(edit(), 0..3),
        label_edits in proptest::collection::vec(edit(), 0..2),
        train_limit in prop_oneof![Just(None), (1usize..25).prop_map(Some)],
    ) {
        let (labels, images) = &*REAL;
        let dir = tempfile::tempdir().unwrap();
        let mut train_labels = labels[..8 + 20].to_vec();
        train_labels[4..8].copy_from_slice(&20u32.to_be_bytes());
        let files = [
            (data::TRAIN_IMAGES, apply(images.clone(), &image_edits)),
            (data::TRAIN_LABELS, apply(train_labels, &label_edits)),
            (TEST_IMAGES, images.clone()),
            (TEST_LABELS, {
                let mut l = labels[..8 + 20].to_vec();
                l[4..8].copy_from_slice(&20u32.to_be_bytes());
                l
            }),
        ];
        for (name, content) in &files {
            std::fs::write(dir.path().join(name), gz(content)).unwrap();
        }
        let opts = data::LoadOptions { train_limit, ..data::LoadOptions::default() };
        if let Ok(ds) = data::load_dir(data::DatasetName::FashionMnist, dir.path(), &opts) {
            let n = ds.train.len() + ds.validation.len();
            prop_assert!(n <= 20 && ds.validation.len() == 2);
            prop_assert_eq!(ds.train.inputs().len(), ds.train.len() * IMAGE_LEN);
            prop_assert!(ds.train.labels.iter().all(|&l| l < 10));
        }
    }
}
