//! `charter log verify|prove|check-proof|checkpoint|key|repair`, and the writer `charter check
//! --log` appends with: the file opened for appending, locked, each batch of lines one write,
//! synced before the run reports success. The format and its checks are `evidence::log`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Exit;
use super::project::display;
use crate::evidence::key::{PrivateKey, PublicKey};
use crate::evidence::log::{self as evlog, Appender, Finding, Line, Severity};
use crate::evidence::merkle::{self, Hash, Subtrees};
use crate::evidence::note::{self, Checkpoint, SignatureError, decode_hash, encode_hash};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Check a whole log: every entry in sequence and matching its hash, every checkpoint
    /// signed by KEY over exactly the entries before it, no entry left unsigned, no torn line.
    /// Exit 0: verified; 1: the log fails (tampered, torn, unsigned entries); 2: it cannot be
    /// checked (not a log, a corrupt line, the wrong key).
    Verify {
        /// The log file.
        file: PathBuf,
        /// The public key that signs the log's checkpoints (SPKI PEM, or a note verifier key
        /// `<name>+<id>+<key>`).
        #[arg(long, value_name = "PUB")]
        key: PathBuf,
        /// A checkpoint kept elsewhere (`charter log checkpoint` printed it): the log must still
        /// hold the tree it signed, which also catches whole entries cut off the end.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Print a proof as JSON: with --entry, that one entry is in the tree of the latest
    /// checkpoint; with --from, that the latest checkpoint's tree extends the one of an earlier
    /// checkpoint of that size.
    Prove {
        file: PathBuf,
        /// The entry (numbered from 0) to prove included.
        #[arg(
            long,
            value_name = "N",
            conflicts_with = "from",
            required_unless_present = "from"
        )]
        entry: Option<u64>,
        /// The tree size of the earlier checkpoint to prove consistent with the latest.
        #[arg(long, value_name = "SIZE")]
        from: Option<u64>,
    },
    /// Verify a proof that `charter log prove` printed, without the log: the checkpoints'
    /// signatures by KEY, then the proof. Exit 0: verified; 1: it does not verify; 2: bad input.
    CheckProof {
        /// The proof (JSON).
        proof: PathBuf,
        /// The public key that signs the log's checkpoints.
        #[arg(long, value_name = "PUB")]
        key: PathBuf,
        /// The checkpoint to check against (default: the one in the proof).
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Consistency: the earlier checkpoint (default: the one in the proof).
        #[arg(long, value_name = "FILE")]
        from_checkpoint: Option<PathBuf>,
        /// Inclusion: the record, as a file holding its line (default: the record in the proof).
        #[arg(long, value_name = "FILE", conflicts_with = "leaf_hash")]
        record: Option<PathBuf>,
        /// Inclusion: the record's leaf hash (base64) instead of the record.
        #[arg(long, value_name = "BASE64")]
        leaf_hash: Option<String>,
    },
    /// Print the latest checkpoint of a log as a signed note (to keep elsewhere, for `log verify
    /// --checkpoint` and `log check-proof --checkpoint`, or for Go's sumdb/note).
    Checkpoint { file: PathBuf },
    /// Print the verifier key of a log in note format (`<origin>+<key ID>+<base64 key>`), the
    /// form Go's golang.org/x/mod/sumdb/note reads.
    Key {
        /// The public key (SPKI PEM).
        #[arg(long, value_name = "PUB")]
        key: PathBuf,
        /// The log, whose origin names the key.
        #[arg(required_unless_present = "origin")]
        file: Option<PathBuf>,
        /// The origin instead of a log.
        #[arg(long, conflicts_with = "file")]
        origin: Option<String>,
    },
    /// Cut off a torn last line (a run killed while appending), after saying what it was.
    Repair { file: PathBuf },
}

