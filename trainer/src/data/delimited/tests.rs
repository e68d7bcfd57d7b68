use super::*;
use std::io::Write;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn read(path: &Path) -> Result<Table, String> {
    read_table(path, &TableOptions::default(), None).map_err(|e| e.to_string())
}

fn texts(labels: &Labels) -> Vec<String> {
    match labels {
        Labels::Text { ids, texts } => ids.iter().map(|&i| texts[i as usize].clone()).collect(),
        Labels::Numbers(_) => panic!("a table's labels are text"),
    }
}

#[test]
fn reads_quotes_crlf_bom_gzip_and_tabs_alike() {
    let dir = tempfile::tempdir().unwrap();
    let plain = b"a,b,label\n1,2.5,x\n-3,4e2,y\n";
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("plain.csv", plain.to_vec()),
        ("crlf.csv", b"a,b,label\r\n1,2.5,x\r\n-3,4e2,y\r\n".to_vec()),
        ("bom.csv", [b"\xEF\xBB\xBF".as_slice(), plain].concat()),
        ("quoted.csv", b"\"a\",\"b\",\"label\"\n\"1\", 2.5 ,\"x\"\n-3,\"4e2\",y\n".to_vec()),
        ("tabs.tsv", b"a\tb\tlabel\n1\t2.5\tx\n-3\t400\ty\n".to_vec()),
        ("zipped.csv.gz", gzip(plain)),
        ("blank_lines.csv", b"a,b,label\n\n1,2.5,x\n\n-3,4e2,y".to_vec()),
    ];
    for (name, bytes) in variants {
        let t = read(&write(dir.path(), name, &bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((t.width, t.rows()), (2, 2), "{name}");
        assert_eq!(t.values, [1.0, 2.5, -3.0, 400.0], "{name}");
        assert_eq!(texts(&t.labels), ["x", "y"], "{name}");
        assert_eq!(t.layout.feature_names(), ["a", "b"], "{name}");
    }
}

#[test]
fn quoted_labels_may_hold_delimiters_and_newlines() {
    let dir = tempfile::tempdir().unwrap();
    let t = read(&write(dir.path(), "q.csv", b"f,label\n1,\"a,b\"\n2,\"c\nd\"\n3,\"say \"\"hi\"\"\"\n")).unwrap();
    assert_eq!(texts(&t.labels), ["a,b", "c\nd", "say \"hi\""]);
}

/// Rows spread over many blocks, parsed on several threads, come back in file order,
/// and a bad cell deep in the file is reported at its line.
#[test]
fn many_blocks_keep_the_file_order_and_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 3 * chunks::BLOCK / 20;
    let mut text = String::from("x,y,label\n");
    for i in 0..rows {
        text.push_str(&format!("{i},{},c{}\n", i as f32 * 0.5, i % 3));
    }
    let t = read(&write(dir.path(), "big.csv", text.as_bytes())).unwrap();
    assert_eq!(t.rows(), rows);
    assert!(t.values.chunks_exact(2).enumerate().all(|(i, r)| r == [i as f32, i as f32 * 0.5]));
    assert!(texts(&t.labels).iter().enumerate().all(|(i, l)| *l == format!("c{}", i % 3)));
    let bad_row = rows - 7;
    let text = text.replacen(&format!("\n{bad_row},"), &format!("\n{bad_row}x,"), 1);
    let err = read(&write(dir.path(), "bad.csv", text.as_bytes())).unwrap_err();
    let line = bad_row + 2;
    assert!(err.contains(&format!("bad.csv, line {line}, column 'x' (1): '{bad_row}x' is not a number")), "{err}");
    let gz = read(&write(dir.path(), "bad.csv.gz", &gzip(text.as_bytes()))).unwrap_err();
    assert!(gz.contains(&format!("line {line}, column 'x'")), "{gz}");
}

#[test]
fn bad_cells_and_rows_name_the_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 9] = [
        ("a,b,label\n1,2,x\n3,4\n", "line 3: 2 fields where the first row has 3"),
        ("a,b,label\n1,2,x\n3,4,y,5\n", "line 3: 4 fields where the first row has 3"),
        ("a,b,label\n1,,x\n", "line 2, column 'b' (2): the cell is empty"),
        ("a,b,label\n1,two,x\n", "line 2, column 'b' (2): 'two' is not a number"),
        ("a,b,label\n1,NaN,x\n", "line 2, column 'b' (2): 'NaN' is NaN, not a finite number"),
        ("a,b,label\n1,2,x\n-inf,2,y\n", "line 3, column 'a' (1): '-inf' is -inf, not a finite number"),
        ("a,b,label\n1,2, \n", "line 2, column 'label' (3): the label is empty"),
        ("1,2,3\n4,5\n", "line 2: 2 fields where the first row has 3"),
        ("a,b,label\n", "the file has a header row but no data rows"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("case{i}.csv"), text.as_bytes());
        let err = read(&path).unwrap_err();
        assert!(err.starts_with(&path.display().to_string()) && err.contains(expected), "{text:?}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\n  \n"] {
        assert!(read(&write(dir.path(), "empty.csv", empty)).unwrap_err().contains("the file is empty"));
    }
    let err = read(&write(dir.path(), "broken.csv.gz", &gzip(b"a,label\n1,x\n")[..12])).unwrap_err();
    assert!(err.contains("broken.csv.gz is a damaged gzip file"), "{err}");
}

#[test]
fn too_many_distinct_labels_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..=MAX_CLASSES).map(|i| format!("{i},{i}.5\n")).collect();
    let err = read(&write(dir.path(), "ids.csv", text.as_bytes())).unwrap_err();
    assert!(err.contains("more than 10000 distinct labels") && err.contains("column 2"), "{err}");
}

#[test]
fn a_test_table_needs_the_training_columns() {
    let dir = tempfile::tempdir().unwrap();
    let train = read(&write(dir.path(), "train.csv", b"a,b,label\n1,2,x\n")).unwrap();
    let check = |name: &str, text: &str| {
        read_table(&write(dir.path(), name, text.as_bytes()), &TableOptions::default(), Some(&train.layout))
            .map(|t| t.rows())
            .map_err(|e| e.to_string())
    };
    assert_eq!(check("same.csv", "a,b,label\n3,4,y\n5,6,x\n"), Ok(2));
    assert_eq!(check("headerless.csv", "3,4,y\n"), Ok(1));
    let err = check("other.csv", "a,c,label\n3,4,y\n").unwrap_err();
    assert!(
        err.contains("other.csv: its columns [a, c, label] differ from the training file's [a, b, label]"),
        "{err}"
    );
    assert!(check("wider.csv", "a,b,c,label\n3,4,5,y\n").unwrap_err().contains("differ"));
}
