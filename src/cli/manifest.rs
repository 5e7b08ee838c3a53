//! `charter manifest git [REV | RANGE] [--each]` and `charter manifest github --event FILE`:
//! prints the change manifest of a commit, a range or a pull request. Runs `git` and reads files;
//! the mapping itself is `crate::facts`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Subcommand, ValueEnum};

use super::{Exit, config};
use crate::facts::{self, Change, ai::Known, git, github, people::People};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    from: From,
}

#[derive(Subcommand, Debug)]
enum From {
    /// A commit or a range of the git repository in the working directory (default: the commits
    /// on HEAD that are not on the upstream default branch).
    Git(GitArgs),
    /// A GitHub pull request, from its event payload and (optionally) its reviews.
    Github(GithubArgs),
}

#[derive(clap::Args, Debug)]
struct GitArgs {
    /// A commit (`HEAD`, `v1.2`, a hash): that commit alone; or a range (`origin/main..HEAD`):
    /// its commits together. Default: the commits on HEAD that are not on the upstream default
    /// branch (`origin/$GITHUB_BASE_REF`, `origin/HEAD`, `origin/main` or `origin/master`).
    #[arg(value_name = "REV | RANGE")]
    rev: Option<String>,
    /// One manifest per commit, oldest first, as JSON Lines (with `--format yaml`: YAML
    /// documents separated by `---`). `charter check -` reads either.
    #[arg(long)]
    each: bool,
    /// With --each: every commit reachable from REV (default HEAD), from the first one, so
    /// `charter manifest git --each --history | charter check -` replays a whole history.
    #[arg(long, requires = "each")]
    history: bool,
    /// Run as if git was started in DIR.
    #[arg(short = 'C', value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args, Debug)]
struct GithubArgs {
    /// The event payload: `$GITHUB_EVENT_PATH` in a workflow run by `pull_request`.
    #[arg(long, value_name = "FILE")]
    event: PathBuf,
    /// The pull request's reviews as the REST API lists them
    /// (`gh api --paginate repos/OWNER/REPO/pulls/N/reviews > reviews.json`). Without it,
    /// `reviewers` is left out: the reviews are unknown.
    #[arg(long, value_name = "FILE")]
    reviews: Option<PathBuf>,
    /// Also read the pull request's commits (base..head, from the event) from the clone in the
    /// working directory: trailers, AI evidence, co-authors, files. Needs the history
    /// (`fetch-depth: 0`).
    #[arg(long)]
    git: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(clap::Args, Debug)]
struct Common {
    /// Output format (default: YAML; for `git --each`, JSON Lines).
    #[arg(long, short = 'f', value_enum)]
    format: Option<ManifestFormat>,
    /// A people file (YAML: login -> name, seniority, teams, bot) to fill in the author,
    /// committer, co-authors and reviewers. Default: `[manifest] people` in charter.toml.
    #[arg(long, value_name = "FILE")]
    people: Option<PathBuf>,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ManifestFormat {
    Yaml,
    Json,
}

pub fn run(args: &Args) -> Exit {
    let result = match &args.from {
        From::Git(a) => run_git(a),
        From::Github(a) => run_github(a),
    };
    match result {
        Ok(()) => Exit::Ok,
        Err(msg) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
    }
}

/// What both sources share: the AI lists and the people file.
struct Setup {
    known: Known,
    people: Option<(People, String)>,
}

fn setup(common: &Common) -> Result<Setup, String> {
    let cfg = config::discover(common.config.as_deref())?;
    let m = cfg.manifest;
    let known = Known::new(&m.ai_tools, &m.ai_emails, &m.ai_logins);
    let people = match common.people.clone().or(m.people) {
        Some(path) => {
            let name = path.display().to_string();
            let text = super::files::read_text(&path)
                .map_err(|e| format!("cannot read the people file `{name}`: {e}"))?;
            let people =
                People::parse(&text).map_err(|e| format!("invalid people file `{name}`: {e}"))?;
            Some((people, name))
        }
        None => None,
    };
    Ok(Setup { known, people })
}

fn run_git(a: &GitArgs) -> Result<(), String> {
    let setup = setup(&a.common)?;
    let sel = if a.history {
        match git::Selection::parse(a.rev.as_deref())? {
            git::Selection::Default => git::Selection::History("HEAD".into()),
            git::Selection::Rev(r) => git::Selection::History(r),
            _ => {
                return Err(
                    "--history takes a commit (every commit reachable from it), not a range".into(),
                );
            }
        }
    } else {
        git::Selection::parse(a.rev.as_deref())?
    };
    let upstream = std::env::var("GITHUB_BASE_REF")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .map(|b| format!("origin/{}", b.trim()))
        .into_iter()
        .collect();
    let opts = git::Options {
        ai: &setup.known,
        upstream,
    };
    let mut runner = GitCommand { dir: a.dir.clone() };
    let mut out = if a.each {
        git::each(&mut runner, &sel, &opts)?
    } else {
        git::one(&mut runner, &sel, &opts)?
    };
    warn(&out.warnings);
    fill_people(&mut out.changes, &setup);
    let format = match (a.common.format, a.each) {
        (Some(ManifestFormat::Yaml), _) | (None, false) => facts::Format::Yaml,
        (Some(ManifestFormat::Json), _) | (None, true) => facts::Format::Json,
    };
    print_changes(&out.changes, format, a.each);
    Ok(())
}

fn run_github(a: &GithubArgs) -> Result<(), String> {
    let setup = setup(&a.common)?;
    let event = read(&a.event, "event payload")?;
    let pr = github::from_event(&event, &setup.known)
        .map_err(|e| format!("`{}`: {e}", a.event.display()))?;
    let mut change = pr.change;
    match &a.reviews {
        Some(path) => {
            let text = read(path, "reviews")?;
            let reviewers =
                github::reviewers(&text).map_err(|e| format!("`{}`: {e}", path.display()))?;
            change.reviewers = Some(reviewers);
        }
        None => warn(&[
            "no --reviews: the pull request's reviews are unknown, so `reviewers` is left out"
                .to_string(),
        ]),
    }
    if a.git {
        let (Some(base), Some(head)) = (pr.base_sha, pr.head_sha) else {
            return Err("--git needs the event's base and head commits (`pull_request.base.sha`, `pull_request.head.sha`)".into());
        };
        let sel = git::Selection::Range {
            spec: format!("{base}..{head}"),
            from: base,
            to: head,
        };
        let opts = git::Options {
            ai: &setup.known,
            upstream: Vec::new(),
        };
        let out = git::one(&mut GitCommand { dir: None }, &sel, &opts).map_err(|e| {
            format!("{e}\n  help: --git reads the pull request's commits from the clone; check out with `fetch-depth: 0`")
        })?;
        warn(&out.warnings);
        if let Some(commits) = out.changes.into_iter().next() {
            change = github::with_commits(change, commits);
        }
    }
    let mut changes = vec![change];
    fill_people(&mut changes, &setup);
    let format = match a.common.format {
        Some(ManifestFormat::Json) => facts::Format::Json,
        _ => facts::Format::Yaml,
    };
    print_changes(&changes, format, false);
    Ok(())
}

fn fill_people(changes: &mut [Change], setup: &Setup) {
    let Some((people, name)) = &setup.people else {
        return;
    };
    let mut unknown = BTreeSet::new();
    for c in changes.iter_mut() {
        facts::people::fill(c, people, &mut unknown);
    }
    // One warning per login; past ten (a replayed history), the rest in one line.
    const SHOWN: usize = 10;
    let mut warnings: Vec<String> = unknown
        .iter()
        .take(SHOWN)
        .map(|login| {
            format!("`{login}` is not in the people file `{name}`: their seniority, teams and bot stay absent")
        })
        .collect();
    if unknown.len() > SHOWN {
        let rest: Vec<&str> = unknown.iter().skip(SHOWN).map(String::as_str).collect();
        warnings.push(format!(
            "{} more logins are not in the people file `{name}` either: {}",
            rest.len(),
            rest.join(", ")
        ));
    }
    warn(&warnings);
}

fn print_changes(changes: &[Change], format: facts::Format, stream: bool) {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for c in changes {
        let text = if stream {
            facts::render_in_stream(c, format)
        } else {
            facts::render(c, format)
        };
        // A closed pipe (`charter manifest git --each | head`) ends the output quietly.
        if out.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
    let _ = out.flush();
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn read(path: &Path, what: &str) -> Result<String, String> {
    super::files::read_text(path)
        .map_err(|e| format!("cannot read the {what} `{}`: {e}", path.display()))
}

/// `git` on the command line.
pub(super) struct GitCommand {
    pub dir: Option<PathBuf>,
}

impl git::Git for GitCommand {
    fn run(&mut self, args: &[&str]) -> Result<Vec<u8>, String> {
        let mut cmd = Command::new("git");
        if let Some(d) = &self.dir {
            cmd.arg("-C").arg(d);
        }
        let out = cmd
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "cannot run `git`: it is not installed or not on PATH".to_string()
                }
                _ => format!("cannot run `git`: {e}"),
            })?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let err = err.trim().trim_start_matches("fatal: ");
            Err(if err.is_empty() {
                format!("`git {}` failed", args.first().unwrap_or(&""))
            } else {
                format!("git: {err}")
            })
        }
    }
}
