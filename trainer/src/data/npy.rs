//! NumPy `.npy` arrays (through `npyz`: every byte order, both memory orders, all
//! integer, float, bool and string dtypes) and `.npz` archives of them (through
//! `zip`, the crate the project already uses; `npyz`'s own npz support pins an old
//! `zip`). Arrays are streamed from the file, never held twice.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use npyz::{DType, NpyFile, Order, TypeChar};

use super::DataError;
use super::array::{Array, ArrayData, Role, fortran_to_c};

/// Elements reserved up front at most: a header may announce more than the file holds.
const MAX_RESERVE: u64 = 1 << 26;

/// The feature/label arrays of an `.npz` archive.
pub(crate) struct NpzArrays {
    pub x: Array,
    pub y: Array,
    /// `x_test`/`y_test`, when the archive has them.
    pub test: Option<(Array, Array)>,
}

/// Key pairs of an `.npz`, tried in order: (features, labels).
const TRAIN_KEYS: [(&str, &str); 4] = [("x_train", "y_train"), ("X_train", "y_train"), ("x", "y"), ("X", "y")];
const TEST_KEYS: [(&str, &str); 2] = [("x_test", "y_test"), ("X_test", "y_test")];

fn open(path: &Path) -> Result<File, DataError> {
    File::open(path).map_err(|source| DataError::Read { path: path.into(), source })
}

/// Reads the `.npy` file at `path`.
pub(crate) fn load_npy(path: &Path, role: Role) -> Result<Array, DataError> {
    read_npy(BufReader::with_capacity(1 << 20, open(path)?), role).map_err(|problem| DataError::invalid(path, problem))
}

/// Reads the features and labels of the `.npz` archive at `path`.
pub(crate) fn load_npz(path: &Path) -> Result<NpzArrays, DataError> {
    let bad = |problem: String| DataError::invalid(path, problem);
    let mut archive = zip::ZipArchive::new(BufReader::new(open(path)?))
        .map_err(|e| bad(format!("not a readable .npz (zip) archive ({e})")))?;
    let names: Vec<String> =
        archive.file_names().filter_map(Result::ok).map(|n| n.trim_end_matches(".npy").to_string()).collect();
    let has = |key: &str| names.iter().any(|n| n == key);
    let mut read = |key: &str, role: Role| -> Result<Array, DataError> {
        let member = archive.by_name(&format!("{key}.npy")).map_err(|e| bad(format!("cannot open {key}.npy ({e})")))?;
        read_npy(BufReader::new(member), role).map_err(|problem| bad(format!("array '{key}': {problem}")))
    };
    let Some((x_key, y_key)) = TRAIN_KEYS.into_iter().find(|(x, y)| has(x) && has(y)) else {
        let mut shown = names.clone();
        shown.sort();
        return Err(bad(format!(
            "holds the arrays [{}] but none of the pairs x/y, X/y, x_train/y_train: save it with \
             np.savez(path, x=features, y=labels)",
            shown.join(", ")
        )));
    };
    let (x, y) = (read(x_key, Role::Features)?, read(y_key, Role::Labels)?);
    let test = match TEST_KEYS.into_iter().find(|(x, y)| has(x) && has(y)) {
        Some((tx, ty)) => Some((read(tx, Role::Features)?, read(ty, Role::Labels)?)),
        None => None,
    };
    Ok(NpzArrays { x, y, test })
}

/// Collects the elements of `file` as `T`, converted by `convert`.
fn collect<T: npyz::Deserialize, U, R: Read>(file: NpyFile<R>, convert: impl Fn(T) -> U) -> Result<Vec<U>, String> {
    let mut out = Vec::with_capacity(file.len().min(MAX_RESERVE) as usize);
    for element in file.data::<T>().map_err(|e| e.to_string())? {
        out.push(convert(element.map_err(|e| format!("the data is truncated or damaged ({e})"))?));
    }
    Ok(out)
}