pub fn run(args: &Args) -> Exit {
    let result = match &args.command {
        Command::Verify {
            file,
            key,
            checkpoint,
        } => verify(file, key, checkpoint.as_deref()),
        Command::Prove { file, entry, from } => prove(file, *entry, *from),
        Command::CheckProof {
            proof,
            key,
            checkpoint,
            from_checkpoint,
            record,
            leaf_hash,
        } => check_proof(
            proof,
            key,
            checkpoint.as_deref(),
            from_checkpoint.as_deref(),
            record.as_deref(),
            leaf_hash.as_deref(),
        ),
        Command::Checkpoint { file } => latest_checkpoint(file).map(|(_, signed)| {
            super::print(&signed);
            Exit::Ok
        }),
        Command::Key { key, file, origin } => print_key(key, file.as_deref(), origin.as_deref()),
        Command::Repair { file } => repair(file),
    };
    result.unwrap_or_else(|(exit, msg)| {
        eprintln!("error: {msg}");
        exit
    })
}

type Failure = (Exit, String);

fn bad(msg: String) -> Failure {
    (Exit::BadInput, msg)
}

/// A finding about `file` as a message: `FILE:LINE: ...`, and its exit code.
fn finding(file: &Path, f: Finding) -> Failure {
    let at = match f.line {
        Some(line) => format!("{}:{line}", display(file)),
        None => display(file),
    };
    let exit = match f.severity {
        Severity::Failed => Exit::Denied,
        Severity::BadInput => Exit::BadInput,
    };
    let message = f
        .message
        .replace(
            "charter log repair FILE",
            &format!("charter log repair {}", display(file)),
        )
        .replace(
            "charter log verify FILE",
            &format!("charter log verify {}", display(file)),
        );
    (exit, format!("{at}: {message}"))
}

fn open(file: &Path) -> Result<BufReader<File>, Failure> {
    File::open(file)
        .map(|f| BufReader::with_capacity(256 * 1024, f))
        .map_err(|e| bad(format!("cannot read the log `{}`: {e}", display(file))))
}

/// A public key file: SPKI PEM, or a note verifier key (`<name>+<id>+<base64>`).
fn public_key(path: &Path) -> Result<PublicKey, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        bad(format!(
            "cannot read public key file `{}`: {e}",
            display(path)
        ))
    })?;
    if text.trim_start().starts_with("-----BEGIN") {
        super::keys::load_public_key(path).map_err(bad)
    } else {
        note::parse_verifier_key(&text)
            .map(|(_, key)| key)
            .map_err(|e| bad(format!("`{}`: {e}", display(path))))
    }
}

fn verify(file: &Path, key: &Path, saved: Option<&Path>) -> Result<Exit, Failure> {
    let key = public_key(key)?;
    let saved = match saved {
        Some(path) => Some(read_checkpoint(path, &key, None)?),
        None => None,
    };
    let summary = evlog::verify(open(file)?, &key, saved.as_ref()).map_err(|f| finding(file, f))?;
    let mut out = format!(
        "{}: verified: {} entries, {} checkpoint{}, origin `{}`, signed by `{}`\n",
        display(file),
        summary.entries,
        summary.checkpoints,
        if summary.checkpoints == 1 { "" } else { "s" },
        summary.origin,
        note::verifier_key_id(&summary.origin, &key),
    );
    if let Some((cp, _)) = &summary.latest {
        out.push_str(&format!(
            "latest checkpoint: tree size {}, root hash {}\n",
            cp.size,
            encode_hash(&cp.root)
        ));
    }
    if let Some(saved) = &saved {
        out.push_str(&format!(
            "the saved checkpoint (tree size {}) is part of this log\n",
            saved.size
        ));
    }
    super::print(&out);
    Ok(Exit::Ok)
}

/// A signed checkpoint from a file, verified with `key`; `origin`: the log's, when known.
fn read_checkpoint(
    path: &Path,
    key: &PublicKey,
    origin: Option<&str>,
) -> Result<Checkpoint, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("cannot read checkpoint `{}`: {e}", display(path))))?;
    open_checkpoint(&text, key, origin)
        .map_err(|(exit, msg)| (exit, format!("`{}`: {msg}", display(path))))
}

