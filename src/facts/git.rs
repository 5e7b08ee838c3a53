//! Commits -> change manifests, through the `git` command line.
//!
//! Why the command line and not a library: it is what every CI image has; it reads every
//! repository git can (worktrees, partial and shallow clones, SHA-256, `.mailmap`, the user's
//! `trailer.*` settings); its trailer parser is the definition of a trailer; and it costs nothing
//! to build (git2 builds libgit2 in C, gix is a very large tree). Charter never parses git's
//! human output: every call uses `-z` and a fixed `--format` with control-character separators,
//! and overrides the settings that would change the output (`--no-relative`, `--no-ext-diff`,
//! `--no-textconv`, `--encoding=UTF-8`, `--no-show-signature`, `-M`, `--root`).
//!
//! One manifest for a range takes three calls however long the range (`rev-parse`, `log`
//! without diffs, one `diff` from the merge base); `--each` takes one `log` with diffs for the
//! whole range. A caller provides [`Git`], so this module does no I/O itself.

use std::collections::HashSet;

use super::ai::{self, Known};
use super::{Change, Person, Rename, Reviewer, Seen, Size, Source, Timestamps};

/// Runs git. Implemented by the command line (`cli/manifest.rs`) over `std::process::Command`.
pub trait Git {
    /// Runs `git ARGS` in the repository: its standard output, or its error message.
    fn run(&mut self, args: &[&str]) -> Result<Vec<u8>, String>;
}

/// Trailers whose people approved the change.
pub const REVIEW_TRAILERS: &[&str] = &["Reviewed-by", "Acked-by", "Approved-by"];

/// Which commits a manifest describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The commits on `HEAD` that are not on the upstream default branch.
    Default,
    /// One commit.
    Rev(String),
    /// `FROM..TO` (or `FROM...TO`: the same commits, those of `TO` not in `FROM`).
    Range {
        spec: String,
        from: String,
        to: String,
    },
    /// Every commit reachable from a commit, its root included (a whole history).
    History(String),
}

impl Selection {
    pub fn parse(arg: Option<&str>) -> Result<Selection, String> {
        let Some(arg) = arg.map(str::trim) else {
            return Ok(Selection::Default);
        };
        if arg.is_empty() || arg.starts_with('-') {
            return Err(format!(
                "`{arg}` is not a commit or a range\n  help: name a commit (`HEAD`, `v1.2`, a hash) or a range (`origin/main..HEAD`)"
            ));
        }
        let split = arg
            .split_once("...")
            .or_else(|| arg.split_once(".."))
            .map(|(a, b)| (a.to_string(), b.to_string()));
        Ok(match split {
            Some((from, to)) => Selection::Range {
                spec: arg.to_string(),
                from: if from.is_empty() { "HEAD".into() } else { from },
                to: if to.is_empty() { "HEAD".into() } else { to },
            },
            None => Selection::Rev(arg.to_string()),
        })
    }
}

pub struct Options<'a> {
    pub ai: &'a Known,
    /// Upstream branches to try first for [`Selection::Default`] (e.g. `origin/<base>` in a
    /// GitHub pull-request job), before `origin/HEAD`, `origin/main` and `origin/master`.
    pub upstream: Vec<String>,
}

