//! Finding and loading a policy set the way every subcommand does: `--policies`, else the
//! `charter.toml` above the working directory, else `policies/`; then reading its `.charter`
//! files and compiling them once.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{Format, config};
use crate::source::Sources;

pub struct Project {
    pub sources: Sources,
    pub set: crate::PolicySet,
    /// The policy folder.
    pub dir: PathBuf,
    /// The output format named in charter.toml, if any.
    pub format: Option<Format>,
    /// The evaluation options charter.toml sets (`[limits]`); the rest are defaults.
    pub options: crate::eval::Options,
}

/// Loads the policy set. The error is a message for standard error (the run exits 2).
pub fn load(policies: Option<&Path>, config_file: Option<&Path>) -> Result<Project, String> {
    let found = match config_file {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
    };
    let cfg = found
        .map(|p| config::load(&p))
        .transpose()?
        .unwrap_or_default();
    let dir = policies
        .map(Path::to_path_buf)
        .or(cfg.policies)
        .unwrap_or_else(|| PathBuf::from("policies"));
    let mut sources = Sources::new();
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for path in charter_files(&dir)? {
        match std::fs::read_to_string(&path) {
            Ok(text) => ids.push(sources.add(display(&path), text)),
            Err(e) => errors.push(format!("cannot read policy file `{}`: {e}", display(&path))),
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\nerror: "));
    }
    let set = crate::compile(&sources, &ids);
    Ok(Project {
        sources,
        set,
        dir,
        format: cfg.format,
        options: crate::eval::Options {
            memory_budget: cfg
                .limits
                .eval_memory
                .unwrap_or(crate::eval::DEFAULT_MEMORY_BUDGET),
            ..crate::eval::Options::default()
        },
    })
}

/// A path as the user gave it, without a leading `./`.
pub fn display(p: &Path) -> String {
    display_name(p).into_owned()
}

/// [`display`], borrowed where the path is UTF-8 (sorting a million paths builds no names).
pub fn display_name(p: &Path) -> Cow<'_, str> {
    match p.to_string_lossy() {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_prefix("./").unwrap_or(s)),
        Cow::Owned(s) => Cow::Owned(s.strip_prefix("./").map_or(s.clone(), str::to_string)),
    }
}

/// Every `.charter` file under `dir`, sorted.
pub(crate) fn charter_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if !dir.is_dir() {
        return Err(if dir.exists() {
            format!(
                "`{}` is not a folder\n  help: --policies takes the folder that holds the .charter files",
                display(dir)
            )
        } else {
            format!(
                "policy folder `{}` does not exist\n  help: pass --policies DIR, or name the folder in charter.toml: policies = \"DIR\"",
                display(dir)
            )
        });
    }
    let mut files: Vec<PathBuf> = Vec::new();
    walk(
        dir,
        &mut |p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("charter"))
        },
        &mut files,
    );
    if files.is_empty() {
        return Err(format!(
            "no .charter files in `{}`\n  help: a policy set is a folder of .charter files",
            display(dir)
        ));
    }
    Ok(files)
}

/// The files under `dir` that `keep` accepts, recursively, in sorted order.
pub fn walk<P: From<PathBuf>>(dir: &Path, keep: &mut dyn FnMut(&Path) -> bool, out: &mut Vec<P>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    // The entry's type comes with the listing; only a symbolic link needs a look at its target.
    // Names only while the folder is sorted: a folder of 100,000 manifests is not held twice.
    let mut names: Vec<(std::ffi::OsString, bool)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let kind = e.file_type().ok()?;
            let is_dir = kind.is_dir() || (kind.is_symlink() && e.path().is_dir());
            Some((e.file_name(), is_dir))
        })
        .collect();
    // Siblings: comparing names is comparing paths, and cheaper.
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, is_dir) in names {
        let p = dir.join(name);
        if is_dir {
            walk(&p, keep, out);
        } else if keep(&p) {
            out.push(P::from(p));
        }
    }
}

/// `--now` values: RFC 3339 with an offset.
pub fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    crate::manifest::parse_timestamp(s)
        .map_err(|why| format!("{why}; write e.g. 2026-12-24T09:00:00Z"))
}