/// Parses a signed checkpoint and verifies its signature under its origin.
fn open_checkpoint(
    signed: &str,
    key: &PublicKey,
    origin: Option<&str>,
) -> Result<Checkpoint, Failure> {
    let parsed = note::parse(signed).map_err(|e| bad(format!("not a signed checkpoint: {e}")))?;
    let cp = Checkpoint::parse(&parsed.text).map_err(|e| bad(format!("not a checkpoint: {e}")))?;
    if let Some(origin) = origin
        && origin != cp.origin
    {
        return Err((
            Exit::Denied,
            format!(
                "the checkpoint is of the log `{}`, not `{origin}`",
                cp.origin
            ),
        ));
    }
    match note::verify(&parsed, &cp.origin, key) {
        Ok(()) => Ok(cp),
        Err(SignatureError::NotSignedBy { signers }) => Err(bad(format!(
            "the checkpoint is not signed by the key given (`{}`); it is signed by {}",
            note::verifier_key_id(&cp.origin, key),
            evlog::signer_list(&signers)
        ))),
        Err(SignatureError::Invalid) => Err((
            Exit::Denied,
            "the checkpoint's signature does not verify: it was changed after it was signed".into(),
        )),
    }
}

/// The checkpoints of a log (tree size and signed note), in order, and its origin; read
/// without verifying anything but the shape of the lines.
fn checkpoints(file: &Path) -> Result<(String, Vec<(Checkpoint, String)>), Failure> {
    let mut lines = evlog::Lines::new(open(file)?, 1, 0);
    let io = |e: std::io::Error| bad(format!("cannot read the log `{}`: {e}", display(file)));
    let mut origin = None;
    let mut out = Vec::new();
    while let Some((line, _, _)) = lines.next_line().map_err(io)? {
        match evlog::parse_line(line) {
            Ok(Line::Header { origin: o }) if origin.is_none() => origin = Some(o.to_string()),
            Ok(Line::Checkpoint(c)) => out.push((c.checkpoint, c.signed)),
            _ if origin.is_none() => {
                return Err(bad(format!(
                    "{}:1: not a Charter decision log: the first line is not `{} <origin>`",
                    display(file),
                    evlog::MAGIC
                )));
            }
            _ => {}
        }
    }
    let origin = origin.ok_or_else(|| bad(format!("{}: the log is empty", display(file))))?;
    Ok((origin, out))
}

fn latest_checkpoint(file: &Path) -> Result<(Checkpoint, String), Failure> {
    let (_, mut all) = checkpoints(file)?;
    all.pop().ok_or_else(|| {
        bad(format!(
            "{}: the log has no checkpoint yet (each `charter check --log` run ends with one)",
            display(file)
        ))
    })
}

/// Streams the leaf hashes of the first `size` entries into `subtrees`, each record checked
/// against its hash, and returns the root of those entries and, when asked, one record.
fn read_leaves(
    file: &Path,
    size: u64,
    subtrees: &mut Subtrees,
    want: Option<u64>,
) -> Result<(Hash, Option<String>), Failure> {
    let mut lines = evlog::Lines::new(open(file)?, 1, 0);
    let io = |e: std::io::Error| bad(format!("cannot read the log `{}`: {e}", display(file)));
    let mut tree = merkle::Frontier::new();
    let mut record = None;
    let broken = |line: u64, why: &str| {
        (
            Exit::Denied,
            format!(
                "{}:{line}: {why}: the log does not verify\n  help: `charter log verify` says where and why",
                display(file)
            ),
        )
    };
    while tree.size() < size {
        let Some((line, _, _)) = lines.next_line().map_err(io)? else {
            return Err(broken(
                lines.number(),
                "the log ends before its checkpoint's entries",
            ));
        };
        if let Ok(Line::Entry {
            index,
            leaf,
            record: text,
        }) = evlog::parse_line(line)
        {
            if index != tree.size() || merkle::leaf_hash(text) != leaf {
                return Err(broken(
                    lines.number(),
                    "an entry is out of sequence or modified",
                ));
            }
            if want == Some(index) {
                record = Some(String::from_utf8_lossy(text).into_owned());
            }
            tree.push(leaf);
            subtrees.push(leaf);
        }
    }
    Ok((tree.root(), record))
}

