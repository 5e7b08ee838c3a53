//! The only module that knows output formats. Takes the data of a run (diagnostics and
//! decisions) and renders it for people ([`human`]) or tools ([`json`]). Renders into a
//! `String`; the CLI decides where it goes.

pub mod explain;
pub mod human;
pub mod json;
pub mod test;

use crate::check::ir::Program;
use crate::diag::Diagnostic;
use crate::eval::{Decision, Outcome, Verdict};
use crate::source::{FileId, Sources, Span};

/// Everything one `charter check` run produced.
pub struct Run<'a> {
    pub sources: &'a Sources,
    /// The `now` policies saw, when any policy reads it.
    pub now: Option<jiff::Timestamp>,
    /// `None` when the policy set has errors (then nothing was evaluated).
    pub program: Option<&'a Program>,
    /// Problems in the policy files (errors and warnings).
    pub policy_diagnostics: Vec<Diagnostic>,
    pub manifests: Vec<ManifestRun>,
}

/// One manifest: its problems, and its decision when it could be read.
pub struct ManifestRun {
    pub name: String,
    pub file: Option<FileId>,
    pub diagnostics: Vec<Diagnostic>,
    pub decision: Option<Decision>,
}

/// The decision for a manifest as the output names it: `allow`, `warn`, `deny` or `error`.
pub fn manifest_decision(m: &ManifestRun) -> &'static str {
    match &m.decision {
        Some(d) => d.verdict.as_str(),
        None => "error",
    }
}

/// The decision for the whole run; `error` wins over `deny` over `warn` over `allow`.
pub fn run_decision(run: &Run<'_>) -> &'static str {
    if run.program.is_none() || run.manifests.iter().any(|m| m.decision.is_none()) {
        return "error";
    }
    run.manifests
        .iter()
        .filter_map(|m| m.decision.as_ref())
        .map(|d| d.verdict)
        .max()
        .unwrap_or(Verdict::Allow)
        .as_str()
}

/// 1-based line and column of a span's start and end.
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn locate(sources: &Sources, span: Span) -> Location {
    let f = sources.get(span.file);
    let (line, column) = f.line_col(span.start);
    let (end_line, end_column) = f.line_col(span.end);
    Location {
        file: f.name.clone(),
        line,
        column,
        end_line,
        end_column,
    }
}

/// Counts for the summary line.
pub struct Tally {
    pub denied: usize,
    pub warned: usize,
    pub allowed: usize,
    pub errors: usize,
}

pub fn tally(run: &Run<'_>) -> Tally {
    let mut t = Tally {
        denied: 0,
        warned: 0,
        allowed: 0,
        errors: 0,
    };
    for m in &run.manifests {
        match m.decision.as_ref().map(|d| d.verdict) {
            Some(Verdict::Deny) => t.denied += 1,
            Some(Verdict::Warn) => t.warned += 1,
            Some(Verdict::Allow) => t.allowed += 1,
            None => t.errors += 1,
        }
    }
    t
}

pub fn count_outcomes(d: &Decision, outcome: Outcome) -> usize {
    d.results.iter().filter(|r| r.outcome == outcome).count()
}
