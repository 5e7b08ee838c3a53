//! `charter fmt [--check] [--stdin] [PATH]...`

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use super::Exit;
use super::config;
use super::project::{charter_files, display};
use crate::diag::Diagnostic;
use crate::report::human::{Style, render_diagnostic};
use crate::source::Sources;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Policy files or folders (searched recursively for .charter files). Default: the policy
    /// folder (from charter.toml, else `policies/`).
    pub paths: Vec<PathBuf>,
    /// Change nothing: print a diff for each file that is not formatted, and exit 1 if any.
    #[arg(long)]
    pub check: bool,
    /// Format standard input to standard output (for editors).
    #[arg(long, conflicts_with = "paths")]
    pub stdin: bool,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    pub config: Option<PathBuf>,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    Failed,
}

pub fn run(args: &Args) -> Exit {
    if args.stdin {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read standard input: {e}");
            return Exit::BadInput;
        }
        return match format_text("<stdin>", &text) {
            Err(()) => Exit::BadInput,
            Ok(out) if args.check => {
                if out == text {
                    Exit::Ok
                } else {
                    super::print(&diff("<stdin>", &text, &out));
                    Exit::UNFORMATTED
                }
            }
            Ok(out) => {
                super::print(&out);
                Exit::Ok
            }
        };
    }
    let files = match files(args) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let mut exit = Exit::Ok;
    for path in files {
        let outcome = format_file(&path, args.check);
        exit = exit.max(match outcome {
            Outcome::Unchanged => Exit::Ok,
            Outcome::Changed if args.check => Exit::UNFORMATTED,
            Outcome::Changed => Exit::Ok,
            Outcome::Failed => Exit::BadInput,
        });
    }
    exit
}

fn files(args: &Args) -> Result<Vec<PathBuf>, String> {
    if args.paths.is_empty() {
        let found = match &args.config {
            Some(p) => Some(p.clone()),
            None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
        };
        let cfg = found
            .map(|p| config::load(&p))
            .transpose()?
            .unwrap_or_default();
        return charter_files(&cfg.policies.unwrap_or_else(|| PathBuf::from("policies")));
    }
    let mut out = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            out.extend(charter_files(p)?);
        } else if p.exists()
            && !p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("charter"))
        {
            return Err(format!(
                "`{}` is not a policy file\n  help: charter fmt formats .charter files (manifests are YAML or JSON)",
                display(p)
            ));
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("`{}` does not exist", display(p)));
        }
    }
    Ok(out)
}

fn format_file(path: &Path, check: bool) -> Outcome {
    let name = display(path);
    let text = match super::files::read_text(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read `{name}`: {e}");
            return Outcome::Failed;
        }
    };
    let Ok(out) = format_text(&name, &text) else {
        return Outcome::Failed;
    };
    if out == text {
        return Outcome::Unchanged;
    }
    if check {
        super::print(&diff(&name, &text, &out));
    } else if let Err(e) = std::fs::write(path, &out) {
        eprintln!("error: cannot write `{name}`: {e}");
        return Outcome::Failed;
    }
    Outcome::Changed
}

/// Formats `text`; on failure prints why to stderr (the file is left as it is).
fn format_text(name: &str, text: &str) -> Result<String, ()> {
    let mut sources = Sources::new();
    let id = sources.add(name, text);
    crate::fmt::format(id, text).map_err(|diags| {
        report(&sources, &diags);
        eprintln!("error: `{name}` was not formatted: fix the errors above first");
    })
}

fn report(sources: &Sources, diags: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = Style {
        color,
        width: super::terminal_width(),
        quiet: false,
    };
    for d in diags {
        eprint!("{}", render_diagnostic(sources, d, style));
    }
}

fn diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}
