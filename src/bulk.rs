//! Checking many manifests at once: each is loaded and evaluated on its own, in parallel on every
//! core (rayon), and the results come back in input order, a window at a time, so a run over a
//! million manifests holds a few thousand at most and its output does not depend on the number
//! of threads.
//!
//! [`Checker`] checks one manifest text (the fast loading route, then the full one when needed);
//! [`ordered`] runs any per-item work in parallel and hands the results over in order;
//! [`Stream`] splits a stream of manifests (JSON Lines, or YAML documents separated by `---`)
//! into documents as it is read.

use std::io::BufRead;

use rayon::prelude::*;

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
        ManifestRun {
            name,
            file: Some(file),
            diagnostics: loaded.diagnostics,
            decision,
        }
    }
}

/// Inputs handed to the workers at a time: enough to keep every core busy between two
/// hand-overs, few enough to keep memory flat.
pub const WINDOW: usize = 1024;

/// Runs `work` on every input, in parallel, and hands the results to `sink` in input order.
///
/// Inputs are taken `window` at a time; while the workers process one window, the next is
/// taken from `inputs` and the results of the previous one go to `sink`, so reading, working and
/// writing overlap and at most three windows are alive.
pub fn ordered<I, T, W, S>(mut inputs: I, window: usize, work: W, mut sink: S)
where
    I: Iterator + Send,
    I::Item: Send,
    T: Send,
    W: Fn(I::Item) -> T + Sync,
    S: FnMut(T) + Send,
{
    let window = window.max(1);
    let mut batch: Vec<I::Item> = inputs.by_ref().take(window).collect();
    let mut done: Vec<T> = Vec::new();
    while !batch.is_empty() || !done.is_empty() {
        let (results, (next, ())) = rayon::join(
            || batch.into_par_iter().with_max_len(16).map(&work).collect(),
            || {
                rayon::join(
                    || inputs.by_ref().take(window).collect(),
                    || done.drain(..).for_each(&mut sink),
                )
            },
        );
        batch = next;
        done = results;
    }
}

// ------------------------------------------------------------------ streams

/// The documents of a stream of manifests, as they are read: JSON values one after another
/// (JSON Lines, or pretty-printed values), or YAML documents separated by `---` lines (a `...`
/// line ends a document; documents holding only blank lines and comments are skipped). The kind
/// is decided by the first character that is not white space: `{` or `[` is JSON.
///
/// In a JSON stream, a value ends where its brackets balance; text between values that is not
/// a value (a stray scalar, garbage) makes the rest of the stream one document, which loading
/// then reports with its position. Items are `Err` when the input cannot be read (not UTF-8, an
/// I/O error); the stream ends after one.
pub struct Stream<R> {
    reader: R,
    kind: Option<Kind>,
    /// A line read but not yet consumed.
    line: String,
    line_pos: usize,
    /// Text of the document being gathered.
    doc: String,
    /// Brackets and strings of the JSON value being gathered.
    json: JsonState,
    failed: bool,
    first: bool,
    /// Bytes read so far (for the position of a byte that is not UTF-8).
    offset: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Json,
    Yaml,
    /// JSON that went wrong: everything left is one document.
    Rest,
}

impl<R: BufRead> Stream<R> {
    pub fn new(reader: R) -> Stream<R> {
        Stream {
            reader,
            kind: None,
            line: String::new(),
            line_pos: 0,
            doc: String::new(),
            json: JsonState::default(),
            failed: false,
            first: true,
            offset: 0,
        }
    }

    /// Reads the next line into `self.line`; `false` at the end.
    fn read_line(&mut self) -> Result<bool, String> {
        self.line.clear();
        self.line_pos = 0;
        let mut bytes = Vec::new();
        let n = self
            .reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        if n == 0 {
            return Ok(false);
        }
        let offset = self.offset;
        self.offset += n;
        self.line = String::from_utf8(bytes).map_err(|e| {
            format!(
                "standard input is not UTF-8 text: invalid byte at offset {}",
                offset + e.utf8_error().valid_up_to()
            )
        })?;
        if self.first {
            self.first = false;
            if let Some(rest) = self.line.strip_prefix('\u{feff}') {
                self.line = rest.to_string();
            }
        }
        Ok(true)
    }

    fn next_doc(&mut self) -> Result<Option<String>, String> {
        loop {
            if self.line_pos >= self.line.len() && !self.read_line()? {
                return Ok(self.finish());
            }
            if self.kind.is_none() {
                let rest = self.line[self.line_pos..].trim_start();
                if rest.is_empty() {
                    // Blank lines before the first document still count for its line numbers.
                    self.doc.push_str(&self.line[self.line_pos..]);
                    self.line_pos = self.line.len();
                    continue;
                }
                self.kind = Some(if rest.starts_with(['{', '[']) {
                    Kind::Json
                } else {
                    Kind::Yaml
                });
            }
            let found = match self.kind {
                Some(Kind::Json) => self.json_step(),
                Some(Kind::Yaml) => self.yaml_step(),
                _ => {
                    let rest = &self.line[self.line_pos..];
                    self.doc.push_str(rest);
                    self.line_pos = self.line.len();
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
        let line = &self.line[self.line_pos..];
        let bare = line.trim_end_matches(['\n', '\r']);
        self.line_pos = self.line.len();
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            // `--- {a: 1}`: the document starts on the marker's line.
            let rest = line[3..].to_string();
            let doc = std::mem::replace(&mut self.doc, rest);
            return has_content(&doc).then_some(doc);
        }
        if bare == "..." {
            let doc = std::mem::take(&mut self.doc);
            return has_content(&doc).then_some(doc);
        }
        self.doc.push_str(line);
        None
    }

    /// Scans the current line of a JSON stream; a document when a value closes.
    fn json_step(&mut self) -> Option<String> {
        let bytes = self.line.as_bytes();
        let mut i = self.line_pos;
        let mut st = self.json;
        while i < bytes.len() {
            let b = bytes[i];
            if st.depth == 0 {
                match b {
                    b' ' | b'\t' | b'\r' | b'\n' => {
                        i += 1;
                        continue;
                    }
                    b'{' | b'[' => {}
                    _ => {
                        // Not a value: the rest of the stream is one document.
                        self.kind = Some(Kind::Rest);
                        self.doc.push_str(&self.line[i..]);
                        self.line_pos = self.line.len();
                        return None;
                    }
                }
            }
            st.step(b);
            i += 1;
            if st.depth == 0 {
                self.doc.push_str(&self.line[self.line_pos..i]);
                self.line_pos = i;
                self.json = JsonState::default();
                let doc = std::mem::take(&mut self.doc);
                return Some(doc.trim().to_string());
            }
        }
        self.doc.push_str(&self.line[self.line_pos..]);
        self.line_pos = self.line.len();
        self.json = st;
        None
    }
}

/// Bracket depth and string state while a JSON value is gathered across lines.
#[derive(Clone, Copy, Default)]
struct JsonState {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl JsonState {
    fn step(&mut self, b: u8) {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }
}

/// Whether a YAML document holds anything but blank lines and comments.
fn has_content(doc: &str) -> bool {
    doc.lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

impl<R: BufRead> Iterator for Stream<R> {
    type Item = Result<String, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_doc() {
            Ok(doc) => doc.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
