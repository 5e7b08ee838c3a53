//! What `charter check` reads: manifest files (sorted by path), folders and glob patterns
//! expanded, and `-`, a stream of documents on standard input (after the files, in stream
//! order). Files are read by the workers; only their paths are gathered up front. A JSON Lines
//! file (`.jsonl`, `.ndjson`) is a stream too: its documents are read as the iterator reaches
//! it, each named `path:N`.

use std::borrow::Cow;
use std::io::BufReader;
use std::iter::once;
use std::path::{Path, PathBuf};

use crate::bulk::{self, Stream};
use crate::cli::files::{self, Problem};
use crate::cli::project::{display, display_name, walk};

/// One manifest to check.
pub enum Input {
    /// A file, read by the worker that checks it.
    File(Box<Path>),
    /// A document of the standard input stream.
    Doc { name: String, text: String },
    /// Something named that cannot be checked: an empty folder, a glob matching nothing,
    /// unreadable standard input.
    Problem { name: String, message: String },
}

/// The files to check, sorted by the name they are reported under, with the problems found
/// while gathering them; then standard input, when `-` is among the arguments.
pub struct Inputs {
    /// Sorted by name; a path each, nothing more (a million files are a million paths).
    files: Vec<Box<Path>>,
    /// Sorted by name; before a file of the same name.
    problems: Vec<Input>,
    pub stdin: bool,
}

impl Inputs {
    pub fn gather(args: &[PathBuf]) -> Inputs {
        // `charter check --format json changes > changes/report.json`: the shell has made the
        // report before Charter starts, and it is no manifest.
        let output = StdoutFile::find();
        let is_output = |p: &Path| output.as_ref().is_some_and(|o| o.is(p));
        // In a folder search, only where the file's name is known: no look at every file.
        let is_output_here =
            |p: &Path| output.as_ref().is_some_and(|o| o.name.is_some() && o.is(p));
        let mut problems = Vec::new();
        let mut paths: Vec<Box<Path>> = Vec::new();
        let mut stdin = false;
        for a in args {
            if a.as_os_str() == "-" {
                stdin = true;
            } else if a.is_dir() {
                let before = paths.len();
                walk(a, &mut |p| is_manifest(p) && !is_output_here(p), &mut paths);
                if paths.len() == before {
                    problems.push(Input::Problem {
                        name: display(a),
                        message: format!("no manifests (.yaml, .yml, .json) in `{}`", display(a)),
                    });
                }
            } else if is_glob(a) && !a.exists() {
                let mut found: Vec<Box<Path>> = Vec::new();
                expand_glob(a, &mut found);
                // `charter check 'runs/*.jsonl' > runs/out.jsonl` must not read what it writes.
                found.retain(|p| !is_output(p));
                if found.is_empty() {
                    problems.push(Input::Problem {
                        name: display(a),
                        message: format!("no manifests match `{}`", display(a)),
                    });
                }
                paths.extend(found);
            } else if is_output(a) {
                problems.push(Input::Problem {
                    name: display(a),
                    message: format!(
                        "`{}` is where standard output goes: it cannot also be read as manifests",
                        display(a)
                    ),
                });
            } else {
                paths.push(a.clone().into_boxed_path());
            }
        }
        // The names are compared without being built.
        paths.sort_unstable_by(|a, b| display_name(a).cmp(&display_name(b)));
        problems.sort_by(|a, b| sort_name(a).cmp(&sort_name(b)));
        Inputs {
            files: paths,
            problems,
            stdin,
        }
    }

    /// How many files and problems there are (standard input aside).
    pub fn len(&self) -> usize {
        self.files.len() + self.problems.len()
    }

    /// Whether a stream (standard input, a JSON Lines file) is among the inputs: then the
    /// number of manifests is not known before they are read.
    pub fn streams(&self) -> bool {
        self.stdin || self.files.iter().any(|p| is_stream(p))
    }

