//! `charter waivers [MANIFEST | DIR]...`: every waiver of the policy set with its state at `now`
//! (active, expiring, expired) and, when manifests are given, how many of them it covered
//! (`unused`: none).

use std::path::PathBuf;

use serde::Serialize;

use super::Exit;
use super::check::inputs::{Input, Inputs, read_manifest};
use super::project::{self, WaiverState, parse_duration, parse_now};
use crate::bulk::Checker;
use crate::eval::{self, Outcome};
use crate::source::FileId;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifests to count each waiver's uses on (files, folders, JSON Lines, `-`); a waiver
    /// that covers none of them is `unused`.
    pub manifests: Vec<PathBuf>,
    /// The policy folder (default: from charter.toml, else `policies/`).
    #[arg(long, short = 'p', value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// The time the states are computed at (RFC 3339); default: the clock.
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,
    /// A waiver expiring within this time (e.g. `7d`) is `expiring`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "7d")]
    pub warn_expiring: jiff::SignedDuration,
    /// `human` (a table) or `json`.
    #[arg(long, short = 'f', default_value = "human")]
    pub format: WaiverFormat,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum WaiverFormat {
    Human,
    Json,
}

#[derive(Serialize)]
struct Row {
    policy: String,
    owner: String,
    reason: String,
    approved_by: Vec<String>,
    expires: String,
    /// `active`, `expiring`, `expired`, or `unused` (active, and covered none of the manifests).
    state: &'static str,
    /// How many of the given manifests it covered (null without manifests).
    used: Option<usize>,
    location: String,
}

pub fn run(args: &Args) -> Exit {
    let project = match project::load(args.policies.as_deref(), args.config.as_deref()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::BadInput;
        }
    };
    let now = args.now.unwrap_or_else(jiff::Timestamp::now);
    let (sources, set) = (project.sources, project.set);
    let Some(program) = set.program.as_ref() else {
        for d in &set.diagnostics {
            eprint!(
                "{}",
                crate::report::human::render_diagnostic(
                    &sources,
                    d,
                    crate::report::human::Style {
                        color: false,
                        width: super::terminal_width(),
                        quiet: false,
                    }
                )
            );
        }
        eprintln!("error: the policy set or its waiver file has errors: nothing was listed");
        return Exit::BadInput;
    };
    if project.waivers.is_none() {
        eprintln!(
            "no waiver file: write `waivers.yaml` in `{}` or name one with `waivers = \"...\"` in charter.toml",
            project::display(&project.dir)
        );
        return Exit::Ok;
    }
    // Uses per waiver, over the manifests given.
    let mut used = vec![0usize; program.waivers.len()];
    let mut problems = 0;
    if !args.manifests.is_empty() {
        let checker = Checker {
            program,
            sources: &sources,
            options: eval::Options {
                now,
                ..project.options
            },
        };
        let first = sources.len();
        for (i, input) in Inputs::gather(&args.manifests).into_iter().enumerate() {
            let (name, text) = match input {
                Input::File(path) => match read_manifest(&path) {
                    Ok(text) => (project::display(&path), text),
                    Err(message) => {
                        eprintln!("error: {message}");
                        problems += 1;
                        continue;
                    }
                },
                Input::Doc { name, text } => (name, text),
                Input::Problem { message, .. } => {
                    eprintln!("error: {message}");
                    problems += 1;
                    continue;
                }
            };
            let run = checker.check(name.clone(), FileId((first + i) as u32), &text);
            match &run.decision {
                Some(d) => {
                    for r in d.results.iter().filter(|r| r.outcome == Outcome::Waived) {
                        if let Some(w) = r.waived {
                            used[w] += 1;
                        }
                    }
                }
                None => {
                    eprintln!(
                        "error: {name} could not be read or is invalid (see `charter check {name}`)"
                    );
                    problems += 1;
                }
            }
        }
    }
    let rows: Vec<Row> = program
        .waivers
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let state = match project::waiver_state(w, now, Some(args.warn_expiring)) {
                WaiverState::Expired => "expired",
                WaiverState::Expiring => "expiring",
                WaiverState::Active if !args.manifests.is_empty() && used[k] == 0 => "unused",
                WaiverState::Active => "active",
            };
            let at = crate::report::locate(&sources, w.span);
            Row {
                policy: program.policies[w.policy].name.clone(),
                owner: w.owner.clone(),
                reason: w.reason.clone(),
                approved_by: w.approved_by.clone(),
                expires: w.expires.to_string(),
                state,
                used: (!args.manifests.is_empty()).then_some(used[k]),
                location: format!("{}:{}", at.file, at.line),
            }
        })
        .collect();
    match args.format {
        WaiverFormat::Json => {
            let doc = serde_json::json!({ "version": 1, "now": now.to_string(), "waivers": rows });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        WaiverFormat::Human => print!("{}", table(&rows, now)),
    }
    if problems > 0 {
        Exit::BadInput
    } else {
        Exit::Ok
    }
}

fn table(rows: &[Row], now: jiff::Timestamp) -> String {
    let head = [
        "state", "policy", "owner", "expires", "used", "where", "reason",
    ];
    let mut cells: Vec<[String; 7]> = vec![head.map(String::from)];
    for r in rows {
        cells.push([
            r.state.to_string(),
            r.policy.clone(),
            r.owner.clone(),
            r.expires.clone(),
            r.used.map_or("-".into(), |n| n.to_string()),
            r.location.clone(),
            crate::diag::escape_controls(&r.reason, false).into_owned(),
        ]);
    }
    let mut widths = [0; 7];
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (c, w) in row.iter().zip(widths) {
            line.push_str(&format!("{c:<w$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let count = |s: &str| rows.iter().filter(|r| r.state == s).count();
    out.push_str(&format!(
        "{} at {now}: {} active, {} expiring, {} expired, {} unused\n",
        crate::report::plural(rows.len(), "waiver", "waivers"),
        count("active"),
        count("expiring"),
        count("expired"),
        count("unused"),
    ));
    out
}
