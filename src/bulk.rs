//! Checking many manifests at once: each is loaded and evaluated on its own, in parallel on every
//! core (rayon), and the results come back in input order, a window at a time, so a run over a
//! million manifests holds a few thousand at most and its output does not depend on the number
//! of threads.
//!
//! [`Checker`] checks one manifest text (the fast loading route, then the full one when needed);
//! [`ordered`] runs any per-item work in parallel and hands the results over in order;
//! [`Stream`] splits a stream of manifests (JSON Lines, or YAML documents separated by `---`)
//! into documents as it is read.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use crate::check::ir::Program;
use crate::eval;
use crate::manifest;
use crate::report::ManifestRun;
use crate::source::{FileId, Sources};

/// Checks manifests against one compiled policy set.
#[derive(Clone, Copy)]
pub struct Checker<'a> {
    pub program: &'a Program,
    /// The policy files (evaluation quotes them in messages).
    pub sources: &'a Sources,
    pub options: eval::Options,
}

impl Checker<'_> {
    /// Loads and evaluates `text`, whose spans will refer to `file` (the id the caller gives the
    /// text in the `Sources` it renders with).
    pub fn check(&self, name: String, file: FileId, text: &str) -> ManifestRun {
        let loaded = manifest::load_fast(file, text, &self.program.schema);
        let decision = loaded
            .manifest
            .as_ref()
            .map(|m| eval::evaluate(self.program, m, self.sources, self.options));
        let commit = loaded
            .manifest
            .as_ref()
            .and_then(|m| crate::evidence::commit_of(&self.program.schema, m));
        ManifestRun {
            name,
            file: Some(file),
            digest: Some(crate::evidence::digest::Digest::of(text.as_bytes())),
            commit,
            diagnostics: loaded.diagnostics,
            decision,
        }
    }
}

/// Threads of rayon's global pool that [`ordered`] puts to work beside the calling thread; 0
/// until [`start_workers`] starts them, and then the calling thread does everything.
static HELPERS: AtomicUsize = AtomicUsize::new(0);

/// Starts the threads [`ordered`] works with: `workers` in all (default: one per core), the
/// calling thread being one of them, so rayon's global pool gets one fewer. None sits idle: an
/// idle rayon thread spins (yielding the core, at a few tens of microseconds a yield on this
/// virtual machine) before it sleeps, measured at ~4 ms of a core at the start of a run.
pub fn start_workers(workers: Option<usize>, stack_size: usize) -> Result<(), String> {
    let workers = workers
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if workers <= 1 {
        return Ok(());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers - 1)
        .stack_size(stack_size)
        .build_global()
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    HELPERS.store(workers - 1, Ordering::Relaxed);
    Ok(())
}

/// How far ahead of the oldest unfinished input the workers may run: enough to keep every core
/// busy while one input is slow, few enough to keep memory flat.
pub const WINDOW: usize = 512;

