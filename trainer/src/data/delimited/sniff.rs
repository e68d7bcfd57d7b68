//! What the first rows of a CSV/TSV file tell about it: the delimiter, whether the
//! first row is a header, and which column holds the labels.

use std::path::Path;

use crate::data::DataError;

/// Delimiters tried when none is given, in order of preference on a tie.
const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];
/// Rows looked at to decide.
const SAMPLE_ROWS: usize = 20;
/// Column names taken as the label column when none is named, by priority.
const LABEL_NAMES: [&str; 4] = ["label", "class", "target", "y"];

/// How to read a table (the user's options).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// `--label_column`: a column name, or an index (0 is the first column, −1 the last).
    pub label_column: Option<String>,
    /// `--delimiter`; detected among `,` tab `;` `|` when `None`.
    pub delimiter: Option<u8>,
    /// `--no_header`: the first row is data, even if it looks like names.
    pub no_header: bool,
}

/// The shape of a table, decided from its first rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub delimiter: u8,
    /// The first row's names, when it is a header.
    pub header: Option<Vec<String>>,
    pub columns: usize,
    /// Index of the label column.
    pub label: usize,
}

impl Layout {
    /// How a message names column `j`.
    pub(crate) fn column_name(&self, j: usize) -> String {
        match self.header.as_ref().map(|h| h[j].as_str()) {
            Some(name) if !name.is_empty() => format!("column '{name}' ({})", j + 1),
            _ => format!("column {}", j + 1),
        }
    }

    /// The names of the feature columns (empty without a header).
    pub(crate) fn feature_names(&self) -> Vec<String> {
        let Some(header) = &self.header else { return Vec::new() };
        header.iter().enumerate().filter(|&(j, _)| j != self.label).map(|(_, n)| n.clone()).collect()
    }
}

/// A cell as a number, if it is one.
pub(crate) fn number(cell: &[u8]) -> Option<f32> {
    fast_float2::parse::<f32, _>(cell.trim_ascii()).ok()
}

fn text(cell: &[u8]) -> String {
    String::from_utf8_lossy(cell.trim_ascii()).into_owned()
}

/// Up to [`SAMPLE_ROWS`] records of `sample` split at `delimiter`.
fn records(sample: &[u8], delimiter: u8) -> Vec<csv::ByteRecord> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(sample);
    reader.byte_records().take(SAMPLE_ROWS).map_while(Result::ok).collect()
}

/// The delimiter: the candidate that splits every sampled row into the same number
/// (above one) of fields, the most fields winning; `,` (tab for `.tsv`) when none does.
fn delimiter(sample: &[u8], path: &Path) -> u8 {
    let fields = |d: u8| {
        let rows = records(sample, d);
        let n = rows.first().map_or(0, csv::ByteRecord::len);
        if n > 1 && rows.iter().all(|r| r.len() == n) { n } else { 0 }
    };
    let best = CANDIDATES.iter().map(|&d| (fields(d), d)).fold((0, b','), |a, b| if b.0 > a.0 { b } else { a });
    match best {
        (0, _) if path.to_string_lossy().to_lowercase().trim_end_matches(".gz").ends_with(".tsv") => b'\t',
        (_, d) => d,
    }
}

/// Whether the first row is a header: some column has text in the first row and numbers
/// below it, or the first row names a label column, or a lone row is all text.
fn has_header(rows: &[csv::ByteRecord], opts: &TableOptions) -> bool {
    let Some(first) = rows.first() else { return false };
    if opts.no_header {
        return false;
    }
    let is_text = |cell: &[u8]| !cell.trim_ascii().is_empty() && number(cell).is_none();
    // Not `y`: as a value ("y"/"n") it is too common to mark a header.
    let names_label = first.iter().any(|cell| {
        let cell = text(cell);
        LABEL_NAMES[..3].iter().any(|n| cell.eq_ignore_ascii_case(n))
            || opts.label_column.as_deref() == Some(cell.as_str())
    });
    let numbers_below =
        (0..first.len()).any(|j| is_text(&first[j]) && rows[1..].iter().any(|r| r.get(j).and_then(number).is_some()));
    names_label || numbers_below || (rows.len() == 1 && first.iter().all(is_text))
}

/// The layout of the table whose first rows are `sample` (whole rows, without a BOM).
pub(crate) fn sniff(sample: &[u8], path: &Path, opts: &TableOptions) -> Result<Layout, DataError> {
    let delimiter = opts.delimiter.unwrap_or_else(|| delimiter(sample, path));
    let rows = records(sample, delimiter);
    let Some(first) = rows.first() else {
        return Err(DataError::invalid(path, "the file is empty: it needs a row per sample"));
    };
    let columns = first.len();
    let shown = if delimiter == b'\t' { "tab".to_string() } else { format!("'{}'", delimiter as char) };
    if columns < 2 {
        return Err(DataError::invalid_at(
            path,
            ", line 1",
            format!(
                "one column only (split at {shown}): a table needs feature columns and a label column; pass \
                 --delimiter if the file uses another separator"
            ),
        ));
    }
    let header = has_header(&rows, opts).then(|| first.iter().map(text).collect::<Vec<_>>());
    if let Some(names) = &header {
        for (j, name) in names.iter().enumerate() {
            if let Some(k) = names[..j].iter().position(|n| n == name) {
                return Err(DataError::invalid_at(
                    path,
                    ", line 1",
                    format!("the column name '{name}' is used twice (columns {} and {}); rename one", k + 1, j + 1),
                ));
            }
        }
    }
    let label = label_column(header.as_deref(), columns, opts.label_column.as_deref())
        .map_err(|problem| DataError::invalid(path, problem))?;
    Ok(Layout { delimiter, header, columns, label })
}

