//! Finding and loading a policy set the way every subcommand does: `--policies`, else the
//! `charter.toml` above the working directory, else `policies/`; then reading its `.charter`
//! files and compiling them once.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{Format, config};
use crate::evidence::digest::{self, Digest};
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
    /// The policy-set digest (`evidence::digest`): of the files read, whatever they hold.
    pub digest: Digest,
    /// charter.toml's `[evidence]` table.
    pub evidence: config::EvidenceConfig,
    /// The waiver file read with the set, if there is one.
    pub waivers: Option<crate::source::FileId>,
    /// `max_waiver_days` of charter.toml (default 90).
    pub max_waiver_days: u32,
    /// Where the waiver file is or would be (named in charter.toml, else `waivers.yaml` in the
    /// policy folder): where `charter diff` looks for the base set's.
    pub waiver_path: PathBuf,
    /// `[log]` in charter.toml.
    pub log: config::LogConfig,
}

/// How far ahead a waiver may expire unless charter.toml says otherwise.
pub const MAX_WAIVER_DAYS: u32 = 90;

/// Loads the policy set. The error is a message for standard error (the run exits 2).
pub fn load(policies: Option<&Path>, config_file: Option<&Path>) -> Result<Project, String> {
    let cfg = project_config(config_file)?;
    let dir = policies
        .map(Path::to_path_buf)
        .or(cfg.policies)
        .unwrap_or_else(|| PathBuf::from("policies"));
    let mut sources = Sources::new();
    let named = read_set_named(&dir, &mut sources)?;
    let listed: Vec<(String, &[u8])> = named
        .iter()
        .map(|(id, name)| (name.clone(), sources.get(*id).text.as_bytes()))
        .collect();
    let digest = digest::policy_set(&listed);
    let ids: Vec<crate::source::FileId> = named.into_iter().map(|(id, _)| id).collect();
    // The waiver file: named in charter.toml (it must exist), else `waivers.yaml` in the policy
    // folder when there is one.
    let waiver_default = cfg
        .waivers
        .clone()
        .unwrap_or_else(|| dir.join("waivers.yaml"));
    let waiver_path = match &cfg.waivers {
        Some(p) => Some(p.clone()),
        None => Some(dir.join("waivers.yaml")).filter(|p| p.is_file()),
    };
    let waivers = match waiver_path {
        Some(path) => match super::files::read_text(&path) {
            Ok(text) => Some(sources.add(display(&path), text)),
            Err(e) => {
                return Err(format!(
                    "cannot read the waiver file `{}`: {e}",
                    display(&path)
                ));
            }
        },
        None => None,
    };
    let mut set = crate::compile_with_waivers(&sources, &ids, waivers);
    never_overridden(&mut set, &cfg.overrides)?;
    Ok(Project {
        sources,
        set,
        dir,
        format: cfg.format,
        log: cfg.log,
        options: crate::eval::Options {
            memory_budget: cfg
                .limits
                .eval_memory
                .unwrap_or(crate::eval::DEFAULT_MEMORY_BUDGET),
            deny_overrides: cfg.overrides.deny,
            ..crate::eval::Options::default()
        },
        digest,
        evidence: cfg.evidence,
        waivers,
        max_waiver_days: cfg.max_waiver_days.unwrap_or(MAX_WAIVER_DAYS),
        waiver_path: waiver_default,
    })
}

