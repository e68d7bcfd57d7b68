//! The house is a DAG: no import circle between the modules of a crate.
//!
//! Builds the module graph of every library crate of the workspace from its
//! sources (a file or `mod.rs` is a module; inline `mod tests { … }` blocks
//! belong to their file) and fails on a cycle, printing the graph. An edge
//! `a → b` is a path in `a` that reaches module `b`: `use crate::…`,
//! `super::…`, `self::…`, a path through a child module (`adam::SPEC`), or
//! a macro that `b` defines (`simd_kernel!`). A module may use its own
//! ancestors' items (a child is part of its parent's house), so edges to an
//! ancestor do not count; every other circle does.
//!
//! Hand-written rather than `syn`: the test needs paths and braces, not a
//! syntax tree, and stays independent of the code's edition features.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModPath = Vec<String>;

/// A crate's modules and the edges between them.
struct Graph {
    edges: BTreeMap<ModPath, BTreeSet<ModPath>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// `::`
    Colons,
    Punct(char),
}

/// The tokens of Rust source that matter for paths, without comments,
/// string and char literals.
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let ident_char = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !ident_before(&chars, i) {
            // A raw string: r"…" or r#…#"…"#…#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c == ':' && next == Some(':') {
            out.push(Token::Colons);
            i += 2;
        } else if ident_char(c) || (c == '$' && next.is_some_and(ident_char)) {
            let start = i;
            i += 1;
            while i < chars.len() && ident_char(chars[i]) {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            if !c.is_whitespace() {
                out.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The module path of a source file under `src`.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: ModPath = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "mod.rs" | "main.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            // Binaries are crates of their own, linked against the library.
            if path.file_name().is_some_and(|n| n == "bin") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A path occurrence: the module it appears in (inline modules included)
/// and its segments.
struct Occurrence {
    inside: ModPath,
    segments: Vec<String>,
}

/// Every path in `tokens` that starts at `crate`, `$crate`, `super`, `self`
/// or a name, with the (inline) module it appears in; `use` trees are
/// expanded into their paths. Also every macro invocation, as `[name!]`.
fn occurrences(file_module: &ModPath, tokens: &[Token]) -> (Vec<Occurrence>, Vec<(ModPath, String)>) {
    let mut found = Vec::new();
    let mut macros = Vec::new();
    // (inline module name, brace depth at which it closes)
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let inside = |inline: &[(String, usize)]| {
        let mut path = file_module.clone();
        path.extend(inline.iter().map(|(name, _)| name.clone()));
        path
    };
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Punct('{'))) = (tokens.get(i + 1), tokens.get(i + 2)) {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Token::Ident(word) if word == "use" => {
                let mut j = i + 1;
                let mut paths = Vec::new();
                use_tree(tokens, &mut j, Vec::new(), &mut paths);
                for segments in paths {
                    found.push(Occurrence { inside: inside(&inline), segments });
                }
                i = j;
                continue;
            }
            Token::Ident(word) if word == "macro_rules" => {
                // `macro_rules! name`: a definition, not an invocation.
                i += 3;
                continue;
            }
            Token::Ident(first) => {
                let previous_is_path = i > 0 && tokens[i - 1] == Token::Colons;
                if !previous_is_path {
                    let mut segments = vec![first.clone()];
                    let mut j = i + 1;
                    while tokens.get(j) == Some(&Token::Colons) {
                        match tokens.get(j + 1) {
                            Some(Token::Ident(next)) => segments.push(next.clone()),
                            _ => break,
                        }
                        j += 2;
                    }
                    if tokens.get(j) == Some(&Token::Punct('!')) {
                        let name = segments.last().cloned().unwrap_or_default();
                        macros.push((inside(&inline), name));
                    }
                    if segments.len() > 1 || matches!(first.as_str(), "crate" | "$crate" | "super" | "self") {
                        found.push(Occurrence { inside: inside(&inline), segments });
                    }
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (found, macros)
}

/// Reads one use tree at `tokens[*at]`, appending its full paths.
fn use_tree(tokens: &[Token], at: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        match tokens.get(*at) {
            Some(Token::Ident(name)) if name == "as" => {
                *at += 2;
                out.push(path);
                return;
            }
            Some(Token::Ident(name)) => {
                path.push(name.clone());
                *at += 1;
            }
            Some(Token::Colons) => *at += 1,
            Some(Token::Punct('{')) => {
                *at += 1;
                loop {
                    use_tree(tokens, at, path.clone(), out);
                    match tokens.get(*at) {
                        Some(Token::Punct(',')) => *at += 1,
                        _ => break,
                    }
                    if tokens.get(*at) == Some(&Token::Punct('}')) {
                        break;
                    }
                }
                *at += 1; // the closing brace
                if tokens.get(*at) == Some(&Token::Punct(';')) {
                    *at += 1;
                }
                return;
            }
            Some(Token::Punct('*')) => {
                *at += 1;
                out.push(path);
                return;
            }
            Some(Token::Punct(';')) => {
                *at += 1;
                out.push(path);
                return;
            }
            _ => {
                out.push(path);
                return;
            }
        }
    }
}

/// The module graph of the library whose sources are in `src`.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let parsed: Vec<(ModPath, Vec<Token>)> = files
        .iter()
        .map(|file| (module_of(src, file), tokens(&std::fs::read_to_string(file).expect("readable source"))))
        .collect();
    let files_modules: BTreeSet<ModPath> = parsed.iter().map(|(m, _)| m.clone()).collect();
    // Every module path, inline ones too, and the file module each belongs to.
    let mut known: BTreeMap<ModPath, ModPath> = files_modules.iter().map(|m| (m.clone(), m.clone())).collect();
    let mut macro_homes: BTreeMap<String, ModPath> = BTreeMap::new();
    let mut found = Vec::new();
    for (module, tokens) in &parsed {
        for (i, token) in tokens.iter().enumerate() {
            if let (Token::Ident(word), Some(Token::Punct('!')), Some(Token::Ident(name))) =
                (token, tokens.get(i + 1), tokens.get(i + 2))
                && word == "macro_rules"
            {
                macro_homes.insert(name.clone(), module.clone());
            }
        }
        let (occurrences, macros) = occurrences(module, tokens);
        for occurrence in &occurrences {
            known.entry(occurrence.inside.clone()).or_insert_with(|| module.clone());
        }
        found.push((module.clone(), occurrences, macros));
    }
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> =
        files_modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for (module, occurrences, macros) in found {
        let mut add = |target: ModPath| {
            let is_ancestor = module.starts_with(&target);
            if !is_ancestor {
                edges.get_mut(&module).expect("a known module").insert(target);
            }
        };
        for Occurrence { inside, segments } in occurrences {
            let (mut at, rest): (ModPath, &[String]) = match segments[0].as_str() {
                "crate" | "$crate" => (Vec::new(), &segments[1..]),
                "self" => (inside.clone(), &segments[1..]),
                "super" => {
                    let supers = segments.iter().take_while(|s| *s == "super").count();
                    let mut at = inside.clone();
                    at.truncate(at.len().saturating_sub(supers));
                    (at, &segments[supers..])
                }
                // A relative path counts when it goes through a child module.
                first => {
                    let mut child = inside.clone();
                    child.push(first.to_string());
                    if !known.contains_key(&child) {
                        continue;
                    }
                    (inside.clone(), &segments[..])
                }
            };
            for segment in rest {
                let mut deeper = at.clone();
                deeper.push(segment.clone());
                if !known.contains_key(&deeper) {
                    break;
                }
                at = deeper;
            }
            add(known.get(&at).cloned().unwrap_or(at));
        }
        for (_, name) in macros {
            if let Some(home) = macro_homes.get(&name) {
                add(home.clone());
            }
        }
    }
    Graph { edges }
}

/// The cycles of `graph`: each strongly connected component of more than one module.
fn cycles(graph: &Graph) -> Vec<Vec<ModPath>> {
    // Tarjan's algorithm, recursive (the graphs are small).
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        components: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(s: &mut State<'a>, node: &'a ModPath) {
        let index = s.index.len();
        s.index.insert(node, index);
        s.low.insert(node, index);
        s.stack.push(node);
        s.on_stack.insert(node);
        for next in &s.graph.edges[node] {
            if !s.index.contains_key(next) {
                visit(s, next);
                let low = s.low[node].min(s.low[next]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.low[node].min(s.index[next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = Vec::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                component.push(top.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.components.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.components
}

fn name(krate: &str, path: &ModPath) -> String {
    std::iter::once(krate.to_string()).chain(path.iter().cloned()).collect::<Vec<_>>().join("::")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn no_crate_of_the_workspace_has_an_import_circle() {
    let mut failures = Vec::new();
    for (krate, dir) in [
        ("ffn_core", "core"),
        ("ffn_pool", "pool"),
        ("ffn_trainer", "trainer"),
        ("ffn_infer_embedded", "infer-embedded"),
        ("ffn_spec", "spec"),
        ("ffn_c", "infer-embedded/ffn-c"),
    ] {
        let graph = graph(&workspace().join(dir).join("src"));
        println!("{krate}: {} modules", graph.edges.len());
        for (module, targets) in &graph.edges {
            let targets: Vec<String> = targets.iter().map(|t| name(krate, t)).collect();
            println!(
                "  {} -> {}",
                name(krate, module),
                if targets.is_empty() { "-".into() } else { targets.join(", ") }
            );
        }
        for cycle in cycles(&graph) {
            failures
                .push(format!("{krate}: {}", cycle.iter().map(|m| name(krate, m)).collect::<Vec<_>>().join(" <-> ")));
        }
    }
    assert!(failures.is_empty(), "import circles:\n{}", failures.join("\n"));
}

/// The parser finds what it must: `use` trees, `super` chains out of inline
/// test modules, paths through child modules and macros, and a circle.
#[test]
fn the_graph_sees_uses_supers_children_and_macros_and_finds_a_circle() {
    let dir = std::env::temp_dir().join(format!("ffn-module-graph-{}", std::process::id()));
    let src = dir.as_path();
    let write = |path: &str, text: &str| {
        let file = src.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("a folder");
        std::fs::write(file, text).expect("written");
    };
    write("lib.rs", "pub mod a;\npub mod b;\npub mod m;\n");
    write("a/mod.rs", "mod leaf;\npub const REGISTRY: u8 = leaf::X;\n");
    write("a/leaf.rs", "use super::super::b::{self, Thing as T};\npub const X: u8 = 1; // crate::m::y\n");
    write("b.rs", "pub struct Thing; fn f() { let s = \"crate::a\"; }\nmod tests { use super::super::m; }\n");
    write("m.rs", "#[macro_export] macro_rules! shout { () => {} }\n");
    let first = graph(src);
    let edges = |m: &str| -> Vec<String> {
        let key: ModPath = if m.is_empty() { vec![] } else { m.split("::").map(String::from).collect() };
        first.edges[&key].iter().map(|t| t.join("::")).collect()
    };
    assert_eq!(edges("a"), ["a::leaf"]);
    assert_eq!(edges("a::leaf"), ["b"], "a use tree out of a parent, renamed; not a comment");
    assert_eq!(edges("b"), ["m"], "super::super from an inline module; not a string");
    assert!(edges("m").is_empty() && edges("").is_empty(), "a macro definition and `mod` lines are no edges");
    assert!(cycles(&first).is_empty());
    write("m.rs", "#[macro_export] macro_rules! shout { () => {} }\nfn g() { crate::a::REGISTRY; }\n");
    write("b.rs", "pub struct Thing;\nfn f() { shout!(); }\n");
    let second = graph(src);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(cycles(&second).len(), 1, "a -> a::leaf -> b -> m -> a through a macro and a crate path");
}
