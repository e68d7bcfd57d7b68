//! The values a choice flag accepts, taken from the registry of their kind:
//! core's optimizers, activations, losses and initialisers, the trainer's
//! datasets and learning-rate schedules. The flag table, `--help`, the sweep
//! checks, the report's axes and [`crate::config::TrainConfig`]'s typed fields
//! all read them from here, so a new registry entry appears everywhere at once.

use crate::data::DatasetName;
use crate::data::pixels::PixelScaling;
use crate::run::precision::Precision;
use crate::run::schedule::Schedule;
use ffn_core::{ActivationSpec, Init, LossSpec, OptimizerSpec};

/// One accepted value of a choice flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The canonical name, as configs, run names and wandb store it.
    pub name: &'static str,
    /// Other accepted names (`nesterov` for `nag`).
    pub aliases: &'static [&'static str],
    /// One line for `--help` (empty when the registry has none).
    pub help: &'static str,
}

impl Choice {
    /// Whether `given` names this value: its name or an alias, in any case.
    pub fn is_named(&self, given: &str) -> bool {
        self.name.eq_ignore_ascii_case(given) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(given))
    }
}

/// A registry entry that a flag can name: a `Copy` handle (a `&'static` spec
/// or a small enum) with its registry's names.
pub trait Named: Copy + 'static {
    /// What it is, for messages (`optimizer`).
    const KIND: &'static str;
    /// Every entry, in the registry's (the CLI's) order.
    fn all() -> Vec<Self>;
    fn choice(self) -> Choice;

    fn name(self) -> &'static str {
        self.choice().name
    }

    /// The entry `given` names (case-insensitive, aliases included).
    fn find(given: &str) -> Option<Self> {
        Self::all().into_iter().find(|e| e.choice().is_named(given))
    }
}

/// The accepted values of one choice flag, read from a registry when asked.
#[derive(Clone, Copy)]
pub struct Choices(fn() -> Vec<Choice>);

impl std::fmt::Debug for Choices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

fn entries<T: Named>() -> Vec<Choice> {
    T::all().into_iter().map(Named::choice).collect()
}

impl Choices {
    /// The entries of `T`'s registry.
    pub const fn of<T: Named>() -> Self {
        Choices(entries::<T>)
    }

    pub fn all(self) -> Vec<Choice> {
        (self.0)()
    }

    /// The canonical names, in registry order.
    pub fn names(self) -> Vec<&'static str> {
        self.all().into_iter().map(|c| c.name).collect()
    }

    /// Every accepted spelling: names, then aliases.
    pub fn accepted(self) -> Vec<&'static str> {
        let all = self.all();
        all.iter().map(|c| c.name).chain(all.iter().flat_map(|c| c.aliases.iter().copied())).collect()
    }

    /// The canonical name of the value `given` names.
    pub fn find(self, given: &str) -> Option<&'static str> {
        self.all().into_iter().find(|c| c.is_named(given)).map(|c| c.name)
    }
}

pub const OPTIMIZER: Choices = Choices::of::<&'static OptimizerSpec>();
pub const ACTIVATION: Choices = Choices::of::<&'static ActivationSpec>();
pub const LOSS: Choices = Choices::of::<&'static LossSpec>();
pub const WEIGHT_INIT: Choices = Choices::of::<Init>();
pub const DATASET: Choices = Choices::of::<DatasetName>();
pub const LR_SCHEDULE: Choices = Choices::of::<Schedule>();
pub const PRECISION: Choices = Choices::of::<Precision>();
pub const PIXEL_SCALING: Choices = Choices::of::<PixelScaling>();

impl Named for &'static OptimizerSpec {
    const KIND: &'static str = "optimizer";
    fn all() -> Vec<Self> {
        ffn_core::optim::REGISTRY.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: self.name, aliases: self.aliases, help: self.help }
    }
}

impl Named for &'static ActivationSpec {
    const KIND: &'static str = "activation";
    fn all() -> Vec<Self> {
        ffn_core::activation::REGISTRY.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: self.name, aliases: self.aliases, help: self.help }
    }
}

impl Named for &'static LossSpec {
    const KIND: &'static str = "loss";
    fn all() -> Vec<Self> {
        ffn_core::loss::REGISTRY.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: self.name, aliases: self.aliases, help: self.help }
    }
}

impl Named for Init {
    const KIND: &'static str = "weight initialisation";
    fn all() -> Vec<Self> {
        Init::ALL.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: Init::name(self), aliases: &[], help: "" }
    }
}

impl Named for DatasetName {
    const KIND: &'static str = "dataset";
    fn all() -> Vec<Self> {
        DatasetName::ALL.to_vec()
    }
    fn choice(self) -> Choice {
        let help = match self {
            DatasetName::FashionMnist => "Zalando's Fashion-MNIST: 28×28 grey images of ten kinds of clothing",
            DatasetName::Mnist => "LeCun's MNIST: 28×28 grey images of handwritten digits",
        };
        Choice { name: DatasetName::name(self), aliases: &[], help }
    }
}

impl Named for Schedule {
    const KIND: &'static str = "learning-rate schedule";
    fn all() -> Vec<Self> {
        Schedule::ALL.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: self.name(), aliases: &[], help: self.help() }
    }
}

impl Named for Precision {
    const KIND: &'static str = "precision";
    fn all() -> Vec<Self> {
        Precision::ALL.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: self.name(), aliases: &[], help: self.help() }
    }
}

impl Named for PixelScaling {
    const KIND: &'static str = "pixel scaling";
    fn all() -> Vec<Self> {
        PixelScaling::ALL.to_vec()
    }
    fn choice(self) -> Choice {
        Choice { name: self.name(), aliases: &[], help: self.help() }
    }
}

/// serde for a [`Named`] field: stored as its canonical name, read back
/// through its registry (`#[serde(with = "crate::flags::choices::by_name")]`).
pub mod by_name {
    use super::Named;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<T: Named, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.name())
    }

    pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let name = String::deserialize(d)?;
        T::find(&name).ok_or_else(|| D::Error::custom(format!("unknown {} '{name}'", T::KIND)))
    }
}

/// [`by_name`] for an optional field (`null` when absent).
pub mod by_name_or_null {
    use super::Named;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<T: Named, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(v.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(name) => {
                T::find(&name).map(Some).ok_or_else(|| D::Error::custom(format!("unknown {} '{name}'", T::KIND)))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_the_registries() {
        assert_eq!(OPTIMIZER.names().len(), ffn_core::optim::REGISTRY.len());
        assert_eq!(OPTIMIZER.find("Nesterov"), Some("nag"));
        assert_eq!(ACTIVATION.find("relu"), Some("ReLU"));
        assert_eq!(WEIGHT_INIT.find("xavier"), Some("Xavier"));
        assert_eq!(LOSS.find("hinge"), None);
        assert_eq!(DATASET.names(), ["fashion_mnist", "mnist"]);
    }
}
