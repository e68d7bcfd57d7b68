//! `ffn`: one installed name for every command (`ffn train`, `ffn sweep`,
//! `ffn report`, `ffn export`, `ffn predict`, `ffn bench-epoch`, `ffn bench-load`).

fn main() -> std::process::ExitCode {
    ffn_trainer::commands::main(std::env::args_os())
}
