//! `charter diff --base REV | --base-policies DIR [--policies DIR] [MANIFEST | DIR]...`: what
//! changing the policy set would flip. Both sets are compiled once into one `Sources` (the work
//! tree's files first, then the base's); each manifest is read once and evaluated by both on
//! every core, in input order (`bulk::ordered`), and only counts and the first examples are
//! kept, so memory stays flat whatever the number of manifests.

mod base;

use std::path::PathBuf;

use clap::ValueEnum;

use super::check::inputs::{Input, Inputs, read_manifest};
use super::check::stream::Progress;
use super::project::{self, display, parse_now};
use super::{Color, Exit};
use crate::bulk::{self, Checker};
use crate::compare::{self, Detail, ManifestDiff, Pair, Report, Wanted};
use crate::report::{self, human::Style};
use crate::source::{FileId, Sources};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifests to compare on, as `charter check` takes them: YAML or JSON files, JSON Lines
    /// files, folders, glob patterns, or `-` for a stream on standard input (e.g.
    /// `charter manifest git --each HEAD~500..HEAD | charter diff --base origin/main -`).
    pub manifests: Vec<PathBuf>,
    /// The policy folder as it is now, the new set (default: from charter.toml, else
    /// `policies/`).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// The base set: the policy folder as it is at this git revision (a commit, a branch, a
    /// tag), read from git without checking anything out.
    #[arg(long, value_name = "REV", required_unless_present = "base_policies")]
    pub base: Option<String>,
    /// The base set: another policy folder.
    #[arg(long, value_name = "DIR", conflicts_with = "base")]
    pub base_policies: Option<PathBuf>,
    /// Output format on standard output.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Examples shown per flipping policy (and per list of manifests that error).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub examples: usize,
    /// Exit 1 when something flipped: `deny-to-allow` (a manifest the base denied is allowed or
    /// warned), `any` (any decision or policy result changed, or a manifest now errors), or
    /// `none` (report only).
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    pub fail_on: FailOn,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// The time `now` stands for in both sets (RFC 3339); default: the clock.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    /// For a terminal: the counts, each flipping policy with examples, a closing line.
    Human,
    /// One JSON document (versioned; schemas/charter-diff.schema.json).
    Json,
    /// Markdown for a pull request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    /// Report only: exit 0 whatever flipped.
    None,
    /// A manifest the base set denied is allowed or warned by the new one.
    DenyToAllow,
    /// Any decision or policy result changed, or a manifest now errors.
    Any,
}

pub fn run(args: &Args) -> Exit {
    match compare_sets(args) {
        Ok(exit) => exit,
        Err(msg) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
    }
}

