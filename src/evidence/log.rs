//! The decision log: an append-only file of decision records and signed checkpoints over them,
//! an RFC 9162 Merkle tree whose leaves are the records. Lines in, findings out: `cli::log` opens,
//! locks and syncs the file; this module reads lines from any `BufRead` and writes bytes.
//!
//! The file (README.md, "Decision log", is the specification):
//!
//! ```text
//! charter-log 1 <origin>\n                                     the first line
//! <entry> <base64 leaf hash> <record>\n                        one per decision record
//! checkpoint <base64 signed note> [<base64 frontier hash>...]\n    after each run
//! ```
//!
//! Entries are numbered from 0 (the RFC 9162 leaf index); the leaf is the record's bytes (the
//! JSON Lines object, without the newline), its hash `SHA-256(0x00 || record)`. A checkpoint is
//! a C2SP signed note (`note.rs`) of the tree over every entry before it; the frontier hashes
//! after it (the roots of the tree's perfect subtrees, largest first) let the next run append
//! without reading the entries, and locate a change when the entry lines were rewritten.
//!
//! Only a file that ends without a newline has a torn last line (a run killed while writing):
//! every other departure from this shape is reported as tampering or as a corrupt line.

use std::io::BufRead;
use std::ops::Range;

use super::key::{PrivateKey, PublicKey};
use super::merkle::{Frontier, Hash, leaf_hash};
use super::note::{self, Checkpoint, SignatureError, decode_hash, encode_hash};

/// The first line's start; the version follows the name.
pub const MAGIC: &str = "charter-log 1";

/// The first line of a new log.
pub fn header(origin: &str) -> String {
    format!("{MAGIC} {origin}\n")
}

/// Appends the line of entry `index` to `out`. The record must be one line (a JSON Lines
/// object); its trailing newline, if any, is not part of it.
pub fn write_entry(out: &mut Vec<u8>, index: u64, leaf: &Hash, record: &[u8]) {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    debug_assert!(!record.contains(&b'\n'));
    out.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
    out.push(b' ');
    out.extend_from_slice(encode_hash(leaf).as_bytes());
    out.push(b' ');
    out.extend_from_slice(record);
    out.push(b'\n');
}

/// The line of a checkpoint: the signed note of the tree `frontier`, and its frontier.
pub fn checkpoint_line(
    origin: &str,
    frontier: &Frontier,
    key: &PrivateKey,
) -> (Checkpoint, String) {
    let checkpoint = Checkpoint {
        origin: origin.to_string(),
        size: frontier.size(),
        root: frontier.root(),
    };
    let signed = note::sign(&checkpoint.text(), origin, key);
    let mut line = format!("checkpoint {}", base64_text(signed.as_bytes()));
    for node in frontier.nodes() {
        line.push(' ');
        line.push_str(&encode_hash(node));
    }
    line.push('\n');
    (checkpoint, line)
}

fn base64_text(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One line of a log, parsed.
#[derive(Debug)]
pub enum Line<'a> {
    Header {
        origin: &'a str,
    },
    Entry {
        index: u64,
        leaf: Hash,
        record: &'a [u8],
    },
    Checkpoint(Box<CheckpointLine>),
}

/// A checkpoint line: the signed note (its text, not yet verified) and the frontier after it.
#[derive(Clone, Debug)]
pub struct CheckpointLine {
    /// The signed note as written (origin, size, root, blank line, signatures).
    pub signed: String,
    pub note: note::Note,
    pub checkpoint: Checkpoint,
    pub frontier: Vec<Hash>,
}

/// What a line that is not one of a log's lines looks like, to say what it is.
#[derive(Debug, PartialEq, Eq)]
pub enum BadLine {
    /// A record without its entry number and hash (a JSON object): a line added by hand.
    BareRecord,
    /// A checkpoint line whose note cannot be read.
    Checkpoint(String),
    /// Anything else.
    Other(String),
}

