//! `charter test [POLICY_DIR]`: runs the `*.test.yaml` files under the policy folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::project::{self, display};
use super::{Color, Exit};
use crate::diag::Diagnostic;
use crate::eval::{self, Decision};
use crate::manifest::RawNode;
use crate::report::human::{Style, render_diagnostic};
use crate::report::test::{Broken, CaseRun, TestReport};
use crate::source::Sources;
use crate::testing::{self, ManifestRef, TestCase};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy folder (default: from charter.toml, else `policies/`). Test files are the
    /// `*.test.yaml` files anywhere under it.
    pub dir: Option<PathBuf>,
    /// Run only the tests whose `file::name` contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Report which policies, clauses and quantifier bodies the tests exercised.
    #[arg(long)]
    pub coverage: bool,
    /// With --coverage: fail (exit 1) when coverage is below this percentage.
    #[arg(long, value_name = "PERCENT", requires = "coverage", value_parser = parse_percent)]
    pub min: Option<f64>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum TestFormat {
    Human,
    Json,
    Junit,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err("a percentage from 0 to 100".into()),
    }
}

/// One case ready to evaluate.
struct Prepared {
    file: String,
    case: TestCase,
    manifest: Option<crate::manifest::Manifest>,
    diagnostics: Vec<Diagnostic>,
}

pub fn run(args: &Args) -> Exit {
    let project = match project::load(args.dir.as_deref(), args.config.as_deref()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let style = Style {
        color: args.color.enabled(),
        width: super::terminal_width(),
        quiet: false,
    };
    let base = project.options;
    let (mut sources, set, dir) = (project.sources, project.set, project.dir);
    let Some(program) = &set.program else {
        for d in &set.diagnostics {
            super::print(&render_diagnostic(&sources, d, style));
        }
        return Exit::BadInput;
    };
    let files = match project::policy_files(&dir, &mut |p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
    }) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    if files.is_empty() {
        eprintln!(
            "error: no test files under `{}`\n  help: tests are `*.test.yaml` files in the policy folder; see README.md, \"Testing policies\"",
            display(&dir)
        );
        return Exit::BadInput;
    }

    let mut broken: Vec<Broken> = Vec::new();
    let mut prepared: Vec<Prepared> = Vec::new();
    let mut cache: HashMap<PathBuf, Result<RawNode, Vec<Diagnostic>>> = HashMap::new();
    for path in &files {
        let name = display(path);
        let text = match super::files::read_text(path) {
            Ok(t) => t,
            Err(e) => {
                broken.push(Broken {
                    file: name.clone(),
                    diagnostics: vec![Diagnostic::error(
                        "charter::test::io",
                        format!("cannot read `{name}`: {e}"),
                    )],
                });
                continue;
            }
        };
        let id = sources.add(name.clone(), text);
        let raw = match crate::manifest::parse(id, &sources.get(id).text.clone()) {
            Ok(r) => r,
            Err(d) => {
                broken.push(Broken {
                    file: name,
                    diagnostics: vec![*d],
                });
                continue;
            }
        };
        let (cases, diags) = testing::parse_tests(&raw, program);
        if !diags.is_empty() {
            broken.push(Broken {
                file: name.clone(),
                diagnostics: diags,
            });
        }
        for case in cases {
            if args
                .filter
                .as_ref()
                .is_some_and(|f| !format!("{name}::{}", case.name).contains(f.as_str()))
            {
                continue;
            }
            let base = match &case.manifest {
                ManifestRef::Inline(raw) => Ok(raw.clone()),
                ManifestRef::Path(rel, span) => {
                    load_base(&mut sources, &mut cache, path, rel, *span)
                }
            };
            let (manifest, diagnostics) = match base {
                Ok(mut raw) => {
                    if let Some(p) = &case.patch {
                        raw.merge(p);
                    }
                    let loaded = crate::manifest::validate(raw.span.file, &raw, &program.schema);
                    let errors: Vec<Diagnostic> = loaded
                        .diagnostics
                        .into_iter()
                        .filter(|d| d.level == crate::diag::Level::Error)
                        .collect();
                    (loaded.manifest, errors)
                }
                Err(diags) => (None, diags),
            };
            prepared.push(Prepared {
                file: name.clone(),
                case,
                manifest,
                diagnostics,
            });
        }
    }

    if let Some(f) = &args.filter
        && prepared.is_empty()
        && broken.is_empty()
    {
        eprintln!(
            "error: no test matches `{f}`\n  help: --filter keeps the tests whose `file::name` contains the text"
        );
        return Exit::BadInput;
    }
    let decisions = evaluate_all(program, &sources, &prepared, args.coverage, base);
    let runs: Vec<CaseRun> = prepared
        .iter()
        .zip(&decisions)
        .map(|(p, d)| {
            let problems = d
                .as_ref()
                .map(|d| testing::compare(&p.case, d, program))
                .unwrap_or_default();
            let details = match (d, &p.manifest) {
                (Some(d), Some(m)) if !problems.is_empty() => {
                    failure_details(program, &sources, m, &p.case, d, style, base)
                }
                _ => String::new(),
            };
            CaseRun {
                file: p.file.clone(),
                name: p.case.name.clone(),
                problems,
                manifest_errors: p.diagnostics.clone(),
                details,
            }
        })
        .collect();
    let coverage = args.coverage.then(|| {
        let ds: Vec<&Decision> = decisions.iter().flatten().collect();
        testing::coverage(program, &ds)
    });
    let report = TestReport {
        sources: &sources,
        program,
        runs,
        broken,
        coverage,
        min: args.min,
    };
    let out = match args.format {
        TestFormat::Human => report.human(style),
        TestFormat::Json => report.json(),
        TestFormat::Junit => report.junit(),
    };
    super::print(&out);
    report.exit_code()
}

