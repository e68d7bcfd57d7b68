//! Every registry (optimizers, activations, losses, initialisers) carries
//! what a command line needs: names and aliases unique within the kind (a
//! name never means two things), a line of help, and lookup by any of its
//! names in any case.

use ffn_core::registry::{Choice, find};
use ffn_core::{activation, init, loss, optim};

fn check<T: Choice + ?Sized + 'static>(kind: &str, registry: &[&'static T]) {
    let mut names: Vec<String> = Vec::new();
    for entry in registry {
        assert!(!entry.help().is_empty(), "{kind} {}: no help", entry.name());
        for name in std::iter::once(entry.name()).chain(entry.aliases().iter().copied()) {
            let lower = name.to_ascii_lowercase();
            assert!(!names.contains(&lower), "{kind}: {name} names two entries");
            let found = find(registry, &name.to_ascii_uppercase()).map(|e| e.name());
            assert_eq!(found, Some(entry.name()), "{kind}: {name}");
            names.push(lower);
        }
    }
    assert!(find(registry, "no such entry").is_none());
}

#[test]
fn every_registry_has_unique_names_help_and_lookup_by_any_name() {
    check("optimizer", optim::REGISTRY);
    check("activation", activation::REGISTRY);
    check("loss", loss::REGISTRY);
    check("initialiser", init::REGISTRY);
    assert_eq!(optim::by_name("Nesterov").map(|s| s.name), Some("nag"));
    assert_eq!(activation::by_name("relu").map(|s| s.name), Some("ReLU"));
    assert_eq!(loss::by_name("mse").map(|s| s.name), Some("mean_squared_error"));
    assert_eq!(init::Init::by_name("glorot"), Some(init::Init::Xavier));
    // Every optimizer names hyper-parameters the CLI has.
    let known = ["learning_rate", "momentum", "beta", "beta1", "beta2", "epsilon"];
    for spec in optim::REGISTRY {
        assert!(spec.hyper.contains(&"learning_rate"), "{}", spec.name);
        assert!(spec.hyper.iter().all(|h| known.contains(h)), "{}: {:?}", spec.name, spec.hyper);
    }
}