/// A proof as `charter log prove` prints it and `charter log check-proof` reads it.
#[derive(Serialize, Deserialize)]
#[serde(tag = "proof", rename_all = "lowercase", deny_unknown_fields)]
enum Proof {
    Inclusion {
        origin: String,
        entry: u64,
        tree_size: u64,
        leaf_hash: String,
        record: Option<String>,
        path: Vec<String>,
        checkpoint: String,
    },
    Consistency {
        origin: String,
        from_size: u64,
        tree_size: u64,
        path: Vec<String>,
        from_checkpoint: String,
        checkpoint: String,
    },
}

fn prove(file: &Path, entry: Option<u64>, from: Option<u64>) -> Result<Exit, Failure> {
    let (origin, all) = checkpoints(file)?;
    let Some((latest, signed)) = all.last().cloned() else {
        return Err(bad(format!(
            "{}: the log has no checkpoint yet (each `charter check --log` run ends with one)",
            display(file)
        )));
    };
    let encode = |hashes: Vec<Hash>| hashes.iter().map(encode_hash).collect::<Vec<_>>();
    let proof = match (entry, from) {
        (Some(entry), _) => {
            if entry >= latest.size {
                return Err(bad(format!(
                    "{}: entry {entry} is not under the latest checkpoint, which signed entries 0 to {}",
                    display(file),
                    latest.size as i128 - 1
                )));
            }
            let mut subtrees = Subtrees::new(merkle::inclusion_ranges(entry, latest.size));
            let (root, record) = read_leaves(file, latest.size, &mut subtrees, Some(entry))?;
            check_root(file, &latest, &root)?;
            let record = record.unwrap_or_default();
            Proof::Inclusion {
                origin,
                entry,
                tree_size: latest.size,
                leaf_hash: encode_hash(&merkle::leaf_hash(record.as_bytes())),
                record: Some(record),
                path: encode(subtrees.finish().unwrap_or_default()),
                checkpoint: signed,
            }
        }
        (None, Some(from)) => {
            let Some((_, from_signed)) = all.iter().find(|(c, _)| c.size == from).cloned() else {
                let sizes: Vec<String> = all.iter().map(|(c, _)| c.size.to_string()).collect();
                return Err(bad(format!(
                    "{}: no checkpoint of tree size {from}; the log's checkpoints have sizes {}",
                    display(file),
                    sizes.join(", ")
                )));
            };
            let mut subtrees = Subtrees::new(merkle::consistency_ranges(from, latest.size));
            let (root, _) = read_leaves(file, latest.size, &mut subtrees, None)?;
            check_root(file, &latest, &root)?;
            Proof::Consistency {
                origin,
                from_size: from,
                tree_size: latest.size,
                path: encode(subtrees.finish().unwrap_or_default()),
                from_checkpoint: from_signed,
                checkpoint: signed,
            }
        }
        (None, None) => return Err(bad("give --entry N or --from SIZE".into())),
    };
    let mut text = serde_json::to_string_pretty(&proof).unwrap_or_default();
    text.push('\n');
    super::print(&text);
    Ok(Exit::Ok)
}

fn check_root(file: &Path, cp: &Checkpoint, root: &Hash) -> Result<(), Failure> {
    if *root == cp.root {
        return Ok(());
    }
    Err((
        Exit::Denied,
        format!(
            "{}: the entries do not match the latest checkpoint (tree size {}): the log does not verify\n  help: `charter log verify` says where and why",
            display(file),
            cp.size
        ),
    ))
}

