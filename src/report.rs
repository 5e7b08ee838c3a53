//! The only module that knows output formats. Takes the data of a run (diagnostics and
//! decisions) and renders it for people ([`human`]), tools ([`json`]), code scanning
//! ([`sarif`]), test reports ([`junit`]) or GitHub Actions annotations ([`github`]). Renders
//! into strings, a manifest at a time ([`document`]); the CLI decides where they go (the
//! terminal, or a `--report` file).
//!
//! What fails a run is decided here too ([`status`]), so the exit code, `--quiet` and every
//! format agree on it.

pub mod attest;
pub mod diff;
pub mod document;
pub mod explain;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod test;

use crate::check::ir::Program;
use crate::diag::{Diagnostic, Label, Level};
use crate::eval::{Decision, Outcome, PolicyResult, Verdict};
use crate::evidence::digest::Digest;
use crate::source::{FileId, Sources, Span};
use crate::syntax::ast::Severity;

/// The engine that decides, as every result names it: `charter/<version>`.
pub const ENGINE: &str = concat!("charter/", env!("CARGO_PKG_VERSION"));

/// What every result of a run carries so that its decisions can be reproduced (issue 18): the
/// policy-set digest and the evaluation time (`--now`, else the clock at the start of the run),
/// beside [`ENGINE`] and each manifest's digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub policy_set: Digest,
    pub evaluated_at: jiff::Timestamp,
}

/// Everything one `charter check` run produced.
pub struct Run<'a> {
    pub sources: &'a Sources,
    pub provenance: Provenance,
    /// The `now` policies saw, when any policy reads it.
    pub now: Option<jiff::Timestamp>,
    /// `None` when the policy set has errors (then nothing was evaluated).
    pub program: Option<&'a Program>,
    /// Problems in the policy files (errors and warnings).
    pub policy_diagnostics: Vec<Diagnostic>,
    pub manifests: Vec<ManifestRun>,
    /// `--deny-warnings`: a warned manifest or a warning diagnostic fails the run.
    pub deny_warnings: bool,
}

/// One manifest: its problems, and its decision when it could be read.
pub struct ManifestRun {
    pub name: String,
    pub file: Option<FileId>,
    /// The SHA-256 of the manifest's bytes as read; `None` when it could not be read.
    pub digest: Option<Digest>,
    /// The git commit the manifest is about (`evidence::commit_of`), when it names one.
    pub commit: Option<String>,
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
    decision_of(run, &tally(run))
}

