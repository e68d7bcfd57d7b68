//! One image for `predict`, at the model's shape (height × width × channels,
//! channels last): a PGM (P2/P5) or PNG file, or image `INDEX` of an IDX file
//! (`FILE:INDEX`, gzipped or not). Grey images feed 3-channel models as three
//! equal channels; colour images feed 1-channel models as Rec. 601 luma. Sizes
//! must match the model's (it was trained at one size; resize first).

use crate::data;
use anyhow::{Context, bail, ensure};
use ffn_infer_embedded::ImageShape;
use std::io::Cursor;
use std::path::Path;

/// Loads `spec` as `height × width × channels` grey levels, 0 = background (as in the IDX files).
pub fn load(spec: &str, shape: ImageShape) -> anyhow::Result<Vec<u8>> {
    let path = Path::new(spec);
    if !path.exists()
        && let Some((file, index)) = spec.rsplit_once(':')
        && let Ok(index) = index.parse::<usize>()
    {
        return from_idx(Path::new(file), index, shape);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read image {spec}"))?;
    let pixels = if bytes.starts_with(b"\x89PNG") {
        from_png(&bytes, shape)
    } else if bytes.starts_with(b"P5") || bytes.starts_with(b"P2") {
        from_pgm(&bytes, shape)
    } else if bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(&[0, 0, 8, 3]) {
        bail!("{spec} is an IDX file: name one image as {spec}:INDEX")
    } else {
        bail!("{spec} is neither a PNG nor a PGM (P2/P5) image")
    };
    pixels.with_context(|| format!("cannot use image {spec}"))
}

fn from_idx(file: &Path, index: usize, shape: ImageShape) -> anyhow::Result<Vec<u8>> {
    let gzipped = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bytes = if gzipped.starts_with(&[0x1f, 0x8b]) { data::read_gz(file)? } else { gzipped };
    let images =
        data::parse_idx_images(&bytes).with_context(|| format!("{} is not an IDX image file", file.display()))?;
    ensure!(index < images.count, "{} holds {} images; index {index} is out of range", file.display(), images.count);
    same_size(images.cols, images.rows, shape)?;
    let len = images.rows * images.cols;
    Ok(to_channels(&images.pixels[index * len..(index + 1) * len], 1, shape.channels as usize))
}

fn same_size(width: usize, height: usize, shape: ImageShape) -> anyhow::Result<()> {
    let (w, h) = (shape.width as usize, shape.height as usize);
    ensure!((width, height) == (w, h), "image is {width}×{height}; the model reads {w}×{h} images (resize it first)");
    Ok(())
}

/// Pixels of `from` channels (1 grey, 3 RGB) as `to` channels.
fn to_channels(pixels: &[u8], from: usize, to: usize) -> Vec<u8> {
    match (from, to) {
        (1, 3) => pixels.iter().flat_map(|&p| [p, p, p]).collect(),
        // Rec. 601 luma.
        (3, 1) => pixels
            .chunks_exact(3)
            .map(|px| ((299 * px[0] as u32 + 587 * px[1] as u32 + 114 * px[2] as u32 + 500) / 1000) as u8)
            .collect(),
        _ => pixels.to_vec(),
    }
}

fn from_png(bytes: &[u8], shape: ImageShape) -> anyhow::Result<Vec<u8>> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().context("bad PNG")?;
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    same_size(width, height, shape)?;
    let mut buf = vec![0; reader.output_buffer_size().context("PNG too large")?];
    let frame = reader.next_frame(&mut buf).context("bad PNG")?;
    let (channels, colour) = match frame.color_type {
        png::ColorType::Grayscale => (1, 1),
        png::ColorType::GrayscaleAlpha => (2, 1),
        png::ColorType::Rgb => (3, 3),
        png::ColorType::Rgba => (4, 3),
        png::ColorType::Indexed => bail!("PNG palette was not expanded"),
    };
    // Alpha is dropped: the model has no notion of it.
    let mut kept = Vec::with_capacity(width * height * colour);
    for row in buf.chunks(frame.line_size).take(height) {
        for px in row.chunks(channels).take(width) {
            kept.extend_from_slice(&px[..colour]);
        }
    }
    Ok(to_channels(&kept, colour, shape.channels as usize))
}