/// Reads a `.npy` stream: its header, then its data as `role` asks.
pub(crate) fn read_npy(reader: impl Read, role: Role) -> Result<Array, String> {
    let file = NpyFile::new(reader).map_err(|e| format!("not a .npy array ({e})"))?;
    let shape: Vec<usize> = file.shape().iter().map(|&d| d as usize).collect();
    let order = file.order();
    let DType::Plain(ty) = file.dtype() else {
        return Err(format!(
            "a structured array (dtype {}) cannot be used: save a plain numeric array",
            file.dtype().descr()
        ));
    };
    let (kind, size) = (ty.type_char(), ty.size_field());
    let data = match (kind, size, role) {
        (TypeChar::Object, ..) => {
            return Err("the array has dtype object (pickled Python objects), which cannot be read safely: save \
                        it as numbers, e.g. np.save(path, np.asarray(x, dtype=np.float32))"
                .into());
        }
        (TypeChar::Uint, 1, Role::Features) => ArrayData::Bytes(read_bytes(file)?),
        (TypeChar::UnicodeStr | TypeChar::ByteStr, _, Role::Labels) => ArrayData::Texts(collect(file, |s: String| s)?),
        (TypeChar::Bool | TypeChar::Int | TypeChar::Uint | TypeChar::Float, _, Role::Features) => {
            ArrayData::Floats(numbers(file, kind, size, |v| v as f32)?)
        }
        (TypeChar::Bool | TypeChar::Int | TypeChar::Uint | TypeChar::Float, _, Role::Labels) => {
            ArrayData::Numbers(numbers(file, kind, size, |v| v)?)
        }
        _ => {
            let what = if role == Role::Features { "features (numbers)" } else { "labels (numbers or text)" };
            return Err(format!("dtype {} cannot be read as {what}", ty));
        }
    };
    let data = match (order, data) {
        (Order::C, data) => data,
        (Order::Fortran, ArrayData::Bytes(b)) => ArrayData::Bytes(fortran_to_c(&b, &shape)),
        (Order::Fortran, ArrayData::Floats(f)) => ArrayData::Floats(fortran_to_c(&f, &shape)),
        (Order::Fortran, ArrayData::Numbers(n)) => ArrayData::Numbers(fortran_to_c(&n, &shape)),
        // Text is only read as labels, one per sample, where both orders agree.
        (Order::Fortran, ArrayData::Texts(t)) => ArrayData::Texts(t),
    };
    Ok(Array { shape, data })
}

/// The numbers of `file` (any bool, integer or float dtype) through `f64`, then `convert`.
/// `f64` holds every value of these dtypes but 64-bit integers beyond 2^53 exactly.
fn numbers<U, R: Read>(
    file: NpyFile<R>,
    kind: TypeChar,
    size: u64,
    convert: impl Fn(f64) -> U,
) -> Result<Vec<U>, String> {
    match (kind, size) {
        (TypeChar::Bool, 1) => collect(file, |v: bool| convert(f64::from(u8::from(v)))),
        (TypeChar::Int, 1) => collect(file, |v: i8| convert(f64::from(v))),
        (TypeChar::Int, 2) => collect(file, |v: i16| convert(f64::from(v))),
        (TypeChar::Int, 4) => collect(file, |v: i32| convert(f64::from(v))),
        (TypeChar::Int, 8) => collect(file, |v: i64| convert(v as f64)),
        (TypeChar::Uint, 1) => collect(file, |v: u8| convert(f64::from(v))),
        (TypeChar::Uint, 2) => collect(file, |v: u16| convert(f64::from(v))),
        (TypeChar::Uint, 4) => collect(file, |v: u32| convert(f64::from(v))),
        (TypeChar::Uint, 8) => collect(file, |v: u64| convert(v as f64)),
        // f32 → f64 → f32 is exact.
        (TypeChar::Float, 4) => collect(file, |v: f32| convert(f64::from(v))),
        (TypeChar::Float, 8) => collect(file, |v: f64| convert(v)),
        (TypeChar::Float, 2) => Err("dtype float16 is not supported: save it as float32 (x.astype(np.float32))".into()),
        _ => Err(format!("{size}-byte {kind:?} numbers are not supported: save them as float32 or int64")),
    }
}

