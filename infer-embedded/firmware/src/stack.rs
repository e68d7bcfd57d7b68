//! Peak stack by painting: fill the free RAM between the statics and the
//! current stack pointer with a pattern, run, then find the lowest word the
//! stack overwrote.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PAINT: u32 = 0xA5A5_A5A5;
/// Left unpainted below the live stack pointer, for `paint`'s own frame.
const MARGIN: usize = 64;

unsafe extern "C" {
    // From cortex-m-rt's link.x / memory.x: start of RAM past .data/.bss/.uninit, and the stack top.
    static __sheap: u32;
    static _stack_start: u32;
    static __sdata: u32;
}

// Only the linker symbols' addresses are taken, never their values.
fn heap_start() -> usize {
    addr_of!(__sheap) as usize
}

fn stack_top() -> usize {
    addr_of!(_stack_start) as usize
}

/// Bytes of RAM the statics take (.data + .bss + .uninit).
pub fn static_ram() -> usize {
    heap_start() - addr_of!(__sdata) as usize
}

#[inline(never)]
pub fn paint() {
    let end = cortex_m::register::msp::read() as usize - MARGIN;
    let mut at = heap_start();
    while at < end {
        // SAFETY: [__sheap, sp - MARGIN) is RAM that nothing uses: no heap exists and
        // the stack has not grown below sp yet.
        unsafe { write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
}

/// Bytes of stack used since reset (at least; the painted region bounds it).
#[inline(never)]
pub fn peak() -> usize {
    let mut at = heap_start();
    // SAFETY: reads RAM words between the statics and the stack top, all mapped.
    while at < stack_top() && unsafe { read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    stack_top() - at
}
