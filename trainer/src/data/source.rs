//! What the user named as data: a built-in dataset (`-d`), or their own files
//! (`--data` and the flags that go with it), one field per flag.

use std::path::PathBuf;

use super::folder::ImageSize;
use super::holdout::DEFAULT_TEST_FRACTION;
use super::name::DatasetName;

#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// `-d mnist` / `-d fashion_mnist`: the four IDX files, found in the usual places or downloaded.
    Builtin(DatasetName),
    /// `--data PATH` and its options.
    Files(FileSource),
}

/// Own data: a table, a pair of arrays, an `.npz`, a pair of IDX files or an image folder.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSource {
    /// `--data`: a CSV/TSV file (optionally gzipped), `.npy`, `.npz`, IDX file, or image folder.
    pub data: PathBuf,
    /// `--labels`: the labels of a `.npy` or IDX features file.
    pub labels: Option<PathBuf>,
    /// `--test_data`: a test set in the same form (else a stratified hold-out of `data`).
    pub test_data: Option<PathBuf>,
    /// The labels of a `.npy` or IDX `test_data`.
    pub test_labels: Option<PathBuf>,
    /// `--label_column NAME|INDEX` of a table (default: `label`, `class`, `target`, `y`, else the last).
    pub label_column: Option<String>,
    /// `--delimiter` of a table (default: detected among `,` tab `;` `|`).
    pub delimiter: Option<u8>,
    /// `--no_header`: the table's first row is data.
    pub no_header: bool,
    /// `--image_size HxW` of an image folder.
    pub image_size: Option<ImageSize>,
    /// `--channels 1|3` of an image folder (default: 1 when every image is grey, else 3).
    pub channels: Option<usize>,
    /// `--test_fraction`: the share held out as the test set without `test_data`.
    pub test_fraction: f32,
}

impl FileSource {
    /// `data` with every option at its default.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        FileSource {
            data: data.into(),
            labels: None,
            test_data: None,
            test_labels: None,
            label_column: None,
            delimiter: None,
            no_header: false,
            image_size: None,
            channels: None,
            test_fraction: DEFAULT_TEST_FRACTION,
        }
    }
}

/// A `--delimiter` value: one ASCII character, or `tab` (`\t`), `comma`, `semicolon`, `pipe`, `space`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "comma" => Ok(b','),
        "semicolon" => Ok(b';'),
        "pipe" => Ok(b'|'),
        "space" => Ok(b' '),
        t if t.len() == 1 && t.is_ascii() && t != "\"" && t != "\n" && t != "\r" => Ok(t.as_bytes()[0]),
        t => Err(format!("delimiter '{t}' is not one character (or tab, comma, semicolon, pipe, space)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_parse() {
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("ab").is_err() && parse_delimiter("\"").is_err() && parse_delimiter("é").is_err());
        assert_eq!(FileSource::new("x.csv").test_fraction, 0.2);
    }
}