fn check_proof(
    path: &Path,
    key: &Path,
    checkpoint: Option<&Path>,
    from_checkpoint: Option<&Path>,
    record: Option<&Path>,
    leaf_hash: Option<&str>,
) -> Result<Exit, Failure> {
    let key = public_key(key)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("cannot read the proof `{}`: {e}", display(path))))?;
    let proof: Proof = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "`{}` is not a proof that `charter log prove` writes: {e}",
            display(path)
        ))
    })?;
    let hashes = |list: &[String]| -> Result<Vec<Hash>, Failure> {
        list.iter()
            .map(|h| {
                decode_hash(h).ok_or_else(|| {
                    bad(format!(
                        "`{}`: the proof hash `{h}` is not 32 bytes in base64",
                        display(path)
                    ))
                })
            })
            .collect()
    };
    let the_checkpoint = |given: Option<&Path>, embedded: &str, origin: &str| match given {
        Some(file) => read_checkpoint(file, &key, Some(origin)),
        None => open_checkpoint(embedded, &key, Some(origin))
            .map_err(|(exit, msg)| (exit, format!("`{}`: {msg}", display(path)))),
    };
    let failed = |e: merkle::ProofError| {
        (
            Exit::Denied,
            format!("`{}`: the proof does not verify: {e}", display(path)),
        )
    };
    match proof {
        Proof::Inclusion {
            origin,
            entry,
            tree_size,
            leaf_hash: embedded_leaf,
            record: embedded_record,
            path: proof_path,
            checkpoint: embedded,
        } => {
            let cp = the_checkpoint(checkpoint, &embedded, &origin)?;
            let leaf = match (record, leaf_hash) {
                (Some(file), _) => {
                    let bytes = std::fs::read(file).map_err(|e| {
                        bad(format!("cannot read the record `{}`: {e}", display(file)))
                    })?;
                    let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
                    merkle::leaf_hash(bytes)
                }
                (None, Some(b64)) => decode_hash(b64)
                    .ok_or_else(|| bad(format!("--leaf-hash `{b64}` is not 32 bytes in base64")))?,
                (None, None) => match embedded_record {
                    Some(r) => merkle::leaf_hash(r.as_bytes()),
                    None => decode_hash(&embedded_leaf).ok_or_else(|| {
                        bad(format!(
                            "`{}`: its leaf hash is not 32 bytes in base64",
                            display(path)
                        ))
                    })?,
                },
            };
            if tree_size != cp.size {
                return Err((
                    Exit::Denied,
                    format!(
                        "`{}`: the proof is for tree size {tree_size}, the checkpoint signed tree size {}",
                        display(path),
                        cp.size
                    ),
                ));
            }
            merkle::verify_inclusion(entry, cp.size, &leaf, &hashes(&proof_path)?, &cp.root)
                .map_err(failed)?;
            super::print(&format!(
                "verified: entry {entry} (leaf hash {}) is in the log `{origin}` at tree size {} (root hash {})\n",
                encode_hash(&leaf),
                cp.size,
                encode_hash(&cp.root)
            ));
        }
        Proof::Consistency {
            origin,
            from_size,
            tree_size,
            path: proof_path,
            from_checkpoint: embedded_from,
            checkpoint: embedded,
        } => {
            let cp = the_checkpoint(checkpoint, &embedded, &origin)?;
            let old = the_checkpoint(from_checkpoint, &embedded_from, &origin)?;
            if (old.size, cp.size) != (from_size, tree_size) {
                return Err((
                    Exit::Denied,
                    format!(
                        "`{}`: the proof is from tree size {from_size} to {tree_size}, the checkpoints signed {} and {}",
                        display(path),
                        old.size,
                        cp.size
                    ),
                ));
            }
            merkle::verify_consistency(
                old.size,
                cp.size,
                &old.root,
                &cp.root,
                &hashes(&proof_path)?,
            )
            .map_err(failed)?;
            super::print(&format!(
                "verified: the log `{origin}` at tree size {} (root hash {}) extends its tree at size {} (root hash {})\n",
                cp.size,
                encode_hash(&cp.root),
                old.size,
                encode_hash(&old.root)
            ));
        }
    }
    Ok(Exit::Ok)
}

