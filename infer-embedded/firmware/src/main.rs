//! Classifies the test samples that `build.rs` prepared, streamed one at a
//! time from the host file `ffn-samples.bin` over semihosting, with the
//! embedded model, and reports over semihosting: the predicted classes, the
//! accuracy, parity with the host's predictions, instructions per inference
//! (SysTick under `qemu -icount`, calibrated against a loop of known length,
//! so no board's clock needs to be known), static RAM and peak stack.
//!
//! Exit status: 0 when every prediction matches the host's, 2 on a mismatch,
//! 3 when the model is rejected or the samples cannot be read, 1 on a panic
//! or fault.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use ffn_infer_embedded::{Model, Scratch};
use panic_semihosting as _;

mod consts {
    include!(concat!(env!("OUT_DIR"), "/consts.rs"));
}
mod host_file;
mod stack;

use host_file::HostFile;

/// `include_bytes!` only promises 1-byte alignment; the model file's arrays are
/// 16-byte aligned from its start, so word loads of weights stay aligned.
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);

static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.ffn")));

/// Bytes of one sample, then its label and the host's class (`u16` LE each).
const SAMPLE_BYTES: usize = consts::INPUTS * core::mem::size_of::<consts::Input>();
/// Classes per printed line.
const LINE: usize = 32;

/// SysTick is 24-bit: its exception counts the wraps. Only the handler writes
/// it, so a load and a store suffice (Cortex-M0 has no atomic read-modify-write).
static SYSTICK_WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    SYSTICK_WRAPS.store(SYSTICK_WRAPS.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HardFault: {:?}", frame);
    exit_with(1)
}

/// SYS_EXIT_EXTENDED (0x20): QEMU exits with `code` (plain SYS_EXIT only knows 0/1).
fn exit_with(code: u32) -> ! {
    let block: [usize; 2] = [debug::Exception::ApplicationExit as usize, code as usize];
    // SAFETY: semihosting call 0x20 reads the two-word parameter block, which lives across the call.
    unsafe { cortex_m_semihosting::syscall(0x20, &block) };
    loop {
        cortex_m::asm::nop();
    }
}

fn start_systick(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(0x00FF_FFFF);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    // QEMU reads 0 until its first reload event; bounded so an unclocked SysTick cannot hang us.
    for _ in 0..1_000_000 {
        if SYST::get_current() != 0 {
            break;
        }
    }
}

fn ticks() -> u64 {
    loop {
        let wraps = SYSTICK_WRAPS.load(Ordering::Relaxed);
        let current = SYST::get_current();
        if wraps == SYSTICK_WRAPS.load(Ordering::Relaxed) {
            return ((wraps as u64) << 24) | (0x00FF_FFFF - current) as u64;
        }
    }
}

/// Instructions the calibration loop runs: `subs` + `bne` per iteration.
const CALIBRATION_INSTRUCTIONS: u64 = 2 * 200_000;

/// SysTick ticks for [`CALIBRATION_INSTRUCTIONS`] instructions: under
/// `-icount` ticks are proportional to instructions, whatever the board's clock.
#[inline(never)]
fn calibrate() -> u64 {
    let start = ticks();
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, #1",
            "bne 2b",
            n = inout(reg) (CALIBRATION_INSTRUCTIONS / 2) as u32 => _,
            options(nomem, nostack),
        )
    };
    ticks() - start
}

/// Appends the decimal digits of `n` to `text` at `len`.
fn put_number(text: &mut [u8], len: &mut usize, n: usize) {
    let mut digits = [0u8; 20];
    let (mut n, mut count) = (n, 0);
    loop {
        digits[count] = b'0' + (n % 10) as u8;
        count += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..count].iter().rev() {
        if let Some(slot) = text.get_mut(*len) {
            *slot = d;
            *len += 1;
        }
    }
}

/// Prints the classes of samples `first…` as "classes FIRST c,c,c…" with a
/// plain SYS_WRITE0: no `core::fmt`, so its shallow frame stays below the
/// inference's in the peak-stack measurement (it runs between inferences).
#[inline(never)]
fn print_classes(first: usize, classes: &[u16]) {
    let mut text = [0u8; 256];
    let mut len = 0;
    for &b in b"classes " {
        text[len] = b;
        len += 1;
    }
    put_number(&mut text, &mut len, first);
    for (k, &class) in classes.iter().enumerate() {
        if let Some(slot) = text.get_mut(len) {
            *slot = if k == 0 { b' ' } else { b',' };
            len += 1;
        }
        put_number(&mut text, &mut len, class as usize);
    }
    if let Some(slot) = text.get_mut(len) {
        *slot = b'\n';
    }
    // At most 8 + 20 + 32 × 6 + 1 bytes are written: the rest stays NUL.
    // SAFETY: SYS_WRITE0 reads the NUL-terminated string at &text.
    unsafe { cortex_m_semihosting::syscall(0x04, &text) };
}

