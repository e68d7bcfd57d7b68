//! A text stream cut into blocks of whole records, so that each block can be parsed on
//! its own thread. A record ends at a newline outside quotes: RFC 4180 escapes a quote
//! inside a quoted field by doubling it, so the parity of the quotes seen so far tells
//! whether a newline is inside a field.

use std::io::{self, Read};

/// Bytes read per block (a block grows past it only to finish its last record).
pub(crate) const BLOCK: usize = 4 << 20;

pub(crate) struct Chunker<R> {
    reader: R,
    /// The start of the next block's first record.
    carry: Vec<u8>,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    pub(crate) fn new(reader: R) -> Self {
        Chunker { reader, carry: Vec::new(), eof: false }
    }

    /// Fills `block` with the next whole records (the rest of the stream at its end);
    /// `false` when nothing is left.
    pub(crate) fn next_block(&mut self, block: &mut Vec<u8>) -> io::Result<bool> {
        block.clear();
        block.append(&mut self.carry);
        let mut target = BLOCK;
        loop {
            while !self.eof && block.len() < target {
                let start = block.len();
                block.resize(target, 0);
                match self.reader.read(&mut block[start..]) {
                    Ok(0) => {
                        block.truncate(start);
                        self.eof = true;
                    }
                    Ok(n) => block.truncate(start + n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => block.truncate(start),
                    Err(e) => return Err(e),
                }
            }
            if self.eof {
                return Ok(!block.is_empty());
            }
            if let Some(end) = last_record_end(block) {
                self.carry.extend_from_slice(&block[end..]);
                block.truncate(end);
                return Ok(true);
            }
            // One record longer than the block: read on.
            target += BLOCK;
        }
    }
}

/// The offset just past the last newline outside quotes, if any.
fn last_record_end(text: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', text).is_none() {
        return memchr::memrchr(b'\n', text).map(|i| i + 1);
    }
    let mut quoted = false;
    let mut end = None;
    for i in memchr::memchr2_iter(b'"', b'\n', text) {
        match text[i] {
            b'"' => quoted = !quoted,
            _ if !quoted => end = Some(i + 1),
            _ => {}
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn blocks(text: &[u8], step: usize) -> Vec<Vec<u8>> {
        let mut chunker = Chunker::new(Trickle(text, step));
        let mut out = Vec::new();
        let mut block = Vec::new();
        while chunker.next_block(&mut block).unwrap() {
            out.push(block.clone());
        }
        out
    }

    #[test]
    fn blocks_end_at_record_ends_outside_quotes() {
        assert_eq!(last_record_end(b"a,b\n1,2\n3"), Some(8));
        assert_eq!(last_record_end(b"a,\"x\ny\"\n1,\"2\n"), Some(8));
        assert_eq!(last_record_end(b"\"a\"\"\nb\""), None);
        assert_eq!(last_record_end(b"no newline"), None);
    }

    #[test]
    fn blocks_rebuild_the_stream_from_whole_records() {
        // Records with quoted newlines and doubled quotes, some longer than a block.
        let mut text = Vec::new();
        for i in 0..200_000 {
            match i % 3 {
                0 => text.extend(format!("{i},\"a\nb\",\"say \"\"hi\"\"\n\"\r\n").bytes()),
                1 => text.extend(format!("{i},{}\n", "x".repeat(i % 97)).bytes()),
                _ => text.extend(format!("{i},\"{}\"\n", "\n".repeat(i % 5)).bytes()),
            }
        }
        text.extend(format!("long,\"{}\"\n", "y\n".repeat(BLOCK)).bytes());
        text.extend(b"last,row");
        let out = blocks(&text, 1 << 20);
        assert!(out.len() > 2);
        assert_eq!(out.concat(), text);
        for block in &out[..out.len() - 1] {
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&block[..]);
            assert!(reader.byte_records().all(|r| r.is_ok_and(|r| r.len() == 2 || r.len() == 3)));
            assert!(block.ends_with(b"\n"));
        }
        assert_eq!(blocks(b"", 7), Vec::<Vec<u8>>::new());
    }
}
