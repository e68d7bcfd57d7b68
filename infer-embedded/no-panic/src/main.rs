//! The Rust API's link-time no-panic proof: this program loads a model from
//! bytes the compiler cannot see (`black_box`) and classifies inputs of every
//! type with it. Its panic handler calls a function that exists nowhere, so
//! the program links only if no panic is reachable from `Model::from_bytes`
//! and `Model::predict` (for `u8`, `i8`, `i16` and `f32` input, with and
//! without scores) on this target. It is linked, never run.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m_rt::entry;
use ffn_infer_embedded::{Model, Scratch};

static FILE: [u8; 1024] = [0; 1024];
static INPUT: [u32; 256] = [0; 256];

/// A slice of `data` whose length the optimiser cannot know.
fn opaque<T>(data: &'static [T]) -> &'static [T] {
    let data = black_box(data);
    data.get(..black_box(data.len())).unwrap_or(&[])
}

#[entry]
fn main() -> ! {
    let mut scratch = Scratch::<2048>::new();
    let mut scores = [0.0f32; 16];
    if let Ok(model) = Model::from_bytes(opaque(&FILE)) {
        let words = opaque(&INPUT);
        let bytes: &[u8] = bytemuck_free::bytes(words);
        let scores_len = black_box(scores.len());
        let out = scores.get_mut(..scores_len).unwrap_or(&mut []);
        let _ = black_box(model.predict(bytes, scratch.as_mut_bytes(), out));
        let _ = black_box(model.predict(bytemuck_free::i8s(bytes), scratch.as_mut_bytes(), &mut []));
        let _ = black_box(model.predict(bytemuck_free::i16s(words), scratch.as_mut_bytes(), out));
        let _ = black_box(model.predict(bytemuck_free::f32s(words), scratch.as_mut_bytes(), out));
        black_box(model.class_name(black_box(3)));
    }
    loop {
        black_box(());
    }
}

/// Views of the input words as each input type, without a panicking cast.
mod bytemuck_free {
    pub fn bytes(words: &[u32]) -> &[u8] {
        // SAFETY: u8 has no alignment or validity requirement; same memory, 4× the length.
        unsafe { core::slice::from_raw_parts(words.as_ptr().cast(), words.len() * 4) }
    }
    pub fn i8s(bytes: &[u8]) -> &[i8] {
        // SAFETY: i8 and u8 share size, alignment and every bit pattern.
        unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast(), bytes.len()) }
    }
    pub fn i16s(words: &[u32]) -> &[i16] {
        // SAFETY: u32 alignment covers i16's; every bit pattern is an i16.
        unsafe { core::slice::from_raw_parts(words.as_ptr().cast(), words.len() * 2) }
    }
    pub fn f32s(words: &[u32]) -> &[f32] {
        // SAFETY: same size and alignment; every bit pattern is an f32.
        unsafe { core::slice::from_raw_parts(words.as_ptr().cast(), words.len()) }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: a reachable panic fails the link on this name.
        fn ffn_no_panic_a_panic_is_reachable() -> !;
    }
    // SAFETY: never runs; the program does not link if this is reachable.
    unsafe { ffn_no_panic_a_panic_is_reachable() }
}
