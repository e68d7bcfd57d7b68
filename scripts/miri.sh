#!/usr/bin/env bash
# Runs ffn-core's tests that need no SIMD intrinsics under Miri, which checks
# the unsafe code (the step plans' shared buffers, matrix views, the optimizer's
# range updates, the pool's job hand-over) for undefined behaviour: data races,
# aliasing (Stacked Borrows), out-of-bounds and provenance (strict: no pointer
# comes back from an integer). Under Miri the CPU detection finds no AVX, so
# the kernels run their portable builds and the AVX-512 GEMMs their
# element-at-a-time references.
#
# Needs a nightly toolchain with Miri:
#   rustup toolchain install nightly --component miri,rust-src
#   cargo +nightly miri setup
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "miri.sh: no Miri; install it with: rustup toolchain install nightly --component miri,rust-src" >&2
    exit 1
fi

export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}"
# A separate target folder: Miri's build would otherwise evict the normal one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/miri"
cargo +nightly miri test -p ffn-core --lib --test plans --test registries "$@"
