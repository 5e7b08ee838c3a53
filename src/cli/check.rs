//! `charter check [--policies DIR] [MANIFEST | DIR]...`

use std::path::{Path, PathBuf};

mod attest;
pub(super) mod inputs;
pub(super) mod stream;

use super::project::{self, display, parse_duration, parse_now};
use super::{Color, Exit, Format};
use crate::bulk::Checker;
use crate::check::ir::Program;
use crate::eval;
use crate::report::{self, Run};
use inputs::Inputs;
use stream::Progress;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifests to check: YAML or JSON files, JSON Lines files (.jsonl, .ndjson: one manifest
    /// per line), folders (searched recursively for .yaml, .yml and .json), glob patterns, or
    /// `-` for a stream on standard input (JSON Lines, or YAML documents separated by `---`).
    /// With none, only the policy set is checked.
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
    /// Overridden failures fail too: a policy whose `override when` holds stays `fail` (for a
    /// pipeline that must not accept break-glass changes; `[overrides] deny` in charter.toml).
    #[arg(long)]
    pub deny_overrides: bool,
    /// Warn about waivers that expire within this time (e.g. `7d`), so their owners renew or
    /// remove them.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warn_expiring: Option<jiff::SignedDuration>,
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
    /// After the results, a table per policy: how many manifests passed, failed, skipped or
    /// errored (on standard error with the formats for tools).
    #[arg(long)]
    pub summary: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Write a signed attestation of each manifest's decision to FILE: JSON Lines, one DSSE
    /// envelope (in-toto Statement v1) per manifest, in the order of the results (default: from
    /// charter.toml, `[evidence] attest`).
    #[arg(long, value_name = "FILE")]
    pub attest: Option<PathBuf>,
    /// The Ed25519 private key (PKCS#8 PEM, from `charter keygen`) that signs attestations
    /// (default: charter.toml's `[evidence] key_file`, else the key's text in the environment
    /// variable CHARTER_SIGNING_KEY).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Write the attestations without a signature (no key needed; `charter verify` refuses
    /// them).
    #[arg(long)]
    pub attest_unsigned: bool,
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
    let attest_path = args.attest.clone().or(project.evidence.attest.clone());
    let key = match signing_key(args, &project.evidence, attest_path.as_deref()) {
        Ok(key) => key,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let mut attest_file = match attest_path.as_deref().map(attest::AttestFile::create) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(msg)) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let (mut sources, mut set) = (project.sources, project.set);

    // The clock to the second: the evaluation time every result carries is then exactly what
    // `--now` reproduces.
    let now = args.now.unwrap_or_else(|| {
        let t = jiff::Timestamp::now();
        jiff::Timestamp::from_second(t.as_second()).unwrap_or(t)
    });
    let provenance = report::Provenance {
        policy_set: project.digest,
        evaluated_at: now,
    };
    project::audit_waivers(&mut set, now, project.max_waiver_days, args.warn_expiring);
    let options = eval::Options {
        now,
        deny_overrides: project.options.deny_overrides || args.deny_overrides,
        ..project.options
    };
    let style = report::human::Style {
        color: args.color.enabled(),
        width: super::terminal_width(),
        quiet: args.quiet,
    };
    let inputs = Inputs::gather(&args.manifests);
    // The worker threads start only for a run with more than a few manifests.
    if (inputs.streams() || inputs.len() > crate::bulk::CHUNK)
        && let Err(msg) = crate::bulk::start_workers(args.jobs, super::STACK_SIZE)
    {
        eprintln!("error: {msg}");
        return Exit::BadInput;
    }
    let mut progress = Progress::new((!inputs.streams()).then_some(inputs.len()), args.quiet);
    let program = set.program.as_ref();
    let attester = attest::Attester {
        key: key.as_ref(),
        program,
        provenance,
    };
    let attest = attest_file.as_mut().map(|f| (&attester, f));
    let head = Run {
        provenance,
        now: program.filter(|p| p.uses_now).map(|_| now),
        sources: &sources,
        program,
        policy_diagnostics: set.diagnostics,
        manifests: Vec::new(),
        deny_warnings: args.deny_warnings,
    };
    // Human output and JSON Lines stream, unless report files need the whole run.
    if let Some(program) = program
        && matches!(format, Format::Human | Format::Jsonl)
        && args.report.is_empty()
    {
        let checker = Checker {
            program,
            sources: head.sources,
            options,
        };
        let exit = streamed(
            args, &head, checker, inputs, format, style, progress, attest,
        );
        return finish_attest(attest_file, exit);
    }

    let Run {
        now,
        policy_diagnostics,
        ..
    } = head;
    let collected = match program {
        Some(program) => {
            let checker = Checker {
                program,
                sources: &sources,
                options,
            };
            stream::collect(checker, sources.len(), inputs, &mut progress, attest)
        }
        None => Vec::new(),
    };
    progress.finish();
    let mut manifests = Vec::with_capacity(collected.len());
    for (m, text) in collected {
        sources.add(m.name.clone(), text.unwrap_or_default());
        manifests.push(m);
    }
    let run = Run {
        provenance,
        now,
        sources: &sources,
        program,
        policy_diagnostics,
        manifests,
        deny_warnings: args.deny_warnings,
    };
    let mut exit = exit_code(report::status(&run));
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
    if format == Format::Jsonl {
        eprint!("{}", report::human::render_head(&run, style));
    }
    super::print(&render(&run, format, style));
    if args.summary
        && let Some(program) = run.program
    {
        let mut counts = report::PolicyCounts::new(program.policies.len());
        for m in &run.manifests {
            counts.add(m);
        }
        print_summary(program, &counts, format);
    }
    finish_attest(attest_file, exit)
}

