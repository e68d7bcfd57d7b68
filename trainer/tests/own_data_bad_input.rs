//! Bad own data: every case is one clear line naming the file (and the line or column
//! where it applies), never a panic.

mod support;

use std::path::Path;

use ffn_trainer::data::{FileSource, ImageSize};
use support::*;

/// Loads `source`, expecting an error that names `file` and contains `expected`.
fn rejects(source: FileSource, file: &Path, expected: &str) -> String {
    let message = load(source, 0).expect_err("must be rejected");
    assert!(message.contains(expected), "expected '{expected}' in: {message}");
    assert!(message.contains(&file.display().to_string()), "the message names {}: {message}", file.display());
    assert!(!message.contains('\n'), "one line: {message}");
    eprintln!("{message}");
    message
}

fn csv(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    write(dir, name, text.as_bytes())
}

#[test]
fn bad_tables() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(&str, &str, &str)> = vec![
        ("ragged.csv", "a,b,label\n1,2,x\n3,y\n", "line 3: 2 fields where the first row has 3"),
        ("text.csv", "a,b,label\n1,2,x\n3,high,y\n", "line 3, column 'b' (2): 'high' is not a number"),
        ("hole.csv", "a,b,label\n1,2,x\n,4,y\n", "line 3, column 'a' (1): the cell is empty"),
        ("nan.csv", "a,b,label\n1,nan,x\n3,4,y\n", "line 2, column 'b' (2): 'nan' is NaN, not a finite number"),
        ("inf.csv", "a,b,label\n1,2,x\n3,inf,y\n", "line 3, column 'b' (2): 'inf' is inf, not a finite number"),
        ("empty.csv", "", "the file is empty"),
        ("header.csv", "a,b,label\n", "a header row but no data rows"),
        ("one_class.csv", "a,b,label\n1,2,x\n3,4,x\n", "column 'label' (3): every sample has the label 'x'"),
        ("twice.csv", "a,b,a\n1,2,3\n", "line 1: the column name 'a' is used twice (columns 1 and 3)"),
        ("no_label.csv", "a,b,c\n0.5,1,0.25\n2,3,4.75\n", "the labels include 0.25, a number that is not whole"),
        ("one_column.csv", "1\n2\n", "one column only"),
    ];
    for (name, text, expected) in cases {
        let path = csv(d, name, text);
        rejects(FileSource::new(&path), &path, expected);
    }
    let ids: String = (0..=10_000).map(|i| format!("{i},id{i}\n")).collect();
    let path = csv(d, "ids.csv", &ids);
    rejects(FileSource::new(&path), &path, "more than 10000 distinct labels");

    // A label column that names nothing.
    let path = csv(d, "named.csv", "a,b,label\n1,2,x\n3,4,y\n");
    let mut source = FileSource::new(&path);
    source.label_column = Some("activity".into());
    rejects(source, &path, "--label_column 'activity' names no column; the columns are 'a', 'b', 'label'");
    let mut source = FileSource::new(&path);
    source.label_column = Some("7".into());
    rejects(source, &path, "--label_column 7 is outside the 3 columns");

    // A test file with other columns, or labels the training file does not have.
    let mut source = FileSource::new(&path);
    let test = csv(d, "test_cols.csv", "a,c,label\n1,2,x\n");
    source.test_data = Some(test.clone());
    rejects(source.clone(), &test, "its columns [a, c, label] differ from the training file's [a, b, label]");
    let test = csv(d, "test_labels.csv", "a,b,label\n1,2,x\n3,4,zebra\n");
    source.test_data = Some(test.clone());
    rejects(source, &test, "sample 2 has the label 'zebra', which no training sample has (the classes are 'x', 'y')");
}