    /// Every input in report order; standard input is read as the iterator reaches it.
    pub fn into_iter(self) -> impl Iterator<Item = Input> + Send {
        let stdin = self.stdin.then(|| {
            let reader = BufReader::with_capacity(STREAM_BUFFER, std::io::stdin());
            // A pipeline whose first step failed must not pass as "nothing to check".
            let empty = "standard input held no manifest (did the command producing the manifests fail? `-` expects JSON Lines or `---`-separated YAML)";
            stream_inputs(Stream::new(reader), "<stdin>", "standard input", empty.into())
        });
        let mut problems = self.problems.into_iter().peekable();
        let mut files = self.files.into_iter().peekable();
        let merged = std::iter::from_fn(move || match (problems.peek(), files.peek()) {
            (Some(p), Some(f)) if sort_name(p) > display_name(f) => files.next().map(Input::File),
            (Some(_), _) => problems.next(),
            (None, _) => files.next().map(Input::File),
        });
        // A JSON Lines file becomes its documents, read as they are reached.
        let expanded = merged.flat_map(|input| {
            let (one, docs) = match input {
                Input::File(path) if is_stream(&path) => (None, Some(file_inputs(&path))),
                other => (Some(other), None),
            };
            one.into_iter().chain(docs.into_iter().flatten())
        });
        expanded.chain(stdin.into_iter().flatten())
    }
}

/// The read buffer of a stream.
const STREAM_BUFFER: usize = 256 * 1024;

/// The documents of a JSON Lines file, named `path:N`.
fn file_inputs(path: &Path) -> Box<dyn Iterator<Item = Input> + Send> {
    let name = display(path);
    // A named pipe would block here until written to: refused by its metadata, unopened.
    match files::regular(path).and_then(|_| std::fs::File::open(path).map_err(Problem::Io)) {
        Ok(file) => {
            let reader = BufReader::with_capacity(STREAM_BUFFER, file);
            let source = format!("`{name}`");
            let empty = format!("`{name}` holds no manifest (JSON Lines: one manifest per line)");
            Box::new(stream_inputs(Stream::new(reader), &name, &source, empty))
        }
        Err(e) => Box::new(once(Input::Problem {
            message: open_error(path, &e),
            name,
        })),
    }
}

/// The documents of a stream as inputs named `name:N`; a problem named `name` when it cannot
/// be read (said about `source`) or holds no document at all (`empty`).
fn stream_inputs<R: std::io::BufRead + Send>(
    stream: Stream<R>,
    name: &str,
    source: &str,
    empty: String,
) -> impl Iterator<Item = Input> + Send + use<R> {
    let (name, source) = (name.to_string(), source.to_string());
    let mut docs = stream.enumerate();
    let (mut seen, mut done, mut empty) = (false, false, empty);
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match docs.next() {
            Some((i, Ok(text))) => {
                seen = true;
                Some(Input::Doc {
                    name: doc_name(&name, i + 1),
                    text,
                })
            }
            Some((i, Err(e))) => {
                seen = true;
                // A line that is not UTF-8 is one document's problem; a read error the stream's.
                let name = match e {
                    bulk::StreamError::NotUtf8 { .. } => doc_name(&name, i + 1),
                    bulk::StreamError::Read(_) => name.clone(),
                };
                Some(Input::Problem {
                    name,
                    message: e.message(&source),
                })
            }
            None => {
                done = true;
                (!seen).then(|| Input::Problem {
                    name: name.clone(),
                    message: std::mem::take(&mut empty),
                })
            }
        }
    })
}

/// The name an input is reported under, borrowed where it can be.
fn sort_name(i: &Input) -> Cow<'_, str> {
    match i {
        Input::File(p) => display_name(p),
        Input::Doc { name, .. } | Input::Problem { name, .. } => Cow::Borrowed(name),
    }
}

/// Whether a file found in a folder is a manifest. JSON Lines files are read only when named,
/// by path or by a pattern: a folder often holds the JSON Lines earlier runs wrote.
fn is_manifest(p: &Path) -> bool {
    has_extension(p, &["yaml", "yml", "json"])
}