/// Reads every `.charter` file under `dir` into `sources`: their ids, or the message.
pub fn read_set(dir: &Path, sources: &mut Sources) -> Result<Vec<crate::source::FileId>, String> {
    Ok(read_set_named(dir, sources)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// [`read_set`], with each file's path relative to `dir` (what the policy-set digest lists).
pub fn read_set_named(
    dir: &Path,
    sources: &mut Sources,
) -> Result<Vec<(crate::source::FileId, String)>, String> {
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for path in charter_files(dir)? {
        match super::files::read_text(&path) {
            Ok(text) => ids.push((sources.add(display(&path), text), relative_name(dir, &path))),
            Err(e) => errors.push(format!("cannot read policy file `{}`: {e}", display(&path))),
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\nerror: "));
    }
    Ok(ids)
}

/// What a waiver is at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaiverState {
    Active,
    /// Active, and expires within the `--warn-expiring` window.
    Expiring,
    Expired,
}

pub fn waiver_state(
    w: &crate::check::ir::Waiver,
    now: jiff::Timestamp,
    warn: Option<jiff::SignedDuration>,
) -> WaiverState {
    if w.expires <= now {
        WaiverState::Expired
    } else if warn.is_some_and(|d| now.checked_add(d).is_ok_and(|t| w.expires <= t)) {
        WaiverState::Expiring
    } else {
        WaiverState::Active
    }
}

/// The waivers seen at `now`: an expired one is a warning (it no longer applies; its owner
/// renews or removes it), one expiring within `warn` a warning too, and one that expires
/// further ahead than `max_days` an error (the set is not evaluated).
pub fn audit_waivers(
    set: &mut crate::PolicySet,
    now: jiff::Timestamp,
    max_days: u32,
    warn: Option<jiff::SignedDuration>,
) {
    use crate::diag::Diagnostic;
    let Some(program) = &set.program else {
        return;
    };
    let horizon = now
        .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(max_days)))
        .ok();
    let mut found = Vec::new();
    let mut too_far = false;
    for w in &program.waivers {
        let policy = &program.policies[w.policy].name;
        match waiver_state(w, now, warn) {
            WaiverState::Expired => found.push(
                Diagnostic::warning(
                    "charter::waiver::expired",
                    format!(
                        "the waiver of `{policy}` owned by {} expired at {}: it no longer applies",
                        w.owner, w.expires
                    ),
                )
                .with_label(w.expires_span, "expired")
                .with_help("renew it with a new `expires` (and a new approval), or remove it"),
            ),
            WaiverState::Expiring => found.push(
                Diagnostic::warning(
                    "charter::waiver::expiring",
                    format!(
                        "the waiver of `{policy}` owned by {} expires at {}",
                        w.owner, w.expires
                    ),
                )
                .with_label(w.expires_span, "expires soon"),
            ),
            WaiverState::Active => {}
        }
        if let Some(h) = horizon
            && w.expires > h
        {
            too_far = true;
            found.push(
                Diagnostic::error(
                    "charter::waiver::too_long",
                    format!("this waiver of `{policy}` expires more than {max_days} days ahead"),
                )
                .with_label(w.expires_span, format!("the latest it may be is {h}"))
                .with_help("a waiver is a time-boxed exception: end it sooner, or raise `max_waiver_days` in charter.toml"),
            );
        }
    }
    set.diagnostics.extend(found);
    if too_far {
        set.program = None;
    }
}

/// `[overrides] never`: each name is a policy of the set (else an error with a did-you-mean),
/// and none of them has an `override when` or a waiver (else an error at that clause or
/// waiver, and nothing is evaluated).
fn never_overridden(
    set: &mut crate::PolicySet,
    cfg: &config::OverridesConfig,
) -> Result<(), String> {
    let Some(program) = &set.program else {
        return Ok(());
    };
    let mut unknown = Vec::new();
    let mut forbidden = Vec::new();
    for (name, at) in cfg.never.iter().zip(&cfg.never_at) {
        let name = name.get_ref();
        match program.policies.iter().position(|p| &p.name == name) {
            None => {
                let hint =
                    crate::diag::suggest(name, program.policies.iter().map(|p| p.name.as_str()))
                        .map(|s| format!("; {s}"))
                        .unwrap_or_default();
                unknown.push(format!(
                    "{at}: `[overrides] never` names `{name}`, which is not a policy of the set{hint}"
                ));
            }
            Some(index) => {
                let p = &program.policies[index];
                for w in program.waivers.iter().filter(|w| w.policy == index) {
                    forbidden.push(
                        crate::diag::Diagnostic::error(
                            "charter::waiver::forbidden",
                            format!("policy `{name}` may never be waived ({at}), but the waiver file waives it"),
                        )
                        .with_label(w.span, "this waiver is not allowed")
                        .with_help("remove the waiver, or take the policy out of `[overrides] never` in charter.toml"),
                    );
                }
                if let Some(ov) = &p.override_when {
                    forbidden.push(
                        crate::diag::Diagnostic::error(
                            "charter::check::override_forbidden",
                            format!("policy `{name}` may never be overridden ({at}), but it has an `override when` clause"),
                        )
                        .with_label(ov.span, "this override is not allowed")
                        .with_help("remove the `override when` clause, or take the policy out of `[overrides] never` in charter.toml"),
                    );
                }
            }
        }
    }
    if !unknown.is_empty() {
        return Err(unknown.join("\nerror: "));
    }
    if !forbidden.is_empty() {
        set.diagnostics.extend(forbidden);
        set.program = None;
    }
    Ok(())
}