/// Parses one line (without its newline).
pub fn parse_line(line: &[u8]) -> Result<Line<'_>, BadLine> {
    if let Some(rest) = line.strip_prefix(MAGIC.as_bytes()) {
        let origin = rest
            .strip_prefix(b" ")
            .and_then(|o| std::str::from_utf8(o).ok())
            .filter(|o| note::valid_name(o))
            .ok_or_else(|| BadLine::Other("the first line names no valid origin".into()))?;
        return Ok(Line::Header { origin });
    }
    if let Some(rest) = line.strip_prefix(b"checkpoint ") {
        return checkpoint(rest)
            .map(|c| Line::Checkpoint(Box::new(c)))
            .map_err(BadLine::Checkpoint);
    }
    if line.first() == Some(&b'{') {
        return Err(BadLine::BareRecord);
    }
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(index), Some(hash), Some(record)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(BadLine::Other(
            "not an entry (`<number> <hash> <record>`) nor a checkpoint".into(),
        ));
    };
    let index = std::str::from_utf8(index)
        .ok()
        .filter(|i| i.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|i| i.parse().ok())
        .ok_or_else(|| BadLine::Other("an entry line starts with its number".into()))?;
    let leaf = std::str::from_utf8(hash)
        .ok()
        .and_then(decode_hash)
        .ok_or_else(|| BadLine::Other("an entry's hash is 32 bytes in base64".into()))?;
    Ok(Line::Entry {
        index,
        leaf,
        record,
    })
}

fn checkpoint(rest: &[u8]) -> Result<CheckpointLine, String> {
    use base64::Engine;
    let mut parts = rest.split(|&b| b == b' ');
    let signed = parts
        .next()
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("its note is not base64 of text")?;
    let note = note::parse(&signed)?;
    let checkpoint = Checkpoint::parse(&note.text)?;
    let frontier = parts
        .map(|h| std::str::from_utf8(h).ok().and_then(decode_hash))
        .collect::<Option<Vec<Hash>>>()
        .ok_or("its frontier hashes are not 32 bytes in base64")?;
    Ok(CheckpointLine {
        signed,
        note,
        checkpoint,
        frontier,
    })
}

/// How bad a finding is: what `charter log verify` exits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The log is not what was written (tampered), or not finished (torn, unsigned entries):
    /// exit 1.
    Failed,
    /// The log cannot be checked: not a log, a corrupt line, a key that signed nothing: exit 2.
    BadInput,
}

/// The first problem found in a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub kind: Kind,
    /// The line (from 1), when known.
    pub line: Option<u64>,
    /// The first entry affected, when one can be named.
    pub entry: Option<u64>,
    pub message: String,
}

/// What kind of problem a [`Finding`] is (tests and tools match on it; people read the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    NotALog,
    Corrupt,
    WrongKey,
    Modified,
    Deleted,
    Inserted,
    Reordered,
    BadCheckpoint,
    Truncated,
    Torn,
    Unsigned,
}

impl Finding {
    fn new(kind: Kind, line: Option<u64>, entry: Option<u64>, message: String) -> Finding {
        let severity = match kind {
            Kind::NotALog | Kind::Corrupt | Kind::WrongKey => Severity::BadInput,
            _ => Severity::Failed,
        };
        Finding {
            severity,
            kind,
            line,
            entry,
            message,
        }
    }
}

/// Reads lines one at a time, with their number and whether they ended with a newline.
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    number: u64,
    offset: u64,
}

impl<R: BufRead> Lines<R> {
    /// `first_line`: the number of the first line read (from 1), when known; `offset`: its
    /// byte offset in the file.
    pub fn new(reader: R, first_line: u64, offset: u64) -> Lines<R> {
        Lines {
            reader,
            buf: Vec::new(),
            number: first_line.saturating_sub(1),
            offset,
        }
    }

    /// The next line without its newline, whether it had one, and where it starts; `None` at
    /// the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<(&[u8], bool, u64)>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        let start = self.offset;
        self.offset += n as u64;
        self.number += 1;
        let complete = self.buf.last() == Some(&b'\n');
        if complete {
            self.buf.pop();
        }
        Ok(Some((&self.buf, complete, start)))
    }

    pub fn number(&self) -> u64 {
        self.number
    }
}