/// Netpbm grey map: `P5` (binary) or `P2` (ASCII), `#` comments, maxval up to 65535.
fn from_pgm(bytes: &[u8], shape: ImageShape) -> anyhow::Result<Vec<u8>> {
    let mut at = 2;
    let mut header = [0usize; 3];
    for field in header.iter_mut() {
        loop {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if bytes.get(at) == Some(&b'#') {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            } else {
                break;
            }
        }
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        *field = std::str::from_utf8(&bytes[start..at]).ok().and_then(|s| s.parse().ok()).context("bad PGM header")?;
    }
    let [width, height, maxval] = header;
    same_size(width, height, shape)?;
    ensure!((1..=65535).contains(&maxval), "PGM maxval {maxval} is out of range");
    let rescale = |v: usize| -> anyhow::Result<u8> {
        ensure!(v <= maxval, "PGM sample {v} exceeds maxval {maxval}");
        Ok(((v * 255 + maxval / 2) / maxval) as u8)
    };
    let len = width * height;
    let mut out = vec![0u8; len];
    if bytes.starts_with(b"P5") {
        // Exactly one whitespace byte separates the header from the samples.
        let data = bytes.get(at + 1..).context("PGM has no pixel data")?;
        let width_bytes = if maxval > 255 { 2 } else { 1 };
        ensure!(data.len() >= len * width_bytes, "PGM pixel data is truncated");
        for (dst, sample) in out.iter_mut().zip(data.chunks_exact(width_bytes)) {
            let v = if width_bytes == 2 { (sample[0] as usize) << 8 | sample[1] as usize } else { sample[0] as usize };
            *dst = rescale(v)?;
        }
    } else {
        let text = std::str::from_utf8(&bytes[at..]).context("P2 PGM is not text")?;
        let mut values = text.split_ascii_whitespace().map(|t| t.parse::<usize>());
        for dst in out.iter_mut() {
            *dst = rescale(values.next().context("PGM pixel data is truncated")?.context("bad PGM sample")?)?;
        }
    }
    Ok(to_channels(&out, 1, shape.channels as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    const IMAGE_LEN: usize = 784;
    const MNIST: ImageShape = ImageShape { height: 28, width: 28, channels: 1 };

    fn pgm_p5(maxval: usize) -> Vec<u8> {
        let mut bytes = format!("P5\n# a comment\n28 28\n{maxval}\n").into_bytes();
        bytes.extend((0..IMAGE_LEN).map(|i| (i % (maxval + 1)) as u8));
        bytes
    }

    #[test]
    fn pgm_binary_and_ascii_agree() {
        let p5 = from_pgm(&pgm_p5(255), MNIST).unwrap();
        let p2_text = format!("P2 28 28 255 {}", p5.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" "));
        assert_eq!(from_pgm(p2_text.as_bytes(), MNIST).unwrap(), p5);
        assert_eq!(p5[300], (300 % 256) as u8);
    }

    #[test]
    fn pgm_maxval_is_rescaled_and_sizes_checked() {
        let img = from_pgm(&pgm_p5(15), MNIST).unwrap();
        assert_eq!(img[15], 255);
        assert_eq!(img[0], 0);
        assert!(from_pgm(b"P5 27 28 255\n", MNIST).is_err());
        assert!(from_pgm(b"P5 28 28 255\n\x00\x01", MNIST).is_err());
        assert!(from_pgm(b"P5 28", MNIST).is_err());
    }

    #[test]
    fn png_grey_and_rgb_decode() {
        for color in [png::ColorType::Grayscale, png::ColorType::Rgb] {
            let channels = if color == png::ColorType::Rgb { 3 } else { 1 };
            let data: Vec<u8> = (0..IMAGE_LEN).flat_map(|i| std::iter::repeat_n((i % 251) as u8, channels)).collect();
            let mut bytes = Vec::new();
            {
                let mut encoder = png::Encoder::new(&mut bytes, 28, 28);
                encoder.set_color(color);
                encoder.set_depth(png::BitDepth::Eight);
                let mut writer = encoder.write_header().unwrap();
                writer.write_image_data(&data).unwrap();
            }
            let img = from_png(&bytes, MNIST).unwrap();
            assert_eq!(img[500], (500 % 251) as u8);
            let rgb = from_png(&bytes, ImageShape { channels: 3, ..MNIST }).unwrap();
            assert_eq!(rgb[1500..1503], [(500 % 251) as u8; 3]);
        }
    }
}
