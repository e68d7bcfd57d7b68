//! Media values as `wandb.Image` writes them: the file under
//! `files/media/images/<key>_<step>_<sha256[:20]>.png` and the `image-file`
//! JSON that history rows carry (wandb 0.29 `data_types/image.py`).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// Width and height from the IHDR chunk, which the PNG spec puts first.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || png[..8] != PNG_SIGNATURE || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&png[16..20]), be(&png[20..24]))).filter(|&(w, h)| w > 0 && h > 0)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Path relative to `files/`. A key like `samples/train` makes subfolders, as in
/// wandb; anything but `[A-Za-z0-9_.-]` and non-empty, non-dot path segments
/// becomes `_`, so a key can never leave the media folder.
pub fn image_path(key: &str, step: u64, png: &[u8]) -> String {
    let safe: Vec<String> = key
        .split('/')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let s: String =
                seg.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect();
            if s.chars().all(|c| c == '.') { "_".repeat(s.len()) } else { s }
        })
        .collect();
    let key = if safe.is_empty() { "image".to_owned() } else { safe.join("/") };
    format!("media/images/{key}_{step}_{}.png", &sha256_hex(png)[..20])
}

pub fn image_value(rel_path: &str, png: &[u8], width: u32, height: u32, caption: Option<&str>) -> Value {
    let mut v = json!({
        "_type": "image-file",
        "sha256": sha256_hex(png),
        "size": png.len(),
        "path": rel_path,
        "format": "png",
        "width": width,
        "height": height,
    });
    if let (Some(c), Some(obj)) = (caption, v.as_object_mut()) {
        obj.insert("caption".into(), c.into());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real 2×3 grey PNG (IHDR first, as every encoder writes it).
    fn tiny_png() -> Vec<u8> {
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend_from_slice(&[0, 0, 0, 13]);
        p.extend_from_slice(b"IHDR");
        p.extend_from_slice(&2u32.to_be_bytes());
        p.extend_from_slice(&3u32.to_be_bytes());
        p.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
        p
    }

    #[test]
    fn reads_png_dimensions() {
        assert_eq!(png_size(&tiny_png()), Some((2, 3)));
        assert_eq!(png_size(b"GIF89a............................"), None);
        assert_eq!(png_size(&tiny_png()[..20]), None);
    }

    #[test]
    fn paths_stay_inside_media_images() {
        let png = tiny_png();
        let hash = &sha256_hex(&png)[..20];
        assert_eq!(image_path("samples", 3, &png), format!("media/images/samples_3_{hash}.png"));
        assert_eq!(image_path("a/b c", 0, &png), format!("media/images/a/b_c_0_{hash}.png"));
        assert_eq!(image_path("../../etc/x", 1, &png), format!("media/images/__/__/etc/x_1_{hash}.png"));
        assert_eq!(image_path("", 1, &png), format!("media/images/image_1_{hash}.png"));
    }
}
