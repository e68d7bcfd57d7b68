//! Where the four IDX files are looked for, in the order of SPEC §5: `--data_dir`, then
//! `$FFN_DATA_DIR`, `../shared/data`, Debian's `/usr/share/datasets`, Keras's cache,
//! and ffn's own download cache. The places are plain data ([`SearchPaths`]) so that
//! tests can build them without touching the process environment.

use std::path::{Path, PathBuf};

pub use super::idx::{FILES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};
use super::npz::{self, MNIST_NPZ};
use super::{DataError, DatasetName};

/// Keras's public mirror (it serves Fashion-MNIST as the four IDX files, MNIST as `mnist.npz`).
pub const DEFAULT_MIRROR: &str = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/";

/// The places to look, in order, and where to download to.
#[derive(Clone, Debug, Default)]
pub struct SearchPaths {
    /// `--data_dir`: when set, the only place looked (the dataset folder or its parent).
    pub data_dir: Option<PathBuf>,
    /// Folders looked at in order, each as the dataset folder itself (`explicit`) or as a parent
    /// holding `<dir_name>/` (or `<name>/`).
    pub places: Vec<Place>,
    /// ffn's download cache root (`$XDG_CACHE_HOME/ffn` or `~/.cache/ffn`): looked at last,
    /// downloaded into as `<cache>/<dir_name>/`.
    pub cache: Option<PathBuf>,
    /// Base URL the files are downloaded from (`$FFN_DATA_MIRROR`, else [`DEFAULT_MIRROR`]).
    pub mirror: String,
}

/// One folder to look in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub path: PathBuf,
    /// Whether `path` may itself be the dataset folder (true for folders the user named).
    pub explicit: bool,
}

impl Place {
    pub fn parent(path: impl Into<PathBuf>) -> Self {
        Place { path: path.into(), explicit: false }
    }
    pub fn explicit(path: impl Into<PathBuf>) -> Self {
        Place { path: path.into(), explicit: true }
    }
}