fn print_key(key: &Path, file: Option<&Path>, origin: Option<&str>) -> Result<Exit, Failure> {
    let key = public_key(key)?;
    let origin = match (origin, file) {
        (Some(o), _) => o.to_string(),
        (None, Some(file)) => checkpoints(file)?.0,
        (None, None) => return Err(bad("give the log FILE or --origin NAME".into())),
    };
    if !note::valid_name(&origin) {
        return Err(bad(format!(
            "`{origin}` is not a key name (no spaces, no `+`)"
        )));
    }
    super::print(&format!("{}\n", note::verifier_key(&origin, &key)));
    Ok(Exit::Ok)
}

/// Where the torn last line starts (after the last newline), and its bytes; `None` when the
/// file ends with a newline (or is empty).
fn torn_tail(file: &mut File) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut end = len;
    let mut tail = Vec::new();
    const BLOCK: u64 = 64 * 1024;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let mut block = vec![0; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        if end == len && block.last() == Some(&b'\n') {
            return Ok(None);
        }
        if let Some(i) = memchr::memrchr(b'\n', &block) {
            block.drain(..=i);
            block.extend_from_slice(&tail);
            return Ok(Some((start + i as u64 + 1, block)));
        }
        block.extend_from_slice(&tail);
        tail = block;
        end = start;
    }
    Ok((!tail.is_empty()).then_some((0, tail)))
}

fn repair(path: &Path) -> Result<Exit, Failure> {
    let name = display(path);
    let io = |e: std::io::Error| bad(format!("cannot repair the log `{name}`: {e}"));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    file.lock().map_err(io)?;
    match torn_tail(&mut file).map_err(io)? {
        None => {
            super::print(&format!(
                "{name}: nothing to repair: the log ends with a complete line\n"
            ));
        }
        Some((start, tail)) => {
            file.set_len(start).map_err(io)?;
            file.sync_all().map_err(io)?;
            super::print(&format!(
                "{name}: cut off the torn last line at byte {start} ({} bytes of {}): the run that was writing it was killed before it reported success\n",
                tail.len(),
                evlog::torn_what(&tail)
            ));
        }
    }
    Ok(Exit::Ok)
}

/// Pending lines are written out once they reach this many bytes (memory stays flat).
const BATCH: usize = 1 << 20;

/// A log opened by `charter check --log`: locked for the whole run, so runs writing the same
/// log at once take turns and never interleave.
pub struct LogWriter {
    file: File,
    name: String,
    appender: Appender,
    key: PrivateKey,
    /// A new (empty) file: the first line goes first.
    fresh: bool,
}

impl LogWriter {
    /// Opens (or creates) the log, waits for its lock, and reads where it ends: the last
    /// checkpoint (signed by `key`, with its frontier) and any entries after it. A torn last
    /// line is refused: `charter log repair` cuts it off.
    pub fn open(path: &Path, origin: Option<&str>, key: PrivateKey) -> Result<LogWriter, String> {
        let name = display(path);
        let io = |e: std::io::Error| format!("cannot open the log `{name}`: {e}");
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        let len = file.seek(SeekFrom::End(0)).map_err(io)?;
        if len == 0 {
            let origin = origin.unwrap_or(DEFAULT_ORIGIN).to_string();
            if !note::valid_name(&origin) {
                return Err(format!(
                    "the log origin `{origin}` is not a key name: no spaces, no `+` (e.g. `example.com/charter`)"
                ));
            }
            let state = evlog::State::new(origin, merkle::Frontier::new());
            return Ok(LogWriter {
                file,
                name,
                appender: Appender::new(state),
                key,
                fresh: true,
            });
        }
        if let Some((start, tail)) = torn_tail(&mut file).map_err(io)? {
            return Err(format!(
                "{name}: the last line ({}, from byte {start}) is torn: a run was killed while appending it; nothing was appended\n  help: `charter log repair {name}` cuts it off (that run never reported success), then run again",
                evlog::torn_what(&tail)
            ));
        }
        let log_origin = read_origin(&mut file).map_err(io)?.ok_or_else(|| {
            format!(
                "{name}:1: not a Charter decision log: the first line is not `{} <origin>`; refusing to append to it",
                evlog::MAGIC
            )
        })?;
        if let Some(origin) = origin
            && origin != log_origin
        {
            return Err(format!(
                "{name}: the log's origin is `{log_origin}`, not `{origin}` (a log keeps the origin it was created with)"
            ));
        }
        let from = last_checkpoint(&mut file, len).map_err(io)?.unwrap_or(0);
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        let state = evlog::resume(BufReader::new(&mut file), &log_origin, key.public())
            .map_err(|f| finding(path, f).1)?;
        Ok(LogWriter {
            file,
            name,
            appender: Appender::new(state),
            key,
            fresh: false,
        })
    }

