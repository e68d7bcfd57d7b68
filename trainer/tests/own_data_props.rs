//! Property tests of the own-data readers: CSV, NPY and IDX files of random shapes,
//! element types and formatting come back with their values, and random damage to a
//! valid file of each format is an error or a load, never a panic.

mod support;

use ffn_trainer::data::FileSource;
use ffn_trainer::data::info::Preprocessing;
use proptest::prelude::*;
use support::*;

/// How a table is written.
#[derive(Clone, Debug)]
struct Style {
    delimiter: char,
    crlf: bool,
    bom: bool,
    header: bool,
    quote: bool,
    padded: bool,
    gzipped: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (prop::sample::select(vec![',', '\t', ';', '|']), any::<[bool; 6]>()).prop_map(|(delimiter, b)| Style {
        delimiter,
        crlf: b[0],
        bom: b[1],
        header: b[2],
        quote: b[3],
        padded: b[4],
        gzipped: b[5],
    })
}

fn table_text(rows: &[(Vec<f32>, u8)], s: &Style) -> Vec<u8> {
    let end = if s.crlf { "\r\n" } else { "\n" };
    let cell = |text: String| {
        let text = if s.padded { format!(" {text} ") } else { text };
        if s.quote { format!("\"{text}\"") } else { text }
    };
    let d = s.delimiter.to_string();
    let mut out = String::new();
    if s.header {
        let names: Vec<String> =
            (0..rows[0].0.len()).map(|j| cell(format!("f{j}"))).chain([cell("label".into())]).collect();
        out.push_str(&(names.join(&d) + end));
    }
    for (values, label) in rows {
        let cells: Vec<String> = values.iter().map(|v| cell(v.to_string())).chain([cell(label.to_string())]).collect();
        out.push_str(&(cells.join(&d) + end));
    }
    let mut bytes = if s.bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
    bytes.extend(out.as_bytes());
    if s.gzipped { gzip(&bytes) } else { bytes }
}

/// Rows of 1–5 finite features and labels 0/1 (both present).
fn rows() -> impl Strategy<Value = Vec<(Vec<f32>, u8)>> {
    (1usize..6, 2usize..30).prop_flat_map(|(width, n)| {
        let value = prop_oneof![-1e6f32..1e6, (-100i32..100).prop_map(|i| i as f32), Just(0.0f32)];
        prop::collection::vec((prop::collection::vec(value, width), 0u8..2), n).prop_map(|mut rows| {
            rows[0].1 = 0;
            rows[1].1 = 1;
            rows
        })
    })
}

