//! What every registry entry (optimizer, activation, loss, initialiser)
//! tells a command line: its name, the other names it accepts and one line
//! of help. A front end builds its choices, their help and their parsing
//! from the registries, so a new entry appears everywhere at once.

/// An entry of a registry.
pub trait Choice {
    /// The canonical name (`-o adam`, `-a ReLU`).
    fn name(&self) -> &'static str;
    /// Other accepted names (`nesterov` for `nag`).
    fn aliases(&self) -> &'static [&'static str];
    /// One line for the CLI's help.
    fn help(&self) -> &'static str;

    /// Whether `name` names this entry: its name or an alias, in any case.
    fn is_named(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name) || self.aliases().iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// The entry of `registry` that `name` names (case-insensitive, aliases included).
pub fn find<T: Choice + ?Sized>(registry: &[&'static T], name: &str) -> Option<&'static T> {
    registry.iter().copied().find(|entry| entry.is_named(name))
}

/// Declares a kind's leaf modules and its `REGISTRY` of their `SPEC`s, in
/// the CLI's order (adding an entry is its file and its name in this list),
/// and the spec's [`Choice`] from its `name`, `aliases` and `help` fields.
#[macro_export]
macro_rules! registry {
    ($spec:ident: $($leaf:ident),+ $(,)?) => {
        $(mod $leaf;)+

        /// Every entry of this kind ffn knows, in the CLI's order.
        pub const REGISTRY: &[&$spec] = &[$(&$leaf::SPEC),+];

        impl $crate::registry::Choice for $spec {
            fn name(&self) -> &'static str {
                self.name
            }
            fn aliases(&self) -> &'static [&'static str] {
                self.aliases
            }
            fn help(&self) -> &'static str {
                self.help
            }
        }
    };
}
