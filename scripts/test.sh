#!/usr/bin/env bash
# Every check CI runs, in order. Needs scripts/setup.sh once.
set -euo pipefail
cd "$(dirname "$0")/.."
export FFN_WANDB_PYTHON="${FFN_WANDB_PYTHON:-$PWD/.venv/bin/python}"

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets -- -D warnings

echo "== docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --release --no-deps --workspace --quiet

echo "== no_std builds"
cargo build --release -p ffn-core --target thumbv7em-none-eabihf --no-default-features
cargo build --release -p ffn-infer-embedded --target thumbv7em-none-eabihf
cargo build --release -p ffn-infer-embedded --target thumbv6m-none-eabi
cargo build --release -p ffn-infer-embedded --target thumbv7em-none-eabihf --features dsp
(cd infer-embedded/firmware && cargo fmt --check)

echo "== the README's cargo run commands resolve from the workspace root"
cargo run --release --quiet --bin train -- --help > /dev/null
for command in train sweep report export predict bench-epoch; do
  cargo run --release --quiet --bin ffn -- "$command" --help > /dev/null
done

echo "== benches compile"
cargo bench --workspace --no-run

echo "== tests (the QEMU firmware parity test and the Chromium report test included)"
CI="${CI:-true}" cargo test --release --workspace
