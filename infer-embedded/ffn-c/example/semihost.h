/* Output and exit status through Arm semihosting (QEMU -semihosting-config enable=on). */
#ifndef SEMIHOST_H
#define SEMIHOST_H
#include <stdint.h>

static inline uint32_t semihost_call(uint32_t op, const void *arg) {
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* SYS_WRITE0: a NUL-terminated string to the host's console (QEMU 7.2 prints it on its stderr). */
static inline void semihost_write(const char *text) { semihost_call(0x04, text); }

/* SYS_EXIT_EXTENDED: QEMU exits with `code`. */
static inline __attribute__((noreturn)) void semihost_exit(uint32_t code) {
    uint32_t block[2] = {0x20026 /* ADP_Stopped_ApplicationExit */, code};
    semihost_call(0x20, block);
    for (;;) {}
}
#endif
