//! What every ffn binary does with errors: one line on stderr, a non-zero
//! exit, never a panic trace.

/// Prints `<program>: error: <message>` and exits with `code`.
pub fn fail(program: &str, message: &str, code: i32) -> ! {
    eprintln!("{program}: error: {message}");
    std::process::exit(code)
}

/// clap's help/version go to stdout with status 0; usage errors become one
/// line (plus the possible values, when clap lists them) and status 2.
/// Whether clap's "a similar argument exists" names a flag that shares little
/// with the one given (`--nonsense` → `--loss`): such a tip misleads more
/// than it helps, so the error goes without it.
fn far_fetched(error: &str, hint: &str) -> bool {
    let quoted = |s: &str| s.split('\'').nth(1).map(|q| q.trim_start_matches('-').to_string());
    if !hint.starts_with("tip: a similar argument exists") {
        return false;
    }
    match (quoted(error), quoted(hint)) {
        (Some(given), Some(suggested)) => strsim::normalized_levenshtein(&given, &suggested) < 0.5,
        _ => false,
    }
}

pub fn exit_with_clap_error(error: clap::Error, program: &str) -> ! {
    use clap::error::ErrorKind;
    // `ffn` alone prints its help (on stderr, status 2).
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        error.exit();
    }
    let rendered = error.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ");
    // "the following required arguments were not provided:" lists them on the next lines.
    let first = if first.ends_with(':') {
        let listed: Vec<&str> = lines.clone().take_while(|l| !l.starts_with("Usage:")).collect();
        format!("{first} {}", listed.join(", "))
    } else {
        first.to_string()
    };
    let hint = lines.find(|l| l.starts_with("[possible values") || l.starts_with("tip:")).unwrap_or("");
    let hint = if hint.is_empty() || far_fetched(&first, hint) { String::new() } else { format!(" {hint}") };
    fail(program, &format!("{first}{hint} (see {program} --help)"), 2)
}