/// Runs `work` on every input, in parallel, and hands the results to `sink` in input order.
///
/// The calling thread and one task per other thread of rayon's pool take inputs a chunk at a
/// time from `inputs` (shared) and work on them. The calling thread also puts the results back
/// in order and gives them to `sink` as soon as every earlier one is done, between chunks of its
/// own. Nobody runs more than `window` inputs ahead of the oldest one not handed over yet, so at
/// most about `window` inputs and results are alive. `init` makes scratch state that each
/// thread reuses for all its inputs.
pub fn ordered<I, S, T, N, W, K>(inputs: I, window: usize, init: N, work: W, mut sink: K)
where
    I: Iterator + Send,
    I::Item: Send,
    T: Send,
    N: Fn() -> S + Sync,
    W: Fn(&mut S, I::Item) -> T + Sync,
    K: FnMut(T),
{
    let window = window.max(CHUNK);
    let source = Mutex::new(Source {
        next: 0,
        inputs,
        done: false,
    });
    // One worker, or a few inputs (one manifest in CI): no other thread is worth waking.
    let first = take(&source);
    let helpers = HELPERS.load(Ordering::Relaxed);
    if helpers == 0 || source.lock().map_or(true, |s| s.done) {
        let mut state = init();
        let mut chunk = first;
        while let Some((_, items)) = chunk {
            for x in items {
                sink(work(&mut state, x));
            }
            chunk = take(&source);
        }
        return;
    }
    // The index of the next result `sink` takes; workers wait rather than pass it + window.
    let handed = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, Vec<T>)>();
    rayon::in_place_scope(|scope| {
        for _ in 0..helpers {
            let tx = tx.clone();
            let (source, handed, init, work) = (&source, &handed, &init, &work);
            scope.spawn(move |_| {
                let mut state = init();
                while let Some((first, items)) = take(source) {
                    let results: Vec<T> = items.into_iter().map(|x| work(&mut state, x)).collect();
                    let (lock, turn) = handed;
                    let mut at = lock.lock().unwrap_or_else(|e| e.into_inner());
                    while first >= *at + window {
                        at = turn.wait(at).unwrap_or_else(|e| e.into_inner());
                    }
                    drop(at);
                    if tx.send((first, results)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut state = init();
        // Chunks waiting for an earlier one, by first index; the first chunk is this thread's.
        let mut waiting: BTreeMap<usize, Vec<T>> = BTreeMap::new();
        if let Some((at, items)) = first {
            let results: Vec<T> = items.into_iter().map(|x| work(&mut state, x)).collect();
            waiting.insert(at, results);
        }
        let mut next = 0usize;
        let mut flush = |waiting: &mut BTreeMap<usize, Vec<T>>, next: &mut usize| {
            let before = *next;
            while let Some(results) = waiting.remove(next) {
                *next += results.len();
                results.into_iter().for_each(&mut sink);
            }
            if *next != before {
                let (lock, turn) = &handed;
                *lock.lock().unwrap_or_else(|e| e.into_inner()) = *next;
                turn.notify_all();
            }
        };
        loop {
            while let Ok((first, results)) = rx.try_recv() {
                waiting.insert(first, results);
            }
            flush(&mut waiting, &mut next);
            let ahead = source
                .lock()
                .map_or(true, |s| s.done || s.next >= next + window);
            if ahead {
                // Nothing to take (or too far ahead): wait for the others' results.
                match rx.recv() {
                    Ok((first, results)) => {
                        waiting.insert(first, results);
                    }
                    Err(_) => break,
                }
                continue;
            }
            if let Some((first, items)) = take(&source) {
                let results: Vec<T> = items.into_iter().map(|x| work(&mut state, x)).collect();
                waiting.insert(first, results);
            }
        }
        flush(&mut waiting, &mut next);
    });
}

/// Inputs a thread takes at a time.
pub const CHUNK: usize = 16;

/// The shared input, numbered.
struct Source<I> {
    next: usize,
    inputs: I,
    done: bool,
}

/// The next chunk of inputs and the index of its first; `None` at the end.
fn take<I: Iterator>(source: &Mutex<Source<I>>) -> Option<(usize, Vec<I::Item>)> {
    let mut s = source.lock().ok()?;
    if s.done {
        return None;
    }
    let items: Vec<I::Item> = s.inputs.by_ref().take(CHUNK).collect();
    if items.len() < CHUNK {
        s.done = true;
    }
    let first = s.next;
    s.next += items.len();
    (!items.is_empty()).then_some((first, items))
}

// ------------------------------------------------------------------ streams

/// The documents of a stream of manifests, as they are read: JSON values one after another
/// (JSON Lines, or pretty-printed values), or YAML documents separated by `---` lines (a `...`
/// line ends a document; documents holding only blank lines and comments are skipped). The kind
/// is decided by the first character that is not white space: `{` or `[` is JSON.
///
/// In a JSON stream, a value ends where its brackets balance (on its line in JSON Lines, across
/// lines when pretty-printed); text between values that is not
/// a value (a stray scalar, garbage) makes the rest of the stream one document, which loading
/// then reports with its position. Items are `Err` when the input cannot be read (not UTF-8, an
/// I/O error); the stream ends after one.
pub struct Stream<R> {
    reader: R,
    kind: Option<Kind>,
    /// The line being read (reused), and how much of it is consumed.
    line: String,
    pos: usize,
    /// Text of the document being gathered (when it spans lines).
    doc: String,
    /// Brackets and strings of the JSON value being gathered.
    json: JsonState,
    failed: bool,
    /// Lines read so far (for the position of a byte that is not UTF-8).
    lines: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Json,
    Yaml,
    /// JSON that went wrong: everything left is one document.
    Rest,
}

/// Why a stream stopped early; [`StreamError::message`] says it about a named source.
#[derive(Debug)]
pub enum StreamError {
    Read(std::io::Error),
    /// A byte that is not UTF-8, at this line and column (in bytes, from 1).
    NotUtf8 {
        line: usize,
        column: usize,
    },
}

impl StreamError {
    /// The message, about `source` ("standard input", "`history.jsonl`").
    pub fn message(&self, source: &str) -> String {
        match self {
            StreamError::Read(e) => format!("cannot read {source}: {e}"),
            StreamError::NotUtf8 { line, column } => {
                format!("{source} is not UTF-8 text: invalid byte at line {line}, column {column}")
            }
        }
    }
}

impl<R: BufRead> Stream<R> {
    pub fn new(reader: R) -> Stream<R> {
        Stream {
            reader,
            kind: None,
            line: String::new(),
            pos: 0,
            doc: String::new(),
            json: JsonState::default(),
            failed: false,
            lines: 0,
        }
    }

    /// Reads the next line into `self.line`; `false` at the end.
    fn read_line(&mut self) -> Result<bool, StreamError> {
        // The buffer is checked as UTF-8 once, where it becomes the line again.
        let mut bytes = std::mem::take(&mut self.line).into_bytes();
        bytes.clear();
        self.pos = 0;
        // What `read_until` does, with the memchr crate's search for the line end (SIMD):
        // std's byte search was a tenth of the serial reader's time.
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StreamError::Read(e)),
            };
            let (taken, ended) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), buf.is_empty()),
            };
            bytes.extend_from_slice(&buf[..taken]);
            self.reader.consume(taken);
            if ended {
                break;
            }
        }
        if bytes.is_empty() {
            return Ok(false);
        }
        self.lines += 1;
        self.line = String::from_utf8(bytes).map_err(|e| StreamError::NotUtf8 {
            line: self.lines,
            column: e.utf8_error().valid_up_to() + 1,
        })?;
        if self.lines == 1 && self.line.starts_with('\u{feff}') {
            self.pos = 3;
        }
        Ok(true)
    }

    fn next_doc(&mut self) -> Result<Option<String>, StreamError> {
        loop {
            if self.pos >= self.line.len() && !self.read_line()? {
                return Ok(self.finish());
            }
            let kind = match self.kind {
                Some(k) => k,
                None => {
                    let rest = &self.line[self.pos..];
                    if rest.trim().is_empty() {
                        // Blank lines before the first document still count for its lines.
                        self.doc.push_str(rest);
                        self.pos = self.line.len();
                        continue;
                    }
                    let k = if rest.trim_start().starts_with(['{', '[']) {
                        Kind::Json
                    } else {
                        Kind::Yaml
                    };
                    self.kind = Some(k);
                    k
                }
            };
            let found = match kind {
                Kind::Json => self.json_step(),
                Kind::Yaml => self.yaml_step(),
                Kind::Rest => {
                    self.doc.push_str(&self.line[self.pos..]);
                    self.pos = self.line.len();
                    None
                }
            };
            if found.is_some() {
                return Ok(found);
            }
        }
    }

    /// At the end of the input: what is left, if it holds anything.
    fn finish(&mut self) -> Option<String> {
        let doc = std::mem::take(&mut self.doc);
        match self.kind {
            Some(Kind::Yaml) => has_content(&doc).then_some(doc),
            _ => {
                let t = doc.trim();
                (!t.is_empty()).then(|| t.to_string())
            }
        }
    }

    /// One line of a YAML stream; a document when a marker ends one.
    fn yaml_step(&mut self) -> Option<String> {
        let line = &self.line[self.pos..];
        self.pos = self.line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            // `--- {a: 1}`: the document starts on the marker's line.
            let doc = std::mem::replace(&mut self.doc, line[3..].to_string());
            return has_content(&doc).then_some(doc);
        }
        if bare == "..." {
            let doc = std::mem::take(&mut self.doc);
            return has_content(&doc).then_some(doc);
        }
        self.doc.push_str(line);
        None
    }

    /// Scans the rest of the line in a JSON stream; a document when a value closes.
    fn json_step(&mut self) -> Option<String> {
        let start = self.pos;
        // A line that starts with `{` while a value is still open: that value was broken (JSON
        // Lines puts one value per line). It ends here, is reported, and the stream goes on.
        if self.json.depth > 0 && start == 0 && self.line.starts_with('{') {
            self.json = JsonState::default();
            let doc = std::mem::take(&mut self.doc);
            return Some(doc.trim().to_string());
        }
        if self.json.depth == 0 {
            // Between values: white space, then `{` or `[`, else the rest is one document.
            let skip = self.line.as_bytes()[start..]
                .iter()
                .position(|b| !b.is_ascii_whitespace());
            let Some(skip) = skip else {
                self.pos = self.line.len();
                return None;
            };
            if !matches!(self.line.as_bytes()[start + skip], b'{' | b'[') {
                self.kind = Some(Kind::Rest);
                self.doc.push_str(&self.line[start..]);
                self.pos = self.line.len();
                return None;
            }
        }
        match self.json.scan(self.line.as_bytes(), start) {
            Some(end) => {
                self.pos = end;
                let value = &self.line[start..end];
                if self.doc.trim().is_empty() {
                    self.doc.clear();
                    Some(value.trim().to_string())
                } else {
                    self.doc.push_str(value);
                    let doc = std::mem::take(&mut self.doc);
                    Some(doc.trim().to_string())
                }
            }
            None => {
                self.doc.push_str(&self.line[start..]);
                self.pos = self.line.len();
                None
            }
        }
    }
}

