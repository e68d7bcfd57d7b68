//! From the command line to flag values: the course project's shorts
//! rewritten, the clap command built from [`FLAGS`] (help included), each
//! value checked against its [`Kind`].

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use super::{FLAGS, Flag, Kind, flag};

/// Rewrites the course project's single-dash shorts (`-nhl 3`, `-w_d=0.5`)
/// to long flags. A value given as the next argument is joined to its flag
/// (`--learning_rate=-1e-8`), so clap never mistakes a value that starts with
/// `-` for a flag.
pub fn translate_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut takes_value: Option<&'static Flag> = None;
    for arg in args {
        if let Some(f) = takes_value.take() {
            out.push(format!("--{}={arg}", f.long));
            continue;
        }
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg.as_str(), None),
        };
        let found = name.strip_prefix("--").map_or_else(|| FLAGS.iter().find(|f| f.short == Some(name)), flag);
        match (found, value) {
            // `--switch=true` is how the wandb agent and the reproduce commands pass a switch that is on.
            (Some(f), Some(v)) if matches!(f.kind, Kind::Switch) && is_bool(v) => {
                if matches!(v, "true" | "True" | "1") {
                    out.push(format!("--{}", f.long));
                }
            }
            (Some(f), Some(v)) => out.push(format!("--{}={v}", f.long)),
            (Some(f), None) if matches!(f.kind, Kind::Switch) => out.push(format!("--{}", f.long)),
            (Some(f), None) => takes_value = Some(f),
            (None, _) => out.push(arg),
        }
    }
    // A flag at the end without its value: clap says a value is required.
    if let Some(f) = takes_value {
        out.push(format!("--{}", f.long));
    }
    out
}

fn is_bool(v: &str) -> bool {
    matches!(v, "true" | "True" | "1" | "false" | "False" | "0")
}

/// `raw` as a value of `kind`: choices by their canonical name, numbers in range.
pub fn check(kind: Kind, raw: &str) -> Result<Value, String> {
    match kind {
        Kind::Text => Ok(Value::String(raw.to_string())),
        Kind::Switch => Ok(Value::Bool(true)),
        Kind::Choice(choices) => choices
            .find(raw)
            .map(|name| Value::String(name.to_string()))
            .ok_or_else(|| format!("'{raw}' is not one of: {}", choices.names().join(", "))),
        Kind::Int { min } => {
            let v: i64 = raw.trim().parse().map_err(|_| format!("'{raw}' is not a whole number"))?;
            if v < min {
                return Err(format!("{v} is too small: it must be at least {min}"));
            }
            Ok(Value::from(v))
        }
        Kind::Float { min, max, min_exclusive, max_exclusive } => {
            let v: f64 = raw.trim().parse().map_err(|_| format!("'{raw}' is not a number"))?;
            let low_ok = if min_exclusive { v > min } else { v >= min };
            let high_ok = if max_exclusive { v < max } else { v <= max };
            if !v.is_finite() || !low_ok || !high_ok {
                let low = if min_exclusive { "(" } else { "[" };
                let high = if max_exclusive { ")" } else { "]" };
                return Err(format!("{raw} is out of range: it must be a finite number in {low}{min}, {max}{high}"));
            }
            Ok(Value::from(v))
        }
    }
}

/// A value the table itself declares (a default, a recipe, an extra's off value).
pub(super) fn checked(f: &Flag, raw: &str) -> Value {
    check(f.kind, raw).unwrap_or_else(|e| panic!("the flag table's value {raw:?} of --{} is invalid: {e}", f.long))
}

/// What `--help` says of a flag: its short form, its help, the choices with
/// their help, and its default rule.
fn help_of(f: &Flag) -> String {
    let mut text = match f.short {
        Some(s) => format!("[{s}] {}", f.help),
        None => f.help.to_string(),
    };
    if let Kind::Choice(choices) = f.kind {
        let described: Vec<String> = choices
            .all()
            .iter()
            .map(|c| {
                let aliases =
                    if c.aliases.is_empty() { String::new() } else { format!(" (= {})", c.aliases.join(", ")) };
                let help = if c.help.is_empty() { String::new() } else { format!(": {}", c.help) };
                format!("{}{aliases}{help}", c.name)
            })
            .collect();
        text.push_str(&format!("; {}", described.join("; ")));
    }
    if let (Some(rule), false) = (f.default.describe(), matches!(f.kind, Kind::Switch)) {
        text.push_str(&format!(" [default: {rule}]"));
    }
    text
}

