//! The commands of the installed tool: `ffn <command> …` (as cargo and git
//! do) and `train`, which is also `ffn train`. Each command is a `main(program,
//! args)` here, so the binaries in `src/bin` stay thin; `program` is what the
//! user typed (`train` or `ffn train`), for messages and help. There is no
//! bare `export`, `sweep` or `report` on a user's `PATH`: `export` is a shell
//! builtin, and the others collide with other tools.

pub mod bench_epoch;
pub mod bench_load;
pub mod export;
pub mod predict;
pub mod report;
pub mod sweep;
pub mod train;

use clap::{Command, CommandFactory};
use std::ffi::OsString;
use std::process::ExitCode;

/// One `ffn` subcommand: its name, its clap command (for the about line in
/// `ffn --help`) and what runs it.
pub struct Subcommand {
    pub name: &'static str,
    pub command: fn() -> Command,
    pub run: fn(&str, Vec<OsString>) -> ExitCode,
}

/// Every `ffn` subcommand, in the order `ffn --help` lists them.
pub const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "train",
        command: crate::flags::command,
        run: |program, args| {
            train::main(program, args);
            ExitCode::SUCCESS
        },
    },
    Subcommand { name: "sweep", command: sweep::Cli::command, run: |program, args| sweep::main(program, args) },
    Subcommand {
        name: "report",
        command: report::Args::command,
        run: |program, args| {
            report::main(program, args);
            ExitCode::SUCCESS
        },
    },
    Subcommand {
        name: "export",
        command: export::Args::command,
        run: |program, args| {
            export::main(program, args);
            ExitCode::SUCCESS
        },
    },
    Subcommand {
        name: "predict",
        command: predict::Args::command,
        run: |program, args| {
            predict::main(program, args);
            ExitCode::SUCCESS
        },
    },
    Subcommand {
        name: "bench-epoch",
        command: bench_epoch::Args::command,
        run: |program, args| match bench_epoch::main(program, args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => crate::cli::fail(program, &format!("{e:#}"), 1),
        },
    },
    Subcommand {
        name: "bench-load",
        command: bench_load::Args::command,
        run: |program, args| match bench_load::main(program, args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => crate::cli::fail(program, &format!("{e:#}"), 1),
        },
    },
];

/// `ffn`'s own command line: the subcommands and their about lines (what
/// `ffn --help` prints, and what a mistyped name is matched against).
pub fn command() -> Command {
    let subcommands = SUBCOMMANDS.iter().map(|s| {
        let about = (s.command)().get_about().cloned().unwrap_or_default();
        Command::new(s.name).about(about)
    });
    Command::new("ffn")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Train, sweep, report on, export and run feed-forward networks")
        .subcommands(subcommands)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .after_help(
            "`ffn <command> --help` and `ffn help <command>` describe a command.\n\
             `train` is also installed on its own, with the same flags as `ffn train`.",
        )
}

/// `ffn`: runs the subcommand named by the first argument with the rest;
/// `args` is the whole command line (`std::env::args_os()`).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().skip(1).collect();
    let find = |name: Option<&OsString>| {
        let name = name.and_then(|n| n.to_str())?;
        SUBCOMMANDS.iter().find(|s| s.name == name)
    };
    // `ffn help <command>` is `ffn <command> --help`: the command's own help, not a stub's.
    let (sub, rest) = match (find(args.first()), args.first().and_then(|a| a.to_str())) {
        (Some(sub), _) => (sub, args[1..].to_vec()),
        (None, Some("help")) if args.len() == 2 && find(args.get(1)).is_some() => {
            (find(args.get(1)).expect("just found"), vec![OsString::from("--help")])
        }
        // No command, --help, --version, or a name that is none: clap says what to do.
        _ => {
            let all = std::iter::once(OsString::from("ffn")).chain(args);
            return match command().try_get_matches_from(all) {
                Ok(_) => ExitCode::from(2),
                Err(e) => crate::cli::exit_with_clap_error(e, "ffn"),
            };
        }
    };
    (sub.run)(&format!("ffn {}", sub.name), rest)
}
