//! Classifies the Fashion-MNIST test images that `build.rs` embedded, with the
//! embedded model, and reports over semihosting: the predicted classes, the
//! accuracy, parity with the host's predictions, instructions per inference
//! (SysTick under `qemu -icount`), static RAM and peak stack.
//!
//! Exit status: 0 when every prediction matches the host's, 2 on a mismatch,
//! 3 when the model is rejected, 1 on a panic or fault.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use ffn_infer_embedded::{INPUT_SIZE, Model, Scratch};
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
static IMAGES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/images.bin"));
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

#[entry]
fn main() -> ! {
    let Some(mut core) = cortex_m::Peripherals::take() else { exit_with(1) };
    let model = match Model::<{ consts::WIDTH }>::from_bytes(&MODEL.0) {
        Ok(model) => model,
        Err(error) => {
            hprintln!("model rejected: {}", error);
            exit_with(3)
        }
    };
    hprintln!(
        "ffn-firmware on {}: model {} ({} bytes), {} test images from #{}",
        BOARD,
        consts::MODEL_DESCRIPTION,
        MODEL.0.len(),
        consts::IMAGE_COUNT,
        consts::FIRST_IMAGE
    );

    let mut classes = [0u8; consts::IMAGE_COUNT];
    stack::paint();
    start_systick(&mut core.SYST);
    let start = ticks();
    classify_all(&model, &mut classes);
    let elapsed = ticks() - start;
    let peak_stack = stack::peak();

    let (mut correct, mut mismatches) = (0, 0);
    for ((&class, &label), &expected) in classes.iter().zip(LABELS).zip(EXPECTED) {
        correct += (class == label) as usize;
        mismatches += (class != expected) as usize;
    }
    for (line, chunk) in classes.chunks(64).enumerate() {
        let mut digits = [0u8; 64];
        for (digit, &class) in digits.iter_mut().zip(chunk) {
            *digit = b'0' + class;
        }
        let text = core::str::from_utf8(&digits[..chunk.len()]).unwrap_or("?");
        hprintln!("classes {} {}", consts::FIRST_IMAGE + line * 64, text);
    }
    hprintln!("accuracy {}/{}", correct, consts::IMAGE_COUNT);
    hprintln!("host mismatches {}", mismatches);
    hprintln!("systick_ticks {} ns_per_tick {} images {}", elapsed, NS_PER_TICK, consts::IMAGE_COUNT);
    hprintln!("static_ram_bytes {} peak_stack_bytes {}", stack::static_ram(), peak_stack);
    hprintln!("scratch_bytes {}", Scratch::<{ consts::WIDTH }>::BYTES);
    exit_with(if mismatches == 0 { 0 } else { 2 })
}

/// The measured region: inference only, no semihosting. `inline(never)` keeps
/// its frame (and the scratch) on the stack that `stack::peak` measures.
#[inline(never)]
fn classify_all(model: &Model<'_, { consts::WIDTH }>, classes: &mut [u8]) {
    let mut scratch = Scratch::new();
    for (image, class) in IMAGES.chunks_exact(INPUT_SIZE).zip(classes.iter_mut()) {
        if let Ok(pixels) = <&[u8; INPUT_SIZE]>::try_from(image) {
            *class = model.predict(pixels, &mut scratch).class as u8;
        }
    }
}
