//! CSV and TSV tables (optionally gzipped): one row per sample, numeric feature
//! columns and one label column.
//!
//! The text is streamed, never held whole: one thread reads (and decompresses) blocks
//! of whole records ([`chunks`]), the other cores parse them with the `csv` crate
//! (one reused `ByteRecord`, no allocation per record) and `fast-float2`, and the
//! calling thread appends their rows in file order. Errors name the file's line.

mod chunks;
mod sniff;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

pub(crate) use sniff::Layout;
pub use sniff::TableOptions;

use super::DataError;
use super::classes::{Interner, Labels, MAX_CLASSES};
use chunks::Chunker;

/// A table read in full: `values` holds `width` features per row, row-major.
#[derive(Debug)]
pub(crate) struct Table {
    pub layout: Layout,
    pub width: usize,
    pub values: Vec<f32>,
    pub labels: Labels,
}

impl Table {
    pub(crate) fn rows(&self) -> usize {
        self.labels.len()
    }
}

/// Where a row's problem is: a line of its block, maybe a column.
struct RowError {
    line: u64,
    column: Option<usize>,
    problem: String,
}

/// One block's rows: features, and labels as ids into the block's own `texts`.
struct Parsed {
    values: Vec<f32>,
    labels: Vec<u32>,
    texts: Vec<Vec<u8>>,
    /// Newlines in the block: where the next block's lines start.
    lines: u64,
}

enum Done {
    Block { seq: usize, parsed: Result<Parsed, RowError>, buffer: Vec<u8> },
    ReadError { seq: usize, error: std::io::Error },
}

/// Opens `path`, decompressing it when it is gzip; with the file's size when it is not.
fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>), DataError> {
    let read_error = |source| DataError::Read { path: path.into(), source };
    let mut file = File::open(path).map_err(read_error)?;
    let mut magic = [0u8; 2];
    let gzipped = file.read(&mut magic).map_err(read_error)? == 2 && magic == [0x1f, 0x8b];
    let size = file.metadata().map_err(read_error)?.len();
    file.seek(SeekFrom::Start(0)).map_err(read_error)?;
    let file = BufReader::with_capacity(1 << 20, file);
    Ok(if gzipped { (Box::new(flate2::read::MultiGzDecoder::new(file)), None) } else { (Box::new(file), Some(size)) })
}

/// Reads the table at `path`. With `expect` (the training table's layout, when reading a
/// test file), the columns must be the same.
pub(crate) fn read_table(path: &Path, opts: &TableOptions, expect: Option<&Layout>) -> Result<Table, DataError> {
    let (reader, size) = open(path)?;
    let mut chunker = Chunker::new(reader);
    let mut first = Vec::new();
    chunker.next_block(&mut first).map_err(|e| stream_error(path, e))?;
    if first.starts_with(b"\xEF\xBB\xBF") {
        first.drain(..3);
    }
    if first.trim_ascii().is_empty() {
        return Err(DataError::invalid(path, "the file is empty: it needs a row per sample"));
    }
    let layout = sniff::sniff(&first, path, opts)?;
    if let Some(train) = expect {
        same_columns(path, &layout, train)?;
    }
    let mut header_lines = 0;
    if layout.header.is_some() {
        let mut reader =
            csv::ReaderBuilder::new().delimiter(layout.delimiter).has_headers(true).from_reader(&first[..]);
        let _ = reader.byte_headers();
        let end = reader.position().byte() as usize;
        header_lines = memchr::memchr_iter(b'\n', &first[..end]).count() as u64;
        first.drain(..end);
    }
    // Room for the whole table in one allocation, estimated from the first block (unused
    // room is never touched, so it costs no memory); doublings for a gzipped file.
    let rows_per_byte = memchr::memchr_iter(b'\n', &first).count() as f64 / first.len().max(1) as f64;
    let capacity = size.map_or(0, |size| (size as f64 * rows_per_byte * 1.05) as usize * (layout.columns - 1));
    let table = parse_blocks(path, &layout, first, chunker, header_lines, capacity)?;
    if table.rows() == 0 {
        let what = if layout.header.is_some() { "a header row but no data rows" } else { "no data rows" };
        return Err(DataError::invalid(path, format!("the file has {what}: it needs a row per sample")));
    }
    Ok(table)
}

