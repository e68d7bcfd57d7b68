#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine for ffn's tests: system packages
# (QEMU for the firmware, Arm binutils for sizes, the Arm GCC for the C example,
# Chromium for the report test), the Cortex-M Rust targets, cbindgen (checks
# that infer-embedded/ffn-c/ffn.h matches the code), a Python venv with
# wandb's own reader (wandb 0.29.0 is the last release that ships it) for
# validating wandb runs, and scikit-learn with Pillow in it for the own-data tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v qemu-system-arm >/dev/null || need_apt+=(qemu-system-arm)
command -v arm-none-eabi-size >/dev/null || need_apt+=(binutils-arm-none-eabi)
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi)
command -v make >/dev/null || need_apt+=(make)
command -v flock >/dev/null || need_apt+=(util-linux)
command -v chromium >/dev/null || need_apt+=(chromium)
# Debian's python3 makes virtual environments only with python3-venv (ensurepip).
python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Cortex-M0, M3, M4F/M7, M33/M55.
rustup target add thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf
command -v cbindgen >/dev/null || cargo install --locked cbindgen@0.29.4
rustup component add clippy rustfmt
# scripts/test.sh runs the test binaries in parallel with cargo-nextest (the
# Rust machine image ships it; elsewhere it comes from crates.io).
cargo nextest --version >/dev/null 2>&1 || cargo install --locked cargo-nextest

# --- wandb's Python clients (two virtual environments) ------------------------
# .venv        wandb 0.29.0: the last release with the Python reader that
#              shared/tools/wandb-check validates runs with.
# .venv-agent  today's wandb client, pinned: the tests run its `wandb agent`
#              and `wandb sync` (wandb-core) against a stand-in server on the
#              loopback interface. About 25 s to install on an empty pip cache.
WANDB_CURRENT=0.31.0
if ! .venv/bin/python -c 'import wandb.sdk.internal.datastore' 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q 'wandb==0.29.0'
fi
if [ "$(.venv-agent/bin/python -c 'import wandb; print(wandb.__version__)' 2>/dev/null)" != "$WANDB_CURRENT" ]; then
    python3 -m venv .venv-agent
    .venv-agent/bin/pip install -q "wandb==$WANDB_CURRENT"
fi
# --- end of wandb's Python clients --------------------------------------------
# scikit-learn's bundled datasets are the own-data tests' real data
# (scripts/sklearn_datasets.py writes them as CSV, NPZ, .npy and PNG folders).
if ! .venv/bin/python -c 'import sklearn, PIL' 2>/dev/null; then
    .venv/bin/pip install -q 'scikit-learn==1.9.1' 'pillow==13.0.0'
fi
echo "setup: done"