/// The test split of `source` (its own test file) against the raw `values`: standardised bits.
fn check_standardised(ds: &ffn_trainer::data::Dataset, values: &[f32], width: usize) -> Result<(), TestCaseError> {
    let Preprocessing::Standardize { mean, std } = &ds.info.preprocessing else {
        return Err(TestCaseError::fail("not standardised"));
    };
    let inputs = ds.test.inputs();
    prop_assert_eq!(inputs.len(), values.len());
    for (i, (&got, &x)) in inputs.iter().zip(values).enumerate() {
        prop_assert_eq!(got.to_bits(), ((x - mean[i % width]) / std[i % width]).to_bits(), "value {}", i);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn csv_tables_round_trip(rows in rows(), style in style()) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "t.csv", &table_text(&rows, &style));
        let ds = load(with_itself_as_test(&path), 0).map_err(TestCaseError::fail)?;
        let width = rows[0].0.len();
        let values: Vec<f32> = rows.iter().flat_map(|r| r.0.clone()).collect();
        check_standardised(&ds, &values, width)?;
        prop_assert_eq!(&ds.info.classes, &vec!["0".to_string(), "1".to_string()]);
        let labels: Vec<u32> = rows.iter().map(|r| u32::from(r.1)).collect();
        prop_assert_eq!(&ds.test.labels, &labels);
        prop_assert_eq!(ds.info.feature_names.len(), if style.header { width } else { 0 });
    }

    #[test]
    fn npy_arrays_round_trip(
        dtype in prop::sample::select(vec!["|u1", "<f4", ">f4", "<f8", "<i2", ">i4", "<u2", "|i1", "|b1"]),
        shape in (2usize..12, 1usize..4, 1usize..4),
        seed in any::<u64>(),
    ) {
        let (n, a, b) = shape;
        let count = n * a * b;
        let raw: Vec<u8> = (0..count as u64).map(|i| (i.wrapping_mul(seed | 1) >> 7) as u8).collect();
        let (bytes, values): (Vec<u8>, Vec<f32>) = match dtype {
            "|u1" => (raw.clone(), raw.iter().map(|&v| f32::from(v)).collect()),
            "|i1" => (raw.clone(), raw.iter().map(|&v| f32::from(v as i8)).collect()),
            "|b1" => (raw.iter().map(|v| v & 1).collect(), raw.iter().map(|v| f32::from(v & 1)).collect()),
            "<f4" | ">f4" => {
                let v: Vec<f32> = raw.iter().map(|&r| f32::from(r) * 0.37 - 20.0).collect();
                let bytes = v.iter().flat_map(|x| if dtype == "<f4" { x.to_le_bytes() } else { x.to_be_bytes() }).collect();
                (bytes, v)
            }
            "<f8" => {
                let v: Vec<f64> = raw.iter().map(|&r| f64::from(r) / 3.0).collect();
                (v.iter().flat_map(|x| x.to_le_bytes()).collect(), v.iter().map(|&x| x as f32).collect())
            }
            "<i2" | ">i4" => {
                let v: Vec<i32> = raw.iter().map(|&r| i32::from(r) * 97 - 5000).collect();
                let bytes = v.iter().flat_map(|&x| if dtype == "<i2" { (x as i16).to_le_bytes().to_vec() } else { x.to_be_bytes().to_vec() }).collect();
                (bytes, v.iter().map(|&x| x as f32).collect())
            }
            _ => {
                let v: Vec<u16> = raw.iter().map(|&r| u16::from(r) * 250).collect();
                (v.iter().flat_map(|x| x.to_le_bytes()).collect(), v.iter().map(|&x| f32::from(x)).collect())
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let x = write(dir.path(), "x.npy", &npy(dtype, &[n, a, b], &bytes));
        let labels: Vec<i64> = (0..n as i64).map(|i| i % 2).collect();
        let y = write(dir.path(), "y.npy", &npy("<i8", &[n], &le_i64(&labels)));
        let mut source = with_itself_as_test(&x);
        (source.labels, source.test_labels) = (Some(y.clone()), Some(y));
        let ds = load(source, seed).map_err(TestCaseError::fail)?;
        prop_assert_eq!(ds.info.input_len, a * b);
        if dtype == "|u1" {
            prop_assert_eq!(ds.test.bytes(), Some(&raw[..]));
        } else {
            check_standardised(&ds, &values, a * b)?;
        }
        prop_assert_eq!(ds.test.labels, labels.iter().map(|&l| l as u32).collect::<Vec<_>>());
    }

    #[test]
    fn idx_files_round_trip(
        code in prop::sample::select(vec![0x08u8, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]),
        dims in prop::collection::vec(1usize..5, 1..4),
        n in 2usize..10,
        gz in any::<bool>(),
    ) {
        let width: usize = dims.iter().product();
        let values: Vec<f32> = (0..n * width).map(|i| ((i * 37) % 120) as f32 - if code == 0x08 { 0.0 } else { 60.0 }).collect();
        let data: Vec<u8> = values.iter().flat_map(|&v| match code {
            0x08 => vec![v as u8],
            0x09 => vec![v as i8 as u8],
            0x0B => (v as i16).to_be_bytes().to_vec(),
            0x0C => (v as i32).to_be_bytes().to_vec(),
            0x0D => v.to_be_bytes().to_vec(),
            _ => f64::from(v).to_be_bytes().to_vec(),
        }).collect();
        let shape: Vec<usize> = std::iter::once(n).chain(dims.iter().copied()).collect();
        let pack = |b: Vec<u8>| if gz { gzip(&b) } else { b };
        let dir = tempfile::tempdir().unwrap();
        let x = write(dir.path(), "x.idx", &pack(idx(code, &shape, &data)));
        let labels: Vec<u8> = (0..n).map(|i| (i % 2) as u8 * 7).collect();
        let y = write(dir.path(), "y.idx", &pack(idx(0x08, &[n], &labels)));
        let mut source = with_itself_as_test(&x);
        (source.labels, source.test_labels) = (Some(y.clone()), Some(y));
        let ds = load(source, 0).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&ds.info.classes, &vec!["0".to_string(), "7".to_string()]);
        if code == 0x08 {
            prop_assert_eq!(ds.test.bytes(), Some(&data[..]));
        } else {
            check_standardised(&ds, &values, width)?;
        }
    }

    /// Byte edits of valid files of every format: an error or a load, never a panic.
    #[test]
    fn damaged_files_never_panic(
        format in 0usize..4,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let labels = write(dir.path(), "y.npy", &npy("|u1", &[6], &[0, 1, 0, 1, 0, 1]));
        let (name, mut bytes) = match format {
            0 => ("t.csv", b"a,b,label\n1,2,x\n3,4,y\n\"5\",6,x\n7,8,y\n9,10,x\n".to_vec()),
            1 => ("x.npy", npy("<f4", &[6, 2], &le_f32(&[0.5; 12]))),
            2 => ("x.npz", npz(&[("x", npy("|u1", &[6, 2], &[3; 12])), ("y", npy("<i8", &[6], &le_i64(&[0, 1, 0, 1, 0, 1])))])),
            _ => ("x.idx", idx(0x0D, &[6, 2], &[0x3f; 48])),
        };
        for (at, value, kind) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = value,
                1 => bytes.insert(i, value),
                _ => bytes.truncate(i),
            }
        }
        let path = write(dir.path(), name, &bytes);
        let mut source = FileSource::new(&path);
        source.labels = matches!(format, 1 | 3).then_some(labels);
        let _ = load(source, 0);
    }
}
