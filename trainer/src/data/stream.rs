//! The training images decompressed on one thread and scattered into the train and validation
//! splits on another as they arrive: the 47 MB decompressed file is never held whole.

use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::idx::{self, IMAGE_LEN, IMAGES_HEADER_LEN};
use super::{DataError, Split, gz};

/// Images per message: small enough to overlap well, large enough to cost nothing.
const CHUNK_IMAGES: usize = 256;
/// Buffers circulating between the two threads.
const BUFFERS: usize = 4;
/// Trailing data past the announced length is counted up to this much before giving up.
const MAX_TRAILING: u64 = 1 << 20;

/// Where image `i` of the file goes.
#[derive(Clone, Copy)]
enum Slot {
    Train(usize),
    Validation(usize),
    /// Cut by a train limit.
    Skip,
}

/// Reads the image file `images` (checked like [`idx::parse_idx_images`], and against the
/// `labels` read from `labels_path`) into the samples `train_order` and `validation_order`.
pub(crate) fn scatter_images(
    images: &Path,
    labels_path: &Path,
    labels: &[u8],
    train_order: &[usize],
    validation_order: &[usize],
) -> Result<(Split, Split), DataError> {
    let compressed = gz::read_compressed(images)?;
    let mut slots = vec![Slot::Skip; labels.len()];
    train_order.iter().enumerate().for_each(|(p, &i)| slots[i] = Slot::Train(p));
    validation_order.iter().enumerate().for_each(|(p, &i)| slots[i] = Slot::Validation(p));
    let mut train = Split::zeroed_bytes(train_order.len(), IMAGE_LEN);
    let mut validation = Split::zeroed_bytes(validation_order.len(), IMAGE_LEN);

    let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(BUFFERS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(vec![0; CHUNK_IMAGES * IMAGE_LEN]);
    }
    let decoded = std::thread::scope(|s| {
        let compressed = &compressed;
        let producer = s.spawn(move || decode(images, labels_path, compressed, labels.len(), full_tx, empty_rx));
        let mut next = 0;
        // Ends when the producer drops its sender: at the end of the file or on an error.
        for (buffer, len) in full_rx {
            for row in buffer[..len].chunks_exact(IMAGE_LEN) {
                match slots.get(next) {
                    Some(Slot::Train(p)) => train.set(*p, row, u32::from(labels[next])),
                    Some(Slot::Validation(p)) => validation.set(*p, row, u32::from(labels[next])),
                    Some(Slot::Skip) | None => {}
                }
                next += 1;
            }
            let _ = empty_tx.send(buffer);
        }
        producer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    decoded?;
    Ok((train, validation))
}

/// The producer: checks the header, then sends the pixels in full buffers, then checks the length.
fn decode(
    path: &Path,
    labels_path: &Path,
    compressed: &[u8],
    label_count: usize,
    full: SyncSender<(Vec<u8>, usize)>,
    empty: Receiver<Vec<u8>>,
) -> Result<(), DataError> {
    let mut reader = gz::decoder(path, compressed)?;
    let corrupt = |e: std::io::Error| gz::GunzipError::Corrupt(e.to_string()).in_file(path);
    let mut head = [0u8; IMAGES_HEADER_LEN];
    let got = read_full(&mut reader, &mut head).map_err(corrupt)?;
    let header = idx::image_header(&head[..got]).map_err(|e| e.in_file(path))?;
    if header.dims[0] != label_count {
        return Err(DataError::CountMismatch {
            images: path.into(),
            image_count: header.dims[0],
            labels: labels_path.into(),
            label_count,
        });
    }
    let mut total = 0u64;
    while let Ok(mut buffer) = empty.recv() {
        let len = read_full(&mut reader, &mut buffer).map_err(corrupt)?;
        total += len as u64;
        if len == 0 || total > header.data_len + MAX_TRAILING || full.send((buffer, len)).is_err() {
            break;
        }
    }
    header.check_data_len(total).map_err(|e| e.in_file(path))
}

/// Reads until `buffer` is full or the stream ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// A gzipped image file announcing `count` images, with `data` as its pixels.
    fn file(dir: &Path, count: u32, data: &[u8]) -> std::path::PathBuf {
        let mut raw = idx::IMAGES_MAGIC.to_be_bytes().to_vec();
        [count, 28, 28].iter().for_each(|d| raw.extend(d.to_be_bytes()));
        raw.extend(data);
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&raw).unwrap();
        let path = dir.join(format!("images-{count}-{}.gz", data.len()));
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        path
    }

    #[test]
    fn scatters_every_image_across_chunk_boundaries() {
        let dir = tempfile_dir("scatter");
        let n = CHUNK_IMAGES * 2 + 3;
        let pixels: Vec<u8> = (0..n * IMAGE_LEN).map(|i| (i / IMAGE_LEN % 251) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let path = file(&dir, n as u32, &pixels);
        let (train_order, validation_order): (Vec<usize>, Vec<usize>) = ((0..n).rev().step_by(2).collect(), vec![1, 0]);
        let (train, validation) = scatter_images(&path, &path, &labels, &train_order, &validation_order).unwrap();
        assert_eq!(train, Split::gather(IMAGE_LEN, &pixels, &labels, &train_order));
        assert_eq!(validation, Split::gather(IMAGE_LEN, &pixels, &labels, &validation_order));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn length_and_count_errors() {
        let dir = tempfile_dir("errors");
        let labels = [0u8; 3];
        let run = |path: &Path| {
            scatter_images(path, Path::new("labels.gz"), &labels, &[0, 1, 2], &[]).unwrap_err().to_string()
        };
        assert!(run(&file(&dir, 3, &vec![0; 3 * IMAGE_LEN - 5])).contains("truncated"));
        // A flood of trailing data is cut short, not read to the end.
        let msg = run(&file(&dir, 3, &vec![0; 3 * IMAGE_LEN + 4 * MAX_TRAILING as usize]));
        assert!(msg.contains("unexpected trailing bytes"), "{msg}");
        let msg = run(&file(&dir, 4, &vec![0; 4 * IMAGE_LEN]));
        assert!(msg.contains("holds 4 images but labels.gz holds 3 labels"), "{msg}");
        std::fs::write(dir.join("plain"), b"plain").unwrap();
        assert!(run(&dir.join("plain")).contains("not a gzip file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ffn-stream-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
