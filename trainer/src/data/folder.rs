//! Image folders in Keras' layout, `ROOT/<class name>/*.{png,jpg,jpeg,bmp}`, decoded
//! with the `image` crate into 8-bit samples of one shape (resized when asked).

use std::path::{Path, PathBuf};

use image::ColorType;
use image::imageops::FilterType;

use super::DataError;
use super::classes::Labels;
use super::info::ImageShape;

const EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];

/// `--image_size HxW`: the size every image is resized to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageSize {
    pub height: usize,
    pub width: usize,
}

impl ImageSize {
    /// `32x32` (or `32×32`, `32X32`), or one number for a square.
    pub fn parse(text: &str) -> Result<ImageSize, String> {
        let parts: Vec<&str> = text.trim().split(['x', 'X', '×']).collect();
        let number = |s: &str| s.trim().parse::<usize>().ok().filter(|&n| (1..=4096).contains(&n));
        match parts[..] {
            [side] => number(side).map(|n| ImageSize { height: n, width: n }),
            [h, w] => number(h).zip(number(w)).map(|(height, width)| ImageSize { height, width }),
            _ => None,
        }
        .ok_or_else(|| format!("image size '{text}' is not HxW (e.g. 32x32), each side 1 to 4096"))
    }
}

/// How to read an image folder (the user's options).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageOptions {
    /// Resize every image to this size (required when sizes differ).
    pub size: Option<ImageSize>,
    /// 1 (grey) or 3 (RGB); by default 1 when every image is grey, else 3.
    pub channels: Option<usize>,
}

/// The images of a folder: bytes of `shape` per image, labels as folder names.
pub(crate) struct Images {
    pub shape: ImageShape,
    pub bytes: Vec<u8>,
    pub labels: Labels,
}

