//! Download of the four IDX files from a mirror (Keras's by default) into ffn's cache. Each
//! file is verified before it is renamed into place, so the cache never holds a partial or
//! foreign file: against the SHA-256 of the original `.gz`, or else of its decompressed content
//! (a mirror may re-wrap identical data in another gzip header, as Debian's package does).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::locate::{FILES, SearchPaths};
use super::npz::{self, MNIST_NPZ, MNIST_NPZ_SHA256};
use super::{DataError, DatasetName, gz};

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

/// SHA-256 of the decompressed IDX files, in the order of [`FILES`] (shared/data/README.md).
pub fn raw_checksums(name: DatasetName) -> [&'static str; 4] {
    match name {
        DatasetName::FashionMnist => [
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ],
        DatasetName::Mnist => [
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ],
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Generous: the largest file is 26 MB.
const BODY_TIMEOUT: Duration = Duration::from_secs(600);

/// An agent with short timeouts that honours the proxy variables (`HTTPS_PROXY`, ...), except
/// for a mirror on this machine (a loopback address), which no proxy can reach.
fn agent(mirror: &str) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(RESPONSE_TIMEOUT))
        .timeout_recv_body(Some(BODY_TIMEOUT));
    if is_loopback(mirror) {
        config = config.proxy(None);
    }
    config.build().into()
}

fn is_loopback(url: &str) -> bool {
    let host = url.parse::<ureq::http::Uri>().ok().and_then(|uri| uri.host().map(str::to_owned));
    host.is_some_and(|h| {
        let h = h.trim_start_matches('[').trim_end_matches(']');
        h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    })
}

fn url(mirror: &str, file: &str) -> String {
    format!("{}/{file}", mirror.trim_end_matches('/'))
}

/// What a downloaded file must hash to.
#[derive(Clone, Copy)]
struct Expected {
    sha256: &'static str,
    /// The same for the decompressed content of a `.gz` file.
    raw_sha256: Option<&'static str>,
}

/// Downloads the four files of `name` into `<cache>/<dir_name>/` and returns that folder.
/// Files already there and intact are kept. Keras's mirror serves MNIST only as `mnist.npz`:
/// that is tried first, verified, unpacked into the four files, and removed; a mirror without
/// it may serve MNIST's four IDX files instead.
pub fn download(name: DatasetName, paths: &SearchPaths) -> Result<PathBuf, DataError> {
    let cache = paths.cache.as_ref().ok_or_else(|| DataError::Download {
        url: paths.mirror.clone(),
        reason: "no cache folder to download into (neither XDG_CACHE_HOME nor HOME is set)".into(),
    })?;
    let dir = cache.join(name.dir_name());
    std::fs::create_dir_all(&dir).map_err(|source| DataError::Write { path: dir.clone(), source })?;
    let agent = agent(&paths.mirror);
    let mut missing = "not on the mirror (HTTP 404)";
    if name == DatasetName::Mnist {
        let archive = dir.join(MNIST_NPZ);
        let expected = Expected { sha256: MNIST_NPZ_SHA256, raw_sha256: None };
        if fetch(&agent, &url(&paths.mirror, MNIST_NPZ), &archive, expected)? {
            let unpacked = npz::unpack(&archive, &dir);
            let _ = std::fs::remove_file(&archive);
            return unpacked;
        }
        missing = "not on the mirror (HTTP 404), and neither is mnist.npz";
    }
    for ((file, sha256), raw_sha256) in FILES.iter().zip(checksums(name)).zip(raw_checksums(name)) {
        let (dest, url) = (dir.join(file), url(&paths.mirror, file));
        let expected = Expected { sha256, raw_sha256: Some(raw_sha256) };
        if dest.is_file() && verify(&dest, expected).is_ok() {
            continue;
        }
        if !fetch(&agent, &url, &dest, expected)? {
            return Err(DataError::Download { url, reason: missing.into() });
        }
    }
    Ok(dir)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// Ok, or the file's actual SHA-256 when it is not the expected file.
fn verify(path: &Path, expected: Expected) -> Result<(), String> {
    let actual = sha256_file(path).map_err(|e| e.to_string())?;
    if actual == expected.sha256 {
        return Ok(());
    }
    let same_content = expected
        .raw_sha256
        .is_some_and(|raw| gz::read_gz(path).is_ok_and(|content| hex(&Sha256::digest(&content)) == raw));
    if same_content { Ok(()) } else { Err(actual) }
}

/// GETs `url` into a temporary sibling of `dest` and renames it to `dest` only if it is the
/// expected file. `Ok(false)`: the mirror does not have it (HTTP 404).
fn fetch(agent: &ureq::Agent, url: &str, dest: &Path, expected: Expected) -> Result<bool, DataError> {
    let failed = |reason: String| DataError::Download { url: url.to_string(), reason };
    let mut response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::StatusCode(404)) => return Ok(false),
        Err(e) => return Err(failed(e.to_string())),
    };
    eprintln!("downloading {url} to {}", dest.display());
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("download");
    let tmp = dest.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let result = (|| {
        let write_error = |source| DataError::Write { path: tmp.clone(), source };
        let mut out = std::fs::File::create(&tmp).map_err(write_error)?;
        let mut reader = response.body_mut().as_reader();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).map_err(|e| failed(e.to_string()))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(write_error)?;
        }
        out.sync_all().map_err(write_error)?;
        drop(out);
        verify(&tmp, expected).map_err(|actual| DataError::Checksum {
            url: url.to_string(),
            expected: expected.sha256.to_string(),
            actual,
        })?;
        std::fs::rename(&tmp, dest).map_err(|source| DataError::Write { path: dest.to_path_buf(), source })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_bypasses_proxies() {
        for url in ["http://127.0.0.1:8000/x/", "http://localhost/", "http://[::1]:80/", "http://127.5.0.1/"] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [crate::data::DEFAULT_MIRROR, "http://10.0.0.1/", "not a url", "http://localhost.example.com/"] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(url("http://h/a/", "f.gz"), "http://h/a/f.gz");
        assert_eq!(url("http://h/a", "f.gz"), "http://h/a/f.gz");
    }

    #[test]
    fn raw_checksums_match_the_shared_files_content() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
        for name in DatasetName::ALL {
            let dir = shared.join(name.dir_name());
            for (file, raw) in FILES.iter().zip(raw_checksums(name)) {
                let content = gz::read_gz(&dir.join(file)).unwrap();
                assert_eq!(hex(&Sha256::digest(&content)), raw, "{name} {file}");
            }
        }
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