/// The data of a `u8` array, read in bulk.
fn read_bytes<R: Read>(file: NpyFile<R>) -> Result<Vec<u8>, String> {
    let len = file.len();
    let mut out = Vec::with_capacity(len.min(MAX_RESERVE) as usize);
    let read = file.into_inner().take(len).read_to_end(&mut out).map_err(|e| format!("cannot read the data ({e})"))?;
    if (read as u64) < len {
        return Err(format!("the data is truncated: the header announces {len} bytes, {read} follow"));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `.npy` file of `data` (raw little-endian bytes) with dtype `descr` and `shape`.
    pub(crate) fn npy(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
        let shape_text = match shape {
            [n] => format!("({n},)"),
            dims => format!("({})", dims.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
        };
        let order = if fortran { "True" } else { "False" };
        let mut header = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_text}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    fn read(bytes: &[u8], role: Role) -> Result<Array, String> {
        read_npy(bytes, role)
    }

    #[test]
    fn every_numeric_dtype_and_order() {
        let i16s: Vec<u8> = [-2i16, 300, 7, -1].iter().flat_map(|v| v.to_le_bytes()).collect();
        let a = read(&npy("<i2", false, &[2, 2], &i16s), Role::Features).unwrap();
        assert_eq!(a, Array { shape: vec![2, 2], data: ArrayData::Floats(vec![-2.0, 300.0, 7.0, -1.0]) });
        let be: Vec<u8> = [1.5f64, -0.25].iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(
            read(&npy(">f8", false, &[2], &be), Role::Labels).unwrap().data,
            ArrayData::Numbers(vec![1.5, -0.25])
        );
        let f = read(&npy("|u1", true, &[2, 3], &[1, 4, 2, 5, 3, 6]), Role::Features).unwrap();
        assert_eq!(f.data, ArrayData::Bytes(vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(
            read(&npy("|u1", false, &[2], &[3, 9]), Role::Labels).unwrap().data,
            ArrayData::Numbers(vec![3.0, 9.0])
        );
        let b = read(&npy("|b1", false, &[1, 2], &[1, 0]), Role::Features).unwrap();
        assert_eq!(b.data, ArrayData::Floats(vec![1.0, 0.0]));
        let big: Vec<u8> = [u64::MAX].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert!(read(&npy("<u8", false, &[1], &big), Role::Labels).is_ok());
        let text: Vec<u8> = "cat\0dog\0".chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        let t = read(&npy("<U4", false, &[2], &text), Role::Labels).unwrap();
        assert_eq!(t.data, ArrayData::Texts(vec!["cat".into(), "dog".into()]));
    }

    #[test]
    fn unreadable_arrays_are_errors() {
        let err = |b: &[u8], role| read(b, role).unwrap_err();
        assert!(err(&npy("|O", false, &[2], &[0; 16]), Role::Labels).contains("dtype object"));
        assert!(err(&npy("<f2", false, &[2], &[0; 4]), Role::Features).contains("float16"));
        assert!(err(&npy("<f4", false, &[4], &[0; 9]), Role::Features).contains("truncated"));
        assert!(err(&npy("|u1", false, &[4], &[0; 3]), Role::Features).contains("truncated"));
        assert!(err(&npy("<U4", false, &[1], &[0; 16]), Role::Features).contains("cannot be read as features"));
        assert!(err(b"PK\x03\x04 a zip", Role::Features).contains("not a .npy array"));
        assert!(err(b"", Role::Features).contains("not a .npy array"));
    }
}