/// The clap command built from [`FLAGS`].
pub fn command() -> Command {
    let mut cmd = Command::new("train")
        .about("Train a feed-forward network on Fashion-MNIST, MNIST or your own data (ffn)")
        .version(env!("CARGO_PKG_VERSION"))
        .after_help(
            "Short forms are the course project's: -wp -we -d -e -b -l -o -lr -m -beta -beta1 -beta2 -eps -w_d -w_i -nhl -sz -a.\n\
             --flag value and --flag=value both work. Choices match in any case.\n\
             A default with 'own data:' follows from the size of the data given with --data;\n\
             --dry_run prints every value and, under data_defaults, why.",
        );
    for f in FLAGS {
        let mut arg = Arg::new(f.long).long(f.long).help(help_of(f));
        // The course's flags are spelt with `_`, a few of ffn's with `-`: either spelling works.
        let other = if f.long.contains('_') { f.long.replace('_', "-") } else { f.long.replace('-', "_") };
        if other != f.long {
            arg = arg.alias(other);
        }
        arg = match f.kind {
            Kind::Switch => arg.action(ArgAction::SetTrue),
            kind => {
                let value_name = match kind {
                    Kind::Choice(choices) => choices.names().join("|"),
                    Kind::Int { .. } => "N".into(),
                    Kind::Float { .. } => "X".into(),
                    _ => "VALUE".into(),
                };
                arg.value_name(value_name)
                    .allow_negative_numbers(true)
                    .value_parser(move |raw: &str| check(kind, raw).map(|_| raw.to_string()))
            }
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// The flags given on a command line, before any default is filled in.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// Each given flag's value (checked; choices by canonical name); switches
    /// always, `false` when absent.
    pub values: Map<String, Value>,
    /// The flags given explicitly, in table order.
    pub given: Vec<&'static str>,
}

/// What `matches` holds.
pub fn parse_args(matches: &ArgMatches) -> Parsed {
    let mut parsed = Parsed::default();
    for f in FLAGS {
        let value = match f.kind {
            Kind::Switch => Some(Value::Bool(matches.get_flag(f.long))),
            kind => matches.get_one::<String>(f.long).map(|raw| check(kind, raw).expect("clap ran the same check")),
        };
        if let Some(value) = value {
            parsed.values.insert(f.long.into(), value);
        }
    }
    parsed.given = given(matches);
    parsed
}

/// Which flags the user gave explicitly (for `--resume` checks).
pub fn given(matches: &ArgMatches) -> Vec<&'static str> {
    FLAGS
        .iter()
        .filter(|f| matches.value_source(f.long) == Some(clap::parser::ValueSource::CommandLine))
        .map(|f| f.long)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::DefaultRule;

    #[test]
    fn every_default_passes_its_own_check() {
        for f in FLAGS {
            let values: Vec<&str> = match f.default {
                DefaultRule::None => Vec::new(),
                DefaultRule::Value(v) => vec![v],
                DefaultRule::Data(rule) => {
                    std::iter::once(rule.builtin).chain(rule.recipes.iter().map(|r| r.1)).collect()
                }
            };
            for v in values.into_iter().chain(f.extra) {
                assert!(check(f.kind, v).is_ok(), "default {v:?} of --{} is invalid", f.long);
            }
        }
    }

    #[test]
    fn shorts_are_unique_and_translate() {
        for f in FLAGS {
            if let Some(s) = f.short {
                assert_eq!(FLAGS.iter().filter(|g| g.short == Some(s)).count(), 1);
                let out = translate_args([s.to_string(), "7".to_string()]);
                assert_eq!(out, vec![format!("--{}=7", f.long)]);
                let out = translate_args([format!("{s}=7")]);
                assert_eq!(out, vec![format!("--{}=7", f.long)]);
            }
        }
    }

    #[test]
    fn switches_take_true_or_false() {
        let args = ["--no_header=true", "--overwrite=False", "--no_extras=1"].map(String::from);
        assert_eq!(translate_args(args), vec!["--no_header", "--no_extras"]);
    }

    #[test]
    fn values_that_look_like_flags_are_left_alone() {
        let out = translate_args(["-lr".into(), "-e".into(), "-e".into(), "3".into(), "-eps".into()]);
        assert_eq!(out, vec!["--learning_rate=-e", "--epochs=3", "--epsilon"]);
    }
}