/// The decision for a run whose manifests `tally` counts.
pub fn decision_of(run: &Run<'_>, tally: &Tally) -> &'static str {
    let verdict = if tally.denied > 0 {
        Verdict::Deny
    } else if tally.warned > 0 {
        Verdict::Warn
    } else {
        Verdict::Allow
    };
    if run.program.is_none() || tally.errors > 0 {
        "error"
    } else {
        verdict.as_str()
    }
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
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub denied: usize,
    pub warned: usize,
    pub allowed: usize,
    pub errors: usize,
    /// Allowed or warned manifests that an override let through (counted in `allowed` or
    /// `warned` too).
    pub overridden: usize,
    /// Allowed or warned manifests that a waiver let through (and no override).
    pub waived: usize,
}

impl Tally {
    pub fn add(&mut self, m: &ManifestRun) {
        match m.decision.as_ref().map(|d| d.verdict) {
            Some(Verdict::Deny) => self.denied += 1,
            Some(Verdict::Warn) => self.warned += 1,
            Some(Verdict::Allow) => self.allowed += 1,
            None => self.errors += 1,
        }
        if let Some(d) = &m.decision
            && d.verdict != Verdict::Deny
        {
            if d.results.iter().any(|r| r.outcome == Outcome::Overridden) {
                self.overridden += 1;
            } else if d.results.iter().any(|r| r.outcome == Outcome::Waived) {
                self.waived += 1;
            }
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.denied += other.denied;
        self.warned += other.warned;
        self.allowed += other.allowed;
        self.errors += other.errors;
        self.overridden += other.overridden;
        self.waived += other.waived;
    }

    /// Manifests counted.
    pub fn total(&self) -> usize {
        self.denied + self.warned + self.allowed + self.errors
    }
}

pub fn tally(run: &Run<'_>) -> Tally {
    let mut t = Tally::default();
    for m in &run.manifests {
        t.add(m);
    }
    t
}

/// Outcome counts per policy over a run (`--summary`).
#[derive(Clone, Debug, Default)]
pub struct PolicyCounts {
    /// Per policy, in declaration order: passed, failed, skipped, errored, overridden, waived.
    pub counts: Vec<[usize; 6]>,
    /// Manifests no policy was evaluated on (they could not be read or are invalid).
    pub unchecked: usize,
}

impl PolicyCounts {
    pub fn new(policies: usize) -> PolicyCounts {
        PolicyCounts {
            counts: vec![[0; 6]; policies],
            unchecked: 0,
        }
    }

    pub fn add(&mut self, m: &ManifestRun) {
        self.add_outcomes(
            m.decision
                .as_ref()
                .map(|d| d.results.iter().map(|r| r.outcome)),
        );
    }

    /// One manifest: each policy's outcome in declaration order, `None` when none was evaluated.
    pub fn add_outcomes(&mut self, outcomes: Option<impl IntoIterator<Item = Outcome>>) {
        let Some(outcomes) = outcomes else {
            self.unchecked += 1;
            return;
        };
        for (c, o) in self.counts.iter_mut().zip(outcomes) {
            let k = match o {
                Outcome::Pass => 0,
                Outcome::Fail => 1,
                Outcome::Skip => 2,
                Outcome::Error => 3,
                Outcome::Overridden => 4,
                Outcome::Waived => 5,
            };
            c[k] += 1;
        }
    }
}

/// The `--summary` table: per policy, how many manifests passed, failed, skipped or errored
/// (and were overridden, when a policy can be).
pub fn summary_table(program: &Program, counts: &PolicyCounts) -> String {
    let overridable = program.policies.iter().any(|p| p.override_when.is_some());
    let waivable = !program.waivers.is_empty();
    let mut head = vec![
        "policy", "severity", "passed", "failed", "skipped", "errored",
    ];
    if overridable {
        head.push("overridden");
    }
    if waivable {
        head.push("waived");
    }
    let mut rows: Vec<Vec<String>> = vec![head.into_iter().map(String::from).collect()];
    for (p, c) in program.policies.iter().zip(&counts.counts) {
        let mut row = vec![p.name.clone(), p.severity.as_str().to_string()];
        row.extend(c[..4].iter().map(usize::to_string));
        if overridable {
            row.push(c[4].to_string());
        }
        if waivable {
            row.push(c[5].to_string());
        }
        rows.push(row);
    }
    let mut widths = vec![0; rows[0].len()];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (k, (cell, &w)) in row.iter().zip(&widths).enumerate() {
            if k < 2 {
                line.push_str(&format!("{cell:<w$}  "));
            } else {
                line.push_str(&format!("{cell:>w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if counts.unchecked > 0 {
        out.push_str(&format!(
            "{} not evaluated: the manifest could not be read or is invalid\n",
            plural(counts.unchecked, "manifest", "manifests")
        ));
    }
    out
}

pub fn count_outcomes(d: &Decision, outcome: Outcome) -> usize {
    d.results.iter().filter(|r| r.outcome == outcome).count()
}

/// How a run ends, which the exit code reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Every manifest allowed or warned (warnings allowed), or no manifests and a valid set.
    Pass,
    /// A manifest was denied, or (with `deny_warnings`) warned or carried a warning.
    Fail,
    /// The policy set or a manifest could not be read or checked.
    Error,
}

pub fn status(run: &Run<'_>) -> Status {
    let mut status = head_status(run);
    for m in &run.manifests {
        status = status.max(manifest_status(run, m));
    }
    status
}

/// The status the policy set alone gives a run: `Error` when it has errors, `Fail` when one of
/// its warnings fails the run.
pub fn head_status(run: &Run<'_>) -> Status {
    if run.program.is_none() {
        Status::Error
    } else if run
        .policy_diagnostics
        .iter()
        .any(|d| diagnostic_fails(run, d))
    {
        Status::Fail
    } else {
        Status::Pass
    }
}

/// What one manifest does to a run's status (a run's status is the worst of its parts).
pub fn manifest_status(run: &Run<'_>, m: &ManifestRun) -> Status {
    if m.decision.is_none() {
        Status::Error
    } else if manifest_fails(run, m) {
        Status::Fail
    } else {
        Status::Pass
    }
}

/// Whether a diagnostic fails the run: errors always, warnings with `deny_warnings`.
pub fn diagnostic_fails(run: &Run<'_>, d: &Diagnostic) -> bool {
    match d.level {
        Level::Error => true,
        Level::Warning => run.deny_warnings,
        Level::Advice => false,
    }
}

/// Whether a policy result fails the run: a failed or errored `deny` policy, and a `warn`
/// policy with `deny_warnings`; `info` policies never do.
pub fn result_fails(run: &Run<'_>, program: &Program, r: &PolicyResult) -> bool {
    is_failure(r)
        && match program.policies[r.policy].severity {
            Severity::Deny => true,
            Severity::Warn => run.deny_warnings,
            Severity::Info => false,
        }
}

/// Whether a manifest fails the run: unreadable, denied, or a failing result or diagnostic.
pub fn manifest_fails(run: &Run<'_>, m: &ManifestRun) -> bool {
    let Some(d) = &m.decision else {
        return true;
    };
    d.verdict == Verdict::Deny
        || m.diagnostics.iter().any(|x| diagnostic_fails(run, x))
        || run
            .program
            .is_some_and(|p| d.results.iter().any(|r| result_fails(run, p, r)))
}

/// A failure an override or a waiver let pass: reported as a note in every format.
pub fn is_excused(r: &PolicyResult) -> bool {
    r.overridden.is_some() || r.waived.is_some()
}

/// A failed or errored result: the ones every format reports.
pub fn is_failure(r: &PolicyResult) -> bool {
    matches!(r.outcome, Outcome::Fail | Outcome::Error)
}

/// The level a failed policy reports at in tool formats: its severity (an errored `warn`
/// policy warns, as it does in the decision).
pub fn severity_level(s: Severity) -> Level {
    match s {
        Severity::Deny => Level::Error,
        Severity::Warn => Level::Warning,
        Severity::Info => Level::Advice,
    }
}

/// A failed or errored policy as a diagnostic: the message, the clause in the policy file, the
/// deciding values in the manifest, and the help text. The code is `deny[name]`; an errored
/// result is an error whatever the severity (the human output marks it so).
pub fn result_diagnostic(program: &Program, r: &PolicyResult) -> Diagnostic {
    let p = &program.policies[r.policy];
    let level = match r.outcome {
        Outcome::Error => Level::Error,
        _ => severity_level(p.severity),
    };
    Diagnostic {
        level,
        code: format!("{}[{}]", p.severity.as_str(), p.name).into(),
        message: r.message.clone().unwrap_or_default(),
        labels: result_labels(program, r),
        help: result_help(r),
    }
}

/// An overridden policy as a note: the override's message, the failed clauses, the override
/// clause and the values that made it hold; the help says what was overridden. The code is
/// `override[name]`.
pub fn override_diagnostic(program: &Program, r: &PolicyResult) -> Option<Diagnostic> {
    if let Some(w) = r.waived {
        return Some(waiver_diagnostic(program, r, &program.waivers[w]));
    }
    let o = r.overridden.as_ref()?;
    let p = &program.policies[r.policy];
    let mut labels = clause_labels(r);
    labels.push(Label {
        span: o.span,
        text: "the override holds".into(),
    });
    labels.extend(evidence_labels(&o.evidence));
    Some(Diagnostic {
        level: Level::Advice,
        code: format!("override[{}]", p.name).into(),
        message: o.message.clone(),
        labels,
        help: Some(format!(
            "overridden failure: {}",
            r.message.as_deref().unwrap_or("the policy failed")
        )),
    })
}

/// A waived policy as a note: who owns the waiver, why, until when; the failed clauses, the
/// values that decided the failure and the waiver's entry. The code is `waived[name]`.
fn waiver_diagnostic(
    program: &Program,
    r: &PolicyResult,
    w: &crate::check::ir::Waiver,
) -> Diagnostic {
    let p = &program.policies[r.policy];
    let mut labels = result_labels(program, r);
    labels.push(Label {
        span: w.span,
        text: format!(
            "this waiver applies (approved by {})",
            w.approved_by.join(", ")
        ),
    });
    Diagnostic {
        level: Level::Advice,
        code: format!("waived[{}]", p.name).into(),
        message: format!(
            "waived until {} (owner {}): {}",
            w.expires, w.owner, w.reason
        ),
        labels,
        help: Some(format!(
            "waived failure: {}",
            r.message.as_deref().unwrap_or("the policy failed")
        )),
    }
}

/// A result's help: the policy's own text, then what would make the manifest pass.
pub fn result_help(r: &PolicyResult) -> Option<String> {
    match (&r.help, &r.remediation) {
        (Some(h), Some(rem)) => Some(format!("{h}\nto pass: {rem}")),
        (None, Some(rem)) => Some(format!("to pass: {rem}")),
        (h, None) => h.clone(),
    }
}

/// Each failed clause with what it evaluated to.
fn clause_labels(r: &PolicyResult) -> Vec<Label> {
    (r.clauses.iter())
        .map(|n| Label {
            span: n.span,
            text: n.text.clone(),
        })
        .collect()
}

/// Each deciding manifest value with its summary.
fn evidence_labels(evidence: &[crate::eval::Evidence]) -> impl Iterator<Item = Label> + '_ {
    evidence.iter().map(|e| Label {
        span: e.span,
        text: e.text.clone(),
    })
}

/// A result's labels: each failed clause (or the policy's name), then the manifest values that
/// decided it, then where an absent value was read.
pub fn result_labels(program: &Program, r: &PolicyResult) -> Vec<Label> {
    let p = &program.policies[r.policy];
    let mut labels = clause_labels(r);
    if labels.is_empty() {
        labels.push(Label {
            span: p.name_span,
            text: "this policy".into(),
        });
    }
    labels.extend(evidence_labels(&r.evidence));
    if let Some(err) = &r.error
        && let Some(ms) = err.manifest_span
    {
        labels.push(Label {
            span: ms,
            text: "absent here".into(),
        });
    }
    labels
}

/// Where in the manifest a result is anchored for tools that show one location per finding
/// (code scanning, annotations): the first value a failed `require` read, else the first value
/// the `when` read, else where an absent value was read. `None` when no manifest value was
/// involved (e.g. `require false`).
pub fn manifest_anchor(r: &PolicyResult) -> Option<Span> {
    r.evidence
        .iter()
        .find(|e| e.in_require)
        .or(r.evidence.first())
        .map(|e| e.span)
        .or_else(|| r.error.as_ref().and_then(|e| e.manifest_span))
}

/// A diagnostic as plain text for formats without source snippets (JUnit bodies, annotations):
/// the message, one `file:line:column: text` line per label, and the help.
pub fn plain_text(sources: &Sources, d: &Diagnostic) -> String {
    let mut out = d.message.clone();
    for l in &d.labels {
        let loc = locate(sources, l.span);
        out.push_str(&format!(
            "\n  {}:{}:{}: {}",
            loc.file, loc.line, loc.column, l.text
        ));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("\nhelp: {h}"));
    }
    out
}

/// The closing line: `3 manifests: 1 denied, 1 warned, 1 allowed (12 policies; policy set
/// sha256:504948eb1f91, charter 0.1.0, evaluated 2026-12-24T09:00:00Z)`, or what stopped the
/// run. The policy-set digest is shortened to 12 hex digits; JSON and the other tool formats
/// carry it whole, with each manifest's digest.
pub fn summary(run: &Run<'_>) -> String {
    summary_of(run, &tally(run))
}

/// The closing line for the manifests counted in `t` (when they are not kept in `run`).
pub fn summary_of(run: &Run<'_>, t: &Tally) -> String {
    let Some(program) = run.program else {
        let errors = run
            .policy_diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count();
        return format!(
            "policy set has {}: nothing was checked",
            plural(errors, "error", "errors")
        );
    };
    let n = t.total();
    let policies = plural(program.policies.len(), "policy", "policies");
    let p = &run.provenance;
    let set = format!("policy set sha256:{}", p.policy_set.short(12));
    let engine = ENGINE.replace('/', " ");
    if n == 0 {
        return format!("policy set ok: {policies}, no manifests given ({set}, {engine})");
    }
    let mut parts = vec![
        format!("{} denied", t.denied),
        format!("{} warned", t.warned),
        format!("{} allowed", t.allowed),
    ];
    if t.errors > 0 {
        parts.push(format!("{} could not be read", t.errors));
    }
    let mut line = format!(
        "{}: {} ({policies}; {set}, {engine}, evaluated {})",
        plural(n, "manifest", "manifests"),
        parts.join(", "),
        p.evaluated_at
    );
    let excused: Vec<String> = [(t.overridden, "override"), (t.waived, "waiver")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, by)| {
            format!(
                "{} only by {by}",
                plural(n, "manifest passed", "manifests passed")
            )
        })
        .collect();
    if !excused.is_empty() {
        line.push_str("; ");
        line.push_str(&excused.join(", "));
    }
    line
}

/// `n thing` or `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
