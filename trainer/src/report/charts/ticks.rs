//! Axis labelling shared by the charts that need more than
//! [`nice_ticks`]: round values on log axes, and labels that must fit a width.
//! Widths are estimated from character classes, not measured: the page is
//! drawn by the reader's browser, so the estimate errs on the wide side.

use crate::report::svg::nice_ticks;

/// A generous estimate of the width of `text` in the page's sans-serif font
/// (DejaVu Sans is among the widest): em fractions per kind of character.
pub fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | '\'' | '|' | '!' => 0.32,
            'f' | 't' | 'r' | '-' | '(' | ')' | ' ' => 0.42,
            'm' | 'w' | 'M' | 'W' | '%' => 0.98,
            'A'..='Z' => 0.74,
            _ => 0.64,
        })
        .sum();
    em * px * if bold { 1.08 } else { 1.0 }
}

/// `label`, or a shorter form when it is wider than `max` px at `px` font size: the initials of
/// a `snake_case` name (`mean_squared_error` → `MSE`), else a cut with `…`.
pub fn fit(label: &str, px: f64, max: f64) -> String {
    if text_width(label, px, false) <= max {
        return label.to_string();
    }
    let words: Vec<&str> = label.split('_').filter(|w| !w.is_empty()).collect();
    if words.len() >= 2 {
        let initials: String = words.iter().filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).collect();
        if text_width(&initials, px, false) <= max {
            return initials;
        }
    }
    let mut cut = String::new();
    for c in label.chars() {
        if text_width(&format!("{cut}{c}…"), px, false) > max {
            break;
        }
        cut.push(c);
    }
    format!("{cut}…")
}

/// Round tick values inside `[lo, hi]`: 1-2-5 steps per decade on a log
/// axis (powers of ten alone when those are too many), else [`nice_ticks`].
pub fn round_ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    if log && lo > 0.0 && hi > lo {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        let decade = |mantissas: &[f64]| -> Vec<f64> {
            (first..=last)
                .flat_map(|k| mantissas.iter().map(move |m| round_sig(m * 10f64.powi(k))))
                .filter(inside)
                .collect()
        };
        let ticks = decade(&[1.0, 2.0, 5.0]);
        if ticks.len() > 6 {
            return decade(&[1.0]);
        }
        if ticks.len() >= 2 {
            return ticks;
        }
    }
    nice_ticks(lo, hi, 4).into_iter().map(round_sig).filter(|v| *v >= lo - 1e-12 && *v <= hi + 1e-12).collect()
}

/// `x` to 12 significant digits: `3 * 0.1` prints as `0.3`, not `0.30000000000000004`.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        // The old axes read 23.75 epochs and a learning rate of 0.002602.
        assert_eq!(round_ticks(5.0, 30.0, false), [10.0, 20.0, 30.0]);
        assert_eq!(round_ticks(1e-4, 0.002602, true), [1e-4, 2e-4, 5e-4, 1e-3, 2e-3]);
        assert_eq!(round_ticks(1e-6, 0.1, true), [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
        assert_eq!(round_ticks(0.0, 0.5, false), [0.0, 0.2, 0.4]);
        // Less than a 1-2-5 step apart: linear round values.
        assert_eq!(round_ticks(3e-4, 4.5e-4, true), [3e-4, 3.5e-4, 4e-4, 4.5e-4]);
    }

    #[test]
    fn long_levels_are_abbreviated_to_fit() {
        assert_eq!(fit("mean_squared_error", 11.0, 70.0), "MSE");
        assert_eq!(fit("cross_entropy", 11.0, 70.0), "CE");
        assert_eq!(fit("momentum", 11.0, 70.0), "momentum");
        let cut = fit("averyveryverylongname", 11.0, 50.0);
        assert!(cut.ends_with('…') && text_width(&cut, 11.0, false) <= 50.0, "{cut}");
    }
}
