#!/usr/bin/env bash
# Every check CI runs, in order. Needs scripts/setup.sh once.
# Everything is built once (the lints' check build aside): one release build of
# the workspace's tests and binaries, which the README's commands and the
# benches reuse; then cargo nextest runs every test binary in parallel, each
# test in its own process.
set -euo pipefail
cd "$(dirname "$0")/.."
export FFN_WANDB_PYTHON="${FFN_WANDB_PYTHON:-$PWD/.venv/bin/python}"
step() { echo "== $1 (at ${SECONDS} s)"; }

step "format and lints"
cargo fmt --all -- --check
(cd infer-embedded/firmware && cargo fmt --check)
cargo clippy --release --workspace --all-targets -- -D warnings

step "docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --release --no-deps --workspace --quiet

step "no_std builds"
cargo build --release -p ffn-core --target thumbv7em-none-eabihf --no-default-features
for target in thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf; do
  cargo build --release -p ffn-infer-embedded -p ffn-c --target "$target" --features ffn-infer-embedded/dsp
done
(cd infer-embedded/no-panic && cargo fmt --check)

step "no panic reachable from Model::from_bytes/predict (links only if none is), on every core"
(cd infer-embedded/no-panic && for target in thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf; do
  cargo build --release --quiet --target "$target"
done && RUSTFLAGS=-Ctarget-cpu=cortex-m33 cargo build --release --quiet --target thumbv8m.main-none-eabihf)
step "no panic reachable from the C API (links only if none is), on every core"
infer-embedded/ffn-c/no-panic.sh

step "the C header is what cbindgen makes of the code"
(cd infer-embedded/ffn-c && cbindgen --quiet --config cbindgen.toml --crate ffn-c --output ffn.h --verify)

step "build the tests and the binaries"
cargo nextest run --release --workspace --no-run

step "the README's cargo run commands resolve from the workspace root"
cargo run --release --quiet --bin train -- --help > /dev/null
for command in train sweep report export predict bench-epoch bench-load; do
  cargo run --release --quiet --bin ffn -- "$command" --help > /dev/null
done

step "benches compile"
cargo bench --workspace --no-run

step "tests, in parallel (the QEMU firmware parity test and the Chromium report test included)"
export CI="${CI:-true}"
cargo nextest run --release --workspace --no-fail-fast
step "doc tests (nextest does not run them)"
cargo test --release --workspace --doc
step "done"
