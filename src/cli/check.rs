//! `charter check [--policies DIR] [MANIFEST | DIR]...`

use std::path::{Path, PathBuf};

use super::config;
use super::{Color, Exit, Format};
use crate::diag::Diagnostic;
use crate::eval::{self, Verdict};
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
    /// Output format (default: from charter.toml, else human).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
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
    let found = match &args.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir().ok().and_then(|d| config::find(&d)),
    };
    let cfg = match found.map(|p| config::load(&p)).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let policy_dir = args
        .policies
        .clone()
        .or(cfg.policies)
        .unwrap_or_else(|| PathBuf::from("policies"));
    let format = args.format.or(cfg.format).unwrap_or(Format::Human);

    let mut sources = Sources::new();
    let policy_files = match charter_files(&policy_dir) {
        Ok(files) => files,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let mut ids = Vec::new();
    let mut io_errors: Vec<String> = Vec::new();
    for path in &policy_files {
        match std::fs::read_to_string(path) {
            Ok(text) => ids.push(sources.add(display(path), text)),
            Err(e) => io_errors.push(format!("cannot read policy file `{}`: {e}", display(path))),
        }
    }
    if !io_errors.is_empty() {
        for e in io_errors {
            eprintln!("error: {e}");
        }
        return Exit::BadInput;
    }
    let set = crate::compile(&sources, &ids);

    let mut manifests: Vec<ManifestRun> = Vec::new();
    let mut exit = Exit::Ok;
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
                    for (i, doc) in crate::manifest::split_stream(&text).into_iter().enumerate() {
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
    } else {
        exit = Exit::BadInput;
    }
    for m in &manifests {
        exit = exit.max(match m.decision.as_ref().map(|d| d.verdict) {
            None => Exit::BadInput,
            Some(Verdict::Deny) => Exit::Denied,
            Some(_) => Exit::Ok,
        });
    }
    let run = Run {
        now: set.program.as_ref().filter(|p| p.uses_now).map(|_| now),
        sources: &sources,
        program: set.program.as_ref(),
        policy_diagnostics: set.diagnostics,
        manifests,
    };
    let out = match format {
        Format::Human => report::human::render(
            &run,
            report::human::Style {
                color: args.color.enabled(),
                width: super::terminal_width(),
            },
        ),
        Format::Json => report::json::render(&run),
    };
    super::print(&out);
    exit
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

fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Every `.charter` file under `dir`, sorted.
fn charter_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
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
    let mut files = Vec::new();
    walk(
        dir,
        &mut |p| p.extension().is_some_and(|e| e == "charter"),
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

fn walk(dir: &Path, keep: &mut dyn FnMut(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, keep, out);
        } else if keep(&p) {
            out.push(p);
        }
    }
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
                    p.extension()
                        .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
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

fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    crate::manifest::parse_timestamp(s)
        .map_err(|why| format!("{why}; write e.g. 2026-12-24T09:00:00Z"))
}
