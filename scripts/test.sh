#!/usr/bin/env bash
# Every check CI runs, in order. Needs scripts/setup.sh once.
set -euo pipefail
cd "$(dirname "$0")/.."
export FFN_WANDB_PYTHON="${FFN_WANDB_PYTHON:-$PWD/.venv/bin/python}"

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets -- -D warnings

echo "== no_std builds"
cargo build --release -p ffn-core --target thumbv7em-none-eabihf --no-default-features
for target in thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf; do
  cargo build --release -p ffn-infer-embedded -p ffn-c --target "$target" --features ffn-infer-embedded/dsp
done
(cd infer-embedded/firmware && cargo fmt --check)
(cd infer-embedded/no-panic && cargo fmt --check)

echo "== no panic reachable from Model::from_bytes/predict (links only if none is), on every core"
(cd infer-embedded/no-panic && for target in thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf; do
  cargo build --release --quiet --target "$target"
done && RUSTFLAGS=-Ctarget-cpu=cortex-m33 cargo build --release --quiet --target thumbv8m.main-none-eabihf)
# The C API's proof is the C example's link (tests/c_api.rs): its library has the panic-never handler.

echo "== the C header is what cbindgen makes of the code"
(cd infer-embedded/ffn-c && cbindgen --quiet --config cbindgen.toml --crate ffn-c --output ffn.h --verify)

echo "== the README's cargo run commands resolve from the workspace root"
for bin in train sweep report export predict bench-epoch; do
  cargo run --release --quiet --bin "$bin" -- --help > /dev/null
done

echo "== benches compile"
cargo bench --workspace --no-run

echo "== tests (the QEMU firmware parity test and the Chromium report test included)"
CI="${CI:-true}" cargo test --release --workspace
