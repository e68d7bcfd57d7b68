//! What a model file says about its data, from the run that trained it: the
//! run folder's `data.json` ([`DataInfo`]), or for runs without one the
//! dataset named in its `config.json` ([`DataInfo::for_dataset`]).

use crate::data::DatasetName;
use crate::data::info::{DATA_INFO_FILE, DataInfo, Preprocessing};
use ffn_infer_embedded::format::{Description, OwnedPreprocessing, producer};
use ffn_infer_embedded::{ImageShape, InputType};
use std::path::{Path, PathBuf};

/// What a run folder says about the model in it (every field optional: a
/// model file may live anywhere).
#[derive(Clone, Debug, Default)]
pub struct RunFolder {
    pub dir: Option<PathBuf>,
    /// `config.json`'s `dataset`.
    pub dataset: Option<String>,
    /// `config.json`'s `seed` (the validation split's), 0 when unknown.
    pub seed: u64,
    /// `config.json`'s `run_name`, else the folder's name.
    pub run_name: Option<String>,
    /// `data.json`, when the run wrote one.
    pub data_info: Option<DataInfo>,
}

impl RunFolder {
    /// The run folder `path` is (a directory) or holds `path` (a model file).
    pub fn of(path: &Path) -> Self {
        let dir = if path.is_dir() { Some(path) } else { path.parent() };
        let Some(dir) = dir.filter(|d| d.join("config.json").is_file() || d.join(DATA_INFO_FILE).is_file()) else {
            return RunFolder::default();
        };
        let config = std::fs::read_to_string(dir.join("config.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
        let field = |key: &str| config.as_ref().and_then(|c| c.get(key)?.as_str().map(str::to_string));
        let data_info = std::fs::read_to_string(dir.join(DATA_INFO_FILE))
            .ok()
            .and_then(|text| serde_json::from_str::<DataInfo>(&text).ok());
        let folder_name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        RunFolder {
            dir: Some(dir.to_path_buf()),
            dataset: field("dataset"),
            seed: config.as_ref().and_then(|c| c.get("seed")?.as_u64()).unwrap_or(0),
            run_name: field("run_name").or(folder_name),
            data_info,
        }
    }

    /// The dataset, when it is one ffn loads by name (MNIST, Fashion-MNIST).
    pub fn dataset_name(&self) -> Option<DatasetName> {
        self.dataset.as_deref().and_then(DatasetName::from_name)
    }

    /// `data.json`, else what the named dataset implies.
    pub fn data_info(&self) -> Option<DataInfo> {
        self.data_info.clone().or_else(|| self.dataset_name().map(DataInfo::for_dataset))
    }
}

/// `ffn export --input_type`'s default: `u8` for 8-bit images and standardised
/// 8-bit data, `f32` for the rest.
pub fn default_input_type(info: &DataInfo) -> InputType {
    match (&info.image, &info.preprocessing) {
        (Some(_), Preprocessing::Divide { divisor }) if *divisor == 255.0 => InputType::U8,
        (_, Preprocessing::StandardizeBytes { .. }) => InputType::U8,
        _ => InputType::F32,
    }
}

/// The model file's description of data described by `info`.
pub fn description(info: &DataInfo, input_type: InputType, run: &str) -> Description {
    let preprocessing = match &info.preprocessing {
        Preprocessing::Identity => OwnedPreprocessing::Identity,
        Preprocessing::Divide { divisor } => OwnedPreprocessing::Divide(*divisor),
        Preprocessing::Standardize { mean, std } | Preprocessing::StandardizeBytes { mean, std } => {
            OwnedPreprocessing::Standardize { mean: mean.clone(), std: std.clone() }
        }
    };
    let image = info.image.map(|shape| ImageShape {
        height: shape.height as u32,
        width: shape.width as u32,
        channels: shape.channels as u32,
    });
    Description {
        input_type,
        image,
        preprocessing,
        classes: info.classes.clone(),
        features: info.feature_names.clone(),
        source: info.source.clone(),
        run: run.to_string(),
        producer: producer(),
    }
}

/// The description of a version-1 file, which carries none: every such model
/// read 28×28 grey images divided by 255 into ten classes; the names come
/// from its run folder's dataset when there is one.
pub fn version_1_description(folder: &RunFolder) -> Description {
    let info = folder.data_info().unwrap_or_else(|| {
        let mut info = DataInfo::for_dataset(DatasetName::Mnist);
        info.classes = (0..10).map(|c| c.to_string()).collect();
        info.source = "unknown (version-1 model file)".into();
        info
    });
    description(&info, InputType::U8, folder.run_name.as_deref().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_default_to_u8_tables_to_f32() {
        assert_eq!(default_input_type(&DataInfo::for_dataset(DatasetName::Mnist)), InputType::U8);
        let table = DataInfo {
            input_len: 2,
            preprocessing: Preprocessing::Standardize { mean: vec![0.0, 1.0], std: vec![1.0, 2.0] },
            image: None,
            classes: vec!["a".into(), "b".into()],
            feature_names: vec!["x".into(), "y".into()],
            source: "t.csv".into(),
        };
        assert_eq!(default_input_type(&table), InputType::F32);
        let desc = description(&table, InputType::F32, "run-7");
        assert_eq!((desc.classes.len(), desc.features.len(), desc.run.as_str()), (2, 2, "run-7"));
    }
}