#[test]
fn bad_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x = write(d, "x.npy", &npy("<f4", &[4, 2], &le_f32(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])));
    let y3 = write(d, "y3.npy", &npy("<i8", &[3], &le_i64(&[0, 1, 0])));
    let mut source = FileSource::new(&x);
    source.labels = Some(y3);
    rejects(source, &x, "holds 4 samples but");

    let objects = write(d, "objects.npy", &npy("|O", &[4], &[0; 32]));
    let mut source = FileSource::new(&x);
    source.labels = Some(objects.clone());
    rejects(source, &objects, "dtype object (pickled Python objects)");

    let nan = write(d, "nan.npy", &npy("<f4", &[2, 2], &le_f32(&[0.0, 1.0, f32::INFINITY, 3.0])));
    let y2 = write(d, "y2.npy", &npy("<i8", &[2], &le_i64(&[0, 1])));
    let mut source = FileSource::new(&nan);
    source.labels = Some(y2);
    rejects(source, &nan, "sample 2, value 1: inf is not a finite number");

    rejects(FileSource::new(&x), &x, "holds features only: name its labels file with --labels");

    let keys =
        write(d, "keys.npz", &npz(&[("features", npy("|u1", &[1, 1], &[0])), ("targets", npy("|u1", &[1], &[0]))]));
    rejects(FileSource::new(&keys), &keys, "holds the arrays [features, targets] but none of the pairs x/y");

    let table = csv(d, "t.csv", "a,label\n1,x\n2,y\n");
    let mut source = FileSource::new(&table);
    source.labels = Some(x.clone());
    rejects(source, &table, "--labels is for .npy and IDX files");

    // 8-bit training arrays with a float test set.
    let bytes = write(d, "bytes.npy", &npy("|u1", &[4, 2], &[0, 1, 2, 3, 4, 5, 6, 7]));
    let y4 = write(d, "y4.npy", &npy("<i8", &[4], &le_i64(&[0, 1, 0, 1])));
    let mut source = FileSource::new(&bytes);
    (source.labels, source.test_data, source.test_labels) = (Some(y4.clone()), Some(x.clone()), Some(y4));
    rejects(source, &x, "holds floats but the training data is 8-bit");

    let images = write(d, "images.idx", &idx(0x08, &[3, 2, 2], &[0; 11]));
    let labels = write(d, "labels.idx", &idx(0x08, &[3], &[0, 1, 0]));
    let mut source = FileSource::new(&images);
    source.labels = Some(labels);
    rejects(source, &images, "the header announces 3×2×2 u8 values (12 bytes) but 11 bytes follow");
}

#[test]
fn bad_image_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("photos");
    let (pixels, labels) = mnist_digits(4);
    let folder = |name: &str| root.join(name);
    png_folder(&root, &pixels, &["cat".into(), "dog".into(), "cat".into(), "dog".into()], 28, 28);
    let _ = labels;

    let corrupt = folder("cat/broken.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\n not really").unwrap();
    rejects(FileSource::new(&root), &corrupt, "is not a readable image");
    std::fs::remove_file(&corrupt).unwrap();

    let text = folder("dog/notes.txt");
    std::fs::write(&text, b"hello").unwrap();
    rejects(FileSource::new(&root), &text, "is not an image file (.png, .jpg, .jpeg or .bmp)");
    std::fs::remove_file(&text).unwrap();

    std::fs::create_dir_all(folder("bird")).unwrap();
    rejects(FileSource::new(&root), &folder("bird"), "the class folder is empty");
    std::fs::remove_dir(folder("bird")).unwrap();

    let small = image::GrayImage::from_raw(14, 28, vec![9; 14 * 28]).unwrap();
    small.save(folder("dog/small.png")).unwrap();
    rejects(FileSource::new(&root), &folder("dog/small.png"), "is 28x14 but");
    let mut resized = FileSource::new(&root);
    resized.image_size = Some(ImageSize { height: 28, width: 28 });
    assert!(load(resized, 0).is_ok(), "--image_size makes mixed sizes fine");

    // A test folder of another size.
    let test_root = dir.path().join("test_photos");
    png_folder(&test_root, &pixels[..2 * 784], &["cat".into(), "dog".into()], 14, 56);
    std::fs::remove_file(folder("dog/small.png")).unwrap();
    let mut source = FileSource::new(&root);
    source.test_data = Some(test_root.clone());
    rejects(source, &test_root.join("cat/00000.png"), "is 56x14 but the training images are 28x28");

    let empty_root = dir.path().join("nothing");
    std::fs::create_dir_all(&empty_root).unwrap();
    rejects(FileSource::new(&empty_root), &empty_root, "holds no class folders");

    let missing = dir.path().join("missing.csv");
    rejects(FileSource::new(&missing), &missing, "cannot read");
}

#[test]
fn options_of_another_format_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let table = csv(dir.path(), "t.csv", "a,b,label\n1,2,x\n3,4,y\n");
    let mut source = FileSource::new(&table);
    source.channels = Some(3);
    rejects(source, &table, "--channels does not apply to");
    let mut source = FileSource::new(&table);
    source.image_size = Some(ImageSize { height: 8, width: 8 });
    rejects(source, &table, "--image_size does not apply to");

    let root = dir.path().join("photos");
    let (pixels, _) = mnist_digits(2);
    png_folder(&root, &pixels, &["cat".into(), "dog".into()], 28, 28);
    let mut source = FileSource::new(&root);
    source.label_column = Some("label".into());
    rejects(source, &root, "--label_column does not apply to");
    let mut source = FileSource::new(&root);
    source.no_header = true;
    rejects(source, &root, "--no_header does not apply to");
}
