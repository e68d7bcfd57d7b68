//! Own data, from the files the user named to a [`Dataset`]: read (each format in its
//! module), classes from the training labels, the test set (a file, an `.npz`'s
//! `x_test`/`y_test`, or a stratified hold-out), the validation split, and the
//! preprocessing (tables standardised with the training split's statistics, 8-bit
//! data scaled by 1/255 when batches are gathered).

use std::io::Read;
use std::path::Path;

use super::array::{Array, Role, Samples, same_count};
use super::classes::{ClassError, Classes, Labels};
use super::delimited::{self, TableOptions};
use super::folder::{self, ImageOptions};
use super::holdout::{self, Plan};
use super::info::{DataInfo, Preprocessing};
use super::split::{Split, Values};
use super::{DataError, Dataset, FileSource, LoadOptions, idx_array, npy, standardize};

/// What a path holds, from its first bytes (an image folder is a directory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Table,
    Npy,
    Npz,
    Idx,
    Images,
}

fn format_of(path: &Path) -> Result<Format, DataError> {
    if path.is_dir() {
        return Ok(Format::Images);
    }
    let read_error = |source| DataError::Read { path: path.into(), source };
    let mut start = Vec::with_capacity(8);
    std::fs::File::open(path).and_then(|f| f.take(8).read_to_end(&mut start)).map_err(read_error)?;
    if start.starts_with(&[0x1f, 0x8b]) {
        let file = std::fs::File::open(path).map_err(read_error)?;
        start.clear();
        // A damaged stream shows as a table, whose reader reports it.
        let _ = flate2::read::GzDecoder::new(file).take(8).read_to_end(&mut start);
    }
    Ok(match &start[..] {
        [b'P', b'K', 3 | 5, 4 | 6, ..] => Format::Npz,
        [0x93, b'N', b'U', b'M', b'P', b'Y', ..] => Format::Npy,
        s if idx_array::looks_like_idx(s) => Format::Idx,
        _ => Format::Table,
    })
}

/// Samples and labels as read, before classes and splits.
struct Loaded {
    samples: Samples,
    labels: Labels,
    feature_names: Vec<String>,
}

/// Loads `source` and splits it (see the module doc).
pub(crate) fn load_files(source: &FileSource, opts: &LoadOptions) -> Result<Dataset, DataError> {
    check(source)?;
    let format = format_of(&source.data)?;
    let (train, test, label_place) = read_all(source, format)?;
    let classes = Classes::of(&train.labels).map_err(|e| class_error(&source.data, label_place, e))?;
    let labels = classes.index(&train.labels).map_err(|e| class_error(&source.data, String::new(), e))?;
    let test = match test {
        Some((path, test)) => {
            if test.samples.width != train.samples.width {
                return Err(DataError::invalid(
                    &path,
                    format!(
                        "has {} values per sample but the training data has {}; a test set needs the same features",
                        test.samples.width, train.samples.width
                    ),
                ));
            }
            let labels = classes.index(&test.labels).map_err(|e| class_error(&path, String::new(), e))?;
            let values = match (&train.samples.values, test.samples.values) {
                (Values::Bytes(_), Values::Floats(_)) => {
                    return Err(DataError::invalid(
                        &path,
                        "holds floats but the training data is 8-bit (scaled by 1/255): save both with the same \
                         dtype",
                    ));
                }
                // 8-bit test values of float training data are standardised like the rest.
                (Values::Floats(_), Values::Bytes(b)) => Values::Floats(b.into_iter().map(f32::from).collect()),
                (_, values) => values,
            };
            Some(Split::new(test.samples.width, values, labels))
        }
        None => None,
    };
    let count = train.samples.count();
    let held_out = match &test {
        Some(_) => Vec::new(),
        None => holdout::stratified_test(&labels, classes.len(), source.test_fraction, opts.seed),
    };
    let plan = holdout::plan(count, held_out, opts.seed, opts.validation_fraction, opts.train_limit);
    check_plan(&source.data, count, &plan, test.is_some())?;
    let (width, image) = (train.samples.width, train.samples.image);
    let (mut train_split, mut validation, held_test) = holdout::cut(train.samples.values, width, &labels, &plan);
    let mut test = test.unwrap_or(held_test);
    let preprocessing = match train_split.values() {
        Values::Bytes(_) => Preprocessing::Divide { divisor: 255.0 },
        Values::Floats(f) => {
            let (mean, std) = standardize::statistics(f, width);
            for split in [&mut train_split, &mut validation, &mut test] {
                split.standardize(&mean, &std);
            }
            Preprocessing::Standardize { mean, std }
        }
    };
    let info = DataInfo {
        input_len: width,
        preprocessing,
        image,
        classes: classes.names,
        feature_names: train.feature_names,
        source: describe(source),
    };
    Ok(Dataset { name: None, source: source.data.clone(), train: train_split, validation, test, info })
}

