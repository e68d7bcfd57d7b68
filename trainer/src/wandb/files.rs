//! The side files of a run folder (`files/`): wandb's own layout for config,
//! summary and metadata, so `wandb sync` uploads them next to the records and
//! people can read a run without a parser.

use super::records::Environment;
use serde_json::{Map, Value, json};
use serde_yaml::{Mapping, Value as Yaml};

pub const CONFIG_YAML: &str = "config.yaml";
pub const SUMMARY_JSON: &str = "wandb-summary.json";
pub const METADATA_JSON: &str = "wandb-metadata.json";
pub const OUTPUT_LOG: &str = "output.log";

/// `wandb_version: 1` then `key: {value: …}` per config entry, as wandb writes it.
pub fn config_yaml(config: &Map<String, Value>) -> Result<String, serde_yaml::Error> {
    let mut m = Mapping::new();
    m.insert("wandb_version".into(), 1.into());
    for (k, v) in config {
        let mut entry = Mapping::new();
        entry.insert("value".into(), serde_yaml::to_value(v)?);
        m.insert(Yaml::String(k.clone()), Yaml::Mapping(entry));
    }
    serde_yaml::to_string(&Yaml::Mapping(m))
}

/// The final summary plus `_wandb.runtime`, as in wandb-summary.json.
pub fn summary_json(summary: &Map<String, Value>, runtime_secs: i64) -> Value {
    let mut s = summary.clone();
    s.insert("_wandb".into(), json!({ "runtime": runtime_secs }));
    Value::Object(s)
}

/// wandb-metadata.json: the run's [`Environment`] in wandb's key names.
pub fn metadata_json(env: &Environment, writer: &str) -> Value {
    json!({
        "os": env.os,
        "startedAt": env.started_at.map(super::sys::iso_utc).unwrap_or_default(),
        "program": env.program,
        "args": env.args,
        "host": env.host,
        "executable": env.executable,
        "root": env.root,
        "cpu_count_logical": env.cpu_count_logical,
        "writer": writer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_yaml_has_wandb_shape() {
        let mut c = Map::new();
        c.insert("activation".into(), json!("tanh"));
        c.insert("sizes".into(), json!([64, 32]));
        let text = config_yaml(&c).expect("yaml");
        assert_eq!(text, "wandb_version: 1\nactivation:\n  value: tanh\nsizes:\n  value:\n  - 64\n  - 32\n");
    }
}