fn env_path(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

impl SearchPaths {
    /// The standard places, from the current directory and the environment.
    pub fn from_env(data_dir: Option<&Path>) -> Self {
        let home = env_path("HOME");
        let mut places = Vec::new();
        if let Some(dir) = env_path("FFN_DATA_DIR") {
            places.push(Place::explicit(dir));
        }
        // Absolute, so that error messages say where it was.
        let cwd_shared = std::env::current_dir().unwrap_or_default().join("../shared/data");
        // From the workspace root too, so tests and `cargo run` work from any folder.
        let workspace_shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
        let same = std::fs::canonicalize(&workspace_shared).ok() == std::fs::canonicalize(&cwd_shared).ok();
        places.push(Place::parent(cwd_shared));
        if !same {
            places.push(Place::parent(workspace_shared));
        }
        places.push(Place::parent("/usr/share/datasets"));
        let keras = env_path("KERAS_HOME").or_else(|| home.as_ref().map(|h| h.join(".keras")));
        if let Some(keras) = keras {
            places.push(Place::parent(keras.join("datasets")));
        }
        let cache = env_path("XDG_CACHE_HOME").or_else(|| home.map(|h| h.join(".cache"))).map(|c| c.join("ffn"));
        let mirror = std::env::var("FFN_DATA_MIRROR").ok().filter(|m| !m.is_empty());
        SearchPaths {
            data_dir: data_dir.map(Path::to_path_buf),
            places,
            cache,
            mirror: mirror.unwrap_or_else(|| DEFAULT_MIRROR.to_string()),
        }
    }

    /// Candidate dataset folders in lookup order.
    pub fn candidates(&self, name: DatasetName) -> Vec<PathBuf> {
        if let Some(dir) = &self.data_dir {
            return candidates_in(&Place::explicit(dir), name);
        }
        let mut all: Vec<PathBuf> = self.places.iter().flat_map(|p| candidates_in(p, name)).collect();
        if let Some(cache) = &self.cache {
            all.push(cache.join(name.dir_name()));
        }
        all
    }

    /// Keras's `mnist.npz` files that may stand in for the MNIST folder, in lookup order.
    pub fn npz_candidates(&self, name: DatasetName) -> Vec<PathBuf> {
        match (name, &self.data_dir) {
            (DatasetName::FashionMnist, _) => Vec::new(),
            (DatasetName::Mnist, Some(dir)) => vec![dir.join(MNIST_NPZ)],
            (DatasetName::Mnist, None) => self.places.iter().map(|p| p.path.join(MNIST_NPZ)).collect(),
        }
    }

    /// The first folder holding all four files, if any.
    pub fn find(&self, name: DatasetName) -> Option<PathBuf> {
        self.candidates(name).into_iter().find(|dir| has_all_files(dir))
    }

    /// [`find`](Self::find), else the first `mnist.npz` unpacked into the cache (once: the
    /// cache is a candidate folder itself).
    pub fn find_or_unpack(&self, name: DatasetName) -> Result<Option<PathBuf>, DataError> {
        if let Some(dir) = self.find(name) {
            return Ok(Some(dir));
        }
        let Some(archive) = self.npz_candidates(name).into_iter().find(|p| p.is_file()) else {
            return Ok(None);
        };
        let cache = self.cache.as_ref().ok_or_else(|| DataError::Npz {
            file: archive.display().to_string(),
            problem: "no cache folder to unpack it into (neither XDG_CACHE_HOME nor HOME is set)".into(),
        })?;
        npz::unpack(&archive, &cache.join(name.dir_name())).map(Some)
    }

    /// The folder holding the four files, or the error listing every place looked.
    pub fn locate(&self, name: DatasetName) -> Result<PathBuf, DataError> {
        self.find_or_unpack(name)?.ok_or_else(|| self.not_found(name, None))
    }

    /// The error for "nothing found", with the download's failure if one was tried.
    pub fn not_found(&self, name: DatasetName, download: Option<&DataError>) -> DataError {
        if let Some(dir) = &self.data_dir {
            let problem = match std::fs::metadata(dir) {
                Err(e) => format!("cannot open it ({e})"),
                Ok(m) if !m.is_dir() => "it is not a folder".to_string(),
                Ok(_) if has_all_files(dir) => format!("its name says it holds another dataset, not {}", name.name()),
                Ok(_) => {
                    let npz = if self.npz_candidates(name).is_empty() { "" } else { " (nor is there a mnist.npz)" };
                    match self.candidates(name).into_iter().find_map(|c| partly_there(&c)) {
                        Some((folder, missing)) => {
                            format!("{} holds only some of the four files: {} missing{npz}", folder.display(), missing)
                        }
                        None => format!(
                            "neither it nor {}/ holds all four files {}{npz}",
                            name.dir_name(),
                            FILES.join(", ")
                        ),
                    }
                }
            };
            return DataError::DataDir { path: dir.clone(), problem };
        }
        let looked = self.candidates(name).into_iter().chain(self.npz_candidates(name));
        let looked = looked.map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n             ");
        let download = match download {
            Some(e) => format!("\n  tried:     {} (set FFN_DATA_MIRROR for another mirror)", e.summary()),
            None => String::new(),
        };
        let how_to_get = name.how_to_get();
        DataError::NotFound { dataset: name.name(), files: FILES.join(", "), looked, download, how_to_get }
    }
}

/// The dataset folders a place stands for: `<place>/<dir_name>`, `<place>/<name>`, and for an
/// explicit place the place itself, unless its own name says it is the other dataset.
fn candidates_in(place: &Place, name: DatasetName) -> Vec<PathBuf> {
    let mut out = vec![place.path.join(name.dir_name())];
    if name.name() != name.dir_name() {
        out.push(place.path.join(name.name()));
    }
    let own_name = place.path.file_name().and_then(|n| n.to_str()).and_then(DatasetName::from_name);
    if place.explicit && own_name.is_none_or(|n| n == name) {
        out.push(place.path.clone());
    }
    out
}

/// A folder holding some of the four files but not all: it and the missing
/// ones, so the message can name them.
fn partly_there(dir: &Path) -> Option<(PathBuf, String)> {
    let missing: Vec<&str> = FILES.iter().copied().filter(|f| !dir.join(f).is_file()).collect();
    (!missing.is_empty() && missing.len() < FILES.len()).then(|| (dir.to_path_buf(), missing.join(", ")))
}

pub fn has_all_files(dir: &Path) -> bool {
    FILES.iter().all(|f| dir.join(f).is_file())
}

/// `locate` with the standard places: the folder holding the four files of `name`.
pub fn locate(name: DatasetName, data_dir: Option<&Path>) -> Result<PathBuf, DataError> {
    SearchPaths::from_env(data_dir).locate(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_places_may_be_the_folder_but_not_the_other_dataset() {
        let fashion = Place::explicit("/x/fashion-mnist");
        assert!(candidates_in(&fashion, DatasetName::FashionMnist).contains(&PathBuf::from("/x/fashion-mnist")));
        assert!(!candidates_in(&fashion, DatasetName::Mnist).contains(&PathBuf::from("/x/fashion-mnist")));
        let plain = Place::explicit("/x/data");
        assert_eq!(
            candidates_in(&plain, DatasetName::Mnist),
            [PathBuf::from("/x/data/mnist"), PathBuf::from("/x/data")]
        );
        assert_eq!(
            candidates_in(&Place::parent("/usr/share/datasets"), DatasetName::FashionMnist),
            [PathBuf::from("/usr/share/datasets/fashion-mnist"), PathBuf::from("/usr/share/datasets/fashion_mnist")]
        );
    }

    #[test]
    fn data_dir_is_the_only_place_when_given() {
        let paths = SearchPaths {
            data_dir: Some("/nowhere".into()),
            places: vec![Place::parent("/elsewhere")],
            cache: Some("/cache".into()),
            mirror: DEFAULT_MIRROR.into(),
        };
        assert_eq!(paths.candidates(DatasetName::Mnist), [PathBuf::from("/nowhere/mnist"), PathBuf::from("/nowhere")]);
        let msg = paths.locate(DatasetName::Mnist).unwrap_err().to_string();
        assert!(msg.starts_with("--data_dir /nowhere: cannot open it"), "{msg}");

        let fashion = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist");
        let paths = SearchPaths { data_dir: Some(fashion), ..paths };
        assert!(paths.locate(DatasetName::FashionMnist).is_ok());
        let msg = paths.locate(DatasetName::Mnist).unwrap_err().to_string();
        assert!(msg.contains("its name says it holds another dataset, not mnist"), "{msg}");
    }

    #[test]
    fn a_keras_mnist_npz_is_unpacked_into_the_cache_once() {
        let tmp = std::env::temp_dir().join(format!("ffn-locate-npz-{}", std::process::id()));
        let keras = tmp.join("keras/datasets");
        std::fs::create_dir_all(&keras).unwrap();
        std::fs::write(keras.join(MNIST_NPZ), super::super::npz::tests::npz(12, 4, 3)).unwrap();
        let paths = SearchPaths {
            data_dir: None,
            places: vec![Place::parent(tmp.join("empty")), Place::parent(&keras)],
            cache: Some(tmp.join("cache")),
            mirror: DEFAULT_MIRROR.into(),
        };
        assert_eq!(paths.find(DatasetName::Mnist), None);
        assert!(paths.find_or_unpack(DatasetName::FashionMnist).unwrap().is_none(), "no npz for Fashion-MNIST");
        let dir = paths.locate(DatasetName::Mnist).unwrap();
        assert_eq!(dir, tmp.join("cache/mnist"));
        let labels = super::super::read_gz(&dir.join(TEST_LABELS)).unwrap();
        assert_eq!(super::super::parse_idx_labels(&labels).unwrap(), [3, 3, 3, 3]);
        // Unpacked once: later lookups find the cache folder itself.
        std::fs::remove_file(keras.join(MNIST_NPZ)).unwrap();
        assert_eq!(paths.find(DatasetName::Mnist), Some(dir));

        // A damaged npz is an error naming it, not a silent skip.
        std::fs::remove_dir_all(tmp.join("cache")).unwrap();
        std::fs::write(keras.join(MNIST_NPZ), b"PK\x03\x04 damaged").unwrap();
        let msg = paths.locate(DatasetName::Mnist).unwrap_err().to_string();
        assert!(msg.contains(&keras.join(MNIST_NPZ).display().to_string()) && msg.contains("not a zip"), "{msg}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
