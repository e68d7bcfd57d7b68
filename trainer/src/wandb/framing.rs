//! Block framing of the `.wandb` transaction log: LevelDB's log format with a
//! plain CRC-32/IEEE (no mask), as wandb's Python and Go readers expect
//! (`shared/docs/wandb-offline-format.md` §2–3).

pub const FILE_HEADER: [u8; 7] = [0x3A, 0x57, 0x26, 0x42, 0xE1, 0xBE, 0x00];
pub const BLOCK: u64 = 32768;
pub const CHUNK_HEADER: u64 = 7;

pub const FULL: u8 = 1;
pub const FIRST: u8 = 2;
pub const MIDDLE: u8 = 3;
pub const LAST: u8 = 4;

fn crc(kind: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(payload);
    h.finalize()
}

/// Appends the chunks of one record to `out`, given that the record starts at
/// absolute file offset `offset`; returns the offset after it. A chunk never
/// crosses a 32 KiB block; fewer than 7 bytes left in a block are zero padding;
/// exactly 7 left gives a zero-length FIRST chunk, as both official writers do.
pub fn frame_record(mut offset: u64, payload: &[u8], out: &mut Vec<u8>) -> u64 {
    let mut rest = payload;
    let mut first = true;
    loop {
        let mut left = BLOCK - offset % BLOCK;
        if left < CHUNK_HEADER {
            out.resize(out.len() + left as usize, 0);
            offset += left;
            left = BLOCK;
        }
        let room = (left - CHUNK_HEADER) as usize;
        let (piece, tail) = rest.split_at(room.min(rest.len()));
        let end = tail.is_empty();
        let kind = match (first, end) {
            (true, true) => FULL,
            (true, false) => FIRST,
            (false, true) => LAST,
            (false, false) => MIDDLE,
        };
        out.extend_from_slice(&crc(kind, piece).to_le_bytes());
        out.extend_from_slice(&(piece.len() as u16).to_le_bytes());
        out.push(kind);
        out.extend_from_slice(piece);
        offset += CHUNK_HEADER + piece.len() as u64;
        if end {
            return offset;
        }
        rest = tail;
        first = false;
    }
}

/// A whole log file built in memory: header plus framed records.
pub fn encode_log<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = FILE_HEADER.to_vec();
    let mut offset = out.len() as u64;
    for r in records {
        offset = frame_record(offset, r, &mut out);
    }
    out
}

/// Why reading stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("bad file header (expected ':W&B' 0xBEE1 version 0)")]
    Header,
    #[error("file ends inside a chunk at offset {0} (the writer was killed mid-record)")]
    Truncated(u64),
    #[error("bad CRC in the chunk at offset {0}")]
    Crc(u64),
    #[error("non-zero block padding at offset {0}")]
    Padding(u64),
    #[error("chunk type {kind} out of order at offset {at}")]
    ChunkType { kind: u8, at: u64 },
}

/// The records of a log, and what stopped the reader early, if anything.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub records: Vec<Vec<u8>>,
    /// Offset just past the last complete record: a file cut there is valid.
    pub valid_len: u64,
    pub error: Option<FrameError>,
}