/// Manifests and what the reader should know about them.
#[derive(Debug, Default)]
pub struct Output {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// One manifest: for a commit alone, or for a range as a whole (its net diff from the merge base).
pub fn one(git: &mut dyn Git, sel: &Selection, opts: &Options<'_>) -> Result<Output, String> {
    let mut reader = Reader::new(git)?;
    let (spec, from, to) = match sel {
        Selection::Rev(rev) => {
            let hash = reader.resolve(rev)?;
            return reader.each(&["-1", &hash], opts.ai);
        }
        Selection::Range { spec, from, to } => (Some(spec.clone()), from.clone(), to.clone()),
        Selection::Default => (None, reader.upstream(&opts.upstream)?, "HEAD".to_string()),
        Selection::History(_) => {
            return Err("a whole history is one manifest per commit: add --each".into());
        }
    };
    let base = reader.resolve(&from)?;
    let head = reader.resolve(&to)?;
    let mut commits = reader.log(&["--reverse", &format!("{base}..{head}")], false)?;
    if commits.is_empty() {
        return Err(match spec {
            Some(s) => format!("the range `{s}` has no commits"),
            None => format!(
                "HEAD has no commits that are not on `{from}`\n  help: name a commit (`charter manifest git HEAD`) or a range (`charter manifest git v1.0..HEAD`)"
            ),
        });
    }
    let boundary = reader.shallow_boundaries(&mut commits)?.into_iter().next();
    let mut change = build(&commits, opts.ai);
    change.source.range = Some(spec.unwrap_or_else(|| format!("{from}..HEAD")));
    let merge_base = reader.merge_base(&base, &head);
    if let Some(b) = &boundary {
        reader.warnings.push(format!(
            "the clone is shallow and the range reaches its boundary at {}: older commits of the range are not in the clone, and the range's size and files cannot be measured\n  help: fetch the whole history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)",
            short(b)
        ));
        change.missing = vec!["history".into(), "commits".into()];
        change.commits = None;
        missing_diff(&mut change);
    } else {
        let from_tree = match &merge_base {
            Some(mb) => Some(mb.clone()),
            // No common ancestor: the range holds a root commit, and the change is its tree.
            None if commits.iter().any(|c| c.parents.is_empty()) => {
                Some(reader.empty_tree()?.to_string())
            }
            None => None,
        };
        match from_tree {
            Some(t) => {
                let entries = reader.diff(&t, &head)?;
                apply_diff(&mut change, &entries);
                change.source.base_commit = merge_base;
            }
            None => {
                reader.warnings.push(format!(
                    "`{from}` and `{to}` have no common ancestor: the range's size and files cannot be measured"
                ));
                missing_diff(&mut change);
            }
        }
    }
    change.source.repo = reader.repo();
    let mut out = Output {
        changes: vec![change],
        warnings: Vec::new(),
    };
    out.warnings.append(&mut reader.warnings);
    Ok(out)
}

/// One manifest per commit of the selection, oldest first, each measured against its first
/// parent (a merge: what it brought into the branch; a root commit: its whole tree).
pub fn each(git: &mut dyn Git, sel: &Selection, opts: &Options<'_>) -> Result<Output, String> {
    let mut reader = Reader::new(git)?;
    match sel {
        Selection::Rev(rev) => {
            let hash = reader.resolve(rev)?;
            reader.each(&["-1", &hash], opts.ai)
        }
        Selection::Range { from, to, .. } => {
            let (base, head) = (reader.resolve(from)?, reader.resolve(to)?);
            reader.each(&["--reverse", &format!("{base}..{head}")], opts.ai)
        }
        Selection::Default => {
            let up = reader.upstream(&opts.upstream)?;
            let (base, head) = (reader.resolve(&up)?, reader.resolve("HEAD")?);
            reader.each(&["--reverse", &format!("{base}..{head}")], opts.ai)
        }
        Selection::History(rev) => {
            let head = reader.resolve(rev)?;
            reader.each(&["--reverse", &head], opts.ai)
        }
    }
}

// ------------------------------------------------------------------ reading git

const FORMAT: &str = "--format=%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%aI%x1f%cN%x1f%cE%x1f%cI%x1f%s%x1f%(trailers:unfold,separator=%x1d,key_value_separator=%x1c)%x1f%B%x1f%H%x1f";

/// Options that make `git log` and `git diff` output independent of the user's configuration.
const STABLE: &[&str] = &[
    "-z",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "-M",
];

struct Reader<'g> {
    git: &'g mut dyn Git,
    warnings: Vec<String>,
    shallow: Option<bool>,
}