/// What a log verified to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub origin: String,
    pub entries: u64,
    pub checkpoints: u64,
    /// The last checkpoint (its note as written), if any.
    pub latest: Option<(Checkpoint, String)>,
}

/// Checks a whole log: the first line, every entry (number in sequence, record matching its
/// hash), every checkpoint (signed by `key` under the log's origin, over exactly the entries
/// before it), that every entry is under a checkpoint, that the file does not end in a torn
/// line, and, with `saved` (a checkpoint kept elsewhere, already verified), that the log still
/// holds the tree it signed. Stops at the first problem.
pub fn verify<R: BufRead>(
    reader: R,
    key: &PublicKey,
    saved: Option<&Checkpoint>,
) -> Result<Summary, Finding> {
    let mut lines = Lines::new(reader, 1, 0);
    let io = |e: std::io::Error, line| {
        Finding::new(
            Kind::Corrupt,
            line,
            None,
            format!("cannot read the log: {e}"),
        )
    };
    let origin = match lines.next_line().map_err(|e| io(e, Some(1)))? {
        Some((line, true, _)) => match parse_line(line) {
            Ok(Line::Header { origin }) => origin.to_string(),
            _ => return Err(not_a_log()),
        },
        _ => return Err(not_a_log()),
    };
    let mut state = State::new(origin, Frontier::new());
    let check_saved = |state: &State, line: u64| -> Result<(), Finding> {
        match saved {
            Some(saved) if saved.size == state.frontier.size() => {
                if saved.origin != state.origin {
                    return Err(Finding::new(
                        Kind::BadCheckpoint,
                        None,
                        None,
                        format!(
                            "the saved checkpoint is of the log `{}`, this log is `{}`",
                            saved.origin, state.origin
                        ),
                    ));
                }
                if saved.root != state.frontier.root() {
                    return Err(Finding::new(
                        Kind::Modified,
                        Some(line),
                        None,
                        format!(
                            "the first {} entries do not match the saved checkpoint: entries before line {line} were changed since it was signed",
                            saved.size
                        ),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    };
    check_saved(&state, 1)?;
    loop {
        let at = lines.number() + 1;
        let Some((line, complete, _)) = lines.next_line().map_err(|e| io(e, Some(at)))? else {
            break;
        };
        if !complete {
            return Err(torn(&state, Some(at), line));
        }
        match parse_line(line) {
            Ok(Line::Entry {
                index,
                leaf,
                record,
            }) => {
                if let Err(mut finding) = state.entry(index, &leaf, record, Some(at)) {
                    if finding.kind == Kind::Deleted {
                        reordered(&mut finding, &mut lines, state.frontier.size(), index);
                    }
                    return Err(finding);
                }
                check_saved(&state, at + 1)?;
            }
            Ok(Line::Checkpoint(c)) => state.checkpoint(&c, key, Some(at))?,
            Ok(Line::Header { .. }) => {
                return Err(Finding::new(
                    Kind::Inserted,
                    Some(at),
                    Some(state.frontier.size()),
                    "a second first line: another log was pasted in here".into(),
                ));
            }
            Err(bad) => return Err(bad_line(bad, &state, Some(at))),
        }
    }
    let entries = state.frontier.size();
    if let Some(saved) = saved
        && saved.size > entries
    {
        return Err(Finding::new(
            Kind::Truncated,
            None,
            Some(entries),
            format!(
                "the log has {entries} entries but the saved checkpoint signed {}: entries {entries} to {} were cut off the end",
                saved.size,
                saved.size - 1
            ),
        ));
    }
    if state.signed < entries {
        let (from, line) = (state.signed, state.first_unsigned_line);
        return Err(Finding::new(
            Kind::Unsigned,
            line,
            Some(from),
            format!(
                "entries {from} to {} are under no checkpoint: the run that wrote them ended before signing one (the next `charter check --log` signs them), or they were added by hand",
                entries - 1
            ),
        ));
    }
    Ok(Summary {
        origin: state.origin,
        entries,
        checkpoints: state.checkpoints,
        latest: state.latest,
    })
}

/// How far `verify` looks past a missing entry for it, to tell reordered entries from deleted
/// ones.
const REORDER_LOOKAHEAD: usize = 1024;

/// A missing entry found a little further down was moved, not deleted.
fn reordered<R: BufRead>(finding: &mut Finding, lines: &mut Lines<R>, missing: u64, found: u64) {
    for _ in 0..REORDER_LOOKAHEAD {
        let Ok(Some((line, _, _))) = lines.next_line() else {
            return;
        };
        if let Ok(Line::Entry { index, .. }) = parse_line(line)
            && index == missing
        {
            finding.kind = Kind::Reordered;
            finding.message = format!(
                "entry {missing} is out of place: entry {found} comes before it, and it is at line {}: the entries were reordered",
                lines.number()
            );
            return;
        }
    }
}

fn not_a_log() -> Finding {
    Finding::new(
        Kind::NotALog,
        Some(1),
        None,
        format!(
            "not a Charter decision log: the first line is not `{MAGIC} <origin>` (`charter check --log FILE` writes one)"
        ),
    )
}

fn torn(state: &State, line: Option<u64>, bytes: &[u8]) -> Finding {
    let entry = state.frontier.size();
    Finding::new(
        Kind::Torn,
        line,
        Some(entry),
        format!(
            "the last line ({}) is torn: the file ends inside it, as when a run is killed while appending; the entries before it are intact\n  help: `charter log repair FILE` cuts the torn line off (the run that was writing it never reported success)",
            torn_what(bytes)
        ),
    )
}

/// What a torn last line was: an entry (its number), a checkpoint, the first line.
pub fn torn_what(tail: &[u8]) -> String {
    let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
    let number = std::str::from_utf8(&tail[..digits])
        .ok()
        .and_then(|d| d.parse::<u64>().ok());
    match number {
        Some(n) if matches!(tail.get(digits), None | Some(b' ')) => format!("entry {n}"),
        _ if tail.starts_with(b"checkpoint") || b"checkpoint".starts_with(tail) => {
            "a checkpoint".into()
        }
        _ if tail.starts_with(b"charter-log") || b"charter-log".starts_with(tail) => {
            "the first line".into()
        }
        _ => "a line".into(),
    }
}

fn bad_line(bad: BadLine, state: &State, at: Option<u64>) -> Finding {
    let entry = Some(state.frontier.size());
    match bad {
        BadLine::BareRecord => Finding::new(
            Kind::Inserted,
            at,
            entry,
            "a record without an entry number and hash: it was inserted by hand".into(),
        ),
        BadLine::Checkpoint(why) => Finding::new(
            Kind::Corrupt,
            at,
            entry,
            format!("the checkpoint is corrupt: {why}"),
        ),
        BadLine::Other(why) => Finding::new(
            Kind::Corrupt,
            at,
            entry,
            format!("the line is corrupt: {why}"),
        ),
    }
}

/// A log read so far: its tree, and what the last checkpoint covered.
pub struct State {
    pub origin: String,
    pub frontier: Frontier,
    /// Entries covered by a verified checkpoint.
    pub signed: u64,
    pub checkpoints: u64,
    pub latest: Option<(Checkpoint, String)>,
    first_unsigned_line: Option<u64>,
}

impl State {
    pub fn new(origin: String, frontier: Frontier) -> State {
        let signed = frontier.size();
        State {
            origin,
            frontier,
            signed,
            checkpoints: 0,
            latest: None,
            first_unsigned_line: None,
        }
    }

    /// An entry line: the next number, and a record that matches its hash.
    pub fn entry(
        &mut self,
        index: u64,
        leaf: &Hash,
        record: &[u8],
        line: Option<u64>,
    ) -> Result<(), Finding> {
        let expected = self.frontier.size();
        if index < expected {
            return Err(Finding::new(
                Kind::Inserted,
                line,
                Some(expected),
                format!(
                    "entry {index} again where entry {expected} belongs: an entry was inserted, or entries were reordered"
                ),
            ));
        }
        if index > expected {
            return Err(Finding::new(
                Kind::Deleted,
                line,
                Some(expected),
                format!(
                    "entry {expected} is missing (entry {index} comes next): entries were deleted, or reordered"
                ),
            ));
        }
        if leaf_hash(record) != *leaf {
            return Err(Finding::new(
                Kind::Modified,
                line,
                Some(index),
                format!(
                    "entry {index}'s record does not match its hash: the record was changed after it was written"
                ),
            ));
        }
        if self.signed == expected && self.first_unsigned_line.is_none() {
            self.first_unsigned_line = line;
        }
        self.frontier.push(*leaf);
        Ok(())
    }

    /// A checkpoint line: signed by `key` under the log's origin, over exactly the entries so
    /// far, its frontier theirs.
    pub fn checkpoint(
        &mut self,
        c: &CheckpointLine,
        key: &PublicKey,
        line: Option<u64>,
    ) -> Result<(), Finding> {
        let size = self.frontier.size();
        let fail = |kind, entry, message| Err(Finding::new(kind, line, entry, message));
        let cp = &c.checkpoint;
        if cp.origin != self.origin {
            return fail(
                Kind::BadCheckpoint,
                None,
                format!(
                    "the checkpoint is of the log `{}`, this log is `{}`",
                    cp.origin, self.origin
                ),
            );
        }
        match note::verify(&c.note, &self.origin, key) {
            Ok(()) => {}
            Err(SignatureError::NotSignedBy { signers }) => {
                return fail(
                    Kind::WrongKey,
                    None,
                    format!(
                        "the checkpoint is not signed by the key given (`{}`); it is signed by {}\n  help: verify with the public key of the key that signs this log",
                        note::verifier_key_id(&self.origin, key),
                        signer_list(&signers)
                    ),
                );
            }
            Err(SignatureError::Invalid) => {
                return fail(
                    Kind::BadCheckpoint,
                    None,
                    "the checkpoint's signature does not verify: the checkpoint was changed after it was signed".into(),
                );
            }
        }
        // Signed: its size, root and (when they fold to the root) frontier are the log's own.
        let frontier =
            Frontier::from_parts(cp.size, c.frontier.clone()).filter(|f| f.root() == cp.root);
        if cp.size > size {
            return fail(
                Kind::Deleted,
                Some(size),
                format!(
                    "the checkpoint signed {} entries but {size} come before it: entries were deleted before it (the first missing is at or before entry {size})",
                    cp.size
                ),
            );
        }
        if cp.size < size {
            return fail(
                Kind::Inserted,
                Some(cp.size.min(self.signed)),
                format!(
                    "the checkpoint signed {} entries but {size} come before it: entries were inserted before it",
                    cp.size
                ),
            );
        }
        if cp.root != self.frontier.root() {
            // The entries were rewritten with matching numbers and hashes: the frontier the
            // checkpoint signed shows the first subtree that changed.
            let range = frontier
                .as_ref()
                .and_then(|f| {
                    f.nodes()
                        .iter()
                        .zip(self.frontier.nodes())
                        .zip(f.ranges())
                        .find(|((a, b), _)| a != b)
                        .map(|(_, r)| r)
                })
                .unwrap_or(0..size);
            let range = range.start.max(self.signed.min(range.end - 1))..range.end;
            return fail(
                Kind::Modified,
                Some(range.start),
                format!(
                    "the entries do not match the checkpoint signed over them: {} was changed after it was signed",
                    describe(&range)
                ),
            );
        }
        if frontier.is_none() {
            return fail(
                Kind::Corrupt,
                None,
                "the checkpoint's frontier hashes are not those of its tree".into(),
            );
        }
        self.signed = size;
        self.checkpoints += 1;
        self.latest = Some((cp.clone(), c.signed.clone()));
        self.first_unsigned_line = None;
        Ok(())
    }
}

/// The signers of a note, for messages: `` `a+id`, `b+id` ``, or "no key".
pub fn signer_list(signers: &[String]) -> String {
    if signers.is_empty() {
        return "no key".into();
    }
    signers
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(range: &Range<u64>) -> String {
    if range.end - range.start == 1 {
        format!("entry {}", range.start)
    } else {
        format!(
            "an entry from {} to {} (the entry lines were rewritten to match)",
            range.start,
            range.end - 1
        )
    }
}

/// A log's last line that is torn, for `charter log repair` and appends: where it starts.
pub fn torn_tail(file_end: &[u8]) -> bool {
    file_end.last().is_some_and(|&b| b != b'\n')
}

/// The state a log's tail gives a new run: read from the last checkpoint line (or the first
/// line, when there is none yet) to the end. The checkpoint must be signed by `key` and carry
/// the frontier of its tree; the entries after it (a run that ended before signing) are
/// checked as `verify` checks them and become part of the tree the next checkpoint signs.
pub fn resume<R: BufRead>(reader: R, origin: &str, key: &PublicKey) -> Result<State, Finding> {
    let mut lines = Lines::new(reader, 0, 0);
    let io = |e: std::io::Error| {
        Finding::new(
            Kind::Corrupt,
            None,
            None,
            format!("cannot read the log: {e}"),
        )
    };
    let mut state = State::new(origin.to_string(), Frontier::new());
    let mut first = true;
    while let Some((line, complete, _)) = lines.next_line().map_err(io)? {
        if !complete {
            return Err(torn(&state, None, line));
        }
        match parse_line(line) {
            Ok(Line::Header { .. }) if first => {}
            Ok(Line::Checkpoint(c)) if first => {
                let cp = &c.checkpoint;
                let refuse = |why: String| {
                    Err(Finding::new(
                        Kind::BadCheckpoint,
                        None,
                        None,
                        format!(
                            "the last checkpoint (tree size {}) {why}: refusing to extend the log\n  help: `charter log verify FILE --key PUB` checks the whole log",
                            cp.size
                        ),
                    ))
                };
                match note::verify(&c.note, origin, key) {
                    _ if cp.origin != origin => {
                        return refuse(format!("is of the log `{}`", cp.origin));
                    }
                    Ok(()) => {}
                    Err(SignatureError::NotSignedBy { signers }) => {
                        return refuse(format!(
                            "is not signed by this run's key (`{}`) but by {}",
                            note::verifier_key_id(origin, key),
                            signer_list(&signers)
                        ));
                    }
                    Err(SignatureError::Invalid) => {
                        return refuse("has a signature that does not verify".into());
                    }
                }
                let frontier = Frontier::from_parts(cp.size, c.frontier.clone())
                    .filter(|f| f.root() == cp.root);
                let Some(frontier) = frontier else {
                    return refuse("has frontier hashes that are not its tree's".into());
                };
                state = State::new(origin.to_string(), frontier);
                state.checkpoints = 1;
                state.latest = Some((cp.clone(), c.signed.clone()));
            }
            Ok(Line::Entry {
                index,
                leaf,
                record,
            }) => state.entry(index, &leaf, record, None)?,
            Ok(_) => {
                return Err(Finding::new(
                    Kind::Corrupt,
                    None,
                    Some(state.frontier.size()),
                    "the log's last lines are out of place\n  help: run `charter log verify` on the log".into(),
                ));
            }
            Err(bad) => return Err(bad_line(bad, &state, None)),
        }
        first = false;
    }
    Ok(state)
}

/// Entries of one run, appended as lines to a buffer that the caller writes out whole.
pub struct Appender {
    origin: String,
    frontier: Frontier,
    first: u64,
    buf: Vec<u8>,
}

impl Appender {
    /// Appends after the tree `state` ends with.
    pub fn new(state: State) -> Appender {
        Appender {
            first: state.frontier.size(),
            origin: state.origin,
            frontier: state.frontier,
            buf: Vec::new(),
        }
    }

    /// Adds a record (one line; its hash computed by the caller, on any thread).
    pub fn add(&mut self, leaf: &Hash, record: &[u8]) {
        write_entry(&mut self.buf, self.frontier.size(), leaf, record);
        self.frontier.push(*leaf);
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Bytes waiting to be written.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The lines to write, whole; the buffer starts again empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Entries this run added.
    pub fn added(&self) -> u64 {
        self.frontier.size() - self.first
    }

    /// The signed checkpoint of the tree so far, and its line.
    pub fn checkpoint(&self, key: &PrivateKey) -> (Checkpoint, String) {
        checkpoint_line(&self.origin, &self.frontier, key)
    }
}