/// Reads every complete record; a damaged or truncated tail ends the scan and is
/// reported in `error` instead of discarding what came before it.
pub fn decode_log(bytes: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    if bytes.len() < FILE_HEADER.len() || bytes[..FILE_HEADER.len()] != FILE_HEADER {
        d.error = Some(FrameError::Header);
        return d;
    }
    let len = bytes.len() as u64;
    let mut off = FILE_HEADER.len() as u64;
    d.valid_len = off;
    let mut pending: Option<Vec<u8>> = None;
    while off < len {
        let left = BLOCK - off % BLOCK;
        if left < CHUNK_HEADER {
            let pad = &bytes[off as usize..len.min(off + left) as usize];
            if pad.iter().any(|&b| b != 0) {
                d.error = Some(FrameError::Padding(off));
                return d;
            }
            off += left;
            continue;
        }
        if len - off < CHUNK_HEADER {
            d.error = Some(FrameError::Truncated(off));
            return d;
        }
        let h = &bytes[off as usize..(off + CHUNK_HEADER) as usize];
        let sum = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let n = u64::from(u16::from_le_bytes([h[4], h[5]]));
        let kind = h[6];
        let start = off + CHUNK_HEADER;
        if start + n > len {
            d.error = Some(FrameError::Truncated(off));
            return d;
        }
        if n > left - CHUNK_HEADER {
            d.error = Some(FrameError::ChunkType { kind, at: off });
            return d;
        }
        let piece = &bytes[start as usize..(start + n) as usize];
        if crc(kind, piece) != sum {
            d.error = Some(FrameError::Crc(off));
            return d;
        }
        match (kind, pending.as_mut()) {
            (FULL, None) => d.records.push(piece.to_vec()),
            (FIRST, None) => pending = Some(piece.to_vec()),
            (MIDDLE, Some(buf)) => buf.extend_from_slice(piece),
            (LAST, Some(buf)) => {
                buf.extend_from_slice(piece);
                d.records.extend(pending.take());
            }
            _ => {
                d.error = Some(FrameError::ChunkType { kind, at: off });
                return d;
            }
        }
        off = start + n;
        if pending.is_none() {
            d.valid_len = off;
        }
    }
    if pending.is_some() {
        d.error = Some(FrameError::Truncated(d.valid_len));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_kinds(bytes: &[u8]) -> Vec<(u64, u8, u16)> {
        // (offset, type, length) of every chunk, found by walking the framing.
        let mut out = Vec::new();
        let mut off = 7u64;
        while off < bytes.len() as u64 {
            let left = BLOCK - off % BLOCK;
            if left < 7 {
                off += left;
                continue;
            }
            let h = &bytes[off as usize..off as usize + 7];
            let n = u16::from_le_bytes([h[4], h[5]]);
            out.push((off, h[6], n));
            off += 7 + u64::from(n);
        }
        out
    }

    fn payload(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
    }

    #[test]
    fn small_record_is_one_full_chunk() {
        let log = encode_log([&b"hello"[..]]);
        assert_eq!(&log[..7], &FILE_HEADER);
        assert_eq!(log.len(), 7 + 7 + 5);
        assert_eq!(&log[7..11], &crc32fast::hash(b"\x01hello").to_le_bytes());
        assert_eq!(&log[11..14], &[5, 0, FULL]);
        let d = decode_log(&log);
        assert_eq!((d.records, d.error, d.valid_len), (vec![b"hello".to_vec()], None, 19));
    }

    #[test]
    fn record_crossing_a_block_boundary_is_split() {
        let a = payload(32000, 1);
        let b = payload(2000, 2);
        let log = encode_log([&a[..], &b[..]]);
        let kinds = chunk_kinds(&log);
        let room = (BLOCK - 7 - 7 - 32000 - 7) as u16;
        assert_eq!(kinds, vec![(7, FULL, 32000), (32014, FIRST, room), (32768, LAST, 2000 - room)]);
        assert_eq!(decode_log(&log).records, vec![a, b]);
    }

    #[test]
    fn fewer_than_seven_bytes_left_is_zero_padding() {
        // First record ends 3 bytes before the block end.
        let a = payload(32768 - 7 - 7 - 3, 3);
        let b = payload(10, 4);
        let log = encode_log([&a[..], &b[..]]);
        assert_eq!(&log[32765..32768], &[0, 0, 0]);
        assert_eq!(chunk_kinds(&log)[1], (32768, FULL, 10));
        assert_eq!(decode_log(&log).records, vec![a, b]);
    }

    #[test]
    fn exactly_seven_bytes_left_gives_an_empty_first_chunk() {
        let a = payload(32768 - 7 - 7 - 7, 5);
        let b = payload(100, 6);
        let log = encode_log([&a[..], &b[..]]);
        assert_eq!(chunk_kinds(&log)[1..], [(32761, FIRST, 0), (32768, LAST, 100)]);
        assert_eq!(&log[32761..32768], &[&crc32fast::hash(&[FIRST]).to_le_bytes()[..], &[0, 0, FIRST]].concat()[..]);
        let d = decode_log(&log);
        assert_eq!((d.records, d.error), (vec![a, b], None));
    }

    #[test]
    fn record_longer_than_three_blocks_uses_middle_chunks() {
        let big = payload(3 * 32768 + 500, 7);
        let small = payload(9, 8);
        let log = encode_log([&small[..], &big[..], &small[..]]);
        let kinds: Vec<u8> = chunk_kinds(&log).iter().map(|c| c.1).collect();
        assert_eq!(kinds, vec![FULL, FIRST, MIDDLE, MIDDLE, LAST, FULL]);
        let d = decode_log(&log);
        assert_eq!((d.records, d.error), (vec![small.clone(), big, small], None));
    }

    #[test]
    fn damaged_tails_are_reported_after_the_good_records() {
        let a = payload(50, 9);
        let big = payload(40000, 10);
        let log = encode_log([&a[..], &big[..]]);
        let cut = decode_log(&log[..log.len() - 1]);
        assert_eq!((cut.records.len(), cut.valid_len), (1, 7 + 7 + 50));
        assert!(matches!(cut.error, Some(FrameError::Truncated(_))));
        let only_first_chunk = decode_log(&log[..32768]);
        assert_eq!(only_first_chunk.records.len(), 1);
        assert_eq!(only_first_chunk.error, Some(FrameError::Truncated(64)));
        let mut flipped = log.clone();
        flipped[20] ^= 1;
        assert_eq!(decode_log(&flipped).error, Some(FrameError::Crc(7)));
        assert_eq!(decode_log(b":W&B\xe1\xbe\x01").error, Some(FrameError::Header));
    }
}
