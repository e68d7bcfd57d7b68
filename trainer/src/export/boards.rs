//! Boards a model may be flashed to (`ffn export --board NAME`): their flash
//! and RAM from the makers' datasheets, and the core whose estimate applies.

use super::estimate::Estimate;
use ffn_infer_embedded::ElementType;

#[derive(Debug)]
pub struct Board {
    /// The `--board` name.
    pub name: &'static str,
    /// The part and its core, for the user.
    pub part: &'static str,
    /// The QEMU board of `firmware/boards.sh` with the same core (a Cortex-M0+ runs the M0's
    /// instructions), whose estimate applies.
    pub estimate_board: &'static str,
    pub flash: usize,
    pub ram: usize,
}

const KIB: usize = 1024;

/// The boards the README names.
pub const BOARDS: [Board; 5] = [
    // nRF52840 Product Specification v1.7, 1 "Feature list": 1 MB flash, 256 KB RAM, Cortex-M4F.
    Board {
        name: "nrf52840",
        part: "nRF52840, Cortex-M4F",
        estimate_board: "mps2-an386",
        flash: 1024 * KIB,
        ram: 256 * KIB,
    },
    // STM32F407VG datasheet (DS8626) 1: 1 MB flash, 192 KB SRAM of which 64 KB are CCM, which
    // a default linker script does not give the stack: 128 KB counted. Cortex-M4F.
    Board {
        name: "stm32f4-discovery",
        part: "STM32F407VG, Cortex-M4F",
        estimate_board: "mps2-an386",
        flash: 1024 * KIB,
        ram: 128 * KIB,
    },
    // RP2040 datasheet 1.1: 264 KB on-chip SRAM, Cortex-M0+, no internal flash; Raspberry Pi
    // Pico datasheet 2.1: 2 MB QSPI flash (W25Q16JV) on the board.
    Board {
        name: "rp2040",
        part: "RP2040 on a Raspberry Pi Pico, Cortex-M0+",
        estimate_board: "microbit",
        flash: 2048 * KIB,
        ram: 264 * KIB,
    },
    // Stellaris LM3S6965 datasheet: 256 KB flash, 64 KB SRAM, Cortex-M3.
    Board {
        name: "lm3s6965",
        part: "LM3S6965, Cortex-M3",
        estimate_board: "lm3s6965evb",
        flash: 256 * KIB,
        ram: 64 * KIB,
    },
    // nRF51822 Product Specification v3.4 (the micro:bit v1's QFAA part): 256 KB flash,
    // 16 KB RAM, Cortex-M0.
    Board {
        name: "microbit-v1",
        part: "nRF51822, Cortex-M0",
        estimate_board: "microbit",
        flash: 256 * KIB,
        ram: 16 * KIB,
    },
];

pub fn by_name(name: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.name.eq_ignore_ascii_case(name))
}

pub fn names() -> String {
    BOARDS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}

/// Whether a model fits a board, by its core's estimate.
#[derive(Clone, Debug)]
pub struct Fit {
    pub board: &'static Board,
    pub element: ElementType,
    pub flash: usize,
    pub ram: usize,
}

impl Fit {
    /// The board's fit for the estimate of its core among `estimates` (none when the
    /// firmware does not run that element type on that core).
    pub fn of(board: &'static Board, estimates: &[Estimate]) -> Option<Fit> {
        let e = estimates.iter().find(|e| e.board == board.estimate_board)?;
        Some(Fit { board, element: e.element, flash: e.flash, ram: e.ram })
    }

    pub fn fits(&self) -> bool {
        self.flash <= self.board.flash && self.ram <= self.board.ram
    }

    /// "fits: …" or "does NOT fit: …", with the numbers.
    pub fn verdict(&self) -> String {
        let b = self.board;
        let compare = |what: &str, need: usize, has: usize| {
            format!("{what} {} {} {} B", thousands(need), if need <= has { "<=" } else { ">" }, thousands(has))
        };
        format!(
            "{} model {} {} ({}): {}, {}",
            self.element.name(),
            if self.fits() { "fits" } else { "does NOT fit" },
            b.name,
            b.part,
            compare("flash", self.flash, b.flash),
            compare("RAM", self.ram, b.ram)
        )
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_250_384), "1,250,384");
    }

    #[test]
    fn boards_are_found_by_name_in_any_case() {
        assert_eq!(by_name("RP2040").map(|b| b.flash), Some(2048 * KIB));
        assert!(by_name("arduino-uno").is_none());
    }
}
