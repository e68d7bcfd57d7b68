//! Classifies the test samples that `build.rs` embedded (in the model's own
//! input type), with the embedded model, and reports over semihosting: the
//! predicted classes, the accuracy, parity with the host's predictions,
//! instructions per inference (SysTick under `qemu -icount`), static RAM and
//! peak stack.
//!
//! Exit status: 0 when every prediction matches the host's, 2 on a mismatch,
//! 3 when the model is rejected, 1 on a panic or fault.
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
mod stack;

/// `include_bytes!` only promises 1-byte alignment; the model reader needs none,
/// but a word-aligned start keeps the weight loads aligned on parts that care.
#[repr(C, align(4))]
struct Aligned<T: ?Sized>(T);

static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.ffn")));
/// Word-aligned so `i16`/`f32` samples can be viewed in place.
static SAMPLES: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/samples.bin")));
static LABELS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/labels.bin"));
static EXPECTED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/expected.bin"));

/// Core clock of SysTick: 25 MHz on mps2-an386, 12.5 MHz on lm3s6965evb.
#[cfg(not(feature = "lm3s6965"))]
const NS_PER_TICK: u32 = 40;
#[cfg(feature = "lm3s6965")]
const NS_PER_TICK: u32 = 80;
const BOARD: &str = if cfg!(feature = "lm3s6965") { "lm3s6965evb" } else { "mps2-an386" };

/// SysTick is 24-bit: its exception counts the wraps.
static SYSTICK_WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    SYSTICK_WRAPS.fetch_add(1, Ordering::Relaxed);
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

/// Class `k` of a `u16` little-endian array.
fn class_at(bytes: &[u8], k: usize) -> u16 {
    bytes.get(2 * k..2 * k + 2).map_or(u16::MAX, |b| u16::from_le_bytes([b[0], b[1]]))
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
    hprintln!(
        "ffn-firmware on {}: model {} ({} bytes), {} samples",
        BOARD,
        consts::MODEL_DESCRIPTION,
        MODEL.0.len(),
        consts::SAMPLE_COUNT
    );

    let mut classes = [0u16; consts::SAMPLE_COUNT];
    stack::paint();
    start_systick(&mut core.SYST);
    let start = ticks();
    let failures = classify_all(&model, &mut classes);
    let elapsed = ticks() - start;
    let peak_stack = stack::peak();

    let (mut correct, mut mismatches) = (0, 0);
    for (k, &class) in classes.iter().enumerate() {
        correct += (class == class_at(LABELS, k)) as usize;
        mismatches += (class != class_at(EXPECTED, k)) as usize;
    }
    for (line, chunk) in classes.chunks(32).enumerate() {
        // "classes FIRST c,c,c…": one line per 32 samples, so no line needs a large buffer.
        let mut text = [0u8; 32 * 6];
        let mut len = 0;
        for (k, &class) in chunk.iter().enumerate() {
            if k > 0 {
                text[len] = b',';
                len += 1;
            }
            let mut digits = [0u8; 5];
            let mut n = class;
            let mut count = 0;
            loop {
                digits[count] = b'0' + (n % 10) as u8;
                count += 1;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            for &d in digits[..count].iter().rev() {
                text[len] = d;
                len += 1;
            }
        }
        hprintln!("classes {} {}", line * 32, core::str::from_utf8(&text[..len]).unwrap_or("?"));
    }
    hprintln!("accuracy {}/{}", correct, consts::SAMPLE_COUNT);
    hprintln!("host mismatches {}", mismatches);
    hprintln!("failed predictions {}", failures);
    hprintln!("systick_ticks {} ns_per_tick {} samples {}", elapsed, NS_PER_TICK, consts::SAMPLE_COUNT);
    hprintln!("static_ram_bytes {} peak_stack_bytes {}", stack::static_ram(), peak_stack);
    hprintln!("scratch_bytes {}", consts::SCRATCH_BYTES);
    hprintln!("embedded_sample_bytes {}", SAMPLES.0.len() + LABELS.len() + EXPECTED.len());
    exit_with(if mismatches == 0 && failures == 0 { 0 } else { 2 })
}

/// The measured region: inference only, no semihosting. `inline(never)` keeps
/// its frame (and the scratch) on the stack that `stack::peak` measures.
/// Returns the number of samples the model refused (none, for a valid build).
#[inline(never)]
fn classify_all(model: &Model<'_>, classes: &mut [u16]) -> usize {
    let mut scratch = Scratch::<{ consts::SCRATCH_BYTES }>::new();
    let samples: &[consts::Input] = bytemuck::try_cast_slice(&SAMPLES.0).unwrap_or(&[]);
    let mut failures = 0;
    for (sample, class) in samples.chunks_exact(consts::INPUTS).zip(classes.iter_mut()) {
        match model.predict(sample, scratch.as_mut_bytes(), &mut []) {
            Ok(c) => *class = c as u16,
            Err(_) => failures += 1,
        }
    }
    failures
}