/// Whether a file is a stream of manifests, one per line.
fn is_stream(p: &Path) -> bool {
    has_extension(p, &["jsonl", "ndjson"])
}

/// The file standard output is redirected to, when it is one: never read as a manifest.
struct StdoutFile {
    /// Its name, when the system tells it (Linux): only paths with this name are looked at.
    name: Option<std::ffi::OsString>,
    id: (u64, u64),
}

impl StdoutFile {
    fn find() -> Option<StdoutFile> {
        let id = file_id(Path::new("/dev/stdout"))?;
        let name = std::fs::read_link("/proc/self/fd/1")
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_os_string()));
        Some(StdoutFile { name, id })
    }

    /// Whether `p` is this file (a look at the disk only for a path of the same name).
    fn is(&self, p: &Path) -> bool {
        if self
            .name
            .as_deref()
            .is_some_and(|n| p.file_name() != Some(n))
        {
            return false;
        }
        file_id(p) == Some(self.id)
    }
}

/// A regular file's device and inode.
#[cfg(unix)]
fn file_id(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(p).ok().filter(|m| m.is_file())?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<(u64, u64)> {
    None
}

fn has_extension(p: &Path, extensions: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether an argument is a glob pattern (`changes/**/*.yaml`) rather than a path; the shell
/// expands unquoted patterns itself, so this is for quoted ones and for shells that do not.
fn is_glob(p: &Path) -> bool {
    p.to_string_lossy().contains(['*', '?', '['])
}

/// The manifests under the pattern's fixed leading folders that the pattern matches (`*` stays
/// within a folder, `**` crosses folders).
fn expand_glob(pattern: &Path, out: &mut Vec<Box<Path>>) {
    let text = pattern.to_string_lossy();
    let Ok(glob) = globset::GlobBuilder::new(&text)
        .literal_separator(true)
        .build()
    else {
        return;
    };
    let matcher = glob.compile_matcher();
    // The folders before the first component with a wildcard.
    let mut base = PathBuf::new();
    for c in pattern.components() {
        if is_glob(Path::new(c.as_os_str())) {
            break;
        }
        base.push(c);
    }
    if base.as_os_str().is_empty() {
        base.push(".");
    }
    let mut found: Vec<Box<Path>> = Vec::new();
    walk(&base, &mut |p| is_manifest(p) || is_stream(p), &mut found);
    let dot = Path::new(".");
    out.extend(found.into_iter().filter(|p| {
        // `walk` from `.` yields `./a.yaml`; the pattern `*.yaml` means `a.yaml`.
        let rel = if base == dot && !text.starts_with("./") {
            p.strip_prefix(dot).unwrap_or(p)
        } else {
            p
        };
        matcher.is_match(rel)
    }));
}

/// Reads a manifest file as UTF-8 text; the error is the message of a diagnostic.
pub fn read_manifest(path: &Path) -> Result<String, String> {
    let bytes = files::read(path).map_err(|e| open_error(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        format!(
            "manifest `{}` is not UTF-8 text: invalid byte at line {line}, column {col}",
            display(path)
        )
    })
}

/// Why a manifest file (or a JSON Lines file) cannot be read.
fn open_error(path: &Path, e: &Problem) -> String {
    match e {
        e if e.is_missing() => format!("manifest `{}` does not exist", display(path)),
        Problem::NotRegular(_) => format!(
            "cannot read manifest `{}`: {e}; to check a stream, pipe it to `charter check -`",
            display(path)
        ),
        _ => format!("cannot read manifest `{}`: {e}", display(path)),
    }
}

/// `<stdin>:N` or `path:N`, the name of the Nth document of a stream (without `format!`, which
/// costs more than splitting the line it names).
fn doc_name(stream: &str, n: usize) -> String {
    let mut name = String::with_capacity(stream.len() + 8);
    name.push_str(stream);
    name.push(':');
    crate::report::json::write_usize(&mut name, n);
    name
}