fn class_error(path: &Path, at: String, e: ClassError) -> DataError {
    DataError::invalid_at(path, at, e.to_string())
}

fn check(source: &FileSource) -> Result<(), DataError> {
    let f = source.test_fraction;
    if !(f > 0.0 && f < 1.0) {
        return Err(DataError::Option(format!("test fraction {f} must be above 0 and below 1")));
    }
    if let Some(c) = source.channels.filter(|c| ![1, 3].contains(c)) {
        return Err(DataError::Option(format!("--channels {c}: images are read with 1 (grey) or 3 (RGB) channels")));
    }
    if source.test_labels.is_some() && source.test_data.is_none() {
        return Err(DataError::Option("test labels without test data: pass --test_data too".into()));
    }
    Ok(())
}

/// An option of another format (`--channels` for a CSV, `--label_column` for an
/// image folder) would be ignored: the user meant other data, or another flag.
fn refuse_foreign_options(source: &FileSource, format: Format) -> Result<(), DataError> {
    let given = [
        ("--label_column", Format::Table, source.label_column.is_some()),
        ("--delimiter", Format::Table, source.delimiter.is_some()),
        ("--no_header", Format::Table, source.no_header),
        ("--image_size", Format::Images, source.image_size.is_some()),
        ("--channels", Format::Images, source.channels.is_some()),
    ];
    let Some((flag, _, _)) = given.iter().find(|(_, applies_to, given)| *given && *applies_to != format) else {
        return Ok(());
    };
    let kind = match format {
        Format::Table => "a table",
        Format::Images => "an image folder",
        Format::Npy | Format::Npz | Format::Idx => "an array file",
    };
    Err(DataError::Option(format!(
        "{flag} does not apply to {}, which is {kind}: drop it (tables take --label_column, --delimiter, \
         --no_header; image folders --image_size, --channels)",
        source.data.display()
    )))
}

/// Every split the run needs must have samples.
fn check_plan(path: &Path, count: usize, plan: &Plan, test_file: bool) -> Result<(), DataError> {
    if plan.train.is_empty() {
        return Err(DataError::invalid(
            path,
            format!("holds {count} samples: none is left to train on after the test and validation hold-outs"),
        ));
    }
    if plan.test.is_empty() && !test_file {
        return Err(DataError::invalid(
            path,
            format!(
                "holds {count} samples: too few to hold out a test set (raise --test_fraction or pass --test_data)"
            ),
        ));
    }
    Ok(())
}

/// The file names, for `DataInfo::source`.
fn describe(source: &FileSource) -> String {
    let name = |p: &Path| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut text = name(&source.data);
    if let Some(labels) = &source.labels {
        text = format!("{text} + {}", name(labels));
    }
    if let Some(test) = &source.test_data {
        text = format!("{text} (test: {})", name(test));
    }
    text
}

/// The training data, the test data (and its path), and where the labels are in a
/// table (", column 'label' (5)"), for messages.
type ReadAll = (Loaded, Option<(std::path::PathBuf, Loaded)>, String);