/// The class folders of `root` (sorted) and their image files (sorted).
fn list(root: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, DataError> {
    let read_dir = |dir: &Path| {
        let entries = std::fs::read_dir(dir).map_err(|source| DataError::Read { path: dir.into(), source })?;
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|source| DataError::Read { path: dir.into(), source })?;
        // Hidden files (.DS_Store and the like) are the system's, not the user's.
        paths.retain(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')));
        paths.sort();
        Ok::<_, DataError>(paths)
    };
    let mut classes = Vec::new();
    for class_dir in read_dir(root)?.into_iter().filter(|p| p.is_dir()) {
        let name = class_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let files = read_dir(&class_dir)?;
        for file in &files {
            let extension = file.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            if file.is_dir() || !EXTENSIONS.contains(&extension.as_str()) {
                return Err(DataError::invalid(
                    file,
                    "is not an image file (.png, .jpg, .jpeg or .bmp); class folders may only hold images: move it out",
                ));
            }
        }
        if files.is_empty() {
            return Err(DataError::invalid(
                &class_dir,
                "the class folder is empty: every class needs images (remove the folder if the class is unused)",
            ));
        }
        classes.push((name, files));
    }
    if classes.is_empty() {
        return Err(DataError::invalid(
            root,
            "holds no class folders: an image folder needs one subfolder per class, ROOT/<class>/*.png",
        ));
    }
    Ok(classes)
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::invalid(path, format!("is not a readable image ({e}); replace or remove it"))
}

/// Size and colour type of an image, from its header.
fn header(path: &Path) -> Result<((u32, u32), ColorType), DataError> {
    use image::ImageDecoder;
    let reader = image::ImageReader::open(path)
        .map_err(|source| DataError::Read { path: path.into(), source })?
        .with_guessed_format()
        .map_err(|e| unreadable(path, e))?;
    let decoder = reader.into_decoder().map_err(|e| unreadable(path, e))?;
    Ok((decoder.dimensions(), decoder.color_type()))
}

/// Reads the image folder `root`. With `shape` (the training images', for a test folder)
/// every image must have that size, or is resized to it under `--image_size`.
pub(crate) fn read_images(root: &Path, opts: &ImageOptions, shape: Option<ImageShape>) -> Result<Images, DataError> {
    let classes = list(root)?;
    let files: Vec<(u32, &PathBuf)> =
        classes.iter().enumerate().flat_map(|(c, (_, files))| files.iter().map(move |f| (c as u32, f))).collect();
    let headers = files.iter().map(|(_, f)| header(f)).collect::<Result<Vec<_>, _>>()?;
    let shape = match shape {
        Some(shape) if opts.size.is_none() => {
            let want = (shape.width as u32, shape.height as u32);
            if let Some(i) = headers.iter().position(|(size, _)| *size != want) {
                return Err(DataError::invalid(
                    files[i].1,
                    format!(
                        "is {}x{} but the training images are {}x{}: pass --image_size HxW to resize both",
                        headers[i].0.1, headers[i].0.0, shape.height, shape.width
                    ),
                ));
            }
            shape
        }
        Some(shape) => shape,
        None => {
            let (width, height) = match opts.size {
                Some(size) => (size.width as u32, size.height as u32),
                None => common_size(&files, &headers)?,
            };
            let grey = headers
                .iter()
                .all(|(_, c)| matches!(c, ColorType::L8 | ColorType::La8 | ColorType::L16 | ColorType::La16));
            let channels = opts.channels.unwrap_or(if grey { 1 } else { 3 });
            ImageShape { height: height as usize, width: width as usize, channels }
        }
    };
    let len = shape.len();
    let mut bytes = vec![0u8; files.len() * len];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = files.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let jobs: Vec<_> = files
            .chunks(per_thread)
            .zip(bytes.chunks_mut(per_thread * len))
            .map(|(files, out)| s.spawn(move || decode_all(files, out, shape)))
            .collect();
        jobs.into_iter().try_for_each(|job| job.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    let labels = Labels::Text {
        ids: files.iter().map(|&(c, _)| c).collect(),
        texts: classes.iter().map(|(name, _)| name.clone()).collect(),
    };
    Ok(Images { shape, bytes, labels })
}

/// The size all images share, or an error naming two that differ.
fn common_size(files: &[(u32, &PathBuf)], headers: &[((u32, u32), ColorType)]) -> Result<(u32, u32), DataError> {
    let first = headers[0].0;
    match headers.iter().position(|(size, _)| *size != first) {
        None => Ok(first),
        Some(i) => Err(DataError::invalid(
            files[i].1,
            format!(
                "is {}x{} but {} is {}x{}: pass --image_size HxW to resize every image to one size",
                headers[i].0.1,
                headers[i].0.0,
                files[0].1.display(),
                first.1,
                first.0
            ),
        )),
    }
}

/// Decodes `files` into `out` (one `shape` sample after another).
fn decode_all(files: &[(u32, &PathBuf)], out: &mut [u8], shape: ImageShape) -> Result<(), DataError> {
    for ((_, path), slot) in files.iter().zip(out.chunks_exact_mut(shape.len())) {
        let image = image::ImageReader::open(path)
            .map_err(|source| DataError::Read { path: path.into(), source })?
            .with_guessed_format()
            .map_err(|e| unreadable(path, e))?
            .decode()
            .map_err(|e| unreadable(path, e))?;
        let (width, height) = (shape.width as u32, shape.height as u32);
        let image = if (image.width(), image.height()) == (width, height) {
            image
        } else {
            // Bilinear, as Keras' image_dataset_from_directory resizes by default.
            image.resize_exact(width, height, FilterType::Triangle)
        };
        match shape.channels {
            1 => slot.copy_from_slice(image.to_luma8().as_raw()),
            _ => slot.copy_from_slice(image.to_rgb8().as_raw()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_sizes_parse() {
        assert_eq!(ImageSize::parse("32x24"), Ok(ImageSize { height: 32, width: 24 }));
        assert_eq!(ImageSize::parse("28"), Ok(ImageSize { height: 28, width: 28 }));
        assert_eq!(ImageSize::parse(" 8×8 "), Ok(ImageSize { height: 8, width: 8 }));
        for bad in ["", "0x5", "3x", "axb", "1x2x3", "5000x1"] {
            assert!(ImageSize::parse(bad).is_err(), "{bad}");
        }
    }
}
