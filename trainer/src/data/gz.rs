//! Reading a whole `.gz` file into memory, with errors that name the file.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use super::DataError;

/// The largest decompressed size trusted as a capacity hint (the biggest IDX file is 47 MB).
const MAX_SIZE_HINT: usize = 256 << 20;

/// Reads and decompresses a single-member gzip file.
pub fn read_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    gunzip(&read_compressed(path)?).map_err(|e| e.in_file(path))
}

/// The bytes of a file, as they are.
pub(crate) fn read_compressed(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Read { path: path.into(), source })
}

/// A streaming decoder of `compressed` (the content of `path`), once it looks like gzip.
pub(crate) fn decoder<'a>(path: &Path, compressed: &'a [u8]) -> Result<GzDecoder<&'a [u8]>, DataError> {
    check_magic(compressed).map_err(|e| e.in_file(path))?;
    Ok(GzDecoder::new(compressed))
}

pub(crate) enum GunzipError {
    NotGzip(String),
    Corrupt(String),
}

impl GunzipError {
    pub(crate) fn in_file(self, path: &Path) -> DataError {
        match self {
            GunzipError::NotGzip(start) => DataError::NotGzip { path: path.into(), start },
            GunzipError::Corrupt(reason) => DataError::CorruptGzip { path: path.into(), reason },
        }
    }
}

fn check_magic(compressed: &[u8]) -> Result<(), GunzipError> {
    if compressed.starts_with(&[0x1f, 0x8b]) {
        return Ok(());
    }
    let start = match compressed.len() {
        0 => "nothing: the file is empty".to_string(),
        _ => compressed.iter().take(4).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
    };
    Err(GunzipError::NotGzip(start))
}

pub(crate) fn gunzip(compressed: &[u8]) -> Result<Vec<u8>, GunzipError> {
    check_magic(compressed)?;
    // The gzip trailer's last four bytes hold the decompressed size (mod 2^32): reserving
    // it up front saves the repeated doubling of a large buffer.
    let hint = compressed
        .last_chunk::<4>()
        .map(|b| u32::from_le_bytes(*b) as usize)
        .filter(|&n| n <= MAX_SIZE_HINT)
        .unwrap_or(0);
    let mut out = Vec::with_capacity(hint);
    GzDecoder::new(compressed).read_to_end(&mut out).map_err(|e| GunzipError::Corrupt(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn round_trips_and_rejects_non_gzip_and_damage() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let gz = gzip(&data);
        assert!(gunzip(&gz).ok() == Some(data.clone()));
        assert!(matches!(gunzip(b"hello"), Err(GunzipError::NotGzip(s)) if s == "68 65 6c 6c"));
        assert!(matches!(gunzip(b""), Err(GunzipError::NotGzip(s)) if s.contains("empty")));
        assert!(matches!(gunzip(&gz[..gz.len() / 2]), Err(GunzipError::Corrupt(_))));
        let mut flipped = gz.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        // A flipped bit is caught by the deflate stream or, at the latest, the CRC-32 trailer.
        assert!(matches!(gunzip(&flipped), Err(GunzipError::Corrupt(_))));
    }

    #[test]
    fn read_gz_names_the_file() {
        let dir = std::env::temp_dir().join(format!("ffn-gz-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plain.gz");
        std::fs::write(&path, b"not gzip at all").unwrap();
        let msg = read_gz(&path).unwrap_err().to_string();
        assert!(msg.contains("plain.gz") && msg.contains("not a gzip file"), "{msg}");
        let missing = read_gz(&dir.join("missing.gz")).unwrap_err().to_string();
        assert!(missing.contains("missing.gz") && missing.starts_with("cannot read"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
