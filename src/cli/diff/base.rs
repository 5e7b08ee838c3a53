//! The base policy set of `charter diff --base REV`: the policy folder as it is at a git
//! revision, read from the object database (`git ls-tree`, then `git cat-file --batch` for every
//! file at once), never checked out: the work tree and the index stay as they are.
//!
//! The same discovery as a folder on disk (`project::policy_files`): `.charter` files below the
//! folder, no symbolic link followed, at most `MAX_POLICY_DEPTH` folders deep and
//! `MAX_POLICY_FILES` files, in the same order. Each file is named `REV:path` (what `git show`
//! takes), with the path from the repository's root.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::manifest::GitCommand;
use crate::cli::project::{MAX_POLICY_DEPTH, MAX_POLICY_FILES, display};
use crate::facts::git::Git;
use crate::source::{FileId, Sources};

/// The base set read from git: its policy files, its waiver file, and how it is named in the
/// report (`policies at origin/main`).
pub struct Base {
    pub files: Vec<FileId>,
    pub waivers: Option<FileId>,
    pub label: String,
}

/// Adds the `.charter` files of the folder `dir` (a folder of the work tree) as they are at
/// `rev` to `sources`, then the waiver file at `waivers` (where the work tree's is or would be)
/// when it exists at `rev`.
pub fn read(dir: &Path, waivers: &Path, rev: &str, sources: &mut Sources) -> Result<Base, String> {
    if rev.starts_with('-') || rev.is_empty() {
        return Err(format!(
            "`{rev}` is not a revision\n  help: --base takes a commit, a branch or a tag, e.g. --base origin/main"
        ));
    }
    let real = std::fs::canonicalize(dir)
        .map_err(|e| format!("cannot read the policy folder `{}`: {e}", display(dir)))?;
    let mut git = GitCommand {
        dir: Some(real.clone()),
    };
    let top = git.run(&["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!(
            "the policy folder `{}` is not in a git repository, so --base has no history to read ({e})\n  help: compare with another folder instead: --base-policies DIR",
            display(dir)
        )
    })?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim_end_matches('\n'));
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let rel = real.strip_prefix(&top).unwrap_or(Path::new(""));
    let Some(rel) = rel.to_str().map(|r| r.replace('\\', "/")) else {
        return Err(format!(
            "the path of the policy folder `{}` is not UTF-8: git cannot be asked for it",
            display(dir)
        ));
    };
    let shown = if rel.is_empty() {
        ".".to_string()
    } else {
        rel.clone()
    };
    let label = format!("{shown} at {rev}");
    let mut git = GitCommand {
        dir: Some(top.clone()),
    };
    let spec = format!("{rev}^{{commit}}");
    let commit = git
        .run(&["rev-parse", "--verify", "--quiet", &spec])
        .map_err(|_| {
            format!(
                "`{rev}` is not a commit of the repository at `{}`\n  help: fetch it first (`git fetch origin main`; a CI checkout needs `fetch-depth: 0`), or give a commit, a branch or a tag",
                top.display()
            )
        })?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", commit.as_str()];
    if !rel.is_empty() {
        args.extend(["--", rel.as_str()]);
    }
    let listing = git.run(&args)?;
    let prefix = if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    };
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut anything = false;
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        // `<mode> SP <type> SP <object> TAB <path>`
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let Some(inside) = path.strip_prefix(&prefix) else {
            continue;
        };
        anything = true;
        let mut meta = meta.split(' ');
        let (mode, kind, object) = (meta.next(), meta.next(), meta.next());
        // Blobs only: a symbolic link (120000) is not followed, a submodule is no file.
        if kind != Some("blob") || mode == Some("120000") {
            continue;
        }
        let is_charter = Path::new(inside)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("charter"));
        if !is_charter {
            continue;
        }
        let folders = inside.matches('/').count();
        if folders > MAX_POLICY_DEPTH {
            return Err(format!(
                "`{rev}:{path}` is more than {MAX_POLICY_DEPTH} folders deep in the policy folder\n  help: a policy set is a folder of .charter files; keep it shallower"
            ));
        }
        if files.len() >= MAX_POLICY_FILES {
            return Err(format!(
                "the policy folder at `{rev}` holds more than {MAX_POLICY_FILES} files like `{path}`\n  help: is --policies (or `policies` in charter.toml) the policy folder and not the repository?"
            ));
        }
        files.push((PathBuf::from(path), object.unwrap_or_default().to_string()));
    }
    if files.is_empty() {
        return Err(if anything {
            format!(
                "no .charter files in `{shown}` at `{rev}`\n  help: a policy set is a folder of .charter files"
            )
        } else {
            format!(
                "the policy folder `{shown}` does not exist at `{rev}`: there is no base policy set to compare with\n  help: is `{rev}` from before the policy set was added? Compare with another folder with --base-policies DIR"
            )
        });
    }
    // The order a folder on disk is read in: by path, component by component.
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let waiver = match in_repo(&top, waivers) {
        Some(rel) => blob(&mut git, &commit, &rel)?.map(|object| (PathBuf::from(rel), object)),
        None => None,
    };
    let mut objects: Vec<&str> = files.iter().map(|(_, o)| o.as_str()).collect();
    objects.extend(waiver.iter().map(|(_, o)| o.as_str()));
    let mut texts = cat_files(&top, &objects)?.into_iter();
    let mut ids = Vec::with_capacity(files.len());
    for ((path, _), bytes) in files.iter().zip(texts.by_ref()) {
        let name = format!("{rev}:{}", path.display());
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("cannot read policy file `{name}`: it is not UTF-8 text"))?;
        ids.push(sources.add(name, text));
    }
    let waivers = match (waiver, texts.next()) {
        (Some((path, _)), Some(bytes)) => {
            let name = format!("{rev}:{}", path.display());
            let text = String::from_utf8(bytes).map_err(|_| {
                format!("cannot read the waiver file `{name}`: it is not UTF-8 text")
            })?;
            Some(sources.add(name, text))
        }
        _ => None,
    };
    Ok(Base {
        files: ids,
        waivers,
        label,
    })
}

