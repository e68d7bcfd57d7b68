//! Property tests of `train`'s argument handling, called in-process: any
//! argument list goes through `translate_args` and clap without a panic, what
//! parses resolves to a configuration, and the four spellings of a flag
//! (`-x v`, `-x=v`, `--long v`, `--long=v`) always mean the same.

use ffn_trainer::config::TrainConfig;
use ffn_trainer::flags::{self, FLAGS, Kind};
use proptest::prelude::*;

/// Tokens a user (or a fuzzer) might type: flag names in every spelling,
/// numbers of every shape, and arbitrary text.
fn token() -> impl Strategy<Value = String> {
    let names: Vec<String> = FLAGS
        .iter()
        .flat_map(|f| {
            let mut v = vec![format!("--{}", f.long)];
            v.extend(f.short.map(String::from));
            v
        })
        .chain(["-", "--", "-h", "--help", "--version", "-V"].map(String::from))
        .collect();
    let numbers = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e400".to_string()),
    ];
    let choices: Vec<String> = FLAGS
        .iter()
        .filter_map(|f| if let Kind::Choice(c) = f.kind { Some(c) } else { None })
        .flat_map(|c| c.iter().map(|s| s.to_string()))
        .collect();
    let name = proptest::sample::select(names);
    prop_oneof![
        3 => name.clone(),
        2 => (name, "[^\\x00]{0,12}").prop_map(|(n, v)| format!("{n}={v}")),
        2 => numbers,
        1 => proptest::sample::select(choices),
        2 => "\\PC{0,16}",
        1 => ".{0,8}",
    ]
}

/// The resolved flag values, or `None` when clap refuses the arguments (or
/// answers `--help` / `--version`, which are not configurations).
fn parse(args: Vec<String>) -> Option<serde_json::Map<String, serde_json::Value>> {
    let translated = flags::translate_args(std::iter::once("train".to_string()).chain(args));
    assert_eq!(translated.first().map(String::as_str), Some("train"));
    flags::command().try_get_matches_from(translated).ok().map(|m| flags::to_values(&m))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_arguments_parse_or_fail_without_panicking(args in proptest::collection::vec(token(), 0..12)) {
        if let Some(values) = parse(args) {
            let config = TrainConfig::from_values(values).expect("what clap accepts resolves to a config");
            let _ = config.validate();
            let _ = config.derived_run_name();
            let _ = config.command_line();
        }
    }

    #[test]
    fn translation_keeps_every_value(args in proptest::collection::vec(token(), 0..12)) {
        let translated = flags::translate_args(args.clone());
        prop_assert!(translated.len() <= args.len());
        // Every argument survives, whole, at the end of some translated one.
        let mut rest = translated.iter();
        for a in &args {
            let value = a.split_once('=').map_or(a.as_str(), |(_, v)| v);
            let is_name = FLAGS.iter().any(|f| f.short == Some(a.as_str()) || a.strip_prefix("--") == Some(f.long));
            if !is_name {
                prop_assert!(rest.any(|t| t.ends_with(value)), "{a:?} lost in {translated:?}");
            }
        }
    }

    #[test]
    fn the_four_spellings_agree(index in 0..FLAGS.len(), raw in "[a-zA-Z0-9_.+-]{0,10}", form in 0..4usize) {
        let f = &FLAGS[index];
        prop_assume!(!matches!(f.kind, Kind::Switch));
        let long = format!("--{}", f.long);
        let short = f.short.unwrap_or(long.as_str());
        let spelled = match form {
            0 => vec![short.to_string(), raw.clone()],
            1 => vec![format!("{short}={raw}")],
            2 => vec![long.clone(), raw.clone()],
            _ => vec![format!("{long}={raw}")],
        };
        let reference = parse(vec![format!("{long}={raw}")]);
        let got = parse(spelled);
        prop_assert_eq!(got, reference);
    }
}
