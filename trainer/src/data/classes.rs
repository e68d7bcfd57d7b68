//! From labels as a file holds them (text cells, folder names, numbers) to class
//! indices: the classes are the distinct labels of the training data, numbers
//! sorted by value (−1 before 1, 9 before 10) and text in byte order.

use std::collections::HashMap;

/// The most classes a dataset may have: ten times the thousand the task asks for, and more
/// than any classifier that fits a microcontroller needs. A column with more distinct values
/// is almost certainly not a class column (an id, a measurement), which this catches early.
pub const MAX_CLASSES: usize = 10_000;

/// Labels as read, one per sample.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Labels {
    /// Text labels (table cells, folder names): sample `i` has `texts[ids[i]]`.
    Text { ids: Vec<u32>, texts: Vec<String> },
    /// Numeric labels (NumPy and IDX arrays).
    Numbers(Vec<f64>),
}

impl Labels {
    pub(crate) fn len(&self) -> usize {
        match self {
            Labels::Text { ids, .. } => ids.len(),
            Labels::Numbers(n) => n.len(),
        }
    }
}

/// Why labels cannot become classes; the caller adds the file.
#[derive(Debug, PartialEq)]
pub(crate) enum ClassError {
    TooMany(usize),
    OneClass(String),
    NoSamples,
    /// Numeric labels that are not whole numbers: a measurement, not a class.
    NotWhole(f64),
    /// Sample `sample` (0-based) has a label no training sample has.
    Unknown {
        label: String,
        sample: usize,
        known: String,
    },
}

impl std::fmt::Display for ClassError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassError::TooMany(n) => write!(
                f,
                "{n} distinct labels, more than the {MAX_CLASSES} classes ffn supports; is this the class \
                 column? choose another with --label_column"
            ),
            ClassError::OneClass(name) => write!(
                f,
                "every sample has the label '{name}': a classifier needs at least two classes; check the label \
                 column (--label_column)"
            ),
            ClassError::NoSamples => write!(f, "no samples"),
            ClassError::NotWhole(v) => write!(
                f,
                "the labels include {v}, a number that is not whole, as a measurement would be: is this the \
                 class column? choose the label column with --label_column"
            ),
            ClassError::Unknown { label, sample, known } => write!(
                f,
                "sample {} has the label '{label}', which no training sample has (the classes are {known}); \
                 a test set may only use the training classes",
                sample + 1
            ),
        }
    }
}

/// The classes of a training set, in class-index order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Classes {
    pub names: Vec<String>,
    /// Sorted keys: numbers when every label is one, else the texts.
    keys: Keys,
}

#[derive(Clone, Debug, PartialEq)]
enum Keys {
    Numbers(Vec<f64>),
    Texts(Vec<String>),
}

/// A label text as a number, if it is one (surrounding spaces allowed).
fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// How a number label is shown when the file gave no text: `3`, not `3.0`.
fn number_name(v: f64) -> String {
    format!("{v}")
}