/// A test table's columns must be the training table's.
fn same_columns(path: &Path, layout: &Layout, train: &Layout) -> Result<(), DataError> {
    let names = |l: &Layout| match &l.header {
        Some(h) => format!("[{}]", h.join(", ")),
        None => format!("{} unnamed columns", l.columns),
    };
    let same = layout.columns == train.columns
        && layout.label == train.label
        && (layout.header.is_none() || train.header.is_none() || layout.header == train.header);
    if same {
        return Ok(());
    }
    Err(DataError::invalid(
        path,
        format!(
            "its columns {} differ from the training file's {} (labels in column {} here, {} there); a test file \
             needs the same columns in the same order",
            names(layout),
            names(train),
            layout.label + 1,
            train.label + 1
        ),
    ))
}

fn stream_error(path: &Path, e: std::io::Error) -> DataError {
    match e.kind() {
        // The decoder's errors: a damaged or truncated gzip stream.
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
            DataError::CorruptGzip { path: path.into(), reason: e.to_string() }
        }
        _ => DataError::Read { path: path.into(), source: e },
    }
}

/// Parses `first` and the chunker's other blocks on every core, in file order.
fn parse_blocks(
    path: &Path,
    layout: &Layout,
    first: Vec<u8>,
    mut chunker: Chunker<Box<dyn Read + Send>>,
    header_lines: u64,
    capacity: usize,
) -> Result<Table, DataError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let buffers = 2 * workers + 2;
    let (work_tx, work_rx) = sync_channel::<(usize, Vec<u8>)>(buffers);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = channel::<Done>();
    let (pool_tx, pool_rx) = channel::<Vec<u8>>();
    (1..buffers).for_each(|_| drop(pool_tx.send(Vec::new())));

    std::thread::scope(|s| {
        let reader_done = done_tx.clone();
        s.spawn(move || read_blocks(&mut chunker, first, &work_tx, &pool_rx, &reader_done));
        for _ in 0..workers {
            let (work_rx, done_tx) = (Arc::clone(&work_rx), done_tx.clone());
            s.spawn(move || parse_worker(&work_rx, &done_tx, layout));
        }
        drop(done_tx);
        // Returning (on success or error) drops `pool_tx` and `done_rx`: the reader stops
        // at its next block, the workers when the reader's queue closes.
        collect(path, layout, done_rx, pool_tx, header_lines, capacity)
    })
}

/// The reader thread: sends numbered blocks until the end of the stream, an error, or
/// until no buffer comes back (the collector stopped).
fn read_blocks(
    chunker: &mut Chunker<Box<dyn Read + Send>>,
    first: Vec<u8>,
    work: &SyncSender<(usize, Vec<u8>)>,
    pool: &Receiver<Vec<u8>>,
    done: &Sender<Done>,
) {
    if work.send((0, first)).is_err() {
        return;
    }
    for seq in 1.. {
        let Ok(mut block) = pool.recv() else { return };
        match chunker.next_block(&mut block) {
            Ok(true) => {
                if work.send((seq, block)).is_err() {
                    return;
                }
            }
            Ok(false) => return,
            Err(error) => {
                let _ = done.send(Done::ReadError { seq, error });
                return;
            }
        }
    }
}

fn parse_worker(work: &Mutex<Receiver<(usize, Vec<u8>)>>, done: &Sender<Done>, layout: &Layout) {
    loop {
        let next = work.lock().map(|rx| rx.recv());
        let Ok(Ok((seq, buffer))) = next else { return };
        let parsed = parse_block(&buffer, layout);
        if done.send(Done::Block { seq, parsed, buffer }).is_err() {
            return;
        }
    }
}

