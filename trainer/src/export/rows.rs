//! Table rows for `predict`: the samples of a CSV or TSV file (read with the
//! `csv` crate: quotes, CRLF and a UTF-8 BOM are handled), one per row, in the
//! data's own units (the model applies its preprocessing).
//!
//! Columns: when the first row is a header (any field not a number) and the
//! model knows its feature names, the features are taken by name, in the
//! model's order, so a label column or extra columns anywhere are ignored;
//! otherwise every row must hold exactly the model's number of features.

use anyhow::{Context, bail};
use std::io::Read;
use std::path::Path;

/// One row: its line in the file and its features, or why it cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub line: u64,
    pub values: Result<Vec<f32>, String>,
}

/// The delimiter of `path`: tab for `.tsv`/`.tab`, else whichever of `,`,
/// tab and `;` the first line has most of (comma on a tie).
fn sniff_delimiter(path: &Path, text: &[u8]) -> u8 {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if matches!(extension.as_deref(), Some("tsv" | "tab")) {
        return b'\t';
    }
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let count = |d: u8| first_line.iter().filter(|&&b| b == d).count();
    [b',', b'\t', b';'].into_iter().rev().max_by_key(|&d| (count(d), d == b',')).unwrap_or(b',')
}

fn parse_value(field: &str, column: &str) -> Result<f32, String> {
    let field = field.trim();
    if field.is_empty() {
        return Err(format!("column {column} is empty"));
    }
    match field.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("column {column} is not a finite number: {field:?}")),
        Err(_) => Err(format!("column {column} is not a number: {field:?}")),
    }
}

/// Reads every row of `path` (`-`: standard input) as `inputs` features.
pub fn read(path: &Path, inputs: usize, features: &[&str], delimiter: Option<u8>) -> anyhow::Result<Vec<Row>> {
    let mut text = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut text).context("cannot read standard input")?;
    } else {
        text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    // Stripped here: the csv crate drops a BOM but then counts lines from 0
    // (and after CRLF it counts one line short: lines are counted below).
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&text);
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(path, text));
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text);
    let mut records = reader.records().peekable();
    // Column index of each feature, when taken by name from a header.
    let mut columns: Option<Vec<usize>> = None;
    if let Some(Ok(first)) = records.peek() {
        let header = first.iter().any(|f| !f.trim().is_empty() && f.trim().parse::<f64>().is_err());
        if header {
            let names: Vec<&str> = first.iter().map(str::trim).collect();
            if !features.is_empty() {
                let found: Result<Vec<usize>, &str> =
                    features.iter().map(|f| names.iter().position(|n| n == f).ok_or(*f)).collect();
                match found {
                    Ok(found) => columns = Some(found),
                    Err(missing) if names.len() != inputs => {
                        bail!(
                            "{}: the header has no column {missing:?} (the model reads {inputs} features: {})",
                            path.display(),
                            features.join(", ")
                        )
                    }
                    Err(_) => {}
                }
            }
            records.next();
        }
    }
    let mut rows = Vec::new();
    let (mut counted_to, mut line) = (0usize, 1u64);
    for record in records {
        let record = record.with_context(|| format!("{}: not a readable CSV/TSV file", path.display()))?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize).clamp(counted_to, text.len());
        // After CRLF a record's position is the LF's.
        start += (text.get(start) == Some(&b'\n')) as usize;
        line += text[counted_to..start].iter().filter(|&&b| b == b'\n').count() as u64;
        counted_to = start;
        let values = match &columns {
            Some(columns) => {
                columns.iter().zip(features).map(|(&c, name)| parse_value(record.get(c).unwrap_or(""), name)).collect()
            }
            None if record.len() != inputs => {
                Err(format!("the row has {} fields; the model reads {inputs} features", record.len()))
            }
            None => record.iter().enumerate().map(|(i, f)| parse_value(f, &(i + 1).to_string())).collect(),
        };
        rows.push(Row { line, values });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(name: &str, text: &str, inputs: usize, features: &[&str]) -> anyhow::Result<Vec<Row>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(name);
        std::fs::write(&path, text)?;
        read(&path, inputs, features, None)
    }

    #[test]
    fn features_are_taken_by_name_around_a_label_column() {
        let text = "\u{feff}label,b,a\r\nx,2,1\r\ny,4,\"3\"\r\n";
        let got = rows("data.csv", text, 2, &["a", "b"]).unwrap();
        assert_eq!(
            got.iter().map(|r| r.values.clone().unwrap()).collect::<Vec<_>>(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        assert_eq!(got[1].line, 3);
    }

    #[test]
    fn headerless_rows_are_positional_and_bad_rows_say_why() {
        let got = rows("data.tsv", "1\t2\n3\tx\n5\n\t6\n", 2, &[]).unwrap();
        assert_eq!(got[0].values, Ok(vec![1.0, 2.0]));
        assert_eq!(got[1].values, Err("column 2 is not a number: \"x\"".into()));
        assert_eq!(got[2].values, Err("the row has 1 fields; the model reads 2 features".into()));
        assert_eq!(got[3].values, Err("column 1 is empty".into()));
        let got = rows("data.txt", "1;2\n", 2, &[]).unwrap();
        assert_eq!(got[0].values, Ok(vec![1.0, 2.0]));
    }

    #[test]
    fn a_header_without_the_features_is_an_error() {
        let error = rows("data.csv", "p,q,r\n1,2,3\n", 2, &["a", "b"]).unwrap_err();
        assert!(error.to_string().contains("no column \"a\""), "{error}");
        // Exactly as many columns as features: positional despite other names.
        assert_eq!(rows("data.csv", "p,q\n1,2\n", 2, &["a", "b"]).unwrap()[0].values, Ok(vec![1.0, 2.0]));
        assert_eq!(
            rows("data.csv", "1,inf\n", 2, &[]).unwrap()[0].values,
            Err("column 2 is not a finite number: \"inf\"".into())
        );
    }
}
