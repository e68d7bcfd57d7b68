//! The live view of a running sweep. On a terminal, a block at the bottom
//! (progress, best so far, one row per running run) is redrawn in place while
//! finished runs scroll above it; elsewhere (a log file, CI) every event is
//! one plain line.

use std::io::Write;

pub struct Row {
    pub name: String,
    pub epoch: usize,
    pub epochs: Option<usize>,
    pub val_accuracy: Option<f64>,
    pub state: String,
}

pub struct Table {
    tty: bool,
    drawn: usize,
}

impl Table {
    pub fn new(tty: bool) -> Table {
        Table { tty, drawn: 0 }
    }

    pub fn is_tty(&self) -> bool {
        self.tty
    }

    /// A line that stays (run started/ended, epoch done when not a terminal).
    pub fn line(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        self.erase(&mut out);
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// Redraws the live block (terminal only).
    pub fn draw(&mut self, header: &str, rows: &[Row]) {
        if !self.tty {
            return;
        }
        let mut text = format!("{header}\n");
        if !rows.is_empty() {
            let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(3).max(3);
            text.push_str(&format_row("run", w, "epoch", "val_acc", "state"));
            for r in rows {
                text.push_str(&format_row(
                    &r.name,
                    w,
                    &epoch_text(r.epoch, r.epochs),
                    &percent(r.val_accuracy),
                    &r.state,
                ));
            }
        }
        let mut out = std::io::stdout().lock();
        self.erase(&mut out);
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        self.drawn = text.lines().count();
    }

    /// Removes the live block (before the final summary).
    pub fn clear(&mut self) {
        let mut out = std::io::stdout().lock();
        self.erase(&mut out);
        let _ = out.flush();
    }

    fn erase(&mut self, out: &mut impl Write) {
        if self.tty && self.drawn > 0 {
            // Cursor up over the block, then clear to the end of the screen.
            let _ = write!(out, "\x1b[{}A\r\x1b[J", self.drawn);
            self.drawn = 0;
        }
    }
}

pub fn format_row(name: &str, width: usize, epoch: &str, val: &str, state: &str) -> String {
    format!("  {name:<width$} {epoch:>7} {val:>8}  {state}\n")
}

pub fn epoch_text(epoch: usize, epochs: Option<usize>) -> String {
    match epochs {
        Some(n) => format!("{epoch}/{n}"),
        None => epoch.to_string(),
    }
}

pub fn percent(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.2}%", 100.0 * x),
        _ => "-".into(),
    }
}
