//! `train`: the course project's training command, as it always was (also `ffn train`).

fn main() {
    ffn_trainer::commands::train::main("train", std::env::args_os().skip(1));
}