/// A manifest file named by a test, read and parsed once however many tests use it.
fn load_base(
    sources: &mut Sources,
    cache: &mut HashMap<PathBuf, Result<RawNode, Vec<Diagnostic>>>,
    test_file: &Path,
    rel: &str,
    span: crate::source::Span,
) -> Result<RawNode, Vec<Diagnostic>> {
    let path = testing::resolve(test_file, rel);
    if let Some(r) = cache.get(&path) {
        return r.clone();
    }
    let result = match super::files::read_text(&path) {
        Ok(text) => {
            let id = sources.add(display(&path), text);
            crate::manifest::parse(id, &sources.get(id).text.clone()).map_err(|d| vec![*d])
        }
        Err(e) => Err(vec![
            Diagnostic::error(
                "charter::test::manifest_missing",
                format!("cannot read manifest `{}`: {e}", display(&path)),
            )
            .with_label(span, "named here")
            .with_help("manifest paths are relative to the test file"),
        ]),
    };
    cache.insert(path, result.clone());
    result
}

/// Evaluates every prepared case, spread over the machine's cores; results keep input order.
fn evaluate_all(
    program: &crate::check::ir::Program,
    sources: &Sources,
    prepared: &[Prepared],
    coverage: bool,
    base: eval::Options,
) -> Vec<Option<Decision>> {
    let clock = jiff::Timestamp::now();
    let one = |p: &Prepared| {
        let options = eval::Options {
            now: p.case.now.unwrap_or(clock),
            coverage,
            ..base
        };
        p.manifest
            .as_ref()
            .map(|m| eval::evaluate(program, m, sources, options))
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(prepared.len().max(1));
    if workers <= 1 || prepared.len() < 32 {
        return prepared.iter().map(one).collect();
    }
    let chunk = prepared.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .map(|c| scope.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// For a failing test: each involved policy's diagnostic and its explanation.
fn failure_details(
    program: &crate::check::ir::Program,
    sources: &Sources,
    manifest: &crate::manifest::Manifest,
    case: &TestCase,
    decision: &Decision,
    style: Style,
    base: eval::Options,
) -> String {
    let mut out = String::new();
    let options = eval::Options {
        now: case.now.unwrap_or_else(jiff::Timestamp::now),
        ..base
    };
    for policy in testing::policies_involved(case, decision) {
        let r = &decision.results[policy];
        if matches!(r.outcome, eval::Outcome::Fail | eval::Outcome::Error) {
            out.push_str(&render_diagnostic(
                sources,
                &crate::report::result_diagnostic(program, r),
                style,
            ));
        }
        let trace = eval::explain(program, manifest, sources, options, policy);
        out.push_str(&crate::report::explain::render_policy(
            sources, program, &trace,
        ));
    }
    out
}
