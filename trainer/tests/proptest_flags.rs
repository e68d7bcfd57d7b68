//! Property tests of `train`'s argument handling, called in-process: any
//! argument list goes through `translate_args` and clap without a panic, what
//! parses resolves to a configuration, and the four spellings of a flag
//! (`-x v`, `-x=v`, `--long v`, `--long=v`) always mean the same.

use ffn_trainer::config::{Request, TrainConfig};
use ffn_trainer::flags::{self, DataFacts, FLAGS, Kind};
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
        .flat_map(|c| c.accepted().into_iter().map(String::from))
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

/// The facts own data (`--data`) resolves its defaults with here.
const OWN: DataFacts = DataFacts { dataset: None, train_rows: 1_200, inputs: 64, classes: 10 };

/// The resolved configuration (or the one-line error of flags that do not go
/// together), or `None` when clap refuses the arguments (or answers `--help` /
/// `--version`, which are not configurations).
fn parse(args: Vec<String>) -> Option<Result<TrainConfig, String>> {
    let translated = flags::translate_args(std::iter::once("train".to_string()).chain(args));
    assert_eq!(translated.first().map(String::as_str), Some("train"));
    let matches = flags::command().try_get_matches_from(translated).ok()?;
    Some(Request::new(flags::parse_args(&matches)).and_then(|request| {
        let facts = request.builtin_facts().unwrap_or(OWN);
        request.resolve(&facts)
    }))
}

/// A configuration as `--dry_run` prints it, to compare.
fn shown(parsed: Option<Result<TrainConfig, String>>) -> Option<Result<String, String>> {
    parsed.map(|r| r.map(|c| serde_json::to_string(&c).expect("serialises")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_arguments_parse_or_fail_without_panicking(args in proptest::collection::vec(token(), 0..12)) {
        if let Some(Ok(config)) = parse(args) {
            let facts = config.dataset.map_or(OWN, |d| DataFacts::builtin(d, config.train_limit));
            let _ = config.validate(&facts);
            let _ = config.source();
            let _ = config.command_line();
            prop_assert!(config.run_name.is_some());
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
            // `--switch=true|false` (how the wandb agent passes a switch) becomes
            // the bare switch, or nothing: off is the switch's default.
            let name = a.split_once('=').map(|(n, _)| n);
            let switch = FLAGS.iter().find(|f| {
                matches!(f.kind, Kind::Switch) && name.is_some_and(|n| n.strip_prefix("--") == Some(f.long) || f.short == Some(n))
            });
            let on = matches!(value, "true" | "True" | "1");
            if let Some(f) = switch.filter(|_| on || matches!(value, "false" | "False" | "0")) {
                if on {
                    let bare = format!("--{}", f.long);
                    prop_assert!(rest.any(|t| *t == bare), "{a:?} lost in {translated:?}");
                }
            } else if !is_name {
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
        let reference = shown(parse(vec![format!("{long}={raw}")]));
        let got = shown(parse(spelled));
        prop_assert_eq!(got, reference);
    }
}