/// The index of the label column: named, indexed, or by default a column called
/// label/class/target/y, else the last.
fn label_column(header: Option<&[String]>, columns: usize, spec: Option<&str>) -> Result<usize, String> {
    let Some(spec) = spec else {
        let by_name = LABEL_NAMES
            .iter()
            .find_map(|want| header.and_then(|h| h.iter().position(|name| name.eq_ignore_ascii_case(want))));
        return Ok(by_name.unwrap_or(columns - 1));
    };
    if let Some(j) = header.and_then(|h| h.iter().position(|name| name == spec)) {
        return Ok(j);
    }
    if let Ok(i) = spec.trim().parse::<i64>() {
        let j = if i < 0 { columns as i64 + i } else { i };
        if (0..columns as i64).contains(&j) {
            return Ok(j as usize);
        }
        return Err(format!(
            "--label_column {spec} is outside the {columns} columns (0 to {}, or −1 for the last)",
            columns - 1
        ));
    }
    Err(match header {
        Some(h) => format!(
            "--label_column '{spec}' names no column; the columns are {}",
            h.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
        ),
        None => format!(
            "--label_column '{spec}' names no column: the file has no header row, so give the column's index \
             (0 to {}, −1 for the last)",
            columns - 1
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(sample: &str, opts: &TableOptions) -> Result<Layout, String> {
        sniff(sample.as_bytes(), Path::new("t.csv"), opts).map_err(|e| e.to_string())
    }

    fn plain(sample: &str) -> Layout {
        layout(sample, &TableOptions::default()).unwrap()
    }

    #[test]
    fn delimiter_header_and_label_column_are_detected() {
        let l = plain("a,b,label\n1,2,x\n3,4,y\n");
        assert_eq!((l.delimiter, l.columns, l.label), (b',', 3, 2));
        assert_eq!(l.header.unwrap(), ["a", "b", "label"]);
        let l = plain("1\t2\tcat\n3\t4\tdog\n");
        assert_eq!((l.delimiter, l.header, l.label), (b'\t', None, 2));
        let l = plain("Target;f1;f2\n0;1.5;2\n1;3;4\n");
        assert_eq!((l.delimiter, l.label), (b';', 0));
        // Quoted delimiters do not count.
        let l = plain("\"x,y\"|b|c\n");
        assert_eq!(l.delimiter, b'|');
        // Numeric column names (pandas' default) with a label name.
        let l = plain("0,1,2,class\n5,6,7,a\n");
        assert!(l.header.is_some());
        assert_eq!(l.feature_names(), ["0", "1", "2"]);
        // Text labels below a text header: the numbers decide.
        assert!(plain("w,h,kind\n1,2,cat\n").header.is_some());
        assert!(plain("5.1,3.5,setosa\n4.9,3.0,setosa\n").header.is_none());
        assert!(plain("1,2,y\n3,4,n\n").header.is_none());
    }

    #[test]
    fn options_override_detection() {
        let opts =
            |label: &str, no_header| TableOptions { label_column: Some(label.into()), delimiter: None, no_header };
        assert_eq!(layout("a,b,c\n1,2,3\n", &opts("a", false)).unwrap().label, 0);
        assert_eq!(layout("a,b,c\n1,2,3\n", &opts("1", false)).unwrap().label, 1);
        assert_eq!(layout("a,b,c\n1,2,3\n", &opts("-2", false)).unwrap().label, 1);
        let l = layout("a,b,c\n1,2,3\n", &opts("0", true)).unwrap();
        assert_eq!((l.header, l.label), (None, 0));
        let l = layout("1;2\n3;4\n", &TableOptions { delimiter: Some(b';'), ..Default::default() }).unwrap();
        assert_eq!(l.columns, 2);
    }

    #[test]
    fn bad_layouts_are_errors() {
        let err = |s: &str, label: Option<&str>| {
            layout(s, &TableOptions { label_column: label.map(String::from), ..Default::default() }).unwrap_err()
        };
        assert!(err("", None).contains("the file is empty"));
        assert!(err("1\n2\n", None).contains("one column only (split at ',')"));
        assert!(err("a,b,a\n1,2,3\n", None).contains("'a' is used twice (columns 1 and 3)"));
        assert!(err("a,b\n1,2\n", Some("z")).contains("--label_column 'z' names no column; the columns are 'a', 'b'"));
        assert!(err("1,2\n3,4\n", Some("z")).contains("no header row"));
        assert!(err("a,b\n1,2\n", Some("5")).contains("outside the 2 columns"));
    }
}
