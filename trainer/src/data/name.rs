//! The two datasets ffn knows, and the names each goes by (CLI value, folder names).

/// A dataset of 28×28 grey images in ten classes, stored as four gzipped IDX files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DatasetName {
    Mnist,
    /// `train`'s default.
    #[default]
    FashionMnist,
}

impl DatasetName {
    pub const ALL: [DatasetName; 2] = [DatasetName::FashionMnist, DatasetName::Mnist];

    /// The `-d/--dataset` value.
    pub fn name(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion_mnist",
        }
    }

    /// The folder name used by `shared/data`, Debian's `dataset-fashion-mnist`
    /// (`/usr/share/datasets/fashion-mnist`) and Keras (`~/.keras/datasets/fashion-mnist`).
    pub fn dir_name(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
        }
    }

    /// Label → class name.
    pub fn class_names(self) -> [&'static str; 10] {
        match self {
            DatasetName::Mnist => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            DatasetName::FashionMnist => [
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        }
    }

    /// Where a user gets the original files, for error messages.
    pub fn how_to_get(self) -> &'static str {
        match self {
            DatasetName::Mnist => {
                "the four IDX .gz files of yann.lecun.com/exdb/mnist (also in the fgnt/mnist GitHub repository), \
                 or Keras's mnist.npz in ~/.keras/datasets; Debian has no MNIST package"
            }
            DatasetName::FashionMnist => {
                "`apt-get install dataset-fashion-mnist` (Debian's package, into /usr/share/datasets), \
                 or the four .gz files of github.com/zalandoresearch/fashion-mnist"
            }
        }
    }

    /// Parses a CLI value or folder name, ignoring case: `fashion_mnist`, `fashion-mnist`, `mnist`.
    pub fn from_name(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|d| d.name() == s)
    }
}

impl std::fmt::Display for DatasetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_accept_folder_spellings() {
        for d in DatasetName::ALL {
            assert_eq!(DatasetName::from_name(d.name()), Some(d));
            assert_eq!(DatasetName::from_name(d.dir_name()), Some(d));
            assert_eq!(DatasetName::from_name(&d.name().to_uppercase()), Some(d));
        }
        assert_eq!(DatasetName::from_name("Fashion-MNIST"), Some(DatasetName::FashionMnist));
        assert_eq!(DatasetName::from_name("cifar10"), None);
        assert_eq!(DatasetName::from_name(""), None);
        assert_eq!(DatasetName::from_name("fashion"), None);
    }

    #[test]
    fn class_names_follow_the_published_label_tables() {
        assert_eq!(DatasetName::FashionMnist.class_names()[0], "T-shirt/top");
        assert_eq!(DatasetName::FashionMnist.class_names()[9], "Ankle boot");
        assert_eq!(DatasetName::Mnist.class_names()[7], "7");
    }
}