impl<'g> Reader<'g> {
    /// Checks that git is recent enough for the options Charter relies on.
    fn new(git: &'g mut dyn Git) -> Result<Reader<'g>, String> {
        let mut reader = Reader {
            git,
            warnings: Vec::new(),
            shallow: None,
        };
        let version = reader.text(&["version"])?;
        if let Some((major, minor)) = git_version(&version)
            && (major, minor) < MIN_GIT
        {
            return Err(format!(
                "Charter needs git {}.{} or newer (for `--diff-merges` and trailer formats); this is {version}",
                MIN_GIT.0, MIN_GIT.1
            ));
        }
        Ok(reader)
    }

    fn text(&mut self, args: &[&str]) -> Result<String, String> {
        let out = self.git.run(args)?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    fn resolve(&mut self, rev: &str) -> Result<String, String> {
        let spec = format!("{rev}^{{commit}}");
        let found = self
            .text(&["rev-parse", "--verify", "--quiet", &spec])
            .ok()
            .filter(|h| !h.is_empty());
        match found {
            Some(hash) => Ok(hash),
            None => {
                // Say "not a repository" rather than "not a commit" when that is the cause.
                self.text(&["rev-parse", "--git-dir"]).map_err(|e| {
                    format!(
                        "{e}\n  help: run Charter inside a git repository, or name one with -C DIR"
                    )
                })?;
                Err(if self.is_shallow() {
                    format!(
                        "`{rev}` is not a commit in this clone\n  help: the clone is shallow: fetch more history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
                    )
                } else {
                    format!("`{rev}` is not a commit in this repository")
                })
            }
        }
    }

    /// The upstream default branch, by name.
    fn upstream(&mut self, first: &[String]) -> Result<String, String> {
        let origin_head = self
            .text(&["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"])
            .ok()
            .map(|r| r.trim_start_matches("refs/remotes/").to_string());
        let candidates: Vec<String> = first
            .iter()
            .cloned()
            .chain(origin_head)
            .chain(["origin/main".to_string(), "origin/master".to_string()])
            .collect();
        for c in &candidates {
            if self.resolve(c).is_ok() {
                return Ok(c.clone());
            }
        }
        Err(format!(
            "cannot find the upstream default branch (tried {})\n  help: name a range, e.g. `charter manifest git main..HEAD`",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    fn log(&mut self, revs: &[&str], with_diff: bool) -> Result<Vec<Commit>, String> {
        let mut args = vec!["log", "--encoding=UTF-8", "--no-show-signature", FORMAT];
        args.extend_from_slice(STABLE);
        if with_diff {
            args.extend_from_slice(&["--raw", "--numstat", "--root", "--diff-merges=first-parent"]);
        } else {
            args.push("--no-patch");
        }
        args.extend_from_slice(revs);
        args.push("--");
        let out = self.git.run(&args)?;
        parse_log(&out)
    }

    /// `--each` for these `git log` arguments.
    fn each(&mut self, revs: &[&str], known: &Known) -> Result<Output, String> {
        let mut commits = self.log(revs, true)?;
        let boundary = self.shallow_boundaries(&mut commits)?;
        let repo = if commits.is_empty() {
            None
        } else {
            self.repo()
        };
        let mut changes = Vec::with_capacity(commits.len());
        for c in &commits {
            let mut change = build(std::slice::from_ref(c), known);
            if boundary.contains(&c.hash) {
                self.warnings.push(format!(
                    "commit {} is the boundary of a shallow clone: its parent is not in the clone, so its size and files are unknown and left out\n  help: fetch more history (`git fetch --deepen=1`, or `fetch-depth: 0` in actions/checkout)",
                    short(&c.hash)
                ));
                missing_diff(&mut change);
            } else {
                apply_diff(&mut change, c.diff.as_deref().unwrap_or_default());
                self.warnings.extend(c.warnings.iter().cloned());
            }
            change.source.repo.clone_from(&repo);
            changes.push(change);
        }
        Ok(Output {
            changes,
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    fn diff(&mut self, from: &str, to: &str) -> Result<Vec<FileChange>, String> {
        let mut args = vec!["diff"];
        args.extend_from_slice(STABLE);
        args.extend_from_slice(&["--raw", "--numstat", from, to, "--"]);
        let out = self.git.run(&args)?;
        let mut cur = Cursor { buf: &out, pos: 0 };
        let entries = parse_diff(&mut cur, &mut self.warnings)?;
        Ok(entries)
    }

    fn merge_base(&mut self, a: &str, b: &str) -> Option<String> {
        self.text(&["merge-base", a, b])
            .ok()
            .filter(|h| !h.is_empty())
    }

    fn empty_tree(&mut self) -> Result<&'static str, String> {
        let format = self
            .text(&["rev-parse", "--show-object-format"])
            .unwrap_or_default();
        Ok(if format == "sha256" {
            "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
        } else {
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        })
    }

    fn is_shallow(&mut self) -> bool {
        if self.shallow.is_none() {
            let s = self.text(&["rev-parse", "--is-shallow-repository"]);
            self.shallow = Some(s.is_ok_and(|s| s == "true"));
        }
        self.shallow == Some(true)
    }

    /// The commits that look like roots only because a shallow clone cut their parents off;
    /// their parents are restored from the commit object (so a merge stays a merge).
    fn shallow_boundaries(&mut self, commits: &mut [Commit]) -> Result<Vec<String>, String> {
        if !commits.iter().any(|c| c.parents.is_empty()) || !self.is_shallow() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for c in commits.iter_mut().filter(|c| c.parents.is_empty()) {
            let object = self.git.run(&["cat-file", "commit", &c.hash])?;
            let parents: Vec<String> = object
                .split(|&b| b == b'\n')
                .take_while(|l| !l.is_empty())
                .filter_map(|l| l.strip_prefix(b"parent "))
                .map(|p| String::from_utf8_lossy(p).trim().to_string())
                .collect();
            if !parents.is_empty() {
                c.parents = parents;
                out.push(c.hash.clone());
            }
        }
        Ok(out)
    }

    /// `owner/name` from the `origin` remote's URL, when it names a host.
    fn repo(&mut self) -> Option<String> {
        let url = self.text(&["config", "--get", "remote.origin.url"]).ok()?;
        repo_from_url(&url)
    }
}

/// The oldest git whose `log` has every option Charter passes (`--diff-merges`, 2.31).
pub const MIN_GIT: (u32, u32) = (2, 31);

/// `(major, minor)` from `git version 2.47.3` (or `2.39.2.windows.1`).
pub fn git_version(text: &str) -> Option<(u32, u32)> {
    let v = text.trim().strip_prefix("git version ")?;
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    Some((major, minor))
}

/// `owner/name` from `https://host/owner/name.git`, `git@host:owner/name.git` or
/// `ssh://git@host/owner/name`; `None` for a local path.
pub fn repo_from_url(url: &str) -> Option<String> {
    let path = if let Some((scheme, rest)) = url.split_once("://") {
        if scheme == "file" {
            return None;
        }
        rest.split_once('/')?.1
    } else if let Some((host, path)) = url.split_once(':') {
        if host.contains('/') || host.is_empty() {
            return None;
        }
        path
    } else {
        return None;
    };
    let path = path.trim_matches('/').trim_end_matches(".git");
    let mut parts = path.rsplit('/');
    let name = parts.next().filter(|s| !s.is_empty())?;
    let owner = parts.next().filter(|s| !s.is_empty())?;
    Some(format!("{owner}/{name}"))
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

// ------------------------------------------------------------------ parsing git's output

/// A commit as `git log` prints it with [`FORMAT`].
#[derive(Clone, Debug)]
pub struct Commit {
    pub hash: String,
    pub parents: Vec<String>,
    pub author: Ident,
    pub committer: Ident,
    pub subject: String,
    /// `(key as written, value)`, in message order.
    pub trailers: Vec<(String, String)>,
    pub message: String,
    /// With `--raw --numstat`: the files changed against the first parent.
    pub diff: Option<Vec<FileChange>>,
    /// What the reader should know about `diff` (file names that are not UTF-8).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Ident {
    pub name: String,
    pub email: String,
    /// Strict ISO 8601 as git prints it (`%aI`): the original offset kept.
    pub date: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// `A`, `D`, `M`, `R`, `T`, ...
    pub status: u8,
    pub path: String,
    /// The old path of a rename.
    pub from: Option<String>,
    /// `None` for a binary file.
    pub lines: Option<(u64, u64)>,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// The bytes up to `delim`, and moves past it (or to the end, when `delim` is absent and
    /// `to_end` allows it).
    fn until(&mut self, delim: u8) -> Result<&'a [u8], String> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == delim) {
            Some(i) => {
                self.pos += i + 1;
                Ok(&rest[..i])
            }
            None => Err(self.broken()),
        }
    }

    fn broken(&self) -> String {
        format!(
            "cannot read git's output at byte {} of {}; please report this with your git version",
            self.pos,
            self.buf.len()
        )
    }
}

/// Parses `git log` output made with [`FORMAT`] (and `--raw --numstat`, when present).
pub fn parse_log(out: &[u8]) -> Result<Vec<Commit>, String> {
    let mut cur = Cursor { buf: out, pos: 0 };
    let mut commits = Vec::new();
    while cur.pos < cur.buf.len() {
        match cur.peek() {
            Some(0x1e) => cur.pos += 1,
            Some(b'\n' | 0) => {
                cur.pos += 1;
                continue;
            }
            _ => return Err(cur.broken()),
        }
        let mut field = || {
            cur.until(0x1f)
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let hash = field()?;
        let parents = field()?;
        let (an, ae, ad) = (field()?, field()?, field()?);
        let (cn, ce, cd) = (field()?, field()?, field()?);
        let subject = field()?;
        let trailers = field()?;
        if !(hash.len() == 40 || hash.len() == 64) || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(cur.broken());
        }
        // The message ends at `\x1f<hash>\x1f`, which no message can contain (the hash depends
        // on the message).
        let end = format!("\x1f{hash}\x1f");
        let rest = &cur.buf[cur.pos..];
        let Some(len) = find(rest, end.as_bytes()) else {
            return Err(cur.broken());
        };
        let message = String::from_utf8_lossy(&rest[..len]).into_owned();
        cur.pos += len + end.len();
        if cur.peek() == Some(0) {
            cur.pos += 1;
        }
        let mut warnings = Vec::new();
        let diff = if cur.peek() == Some(b'\n') {
            cur.pos += 1;
            Some(parse_diff(&mut cur, &mut warnings)?)
        } else if cur.peek().is_none_or(|b| b == 0x1e) {
            Some(Vec::new())
        } else {
            return Err(cur.broken());
        };
        commits.push(Commit {
            hash,
            parents: parents.split_whitespace().map(str::to_string).collect(),
            author: Ident {
                name: an,
                email: ae,
                date: ad,
            },
            committer: Ident {
                name: cn,
                email: ce,
                date: cd,
            },
            subject,
            trailers: trailers
                .split('\x1d')
                .filter_map(|t| {
                    let (k, v) = t.split_once('\x1c')?;
                    let (k, v) = (k.trim(), v.trim());
                    (!k.is_empty()).then(|| (k.to_string(), v.to_string()))
                })
                .collect(),
            message,
            diff,
            warnings,
        });
    }
    Ok(commits)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `--raw` entries (`:mode mode sha sha STATUS\0path\0[path\0]`), then as many `--numstat`
/// entries (`added\tremoved\tpath\0`, or `added\tremoved\t\0from\0to\0` for a rename).
fn parse_diff(cur: &mut Cursor<'_>, warnings: &mut Vec<String>) -> Result<Vec<FileChange>, String> {
    let mut entries = Vec::new();
    while cur.peek() == Some(b':') {
        let meta = cur.until(0)?;
        let status = meta
            .rsplit(|&b| b == b' ')
            .next()
            .and_then(|s| s.first().copied())
            .ok_or_else(|| cur.broken())?;
        let first = path(cur.until(0)?, warnings);
        let (from, path) = if matches!(status, b'R' | b'C') {
            (Some(first), self::path(cur.until(0)?, warnings))
        } else {
            (None, first)
        };
        entries.push(FileChange {
            status,
            path,
            from,
            lines: None,
        });
    }
    for e in &mut entries {
        let tok = cur.until(0)?;
        let mut parts = tok.splitn(3, |&b| b == b'\t');
        let (a, r, rest) = (parts.next(), parts.next(), parts.next());
        let (Some(a), Some(r), Some(rest)) = (a, r, rest) else {
            return Err(cur.broken());
        };
        if rest.is_empty() {
            // A rename: both paths follow (already known from --raw).
            cur.until(0)?;
            cur.until(0)?;
        }
        let num = |b: &[u8]| std::str::from_utf8(b).ok()?.parse::<u64>().ok();
        e.lines = num(a).zip(num(r));
    }
    Ok(entries)
}

/// A path as UTF-8: a byte that is not UTF-8 is written `\xNN` (with a warning), so the
/// name stays unambiguous and readable.
fn path(bytes: &[u8], warnings: &mut Vec<String>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut s = String::new();
            for chunk in bytes.utf8_chunks() {
                s.push_str(chunk.valid());
                for b in chunk.invalid() {
                    s.push_str(&format!("\\x{b:02X}"));
                }
            }
            warnings.push(format!(
                "the file name `{s}` is not UTF-8: each byte that is not is written \\xNN"
            ));
            s
        }
    }
}

// ------------------------------------------------------------------ commits -> a change

/// The change made by `commits` (oldest first): people, reviews, AI evidence and trailers from
/// every commit; title and author from the newest commit that is not a merge; the committer and
/// commit time from the newest commit. Size and files are added by [`apply_diff`].
pub fn build(commits: &[Commit], known: &Known) -> Change {
    let head = commits.last().expect("build takes at least one commit");
    let main = commits
        .iter()
        .rev()
        .find(|c| c.parents.len() <= 1)
        .unwrap_or(head);
    let author = super::person(&main.author.name, Some(&main.author.email));
    let mut change = Change {
        id: head.hash.clone(),
        source: Source {
            commit: Some(head.hash.clone()),
            ..Source::default()
        },
        title: main.subject.clone(),
        committer: Some(super::person(
            &head.committer.name,
            Some(&head.committer.email),
        )),
        reviewers: Some(Vec::new()),
        commits: Some(commits.len() as u64),
        timestamps: Timestamps {
            created_at: earliest(commits.iter().map(|c| c.author.date.as_str())),
            committed_at: Some(head.committer.date.clone()),
            updated_at: None,
        },
        author,
        ..Change::default()
    };
    let mut evidence = Evidence::default();
    let mut seen = People::default();
    seen.co_authors.insert(&change.author.login);
    for c in commits {
        if c.parents.len() <= 1 && !std::ptr::eq(c, main) {
            let p = super::person(&c.author.name, Some(&c.author.email));
            add_person(&mut change.co_authors, &mut seen.co_authors, p);
        }
        for (key, value) in &c.trailers {
            change.trailers.push(key, value);
            trailer(&mut change, &mut seen, &mut evidence, known, key, value);
        }
        let keys: HashSet<String> = c
            .trailers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        for line in c.message.lines() {
            if is_trailer_line(line, &keys) {
                continue;
            }
            if let Some(tool) = known.generated_with(line) {
                evidence.add(format!("body: {}", line.trim()), Some(tool));
            }
        }
    }
    change.ai_assisted = !evidence.lines.is_empty();
    change.ai_evidence = evidence.lines;
    change.ai_tools = evidence.tools;
    change
}

/// AI evidence lines and tools, each once, in the order first seen.
#[derive(Default)]
struct Evidence {
    lines: Vec<String>,
    tools: Vec<String>,
    seen_lines: HashSet<String>,
    seen_tools: HashSet<String>,
}

impl Evidence {
    fn add(&mut self, line: String, tool: Option<String>) {
        if self.seen_lines.insert(line.clone()) {
            self.lines.push(line);
        }
        if let Some(t) = tool.filter(|t| !t.is_empty() && self.seen_tools.insert(t.clone())) {
            self.tools.push(t);
        }
    }
}

/// Who is already among the reviewers, and among the author and co-authors.
#[derive(Default)]
struct People {
    reviewers: Seen,
    co_authors: Seen,
}

fn trailer(
    change: &mut Change,
    seen: &mut People,
    ev: &mut Evidence,
    known: &Known,
    key: &str,
    value: &str,
) {
    let is = |k: &str| key.eq_ignore_ascii_case(k);
    if ai::AI_TRAILERS.iter().any(|k| is(k)) {
        if !ai::says_none(value) {
            // `AI-Assisted: yes` says that, not which tool.
            let tool = (!ai::says_yes(value)).then(|| value.to_string());
            ev.add(format!("{key}: {value}"), tool);
        }
    } else if is("Co-authored-by") {
        if known.is_ai_coauthor(value) {
            ev.add(format!("{key}: {value}"), Some(value.to_string()));
        } else {
            let p = super::parse_identity(value);
            add_person(&mut change.co_authors, &mut seen.co_authors, p);
        }
    } else if REVIEW_TRAILERS.iter().any(|k| is(k)) {
        let person = super::parse_identity(value);
        let reviewers = change.reviewers.get_or_insert_with(Vec::new);
        if seen.reviewers.insert(&person.login) {
            reviewers.push(Reviewer {
                person,
                approved: true,
                via: key.to_string(),
                ..Reviewer::default()
            });
        }
    } else if is("Signed-off-by") {
        change.signed_off_by.push(value.to_string());
    } else if is("Change-Id") {
        change
            .source
            .change_id
            .get_or_insert_with(|| value.to_string());
    } else if is("Reviewed-on") {
        change
            .source
            .review_url
            .get_or_insert_with(|| value.to_string());
    }
}

/// Adds `p` to `list` unless `seen` (the author and those already listed) has them.
fn add_person(list: &mut Vec<Person>, seen: &mut Seen, p: Person) {
    if seen.insert(&p.login) {
        list.push(p);
    }
}

/// Whether a message line is one of the commit's trailers (those are read as trailers, not as
/// body text); `keys` are the commit's trailer keys in ASCII lowercase.
fn is_trailer_line(line: &str, keys: &HashSet<String>) -> bool {
    let Some((k, _)) = line.split_once(':') else {
        return false;
    };
    keys.contains(&k.trim().to_ascii_lowercase())
}

/// The earliest of these timestamps, as written (instants compared, offsets kept).
fn earliest<'a>(dates: impl Iterator<Item = &'a str>) -> String {
    dates
        .min_by_key(|d| d.parse::<jiff::Timestamp>().ok())
        .unwrap_or_default()
        .to_string()
}

/// Size and files from a diff.
pub fn apply_diff(change: &mut Change, entries: &[FileChange]) {
    let mut size = Size {
        binary_files: Some(0),
        ..Size::default()
    };
    let mut files = Vec::with_capacity(entries.len());
    for e in entries {
        size.files_changed += 1;
        match e.lines {
            Some((a, r)) => {
                size.lines_added += a;
                size.lines_removed += r;
            }
            None => size.binary_files = size.binary_files.map(|n| n + 1),
        }
        files.push(e.path.clone());
        match e.status {
            b'A' => change.files_added.push(e.path.clone()),
            b'D' => change.files_deleted.push(e.path.clone()),
            b'R' => change.files_renamed.push(Rename {
                from: e.from.clone().unwrap_or_default(),
                to: e.path.clone(),
            }),
            _ => {}
        }
    }
    files.sort();
    files.dedup();
    change.files_added.sort();
    change.files_deleted.sort();
    change.size = Some(size);
    change.files = Some(files);
}

/// Leaves out what a diff would have said, and says so.
fn missing_diff(change: &mut Change) {
    change.size = None;
    change.files = None;
    for f in [
        "size",
        "files",
        "files_added",
        "files_deleted",
        "files_renamed",
    ] {
        if !change.missing.iter().any(|m| m == f) {
            change.missing.push(f.to_string());
        }
    }
}
