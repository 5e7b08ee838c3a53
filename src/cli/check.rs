//! `charter check [--policies DIR] [MANIFEST | DIR]...`

use std::path::{Path, PathBuf};

mod attest;
pub(super) mod inputs;
mod spool;
pub(super) mod stream;

use super::log::LogWriter;
use super::project::{self, parse_duration, parse_now};
use super::{Color, Exit, Format};
use crate::bulk::Checker;
use crate::check::ir::Program;
use crate::eval;
use crate::report::document::Renderer;
use crate::report::{self, Run};
use inputs::Inputs;
use stream::{Deferred, Progress, Streamed, Target};

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
    /// Append every manifest's decision record to the decision log FILE (created when missing;
    /// default: `[log] file` in charter.toml), then sign a checkpoint over the whole log with
    /// the signing key (`--key-file`, else `$CHARTER_SIGNING_KEY`).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// The origin a new log is created with: the name its checkpoints are signed under, e.g.
    /// `example.com/charter` (default: `[log] origin` in charter.toml, else `charter/decisions`).
    #[arg(long, value_name = "NAME")]
    pub log_origin: Option<String>,
    /// Write a signed attestation of each manifest's decision to FILE: JSON Lines, one DSSE
    /// envelope (in-toto Statement v1) per manifest, in the order of the results (default: from
    /// charter.toml, `[evidence] attest`).
    #[arg(long, value_name = "FILE")]
    pub attest: Option<PathBuf>,
    /// The Ed25519 private key (PKCS#8 PEM, from `charter keygen`) that signs attestations and
    /// the log's checkpoints (default: charter.toml's `[evidence] key_file`, else the key's text
    /// in the environment variable CHARTER_SIGNING_KEY).
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
    // The log is opened (and locked) before anything is checked: a log that cannot take the
    // records stops the run before it starts.
    let mut log = match args.log.as_ref().or(project.log.file.as_ref()) {
        Some(path) if set_has_program(&project.set) => {
            let origin = args.log_origin.as_deref().or(project.log.origin.as_deref());
            let key_file = args
                .key_file
                .as_deref()
                .or(project.evidence.key_file.as_deref());
            let opened = super::keys::load_private_key(key_file)
                .and_then(|key| LogWriter::open(path, origin, key));
            match opened {
                Ok(writer) => Some(writer),
                Err(msg) => {
                    eprintln!("error: {msg}");
                    return Exit::BadInput;
                }
            }
        }
        _ => None,
    };
    let (sources, mut set) = (project.sources, project.set);

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
    // Human output and JSON Lines go to standard output as results come. The document formats
    // (there, and in every report file) are written at the end: their opening depends on the
    // whole run. Report files: no colour, the width of a CI log, complete whatever `--quiet`
    // says.
    let live = matches!(format, Format::Human | Format::Jsonl)
        .then(|| Renderer::new(&head, doc_format(format, style)));
    let file_style = report::human::Style {
        color: false,
        width: 100,
        quiet: false,
    };
    let mut deferred: Vec<Deferred> = Vec::new();
    if live.is_none() {
        deferred.push(Deferred::new(
            &head,
            doc_format(format, style),
            Target::Stdout,
        ));
    }
    for (f, path) in &args.report {
        let target = Target::File {
            path: path.clone(),
            format: f.name(),
        };
        deferred.push(Deferred::new(&head, doc_format(*f, file_style), target));
    }
    // Policy-set problems come first; on standard error for JSON Lines, which has only
    // manifests.
    let problems = match format {
        Format::Human | Format::Jsonl => report::human::render_head(&head, style),
        _ => String::new(),
    };
    match format {
        Format::Jsonl => eprint!("{problems}"),
        _ => super::print(&problems),
    }
    let done = match program {
        Some(program) => {
            let checker = Checker {
                program,
                sources: head.sources,
                options,
            };
            stream::stream(
                &head,
                checker,
                inputs,
                live.as_ref(),
                &mut deferred,
                args.summary,
                &mut progress,
                log.as_mut(),
                attest,
            )
        }
        None => Streamed::nothing(0),
    };
    progress.finish();
    if format == Format::Human {
        let printed = done.printed || !problems.is_empty();
        super::print(&report::human::render_tail(
            &head,
            &done.tally,
            printed,
            style,
        ));
    }
    let mut exit = exit_code(report::head_status(&head).max(done.status));
    if let Some(writer) = log {
        let writer = match done.log_error {
            Some(e) => Err(e),
            None => Ok(writer),
        };
        exit = exit.max(finish_log(writer, args.quiet));
    }
    for d in deferred {
        if let Err(msg) = d.finish(&head, &done.tally) {
            eprintln!("error: {msg}");
            exit = Exit::BadInput;
        }
    }
    if args.summary
        && let Some(program) = program
    {
        print_summary(program, &done.counts, format);
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

/// Whether the policy set compiled (a run that checks no manifest leaves the log alone).
fn set_has_program(set: &crate::PolicySet) -> bool {
    set.program.is_some()
}

/// Ends the log's part of a run: the pending records written and synced, the checkpoint
/// signed, written and synced; a line on standard error says so (unless `--quiet`).
fn finish_log(writer: Result<LogWriter, String>, quiet: bool) -> Exit {
    match writer.and_then(LogWriter::finish) {
        Ok((checkpoint, added)) => {
            if !quiet && let Some(cp) = checkpoint {
                eprintln!(
                    "log: {added} decision record{} appended; checkpoint signed at tree size {}",
                    if added == 1 { "" } else { "s" },
                    cp.size
                );
            }
            Exit::Ok
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
    }
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
