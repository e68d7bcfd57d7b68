//! Finds the line of a key path (`parameters.epochs.values`) in the YAML text.
//!
//! serde_yaml locates syntax and type errors itself, but an error found after
//! parsing (a parameter that is not a `train` flag, `min > max`) only knows its
//! key path. Sweep files are small, indentation-structured mappings, so a
//! line scan over block and one-line flow mappings (`{min: 1, max: 2}`) finds
//! the key; when a key is missing it falls back to its nearest ancestor.

/// 1-based `(line, column)` of the deepest key of `path` that is found.
pub fn locate(src: &str, path: &[&str]) -> (usize, usize) {
    let lines: Vec<&str> = src.lines().collect();
    let mut best = (1, 1);
    let mut start = 0usize;
    let mut parent_indent: isize = -1;
    // A flow mapping on one line: (line index, byte offset where to search).
    let mut flow: Option<(usize, usize)> = None;
    for key in path {
        if let Some((li, from)) = flow {
            let Some(off) = find_flow_key(&lines[li][from..], key) else { return best };
            let at = from + off;
            best = (li + 1, at + 1);
            flow = Some((li, at + key.len()));
            continue;
        }
        let mut child_indent: Option<usize> = None;
        let mut found = None;
        for (li, line) in lines.iter().enumerate().skip(start) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if indent as isize <= parent_indent {
                break;
            }
            let ci = *child_indent.get_or_insert(indent);
            if indent != ci {
                continue;
            }
            if let Some(after) = strip_key(trimmed, key) {
                found = Some((li, indent, line.len() - after.len()));
                break;
            }
        }
        let Some((li, indent, value_at)) = found else { return best };
        best = (li + 1, indent + 1);
        if lines[li][value_at..].trim_start().starts_with('{') {
            flow = Some((li, value_at));
        } else {
            start = li + 1;
            parent_indent = indent as isize;
        }
    }
    best
}

/// The text after `key:` when `line` starts with that key (plain or quoted).
fn strip_key<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let line = line.strip_prefix("- ").unwrap_or(line);
    for quote in ["", "\"", "'"] {
        let pattern = format!("{quote}{key}{quote}:");
        if let Some(rest) = line.strip_prefix(&pattern)
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            return Some(rest);
        }
    }
    None
}

/// Byte offset of `key:` inside a flow mapping, at a key position.
fn find_flow_key(text: &str, key: &str) -> Option<usize> {
    let pattern = format!("{key}:");
    let mut from = 0;
    while let Some(pos) = text[from..].find(&pattern) {
        let at = from + pos;
        let before = text[..at].trim_end().chars().last();
        if matches!(before, Some('{') | Some(',')) {
            return Some(at);
        }
        from = at + pattern.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::locate;

    const SRC: &str = "\
method: bayes
# a comment
parameters:
  epochs:
    values: [5, 10]
  learning_rate: {distribution: uniform, min: 0.1, max: 0.01}
  batch_size:
    distribution: q_uniform
    min: 16
metric:
  name: val_accuracy
";

    #[test]
    fn finds_block_and_flow_keys() {
        assert_eq!(locate(SRC, &["method"]), (1, 1));
        assert_eq!(locate(SRC, &["parameters", "epochs"]), (4, 3));
        assert_eq!(locate(SRC, &["parameters", "epochs", "values"]), (5, 5));
        assert_eq!(locate(SRC, &["parameters", "learning_rate", "min"]), (6, 42));
        assert_eq!(locate(SRC, &["parameters", "batch_size", "min"]), (9, 5));
        assert_eq!(locate(SRC, &["metric", "name"]), (11, 3));
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        assert_eq!(locate(SRC, &["parameters", "batch_size", "max"]), (7, 3));
        assert_eq!(locate(SRC, &["parameters", "nope"]), (3, 1));
        assert_eq!(locate(SRC, &["nope"]), (1, 1));
        // Does not match a deeper key of the same name.
        assert_eq!(locate(SRC, &["name"]), (1, 1));
    }
}