/// A policy file's path relative to the policy folder, `/` between folders (what the
/// policy-set digest lists).
pub fn relative_name(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The policy folder a command uses: `--policies`, else charter.toml's (found from
/// `config_file` or by walking up), else `policies/`.
pub fn policy_dir(policies: Option<&Path>, config_file: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = policies {
        return Ok(p.to_path_buf());
    }
    let cfg = project_config(config_file)?;
    Ok(cfg.policies.unwrap_or_else(|| PathBuf::from("policies")))
}

/// charter.toml: `config_file`, else the one found by walking up from the working directory,
/// else the defaults.
fn project_config(config_file: Option<&Path>) -> Result<config::Config, String> {
    let found = match config_file {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
    };
    Ok(found
        .map(|p| config::load(&p))
        .transpose()?
        .unwrap_or_default())
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

/// Folders below a policy folder that discovery enters (`policies/a/b/...`).
pub const MAX_POLICY_DEPTH: usize = 64;
/// Files of one kind (`.charter` files, test files) one policy set may hold.
pub const MAX_POLICY_FILES: usize = 10_000;

/// Every `.charter` file under `dir`, sorted: [`policy_files`] with the set's not-found errors.
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
    let files = policy_files(dir, &mut |p| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("charter"))
    })?;
    if files.is_empty() {
        return Err(format!(
            "no .charter files in `{}`\n  help: a policy set is a folder of .charter files",
            display(dir)
        ));
    }
    Ok(files)
}

/// The one discovery of a policy set's files (`.charter` files for check, fmt, test, explain and
/// the language server; test files for `charter test`): the files under `dir` that `keep`
/// accepts, sorted. Symbolic links below `dir` are not followed: one that points inside the
/// set names a file read through its real path anyway, and one that points outside is not part
/// of the set (so a link loop such as `a/up -> ..` costs nothing, and each file is read once).
/// More than [`MAX_POLICY_DEPTH`] folders deep or more than [`MAX_POLICY_FILES`] files is an
/// error.
pub fn policy_files(
    dir: &Path,
    keep: &mut dyn FnMut(&Path) -> bool,
) -> Result<Vec<PathBuf>, String> {
    fn visit(
        dir: &Path,
        depth: usize,
        keep: &mut dyn FnMut(&Path) -> bool,
        out: &mut Vec<PathBuf>,
    ) -> Result<(), String> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        let mut names: Vec<(std::ffi::OsString, bool)> = entries
            .filter_map(|e| {
                let e = e.ok()?;
                let kind = e.file_type().ok()?;
                // `file_type` does not follow links: a link is neither a folder nor a file here.
                (kind.is_dir() || kind.is_file()).then(|| (e.file_name(), kind.is_dir()))
            })
            .collect();
        names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (name, is_dir) in names {
            let p = dir.join(name);
            if is_dir {
                if depth >= MAX_POLICY_DEPTH {
                    return Err(format!(
                        "`{}` is more than {MAX_POLICY_DEPTH} folders deep in the policy folder\n  help: a policy set is a folder of .charter files; keep it shallower",
                        display(&p)
                    ));
                }
                visit(&p, depth + 1, keep, out)?;
            } else if keep(&p) {
                if out.len() >= MAX_POLICY_FILES {
                    return Err(format!(
                        "the policy folder holds more than {MAX_POLICY_FILES} files like `{}`\n  help: is --policies (or `policies` in charter.toml) the policy folder and not the repository?",
                        display(&p)
                    ));
                }
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    visit(dir, 0, keep, &mut out)?;
    Ok(out)
}

/// Folders below a manifest folder that [`walk`] enters; deeper ones are not read.
pub const MAX_WALK_DEPTH: usize = 64;

/// The files under `dir` that `keep` accepts, recursively, in sorted order. Links are followed,
/// but each real folder is read once (so a link loop ends) and no deeper than [`MAX_WALK_DEPTH`].
pub fn walk<P: From<PathBuf>>(dir: &Path, keep: &mut dyn FnMut(&Path) -> bool, out: &mut Vec<P>) {
    let mut seen = std::collections::HashSet::new();
    if let Ok(real) = std::fs::canonicalize(dir) {
        seen.insert(real);
    }
    walk_in(dir, 0, &mut seen, keep, out);
}

fn walk_in<P: From<PathBuf>>(
    dir: &Path,
    depth: usize,
    seen: &mut std::collections::HashSet<PathBuf>,
    keep: &mut dyn FnMut(&Path) -> bool,
    out: &mut Vec<P>,
) {
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
            let first = std::fs::canonicalize(&p).is_ok_and(|real| seen.insert(real));
            if first && depth < MAX_WALK_DEPTH {
                walk_in(&p, depth + 1, seen, keep, out);
            }
        } else if keep(&p) {
            out.push(P::from(p));
        }
    }
}

/// `--now` values: RFC 3339 with an offset.
/// `7d`, `12h`, `1d12h` (the policy language's duration spelling) as a command-line value.
pub fn parse_duration(s: &str) -> Result<jiff::SignedDuration, String> {
    crate::literal::duration(s)
        .map(jiff::SignedDuration::from_secs)
        .map_err(|e| format!("`{s}` is not a duration ({e}); write e.g. `7d` or `36h`"))
}

pub fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    crate::manifest::parse_timestamp(s)
        .map_err(|why| format!("{why}; write e.g. 2026-12-24T09:00:00Z"))
}
