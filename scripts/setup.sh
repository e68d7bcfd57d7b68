#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine for ffn's tests: system packages
# (QEMU for the firmware, Arm binutils for sizes, Chromium for the report
# test), the Cortex-M Rust targets, and a Python venv with wandb's own reader
# (wandb 0.29.0 is the last release that ships it) for validating wandb runs,
# and scikit-learn with Pillow for the own-data tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v qemu-system-arm >/dev/null || need_apt+=(qemu-system-arm)
command -v arm-none-eabi-size >/dev/null || need_apt+=(binutils-arm-none-eabi)
command -v chromium >/dev/null || need_apt+=(chromium)
if ((${#need_apt[@]})); then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi
rustup component add clippy rustfmt
# scripts/test.sh runs the test binaries in parallel with cargo-nextest (the
# Rust machine image ships it; elsewhere it comes from crates.io).
cargo nextest --version >/dev/null 2>&1 || cargo install --locked cargo-nextest

if ! .venv/bin/python -c 'import wandb.sdk.internal.datastore' 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q 'wandb==0.29.0'
fi
# scikit-learn's bundled datasets are the own-data tests' real data
# (scripts/sklearn_datasets.py writes them as CSV, NPZ, .npy and PNG folders).
if ! .venv/bin/python -c 'import sklearn, PIL' 2>/dev/null; then
    .venv/bin/pip install -q 'scikit-learn==1.9.1' 'pillow==13.0.0'
fi
echo "setup: done"