fn compare_sets(args: &Args) -> Result<Exit, String> {
    let project = project::load(args.policies.as_deref(), args.config.as_deref())?;
    let style = Style {
        color: args.color.enabled(),
        width: super::terminal_width(),
        quiet: false,
    };
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let mut sources = project.sources;
    let new_label = display(&project.dir);
    let mut new_set = project.set;
    // Both sets see their waivers as `charter check` does at `now` (an expired one never
    // applies; one that runs too far ahead is an error).
    project::audit_waivers(&mut new_set, now, project.max_waiver_days, None);
    let Some(new) = new_set.program.as_ref() else {
        return Err(broken(
            &sources,
            &new_set.diagnostics,
            &format!("the policy set `{new_label}` has errors"),
        ));
    };
    let (base_ids, base_waivers, base_label) = match (&args.base, &args.base_policies) {
        (_, Some(dir)) if !dir.is_dir() => {
            return Err(format!(
                "the base policy folder `{}` does not exist or is not a folder\n  help: --base-policies takes the folder that holds the base set's .charter files",
                display(dir)
            ));
        }
        (_, Some(dir)) => {
            let ids = project::read_set(dir, &mut sources)?;
            let path = dir.join("waivers.yaml");
            let waivers = match std::fs::read_to_string(&path) {
                Ok(text) => Some(sources.add(display(&path), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(format!(
                        "cannot read the waiver file `{}`: {e}",
                        display(&path)
                    ));
                }
            };
            (ids, waivers, display(dir))
        }
        (Some(rev), None) => {
            let b = base::read(&project.dir, &project.waiver_path, rev, &mut sources)?;
            (b.files, b.waivers, b.label)
        }
        (None, None) => {
            return Err("give the base policy set: --base REV or --base-policies DIR".into());
        }
    };
    let mut base_set = crate::compile_with_waivers(&sources, &base_ids, base_waivers);
    // Its waivers as of `now`; `[overrides] never` of charter.toml is a rule for the set being
    // changed (the new one), not for what was in force.
    project::audit_waivers(&mut base_set, now, project.max_waiver_days, None);
    let Some(base) = base_set.program.as_ref() else {
        return Err(broken(
            &sources,
            &base_set.diagnostics,
            &format!(
                "the base policy set `{base_label}` does not compile with this version of Charter"
            ),
        ));
    };

    let options = crate::eval::Options {
        now,
        ..project.options
    };
    let entries = compare::pair(&base_set, &new_set);
    let inputs = Inputs::gather(&args.manifests);
    if (inputs.streams() || inputs.len() > bulk::CHUNK)
        && let Err(msg) = bulk::start_workers(args.jobs, super::STACK_SIZE)
    {
        return Err(msg);
    }
    let mut progress = Progress::new((!inputs.streams()).then_some(inputs.len()), false);
    // Every manifest is checked as the file after the policy files of both sets.
    let file = FileId(sources.len() as u32);
    let same_schema = compare::same_schema(&base.schema, &new.schema);
    let pair = Pair {
        base: Checker {
            program: base,
            sources: &sources,
            options,
        },
        new: Checker {
            program: new,
            sources: &sources,
            options,
        },
        same_schema,
    };
    let wanted = Wanted::new(entries.len(), args.examples);
    let mut report = Report::new(entries.clone(), args.examples);
    let work = |(): &mut (), input: Input| -> Done {
        let (name, text) = match input {
            Input::File(path) => {
                let name = display(&path);
                match read_manifest(&path) {
                    Ok(text) => (name, text),
                    Err(message) => return Done::Problem { name, message },
                }
            }
            Input::Doc { name, text } => (name, text),
            Input::Problem { name, message } => return Done::Problem { name, message },
        };
        let (mut b, mut n) = pair.check(file, &text);
        let diff = compare::compare(&entries, base, new, &b, &n);
        let detail = if diff.shown() {
            wanted.detail(&diff, &entries, &mut b, &mut n, &text)
        } else {
            None
        };
        Done::Compared { name, diff, detail }
    };
    bulk::ordered(
        inputs.into_iter(),
        bulk::WINDOW,
        || (),
        work,
        |done: Done| {
            match done {
                Done::Compared { name, diff, detail } => report.add(name, &diff, detail, &wanted),
                Done::Problem { name, message } => report.add_problem(name, message, &wanted),
            }
            progress.inc();
        },
    );
    progress.finish();

    // The kept manifests become files of their own, after the policy files.
    report.place(file, sources.len());
    for k in std::mem::take(&mut report.kept) {
        sources.add(k.name.clone(), k.text.clone());
        report.kept.push(k);
    }
    let diff = report::diff::Diff {
        sources: &sources,
        base,
        new,
        base_label: &base_label,
        new_label: &new_label,
        now: (base.uses_now || new.uses_now).then_some(now),
        report: &report,
        same_schema,
    };
    let text = match args.format {
        DiffFormat::Human => report::diff::human(&diff, style),
        DiffFormat::Json => report::diff::json(&diff),
        DiffFormat::Markdown => report::diff::markdown(&diff),
    };
    super::print(&text);
    let failed = match args.fail_on {
        FailOn::None => false,
        FailOn::DenyToAllow => report.deny_to_allow() > 0,
        FailOn::Any => report.anything(),
    };
    Ok(if report.unreadable > 0 {
        Exit::BadInput
    } else if failed {
        Exit::Denied
    } else {
        Exit::Ok
    })
}

enum Done {
    Compared {
        name: String,
        diff: ManifestDiff,
        detail: Option<Detail>,
    },
    Problem {
        name: String,
        message: String,
    },
}

/// The error for a policy set that does not compile: its diagnostics on standard error, then
/// the message saying which set it is.
fn broken(sources: &Sources, diagnostics: &[crate::diag::Diagnostic], what: &str) -> String {
    let style = Style {
        color: false,
        width: super::terminal_width(),
        quiet: false,
    };
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&report::human::render_diagnostic(sources, d, style));
    }
    eprint!("{out}");
    let errors = report::plural(compare::error_count(diagnostics), "error", "errors");
    format!("{what} ({errors}): nothing was compared")
}
