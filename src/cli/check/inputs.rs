//! What `charter check` reads: manifest files (sorted by path), folders and glob patterns
//! expanded, and `-`, a stream of documents on standard input (after the files, in stream
//! order). Files are read by the workers; only their paths are gathered up front.

use std::borrow::Cow;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::bulk::Stream;
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
        let mut problems = Vec::new();
        let mut paths: Vec<Box<Path>> = Vec::new();
        let mut stdin = false;
        for a in args {
            if a.as_os_str() == "-" {
                stdin = true;
            } else if a.is_dir() {
                let before = paths.len();
                walk(a, &mut is_manifest, &mut paths);
                if paths.len() == before {
                    problems.push(Input::Problem {
                        name: display(a),
                        message: format!("no manifests (.yaml, .yml, .json) in `{}`", display(a)),
                    });
                }
            } else if is_glob(a) && !a.exists() {
                let before = paths.len();
                expand_glob(a, &mut paths);
                if paths.len() == before {
                    problems.push(Input::Problem {
                        name: display(a),
                        message: format!("no manifests match `{}`", display(a)),
                    });
                }
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

    /// Every input in report order; standard input is read as the iterator reaches it.
    pub fn into_iter(self) -> impl Iterator<Item = Input> + Send {
        let stdin = self.stdin.then(|| {
            let mut docs = Stream::new(BufReader::with_capacity(256 * 1024, std::io::stdin()))
                .enumerate()
                .map(|(i, doc)| match doc {
                    Ok(text) => Input::Doc {
                        name: stdin_name(i + 1),
                        text,
                    },
                    Err(message) => Input::Problem {
                        name: "<stdin>".into(),
                        message,
                    },
                });
            // A pipeline whose first step failed must not pass as "nothing to check".
            let (mut seen, mut done) = (false, false);
            std::iter::from_fn(move || {
                if done {
                    return None;
                }
                match docs.next() {
                    Some(input) => {
                        seen = true;
                        Some(input)
                    }
                    None => {
                        done = true;
                        (!seen).then(|| Input::Problem {
                            name: "<stdin>".into(),
                            message: "standard input held no manifest (did the command producing the manifests fail? `-` expects JSON Lines or `---`-separated YAML)".into(),
                        })
                    }
                }
            })
        });
        let mut problems = self.problems.into_iter().peekable();
        let mut files = self.files.into_iter().peekable();
        let merged = std::iter::from_fn(move || match (problems.peek(), files.peek()) {
            (Some(p), Some(f)) if sort_name(p) > display_name(f) => files.next().map(Input::File),
            (Some(_), _) => problems.next(),
            (None, _) => files.next().map(Input::File),
        });
        merged.chain(stdin.into_iter().flatten())
    }
}

/// The name an input is reported under, borrowed where it can be.
fn sort_name(i: &Input) -> Cow<'_, str> {
    match i {
        Input::File(p) => display_name(p),
        Input::Doc { name, .. } | Input::Problem { name, .. } => Cow::Borrowed(name),
    }
}

fn is_manifest(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str()))
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
    walk(&base, &mut is_manifest, &mut found);
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
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("manifest `{}` does not exist", display(path)),
        _ => format!("cannot read manifest `{}`: {e}", display(path)),
    })?;
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

/// `<stdin>:N`, the name of the Nth document of standard input (without `format!`, which costs
/// more than splitting the line it names).
fn stdin_name(n: usize) -> String {
    let mut name = String::with_capacity(16);
    name.push_str("<stdin>:");
    crate::report::json::write_usize(&mut name, n);
    name
}