/// Bracket depth and string state while a JSON value is gathered across lines.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct JsonState {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl JsonState {
    /// Follows `b` from `start`; the index just after the value when it closes on this line.
    ///
    /// This runs serially over every byte of a JSON stream, so it goes 64 bytes at a time:
    /// [`Block`] marks the block's quotes, backslashes and brackets as bit masks, a prefix XOR
    /// of the quotes tells which bytes are inside strings, and only the brackets outside them
    /// are followed one by one. A block that holds a backslash, or starts right after one, is
    /// followed byte by byte ([`JsonState::scan_bytes`]), which gives the same answers.
    fn scan(&mut self, b: &[u8], start: usize) -> Option<usize> {
        let mut i = start;
        while i < b.len() {
            let end = b.len().min(i + 64);
            let mut bytes = [0u8; 64];
            match b.get(i..i + 64) {
                Some(full) => bytes.copy_from_slice(full),
                // The last bytes of the line: the rest of the block is none of the classes.
                None => bytes[..end - i].copy_from_slice(&b[i..end]),
            }
            let block = Block::of(bytes);
            if self.escaped || block.backslashes != 0 {
                if let Some(found) = self.scan_bytes(&b[..end], i) {
                    return Some(found);
                }
            } else if let Some(found) = self.follow(&block) {
                return Some(i + found);
            }
            i = end;
        }
        None
    }

    /// One block without backslashes, from this state; the index just after the bracket that
    /// closes the value, if one does.
    fn follow(&mut self, block: &Block) -> Option<usize> {
        // Bit i: whether an odd number of quotes comes at or before byte i, that is, whether
        // byte i is inside a string (an opening quote counts as inside, a closing one not).
        let mut inside = block.quotes;
        for shift in [1, 2, 4, 8, 16, 32] {
            inside ^= inside << shift;
        }
        if self.in_string {
            inside = !inside;
        }
        self.in_string = inside >> 63 == 1;
        let (opens, closes) = (block.opens & !inside, block.closes & !inside);
        let mut brackets = opens | closes;
        while brackets != 0 {
            let at = brackets.trailing_zeros();
            if opens >> at & 1 == 1 {
                self.depth += 1;
            } else {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.in_string = false;
                    return Some(at as usize + 1);
                }
            }
            brackets &= brackets - 1;
        }
        None
    }

    /// [`JsonState::scan`] a byte at a time (for the rare block with a backslash).
    fn scan_bytes(&mut self, b: &[u8], start: usize) -> Option<usize> {
        for (i, &c) in b.iter().enumerate().skip(start) {
            if self.escaped {
                self.escaped = false;
            } else if self.in_string {
                match c {
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }
}

/// The bytes of a 64-byte block that the splitter cares about, as bit masks (bit i for byte i).
struct Block {
    quotes: u64,
    backslashes: u64,
    /// `{` and `[`.
    opens: u64,
    /// `}` and `]`.
    closes: u64,
}

impl Block {
    /// The masks of 64 bytes, with one compare per class over the whole block (SIMD where the
    /// processor has it, through `wide`).
    fn of(bytes: [u8; 64]) -> Block {
        use wide::u8x64;
        let v = u8x64::new(bytes);
        // `{` and `[` differ only in 0x20, as do `}` and `]`.
        let folded = v | u8x64::splat(0x20);
        let mask = |v: u8x64, c: u8| v.simd_eq(u8x64::splat(c)).to_bitmask();
        Block {
            quotes: mask(v, b'"'),
            backslashes: mask(v, b'\\'),
            opens: mask(folded, b'{'),
            closes: mask(folded, b'}'),
        }
    }
}

/// Whether a YAML document holds anything but blank lines and comments.
fn has_content(doc: &str) -> bool {
    doc.lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

impl<R: BufRead> Iterator for Stream<R> {
    type Item = Result<String, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_doc() {
            Ok(doc) => doc.map(Ok),
            // In JSON Lines, a line that is not UTF-8 is that document's problem: what was
            // gathered is dropped and the stream goes on at the next line. (A YAML document has
            // no such boundary in sight, so there the stream ends.)
            Err(e @ StreamError::NotUtf8 { .. })
                if matches!(self.kind, None | Some(Kind::Json)) =>
            {
                self.doc.clear();
                self.json = JsonState::default();
                Some(Err(e))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stream;

    /// Results come back in input order, each once, however unevenly the work is spread.
    #[test]
    fn ordered_keeps_input_order() {
        // Four workers (whatever the machine has): the calling thread and three in the pool.
        super::start_workers(Some(4), 2 << 20).expect("the pool starts");
        assert_eq!(super::HELPERS.load(super::Ordering::Relaxed), 3);
        for window in [1, 16, 100, 512] {
            let mut seen = Vec::new();
            super::ordered(
                0..5_000u64,
                window,
                || 0u64,
                |calls: &mut u64, i: u64| {
                    *calls += 1;
                    // Uneven work: every seventh input takes much longer.
                    let spins = if i.is_multiple_of(7) { 20_000 } else { 10 };
                    std::hint::black_box((0..spins).fold(i, |a, k| a ^ k));
                    i
                },
                |i| seen.push(i),
            );
            assert_eq!(seen, (0..5_000).collect::<Vec<u64>>(), "window {window}");
        }
    }

    /// The documents of `text`, which come out the same when it is read a few bytes at a time
    /// (lines then span the reader's buffer).
    fn docs(text: &str) -> Vec<String> {
        let whole: Vec<String> = Stream::new(text.as_bytes())
            .map(|d| d.expect("UTF-8 text"))
            .collect();
        let small = std::io::BufReader::with_capacity(3, text.as_bytes());
        let pieces: Vec<String> = Stream::new(small).map(|d| d.expect("UTF-8 text")).collect();
        assert_eq!(whole, pieces, "read 3 bytes at a time: {text:?}");
        whole
    }

    #[test]
    fn streams_split_into_documents() {
        let cases: [(&str, &[&str]); 15] = [
            ("", &[]),
            ("\n\n", &[]),
            ("{\"a\": 1}\n{\"a\": 2}\n", &["{\"a\": 1}", "{\"a\": 2}"]),
            ("{\"a\": 1}\n\n  {\"a\": 2}", &["{\"a\": 1}", "{\"a\": 2}"]),
            (
                "{\"a\": 1} {\"b\": [1, {\"c\": \"}\"}]}\n",
                &["{\"a\": 1}", "{\"b\": [1, {\"c\": \"}\"}]}"],
            ),
            (
                "{\"a\": 1} {\"b\": \n 2}\n",
                &["{\"a\": 1}", "{\"b\": \n 2}"],
            ),
            (
                "{\"id\": \"x\", \"l\": [\"a\"]\n}\n{\"id\": \"\\\\\\\"}\"}\n",
                &[
                    "{\"id\": \"x\", \"l\": [\"a\"]\n}",
                    "{\"id\": \"\\\\\\\"}\"}",
                ],
            ),
            (
                "{\n  \"a\": \"x\\\"y\",\n  \"b\": [\n    1\n  ]\n}\n{\"c\": 3}\n",
                &[
                    "{\n  \"a\": \"x\\\"y\",\n  \"b\": [\n    1\n  ]\n}",
                    "{\"c\": 3}",
                ],
            ),
            ("\u{feff}{\"a\": \"é\"}\n", &["{\"a\": \"é\"}"]),
            ("[1, 2]\n[3]\n", &["[1, 2]", "[3]"]),
            ("id: a\n---\nid: b\n", &["id: a\n", "\nid: b\n"]),
            (
                "# lead\n---\nid: a\n...\n# only a comment\n---\nid: b\n--- {id: c}\n",
                &["\nid: a\n", "\nid: b\n", " {id: c}\n"],
            ),
            ("\n\nid: a\nx: 1\n", &["\n\nid: a\nx: 1\n"]),
            ("---\n---\n", &[]),
            ("id: a\r\n---\r\nid: b\r\n", &["id: a\r\n", "\r\nid: b\r\n"]),
        ];
        for (text, want) in cases {
            assert_eq!(docs(text), want, "on {text:?}");
        }
    }

    /// The SIMD masks of a block hold exactly the bytes of each class, wherever they are.
    #[test]
    fn block_masks_mark_each_class_exactly() {
        for c in 0..=255u8 {
            for at in [0, 1, 15, 16, 31, 32, 47, 48, 62, 63] {
                let mut bytes = [b'a'; 64];
                bytes[at] = c;
                let block = super::Block::of(bytes);
                let bit = |yes: bool| u64::from(yes) << at;
                assert_eq!(block.quotes, bit(c == b'"'), "{c:#x} at {at}");
                assert_eq!(block.backslashes, bit(c == b'\\'), "{c:#x} at {at}");
                assert_eq!(block.opens, bit(c == b'{' || c == b'['), "{c:#x} at {at}");
                assert_eq!(block.closes, bit(c == b'}' || c == b']'), "{c:#x} at {at}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Following a line 64 bytes at a time ends the value where following it byte by byte
        /// does, and leaves the same state, from any state: brackets in and out of strings,
        /// escapes (also across a block's end), lines of any length.
        #[test]
        fn block_scan_agrees_with_byte_scan(
            line in proptest::collection::vec(proptest::prop_oneof![
                // Backslashes are rare, so that many blocks go the SIMD route.
                40 => proptest::sample::select(b"{}[]\"a ".to_vec()),
                1 => proptest::strategy::Just(b'\\'),
            ], 0..300),
            depth in 0usize..4,
            in_string: bool,
            escaped: bool,
            start in 0usize..8,
        ) {
            let state = super::JsonState { depth, in_string, escaped: escaped && in_string };
            let start = start.min(line.len());
            let (mut blocks, mut bytes) = (state, state);
            let found = blocks.scan(&line, start);
            proptest::prop_assert_eq!(found, bytes.scan_bytes(&line, start));
            proptest::prop_assert_eq!(blocks, bytes);
        }
    }

    #[test]
    fn stray_text_in_json_makes_the_rest_one_document() {
        assert_eq!(
            docs("{\"a\": 1}\n42\n{\"b\": 2}\n"),
            ["{\"a\": 1}", "42\n{\"b\": 2}"]
        );
    }

    #[test]
    fn a_json_line_that_is_not_utf8_is_that_documents_problem() {
        let bytes: &[u8] = b"{\"a\": 1}\n{\"b\": \"\xff\"}\n{\"c\": 3}\n";
        let docs: Vec<Result<String, super::StreamError>> = Stream::new(bytes).collect();
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[1].as_ref().map_err(|e| e.message("standard input")),
            Err("standard input is not UTF-8 text: invalid byte at line 2, column 8".to_string())
        );
        assert_eq!(docs[2].as_deref().ok(), Some("{\"c\": 3}"));
        // The first line too, before the stream knows it is JSON.
        let docs: Vec<_> = Stream::new(&b"\xff\n{\"c\": 3}\n"[..]).collect();
        assert_eq!(docs.len(), 2);
        assert!(docs[0].is_err() && docs[1].is_ok());
        // A YAML stream has no line boundary between documents in sight: it ends there.
        let docs: Vec<_> = Stream::new(&b"a: 1\n---\nb: \xff\n---\nc: 3\n"[..]).collect();
        assert_eq!(docs.len(), 2);
        assert!(docs[1].is_err());
    }
}