    /// Adds a decision record (one JSON Lines line) and its leaf hash.
    pub fn add(&mut self, leaf: &Hash, record: &[u8]) -> Result<(), String> {
        self.appender.add(leaf, record);
        if self.appender.pending() >= BATCH {
            self.write()?;
        }
        Ok(())
    }

    fn write(&mut self) -> Result<(), String> {
        let mut bytes = self.appender.take();
        if self.fresh {
            let mut with_header = evlog::header(self.origin()).into_bytes();
            with_header.append(&mut bytes);
            bytes = with_header;
            self.fresh = false;
        }
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("cannot append to the log `{}`: {e}", self.name))
    }

    fn origin(&self) -> &str {
        self.appender.origin()
    }

    /// Writes what is pending, syncs it, then signs and writes the checkpoint and syncs again
    /// (a checkpoint never reaches the disk before its entries). A run that added nothing to
    /// an existing log writes no checkpoint. Returns the checkpoint and the entries added.
    pub fn finish(mut self) -> Result<(Option<Checkpoint>, u64), String> {
        let added = self.appender.added();
        if added == 0 && !self.fresh {
            return Ok((None, 0));
        }
        let sync = |file: &File, name: &str| {
            file.sync_data()
                .map_err(|e| format!("cannot sync the log `{name}`: {e}"))
        };
        self.write()?;
        sync(&self.file, &self.name)?;
        let (checkpoint, line) = self.appender.checkpoint(&self.key);
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("cannot append to the log `{}`: {e}", self.name))?;
        sync(&self.file, &self.name)?;
        Ok((Some(checkpoint), added))
    }
}

/// The origin of a log created without one (`--log-origin`, `[log] origin` in charter.toml).
pub const DEFAULT_ORIGIN: &str = "charter/decisions";

/// The origin on the first line; `None` when it is not a log's first line.
fn read_origin(file: &mut File) -> std::io::Result<Option<String>> {
    file.seek(SeekFrom::Start(0))?;
    let mut first = Vec::new();
    BufReader::new(file.take(4096)).read_until(b'\n', &mut first)?;
    let first = first.strip_suffix(b"\n").unwrap_or(&first);
    Ok(match evlog::parse_line(first) {
        Ok(Line::Header { origin }) => Some(origin.to_string()),
        _ => None,
    })
}

/// Where the last checkpoint line starts, searching back from the end (a run appends after
/// its last checkpoint, so this reads only the tail).
fn last_checkpoint(file: &mut File, len: u64) -> std::io::Result<Option<u64>> {
    const BLOCK: u64 = 64 * 1024;
    const NEEDLE: &[u8] = b"\ncheckpoint ";
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        // Overlap the next block so a needle across the boundary is found.
        let stop = (end + NEEDLE.len() as u64 - 1).min(len);
        let mut block = vec![0; (stop - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        if let Some(i) = memchr::memmem::rfind(&block, NEEDLE) {
            return Ok(Some(start + i as u64 + 1));
        }
        end = start;
    }
    Ok(None)
}