/// The key that signs attestations: none without `--attest` (or charter.toml's `attest`) or with
/// `--attest-unsigned`; else `--key-file`, charter.toml's `key_file`, or `$CHARTER_SIGNING_KEY`.
fn signing_key(
    args: &Args,
    cfg: &super::config::EvidenceConfig,
    attest: Option<&Path>,
) -> Result<Option<crate::evidence::key::PrivateKey>, String> {
    if attest.is_none() {
        if args.attest_unsigned {
            return Err(
                "--attest-unsigned needs --attest FILE (or `[evidence] attest` in charter.toml)"
                    .into(),
            );
        }
        return Ok(None);
    }
    if args.attest_unsigned {
        return Ok(None);
    }
    let file = args.key_file.as_deref().or(cfg.key_file.as_deref());
    super::keys::load_private_key(file).map(Some)
}

/// Flushes the attestation file; a run whose attestations could not be written exits 2.
fn finish_attest(file: Option<attest::AttestFile>, exit: Exit) -> Exit {
    match file.map(attest::AttestFile::finish) {
        Some(Err(msg)) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
        _ => exit,
    }
}

/// A run whose output streams (human, JSON Lines): the policy-set part first, then each
/// manifest as it is checked, then the closing line.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the parts of a run"
)]
fn streamed(
    args: &Args,
    head: &Run<'_>,
    checker: Checker<'_>,
    inputs: Inputs,
    format: Format,
    style: report::human::Style,
    mut progress: Progress,
    attest: Option<(&attest::Attester<'_>, &mut attest::AttestFile)>,
) -> Exit {
    let program = checker.program;
    // Policy-set problems come first; on standard error for JSON Lines, which has only
    // manifests.
    let problems = report::human::render_head(head, style);
    match format {
        Format::Jsonl => eprint!("{problems}"),
        _ => super::print(&problems),
    }
    let done = stream::stream(
        head,
        checker,
        inputs,
        format,
        style,
        args.summary,
        &mut progress,
        attest,
    );
    progress.finish();
    if format == Format::Human {
        let printed = done.printed || !problems.is_empty();
        super::print(&report::human::render_tail(
            head,
            &done.tally,
            printed,
            style,
        ));
    }
    if args.summary {
        print_summary(program, &done.counts, format);
    }
    exit_code(report::head_status(head).max(done.status))
}

fn exit_code(status: report::Status) -> Exit {
    match status {
        report::Status::Pass => Exit::Ok,
        report::Status::Fail => Exit::Denied,
        report::Status::Error => Exit::BadInput,
    }
}

/// `--summary`: after the human output on standard output; on standard error beside the
/// formats for tools, so theirs stays parseable.
fn print_summary(program: &Program, counts: &report::PolicyCounts, format: Format) {
    let table = report::summary_table(program, counts);
    match format {
        Format::Human => super::print(&table),
        _ => eprint!("{table}"),
    }
}

/// `--format` and `--report` alike; `quiet` applies to the line-oriented formats (human and
/// github), the others are complete documents.
fn render(run: &Run<'_>, format: Format, style: report::human::Style) -> String {
    report::document::render(run, doc_format(format, style))
}

fn doc_format(format: Format, style: report::human::Style) -> report::document::Format {
    use report::document::Format as F;
    match format {
        Format::Human => F::Human(style),
        Format::Json => F::Json,
        Format::Jsonl => F::Jsonl,
        Format::Sarif => F::Sarif,
        Format::Junit => F::Junit,
        Format::Github => F::Github { quiet: style.quiet },
    }
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
    let names = "human, json, jsonl, sarif, junit, github";
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