/// Reads the training data and the test data (a file, or an `.npz`'s test arrays).
fn read_all(source: &FileSource, format: Format) -> Result<ReadAll, DataError> {
    let data = &source.data;
    let wants_labels = matches!(format, Format::Npy | Format::Idx);
    if source.labels.is_some() && !wants_labels {
        return Err(DataError::Option(format!(
            "--labels is for .npy and IDX files, whose labels are a second file; {} holds its own labels",
            data.display()
        )));
    }
    refuse_foreign_options(source, format)?;
    match format {
        Format::Table => {
            let opts = TableOptions {
                label_column: source.label_column.clone(),
                delimiter: source.delimiter,
                no_header: source.no_header,
            };
            let table = delimited::read_table(data, &opts, None)?;
            let label_place = format!(", {}", table.layout.column_name(table.layout.label));
            let test = match &source.test_data {
                Some(path) => {
                    Some((path.clone(), from_table(delimited::read_table(path, &opts, Some(&table.layout))?)))
                }
                None => None,
            };
            Ok((from_table(table), test, label_place))
        }
        Format::Images => {
            let opts = ImageOptions { size: source.image_size, channels: source.channels };
            let images = folder::read_images(data, &opts, None)?;
            let shape = images.shape;
            let test = match &source.test_data {
                Some(path) => {
                    let test = folder::read_images(path, &opts, Some(shape))?;
                    Some((path.clone(), from_images(test)))
                }
                None => None,
            };
            Ok((from_images(images), test, String::new()))
        }
        Format::Npz => {
            let arrays = npy::load_npz(data)?;
            let train = from_arrays(data, arrays.x, data, arrays.y)?;
            let test = match (&source.test_data, arrays.test) {
                (Some(path), _) => Some((path.clone(), read_test_arrays(source, path)?)),
                (None, Some((x, y))) => Some((data.clone(), from_arrays(data, x, data, y)?)),
                (None, None) => None,
            };
            Ok((train, test, String::new()))
        }
        Format::Npy | Format::Idx => {
            let labels = source.labels.as_ref().ok_or_else(|| {
                DataError::Option(format!(
                    "{} holds features only: name its labels file with --labels (a .npy or IDX file with one \
                     label per sample)",
                    data.display()
                ))
            })?;
            let train =
                from_arrays(data, load_array(data, Role::Features)?, labels, load_array(labels, Role::Labels)?)?;
            let test = match &source.test_data {
                Some(path) => Some((path.clone(), read_test_arrays(source, path)?)),
                None => None,
            };
            Ok((train, test, String::new()))
        }
    }
}

/// A `.npy`/IDX array of either kind, by its content.
fn load_array(path: &Path, role: Role) -> Result<Array, DataError> {
    match format_of(path)? {
        Format::Npy => npy::load_npy(path, role),
        Format::Idx => idx_array::load_idx(path, role),
        _ => Err(DataError::invalid(path, "is neither a .npy array nor an IDX file")),
    }
}

/// The test set of array data: an `.npz` (its test arrays, else x/y), or a features file
/// with `test_labels`.
fn read_test_arrays(source: &FileSource, path: &Path) -> Result<Loaded, DataError> {
    if format_of(path)? == Format::Npz {
        let arrays = npy::load_npz(path)?;
        let (x, y) = arrays.test.unwrap_or((arrays.x, arrays.y));
        return from_arrays(path, x, path, y);
    }
    let labels = source.test_labels.as_ref().ok_or_else(|| {
        DataError::Option(format!(
            "{} holds test features only: name its labels file (--test_labels), or pass an .npz",
            path.display()
        ))
    })?;
    from_arrays(path, load_array(path, Role::Features)?, labels, load_array(labels, Role::Labels)?)
}

fn from_arrays(x_path: &Path, x: Array, y_path: &Path, y: Array) -> Result<Loaded, DataError> {
    let (x_count, y_count) = (x.count(), y.count());
    let samples = x.into_samples(x_path)?;
    let labels = y.into_labels(y_path)?;
    same_count(x_path, x_count, y_path, y_count)?;
    Ok(Loaded { samples, labels, feature_names: Vec::new() })
}

fn from_table(table: delimited::Table) -> Loaded {
    let feature_names = table.layout.feature_names();
    let samples = Samples { width: table.width, values: Values::Floats(table.values), image: None };
    Loaded { samples, labels: table.labels, feature_names }
}

fn from_images(images: folder::Images) -> Loaded {
    let samples = Samples { width: images.shape.len(), values: Values::Bytes(images.bytes), image: Some(images.shape) };
    Loaded { samples, labels: images.labels, feature_names: Vec::new() }
}