/// A path of the work tree (that may not exist) as a path from the repository's root `top`.
fn in_repo(top: &Path, p: &Path) -> Option<String> {
    let real = std::fs::canonicalize(p).ok().or_else(|| {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
    })?;
    let rel = real.strip_prefix(top).ok()?.to_str()?.replace('\\', "/");
    (!rel.is_empty()).then_some(rel)
}

/// The object of the file `rel` at `commit`, when it is a file there (not a link).
fn blob(git: &mut GitCommand, commit: &str, rel: &str) -> Result<Option<String>, String> {
    let listing = git.run(&["ls-tree", "-z", "--full-tree", commit, "--", rel])?;
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (mode, kind, object) = (meta.next(), meta.next(), meta.next());
        if path == rel && kind == Some("blob") && mode != Some("120000") {
            return Ok(object.map(String::from));
        }
    }
    Ok(None)
}

/// The contents of the given blobs, in order, from one `git cat-file --batch`.
fn cat_files(top: &Path, objects: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `git`: {e}"))?;
    let mut input: String = objects.iter().map(|o| format!("{o}\n")).collect();
    let stdin = child.stdin.take();
    // Written from another thread: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(std::mem::take(&mut input).as_bytes());
        }
    });
    let mut out = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_end(&mut out)
            .map_err(|e| format!("cannot read from `git cat-file`: {e}"))?;
    }
    let _ = writer.join();
    let status = child
        .wait()
        .map_err(|e| format!("`git cat-file` failed: {e}"))?;
    if !status.success() {
        return Err("`git cat-file` failed to read the base policy files".into());
    }
    // `<object> SP <type> SP <size> LF <contents> LF` per object.
    let mut texts = Vec::with_capacity(objects.len());
    let mut rest = out.as_slice();
    for object in objects {
        let bad = || format!("unexpected output from `git cat-file` for `{object}`");
        let nl = memchr::memchr(b'\n', rest).ok_or_else(bad)?;
        let head = String::from_utf8_lossy(&rest[..nl]).into_owned();
        let size: usize = head
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let body = rest.get(nl + 1..nl + 1 + size).ok_or_else(bad)?;
        texts.push(body.to_vec());
        rest = rest.get(nl + 2 + size..).unwrap_or_default();
    }
    Ok(texts)
}
