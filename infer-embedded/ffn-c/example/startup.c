/* Minimal Cortex-M start-up: vector table, .data/.bss set-up, FPU on, main(), exit over
 * semihosting. No C library. */
#include <stdint.h>
#include "semihost.h"

extern uint32_t _stack_top, _data_start, _data_end, _data_load, _bss_start, _bss_end;
int main(void);

void reset_handler(void) {
    for (uint32_t *src = &_data_load, *dst = &_data_start; dst < &_data_end;) *dst++ = *src++;
    for (uint32_t *dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
    /* CPACR: full access to CP10/CP11, the FPU the hard-float library uses. */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm volatile("dsb\n isb");
    semihost_exit((uint32_t)main());
}

static void fault_handler(void) {
    semihost_write("fault\n");
    semihost_exit(1);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_stack_top, reset_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler,
    fault_handler,
};