/// The calling thread: takes the parsed blocks in file order and appends their rows.
fn collect(
    path: &Path,
    layout: &Layout,
    done: Receiver<Done>,
    pool: Sender<Vec<u8>>,
    header_lines: u64,
    capacity: usize,
) -> Result<Table, DataError> {
    let width = layout.columns - 1;
    let mut values: Vec<f32> = Vec::with_capacity(capacity);
    let mut ids: Vec<u32> = Vec::new();
    let mut interner = Interner::default();
    let mut waiting = BTreeMap::new();
    let (mut next, mut line) = (0usize, header_lines);
    for message in done {
        let seq = match &message {
            Done::Block { seq, .. } | Done::ReadError { seq, .. } => *seq,
        };
        waiting.insert(seq, message);
        while let Some(message) = waiting.remove(&next) {
            next += 1;
            let (parsed, buffer) = match message {
                Done::ReadError { error, .. } => return Err(stream_error(path, error)),
                Done::Block { parsed, buffer, .. } => (parsed, buffer),
            };
            let parsed = parsed.map_err(|e| {
                let at = match e.column {
                    Some(j) => format!(", line {}, {}", line + e.line, layout.column_name(j)),
                    None => format!(", line {}", line + e.line),
                };
                DataError::invalid_at(path, at, e.problem)
            })?;
            let _ = pool.send(buffer);
            let global: Vec<u32> =
                parsed.texts.iter().map(|t| interner.id(t)).collect::<Option<_>>().ok_or_else(|| {
                    DataError::invalid_at(
                        path,
                        format!(", lines {}–{}, {}", line + 1, line + parsed.lines, layout.column_name(layout.label)),
                        format!(
                            "more than {MAX_CLASSES} distinct labels, more classes than ffn supports; is this the \
                             class column? choose another with --label_column"
                        ),
                    )
                })?;
            values.extend_from_slice(&parsed.values);
            ids.extend(parsed.labels.iter().map(|&l| global[l as usize]));
            line += parsed.lines;
        }
    }
    debug_assert_eq!(values.len(), ids.len() * width);
    values.shrink_to_fit();
    let labels = Labels::Text { ids, texts: interner.into_texts() };
    Ok(Table { layout: layout.clone(), width, values, labels })
}

/// Parses one block of whole records.
fn parse_block(text: &[u8], layout: &Layout) -> Result<Parsed, RowError> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(layout.delimiter).has_headers(false).flexible(true).from_reader(text);
    let mut record = csv::ByteRecord::new();
    let mut values = Vec::with_capacity(text.len() / 4);
    let mut labels = Vec::new();
    let mut texts: Vec<Vec<u8>> = Vec::new();
    let mut ids: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(RowError { line, column: None, problem: format!("unreadable row ({e})") }),
        }
        let line = record.position().map_or(line, csv::Position::line);
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue;
        }
        if record.len() != layout.columns {
            return Err(RowError {
                line,
                column: None,
                problem: format!(
                    "{} fields where the first row has {}; every row needs the same columns",
                    record.len(),
                    layout.columns
                ),
            });
        }
        for (j, cell) in record.iter().enumerate() {
            if j == layout.label {
                let label = cell.trim_ascii();
                if label.is_empty() {
                    return Err(RowError { line, column: Some(j), problem: "the label is empty".into() });
                }
                let id = match ids.get(label) {
                    Some(&id) => id,
                    None => {
                        let id = texts.len() as u32;
                        ids.insert(label.to_vec(), id);
                        texts.push(label.to_vec());
                        id
                    }
                };
                labels.push(id);
                continue;
            }
            match sniff::number(cell) {
                Some(v) if v.is_finite() => values.push(v),
                parsed => return Err(RowError { line, column: Some(j), problem: feature_problem(cell, parsed) }),
            }
        }
    }
    let lines = memchr::memchr_iter(b'\n', text).count() as u64;
    Ok(Parsed { values, labels, texts, lines })
}

fn feature_problem(cell: &[u8], parsed: Option<f32>) -> String {
    let shown: String = String::from_utf8_lossy(cell.trim_ascii()).chars().take(40).collect();
    match parsed {
        _ if cell.trim_ascii().is_empty() => {
            "the cell is empty; features must be numbers (fill or drop rows with missing values)".into()
        }
        Some(v) => format!("'{shown}' is {v}, not a finite number; remove or impute such values"),
        None => format!("'{shown}' is not a number; features must be numeric (encode text columns as numbers)"),
    }
}

#[cfg(test)]
mod tests;