impl Classes {
    /// The distinct labels of `labels`, sorted.
    pub(crate) fn of(labels: &Labels) -> Result<Classes, ClassError> {
        if labels.len() == 0 {
            return Err(ClassError::NoSamples);
        }
        let classes = match labels {
            Labels::Numbers(values) => {
                let mut keys = values.clone();
                keys.sort_by(f64::total_cmp);
                keys.dedup();
                let names = keys.iter().map(|&v| number_name(v)).collect();
                Classes { names, keys: Keys::Numbers(keys) }
            }
            Labels::Text { texts, .. } => match texts.iter().map(|t| number(t)).collect::<Option<Vec<f64>>>() {
                Some(values) => {
                    // "1" and "1.0" are one class, shown as the shortest text used.
                    let mut pairs: Vec<(f64, &str)> = values.into_iter().zip(texts.iter().map(|t| t.trim())).collect();
                    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.len().cmp(&b.1.len())).then(a.1.cmp(b.1)));
                    pairs.dedup_by(|b, a| a.0 == b.0);
                    let names = pairs.iter().map(|p| p.1.to_string()).collect();
                    Classes { names, keys: Keys::Numbers(pairs.into_iter().map(|p| p.0).collect()) }
                }
                None => {
                    let mut keys = texts.clone();
                    keys.sort();
                    keys.dedup();
                    Classes { names: keys.clone(), keys: Keys::Texts(keys) }
                }
            },
        };
        if let Keys::Numbers(keys) = &classes.keys
            && let Some(&v) = keys.iter().find(|v| v.fract() != 0.0)
        {
            return Err(ClassError::NotWhole(v));
        }
        match classes.names.len() {
            1 => Err(ClassError::OneClass(classes.names[0].clone())),
            n if n > MAX_CLASSES => Err(ClassError::TooMany(n)),
            _ => Ok(classes),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The class index of every sample of `labels` (the training labels or a test set's).
    pub(crate) fn index(&self, labels: &Labels) -> Result<Vec<u32>, ClassError> {
        let find_number = |v: f64| match &self.keys {
            Keys::Numbers(keys) => keys.binary_search_by(|k| k.total_cmp(&v)).ok(),
            Keys::Texts(keys) => keys.binary_search(&number_name(v)).ok(),
        };
        let find_text = |t: &str| match &self.keys {
            Keys::Numbers(_) => number(t).and_then(find_number),
            Keys::Texts(keys) => keys.binary_search_by(|k| k.as_str().cmp(t)).ok(),
        };
        let unknown = |label: String, sample: usize| ClassError::Unknown { label, sample, known: self.shown() };
        match labels {
            Labels::Numbers(values) => values
                .iter()
                .enumerate()
                .map(|(i, &v)| find_number(v).map(|c| c as u32).ok_or_else(|| unknown(number_name(v), i)))
                .collect(),
            Labels::Text { ids, texts } => {
                let per_text: Vec<Option<u32>> = texts.iter().map(|t| find_text(t).map(|c| c as u32)).collect();
                ids.iter()
                    .enumerate()
                    .map(|(i, &id)| per_text[id as usize].ok_or_else(|| unknown(texts[id as usize].clone(), i)))
                    .collect()
            }
        }
    }

    /// The class names for a message, the first few of a long list.
    fn shown(&self) -> String {
        let mut shown: Vec<String> = self.names.iter().take(10).map(|n| format!("'{n}'")).collect();
        if self.names.len() > 10 {
            shown.push(format!("… ({} in all)", self.names.len()));
        }
        shown.join(", ")
    }
}

/// Distinct texts in first-seen order, each with an id: labels read row by row.
#[derive(Default)]
pub(crate) struct Interner {
    ids: HashMap<Vec<u8>, u32>,
    texts: Vec<String>,
}

impl Interner {
    /// The id of `text`, new if unseen; `None` past [`MAX_CLASSES`] distinct texts.
    pub(crate) fn id(&mut self, text: &[u8]) -> Option<u32> {
        if let Some(&id) = self.ids.get(text) {
            return Some(id);
        }
        if self.texts.len() >= MAX_CLASSES {
            return None;
        }
        let id = self.texts.len() as u32;
        self.ids.insert(text.to_vec(), id);
        self.texts.push(String::from_utf8_lossy(text).into_owned());
        Some(id)
    }

    pub(crate) fn into_texts(self) -> Vec<String> {
        self.texts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(labels: &[&str]) -> Labels {
        let mut interner = Interner::default();
        let ids = labels.iter().map(|l| interner.id(l.as_bytes()).unwrap()).collect();
        Labels::Text { ids, texts: interner.into_texts() }
    }

    #[test]
    fn numbers_sort_by_value_and_text_lexicographically() {
        let c = Classes::of(&text(&["10", "9", "-1", "9", "1.0", "1"])).unwrap();
        assert_eq!(c.names, ["-1", "1", "9", "10"]);
        assert_eq!(c.index(&text(&["10", "1.0", "-1"])).unwrap(), [3, 1, 0]);
        let c = Classes::of(&text(&["dog", "cat", "Dog", "bird", "10"])).unwrap();
        assert_eq!(c.names, ["10", "Dog", "bird", "cat", "dog"]);
        let c = Classes::of(&Labels::Numbers(vec![7.0, 3.0, 9.0, 3.0, -1.0])).unwrap();
        assert_eq!(c.names, ["-1", "3", "7", "9"]);
        assert_eq!(c.index(&Labels::Numbers(vec![9.0, -1.0])).unwrap(), [3, 0]);
        // A test file's text labels against numeric training classes, and back.
        assert_eq!(c.index(&text(&["7", "3.0"])).unwrap(), [2, 1]);
        let t = Classes::of(&text(&["a", "3"])).unwrap();
        assert_eq!(t.index(&Labels::Numbers(vec![3.0])).unwrap(), [0]);
    }

    #[test]
    fn bad_label_sets_are_errors() {
        assert_eq!(Classes::of(&text(&["x", "x"])), Err(ClassError::OneClass("x".into())));
        assert_eq!(Classes::of(&Labels::Numbers(vec![])), Err(ClassError::NoSamples));
        assert_eq!(Classes::of(&text(&["1", "0.25", "0"])), Err(ClassError::NotWhole(0.25)));
        let many = Labels::Numbers((0..=MAX_CLASSES).map(|i| i as f64).collect());
        assert_eq!(Classes::of(&many), Err(ClassError::TooMany(MAX_CLASSES + 1)));
        let c = Classes::of(&text(&["a", "b"])).unwrap();
        let err = c.index(&text(&["a", "zebra"])).unwrap_err();
        assert_eq!(
            err.to_string().split(';').next().unwrap(),
            "sample 2 has the label 'zebra', which no training sample has (the classes are 'a', 'b')"
        );
        let mut interner = Interner::default();
        (0..MAX_CLASSES).for_each(|i| assert!(interner.id(i.to_string().as_bytes()).is_some()));
        assert_eq!(interner.id(b"0"), Some(0));
        assert_eq!(interner.id(b"new"), None);
        assert!(Classes::of(&Labels::Numbers((0..1000).map(f64::from).collect())).is_ok());
    }
}