/// What [`classify_all`] counted.
#[derive(Default)]
struct Tally {
    samples: usize,
    correct: usize,
    mismatches: usize,
    failures: usize,
    /// SysTick ticks inside `predict` only.
    ticks: u64,
}

#[entry]
fn main() -> ! {
    let Some(mut core) = cortex_m::Peripherals::take() else { exit_with(1) };
    let model = match Model::from_bytes(&MODEL.0) {
        Ok(model) => model,
        Err(error) => {
            hprintln!("model rejected: {}", error);
            exit_with(3)
        }
    };
    let Some(mut samples) = HostFile::open("ffn-samples.bin") else {
        hprintln!("cannot open ffn-samples.bin (run QEMU in the firmware ELF's folder)");
        exit_with(3)
    };
    hprintln!("ffn-firmware on {}: model {} ({} bytes)", consts::BOARD, consts::MODEL_DESCRIPTION, MODEL.0.len());

    stack::paint();
    start_systick(&mut core.SYST);
    let calibration = calibrate();
    let tally = classify_all(&model, &mut samples);
    let peak_stack = stack::peak();

    hprintln!("accuracy {}/{}", tally.correct, tally.samples);
    hprintln!("host mismatches {}", tally.mismatches);
    hprintln!("failed predictions {}", tally.failures);
    let instructions = tally.ticks * CALIBRATION_INSTRUCTIONS / calibration.max(1);
    hprintln!("systick_ticks {} calibration_ticks {} samples {}", tally.ticks, calibration, tally.samples);
    hprintln!("instructions_per_inference {}", instructions / tally.samples.max(1) as u64);
    hprintln!("macs_per_inference {}", consts::MACS);
    hprintln!("static_ram_bytes {} peak_stack_bytes {}", stack::static_ram(), peak_stack);
    hprintln!("scratch_bytes {}", consts::SCRATCH_BYTES);
    let ok = tally.mismatches == 0 && tally.failures == 0 && tally.samples > 0;
    exit_with(if ok { 0 } else { 2 })
}

/// Reads and classifies every sample, printing the classes 32 at a time
/// (only `predict` is timed). `inline(never)` keeps its frame (the scratch
/// and the sample buffer) on the stack that `stack::peak` measures.
#[inline(never)]
fn classify_all(model: &Model<'_>, samples: &mut HostFile) -> Tally {
    let mut classes = [0u16; LINE];
    let mut scratch = Scratch::<{ consts::SCRATCH_BYTES }>::new();
    // Words, so i16/f32 samples can be viewed in place.
    let mut record = [0u32; (SAMPLE_BYTES + 4).div_ceil(4)];
    let mut tally = Tally::default();
    loop {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut record);
        let Some(bytes) = bytes.get_mut(..SAMPLE_BYTES + 4) else { break };
        if !samples.read_exact(bytes) {
            break;
        }
        let (label, host) = match bytes.get(SAMPLE_BYTES..SAMPLE_BYTES + 4) {
            Some(&[a, b, c, d]) => (u16::from_le_bytes([a, b]), u16::from_le_bytes([c, d])),
            _ => break,
        };
        let sample: &[consts::Input] =
            bytemuck::try_cast_slice(bytes.get(..SAMPLE_BYTES).unwrap_or(&[])).unwrap_or(&[]);
        let start = ticks();
        let result = model.predict(sample, scratch.as_mut_bytes(), &mut []);
        tally.ticks += ticks() - start;
        match result {
            Ok(class) => {
                let class = class as u16;
                tally.correct += (class == label) as usize;
                tally.mismatches += (class != host) as usize;
                if let Some(slot) = classes.get_mut(tally.samples % LINE) {
                    *slot = class;
                }
            }
            Err(_) => tally.failures += 1,
        }
        tally.samples += 1;
        if tally.samples % LINE == 0 {
            print_classes(tally.samples - LINE, &classes);
        }
    }
    let rest = tally.samples % LINE;
    if rest > 0 {
        print_classes(tally.samples - rest, classes.get(..rest).unwrap_or(&[]));
    }
    tally
}
