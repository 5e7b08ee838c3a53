//! `charter check [--policies DIR] [MANIFEST | DIR]...`

use std::path::{Path, PathBuf};

use super::project::{self, display, parse_now, walk};
use super::{Color, Exit, Format};
use crate::diag::Diagnostic;
use crate::eval;
use crate::report::{self, ManifestRun, Run};
use crate::source::Sources;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifests to check: YAML or JSON files, or folders (searched recursively for .yaml, .yml
    /// and .json), or `-` for a stream on standard input (JSON Lines, or YAML documents
    /// separated by `---`). With none, only the policy set is checked.
    pub manifests: Vec<PathBuf>,
    /// The policy folder (default: from charter.toml, else `policies/`).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Output format on standard output (default: from charter.toml, else human).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Also write the results in FORMAT to the file PATH; repeatable, e.g.
    /// `--report sarif=charter.sarif --report junit=charter.xml`. Report files are always
    /// complete (`--quiet` changes only standard output).
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<(Format, PathBuf)>,
    /// Fail (exit 1) also when a manifest is warned or anything has a warning (an unknown
    /// manifest field, an unused definition).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print only what fails the run: no allowed manifests, no advice, no summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// The time `now` stands for in policies (RFC 3339, e.g. 2026-12-24T09:00:00Z); default: the
    /// clock. Printed with the results whenever a policy reads it, so a run can be reproduced.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    pub config: Option<PathBuf>,
}

pub fn run(args: &Args) -> Exit {
    let project = match project::load(args.policies.as_deref(), args.config.as_deref()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let format = args.format.or(project.format).unwrap_or(Format::Human);
    let (mut sources, set) = (project.sources, project.set);

    let mut manifests: Vec<ManifestRun> = Vec::new();
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let options = eval::Options {
        now,
        ..eval::Options::default()
    };
    if let Some(program) = &set.program {
        let (files, stdin): (Vec<PathBuf>, Vec<PathBuf>) = args
            .manifests
            .iter()
            .cloned()
            .partition(|p| p.as_os_str() != "-");
        for path in manifest_paths(&files, &mut manifests) {
            let name = display(&path);
            let text = match read_manifest(&path) {
                Ok(t) => t,
                Err(msg) => {
                    manifests.push(ManifestRun {
                        name,
                        file: None,
                        diagnostics: vec![Diagnostic::error("charter::manifest::io", msg)],
                        decision: None,
                    });
                    continue;
                }
            };
            manifests.push(check_one(&mut sources, program, options, name, text));
        }
        manifests.sort_by(|a, b| a.name.cmp(&b.name));
        // Standard input comes last, in stream order.
        if !stdin.is_empty() {
            match read_stdin() {
                Ok(text) => {
                    let docs = crate::manifest::split_stream(&text);
                    if docs.is_empty() {
                        // A pipeline whose first step failed must not pass as "nothing to check".
                        manifests.push(ManifestRun {
                            name: "<stdin>".into(),
                            file: None,
                            diagnostics: vec![
                                Diagnostic::error("charter::manifest::empty_stdin", "standard input held no manifest")
                                    .with_help("did the command producing the manifests fail? `-` expects JSON Lines or `---`-separated YAML"),
                            ],
                            decision: None,
                        });
                    }
                    for (i, doc) in docs.into_iter().enumerate() {
                        let name = format!("<stdin>:{}", i + 1);
                        manifests.push(check_one(&mut sources, program, options, name, doc.into()));
                    }
                }
                Err(msg) => manifests.push(ManifestRun {
                    name: "<stdin>".into(),
                    file: None,
                    diagnostics: vec![Diagnostic::error("charter::manifest::io", msg)],
                    decision: None,
                }),
            }
        }
    }
    let run = Run {
        now: set.program.as_ref().filter(|p| p.uses_now).map(|_| now),
        sources: &sources,
        program: set.program.as_ref(),
        policy_diagnostics: set.diagnostics,
        manifests,
        deny_warnings: args.deny_warnings,
    };
    let mut exit = match report::status(&run) {
        report::Status::Pass => Exit::Ok,
        report::Status::Fail => Exit::Denied,
        report::Status::Error => Exit::BadInput,
    };
    // Report files: no colour, the width of a CI log, complete whatever `--quiet` says.
    let file_style = report::human::Style {
        color: false,
        width: 100,
        quiet: false,
    };
    for (format, path) in &args.report {
        let text = render(&run, *format, file_style);
        if let Err(e) = write_report(path, &text) {
            eprintln!(
                "error: cannot write the {} report `{}`: {e}",
                format.name(),
                display(path)
            );
            exit = Exit::BadInput;
        }
    }
    let style = report::human::Style {
        color: args.color.enabled(),
        width: super::terminal_width(),
        quiet: args.quiet,
    };
    super::print(&render(&run, format, style));
    exit
}

/// `--format` and `--report` alike; `quiet` applies to the line-oriented formats (human and
/// github), the others are complete documents.
fn render(run: &Run<'_>, format: Format, style: report::human::Style) -> String {
    match format {
        Format::Human => report::human::render(run, style),
        Format::Json => report::json::render(run),
        Format::Sarif => report::sarif::render(run),
        Format::Junit => report::junit::render(run),
        Format::Github => report::github::render(run, style.quiet),
    }
}

/// Loads one manifest's text and evaluates it.
fn check_one(
    sources: &mut Sources,
    program: &crate::check::ir::Program,
    options: eval::Options,
    name: String,
    text: String,
) -> ManifestRun {
    let file = sources.add(name.clone(), text);
    let loaded = crate::manifest::load(file, &sources.get(file).text.clone(), &program.schema);
    let decision = loaded
        .manifest
        .as_ref()
        .map(|m| eval::evaluate(program, m, sources, options));
    ManifestRun {
        name,
        file: Some(file),
        diagnostics: loaded.diagnostics,
        decision,
    }
}

fn read_stdin() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "standard input is not UTF-8 text: invalid byte at offset {}",
            e.utf8_error().valid_up_to()
        )
    })
}

fn write_report(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// `FORMAT=PATH` for `--report`.
fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum;
    let names = "human, json, sarif, junit, github";
    let Some((name, path)) = s.split_once('=') else {
        return Err(format!(
            "expected FORMAT=PATH, e.g. sarif=charter.sarif (formats: {names})"
        ));
    };
    let format = Format::from_str(name, false)
        .map_err(|_| format!("unknown report format `{name}` (formats: {names})"))?;
    if path.is_empty() {
        return Err(format!("no file after `{name}=`; e.g. {name}=charter.out"));
    }
    Ok((format, PathBuf::from(path)))
}

/// Expands folders; a path that does not exist becomes a manifest error (the others still run).
fn manifest_paths(args: &[PathBuf], runs: &mut Vec<ManifestRun>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for a in args {
        if a.is_dir() {
            let before = out.len();
            walk(
                a,
                &mut |p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        ["yaml", "yml", "json"].contains(&e.to_ascii_lowercase().as_str())
                    })
                },
                &mut out,
            );
            if out.len() == before {
                runs.push(ManifestRun {
                    name: display(a),
                    file: None,
                    diagnostics: vec![Diagnostic::error(
                        "charter::manifest::io",
                        format!("no manifests (.yaml, .yml, .json) in `{}`", display(a)),
                    )],
                    decision: None,
                });
            }
        } else {
            out.push(a.clone());
        }
    }
    out
}

fn read_manifest(path: &Path) -> Result<String, String> {
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
