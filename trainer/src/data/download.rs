//! Download of the four IDX files from a mirror (Keras's by default) into ffn's cache,
//! each verified against the SHA-256 of the original file before it is renamed into place,
//! so the cache never holds a partial or foreign file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::locate::{FILES, SearchPaths};
use super::npz::{self, MNIST_NPZ, MNIST_NPZ_SHA256};
use super::{DataError, DatasetName};

/// SHA-256 of the original `.gz` files, in the order of [`FILES`] (shared/data/SHA256SUMS).
pub fn checksums(name: DatasetName) -> [&'static str; 4] {
    match name {
        DatasetName::FashionMnist => [
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ],
        DatasetName::Mnist => [
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ],
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Generous: the largest file is 26 MB.
const BODY_TIMEOUT: Duration = Duration::from_secs(600);

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(RESPONSE_TIMEOUT))
        .timeout_recv_body(Some(BODY_TIMEOUT))
        .build()
        .into()
}

fn url(mirror: &str, file: &str) -> String {
    format!("{}/{file}", mirror.trim_end_matches('/'))
}

/// Downloads the four files of `name` into `<cache>/<dir_name>/` and returns that folder.
/// Files already there with the right checksum are kept. Keras's mirror serves MNIST only as
/// `mnist.npz`: that is fetched, verified, unpacked into the four files, and removed.
pub fn download(name: DatasetName, paths: &SearchPaths) -> Result<PathBuf, DataError> {
    let cache = paths.cache.as_ref().ok_or_else(|| DataError::Download {
        url: paths.mirror.clone(),
        reason: "no cache folder to download into (neither XDG_CACHE_HOME nor HOME is set)".into(),
    })?;
    let dir = cache.join(name.dir_name());
    std::fs::create_dir_all(&dir).map_err(|source| DataError::Write { path: dir.clone(), source })?;
    let agent = agent();
    if name == DatasetName::Mnist {
        let archive = dir.join(MNIST_NPZ);
        fetch(&agent, &url(&paths.mirror, MNIST_NPZ), &archive, MNIST_NPZ_SHA256)?;
        let unpacked = npz::unpack(&archive, &dir);
        let _ = std::fs::remove_file(&archive);
        return unpacked;
    }
    for (file, sha) in FILES.iter().zip(checksums(name)) {
        let dest = dir.join(file);
        if sha256_file(&dest).is_some_and(|h| h == sha) {
            continue;
        }
        fetch(&agent, &url(&paths.mirror, file), &dest, sha)?;
    }
    Ok(dir)
}

fn sha256_file(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// GETs `url` into a temporary sibling of `dest`, hashing on the way, and renames it to `dest`
/// only if the SHA-256 is `sha`.
pub(crate) fn fetch(agent: &ureq::Agent, url: &str, dest: &Path, sha: &str) -> Result<(), DataError> {
    let failed = |reason: String| DataError::Download { url: url.to_string(), reason };
    eprintln!("downloading {url} to {}", dest.display());
    let mut response = agent.get(url).call().map_err(|e| failed(e.to_string()))?;
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("download");
    let tmp = dest.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp).map_err(|source| DataError::Write { path: tmp.clone(), source })?;
        let mut hasher = Sha256::new();
        let mut reader = response.body_mut().as_reader();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).map_err(|e| failed(e.to_string()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|source| DataError::Write { path: tmp.clone(), source })?;
        }
        let actual = hex(&hasher.finalize());
        if actual != sha {
            return Err(DataError::Checksum { url: url.to_string(), expected: sha.to_string(), actual });
        }
        out.sync_all().map_err(|source| DataError::Write { path: tmp.clone(), source })?;
        std::fs::rename(&tmp, dest).map_err(|source| DataError::Write { path: dest.to_path_buf(), source })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(url("http://h/a/", "f.gz"), "http://h/a/f.gz");
        assert_eq!(url("http://h/a", "f.gz"), "http://h/a/f.gz");
    }

    #[test]
    fn checksums_match_shared_sha256sums() {
        let sums = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/SHA256SUMS"))
            .expect("shared/data/SHA256SUMS is part of the workspace's shared data");
        for name in DatasetName::ALL {
            for (file, sha) in FILES.iter().zip(checksums(name)) {
                let line = format!("{sha}  {}/{file}", name.dir_name());
                assert!(sums.lines().any(|l| l == line), "{line} not in SHA256SUMS");
            }
        }
    }
}
