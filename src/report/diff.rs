//! `charter diff` output: what changing the base policy set into the new one flips, for people
//! ([`human`]), tools ([`json`], versioned, `schemas/charter-diff.schema.json`) and pull request
//! comments ([`markdown`], also for `$GITHUB_STEP_SUMMARY`). An example shows the same evidence
//! as `charter check`: the failure as a diagnostic with its clause and the manifest values that
//! decided it.
//!
//! JSON, field by field in README.md:
//!
//! ```text
//! { "version": 1, "now", "base": {"label", "policies"}, "new": {"label", "policies"},
//!   "manifests", "flipped", "changed", "exceptions", "nothing_flipped", "same_schema",
//!   "decisions": [ {"from", "to", "manifests"} ],
//!   "policies": [ { "policy", "base_name", "change", "severity": {"base", "new"}, "flips",
//!                   "transitions": [ {"from", "to", "manifests"} ],
//!                   "examples": [ {"manifest", "from", "to", "side", "result": <result>} ] } ],
//!   "now_errors": {"manifests", "examples": [ <failure> ]},
//!   "unreadable": {"manifests", "examples": [ <failure> ]} }
//! <failure> = { "manifest", "diagnostics": [ <diagnostic> ], "results": [ <result> ] }
//! ```
//! `<result>` and `<diagnostic>` are those of `charter check --format json`.

use serde::Serialize;

use super::human::{Style, render_diagnostic};
use super::{json, override_diagnostic, plural, result_diagnostic};
use crate::check::ir::Program;
use crate::compare::{
    Decided, Entry, Example, Failure, Kind, OUTCOMES, Report, Side, excepted, outcome_name,
};
use crate::diag::escape_controls;
use crate::eval::Outcome;
use crate::source::Sources;
use crate::syntax::ast::Severity;

pub const VERSION: u32 = 1;

/// A finished comparison and what it needs to be rendered.
pub struct Diff<'a> {
    /// The policy files of both sets, then the text of every kept manifest
    /// ([`Report::place`]).
    pub sources: &'a Sources,
    pub base: &'a Program,
    pub new: &'a Program,
    /// How the sets are named: `policies at origin/main`, `policies`.
    pub base_label: &'a str,
    pub new_label: &'a str,
    /// The `now` policies saw, when any policy of either set reads it.
    pub now: Option<jiff::Timestamp>,
    pub report: &'a Report,
    /// Whether both sets declare the same manifest schema (else each manifest was read against
    /// each).
    pub same_schema: bool,
}

/// A policy's outcomes moving on some manifests: `(from, to, manifests)`; on a failure kept on
/// both sides, the severity it changed between.
struct Transition {
    from: Option<Outcome>,
    to: Option<Outcome>,
    manifests: usize,
    severity: Option<(Severity, Severity)>,
}

impl Transition {
    fn text(&self) -> String {
        let mut s = format!("{} -> {}", outcome_name(self.from), outcome_name(self.to));
        if let Some((a, b)) = self.severity {
            s.push_str(&format!(" (severity {} -> {})", a.as_str(), b.as_str()));
        }
        s
    }
}

fn transitions(d: &Diff<'_>, k: usize) -> Vec<Transition> {
    let e = d.report.entries[k];
    let (sb, sn) = e.severities(d.base, d.new);
    let mut out = Vec::new();
    for (i, row) in d.report.outcomes[k].iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            let (from, to) = (OUTCOMES[i], OUTCOMES[j]);
            let failing_both = matches!(from, Some(Outcome::Fail | Outcome::Error)) && from == to;
            let severity = match (sb, sn) {
                (Some(a), Some(b)) if failing_both && a != b => Some((a, b)),
                _ => None,
            };
            if n > 0 && (from != to || severity.is_some()) {
                out.push(Transition {
                    from,
                    to,
                    manifests: n,
                    severity,
                });
            }
        }
    }
    out
}

/// Decisions that changed: `(from, to, manifests)`.
fn decision_changes(r: &Report) -> Vec<(Decided, Decided, usize)> {
    let mut out = Vec::new();
    for (i, row) in r.decisions.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            if i != j && n > 0 {
                out.push((Decided::ALL[i], Decided::ALL[j], n));
            }
        }
    }
    out
}

/// Entries worth a section: a policy that is not unchanged, or whose outcomes moved.
fn shown(d: &Diff<'_>) -> Vec<usize> {
    (0..d.report.entries.len())
        .filter(|&k| d.report.entries[k].kind != Kind::Unchanged || !transitions(d, k).is_empty())
        .collect()
}

/// `large_change_two_approvals`, or `old -> new` for a renamed policy.
fn entry_name(d: &Diff<'_>, e: &Entry) -> String {
    match (e.kind, e.base) {
        (Kind::Renamed, Some(b)) => {
            format!("{} -> {}", d.base.policies[b].name, e.name(d.base, d.new))
        }
        _ => e.name(d.base, d.new).to_string(),
    }
}

/// `deny`, or `warn -> deny` when the severity changed.
fn severity_text(d: &Diff<'_>, e: &Entry) -> String {
    match e.severities(d.base, d.new) {
        (Some(a), Some(b)) if a != b => format!("{} -> {}", a.as_str(), b.as_str()),
        (_, Some(s)) | (Some(s), None) => s.as_str().to_string(),
        (None, None) => String::new(),
    }
}

const SCHEMA_CHANGED: &str = "the manifest schema changed: each manifest was read against both";

/// The one closing line: what flipped on how many manifests, or that nothing did.
pub fn closing(d: &Diff<'_>) -> String {
    let r = d.report;
    let compared = plural(r.compared, "manifest", "manifests");
    let mut tail = String::new();
    if r.unreadable > 0 {
        tail = format!(
            "; {} could not be read by either set",
            plural(r.unreadable, "manifest", "manifests")
        );
    }
    if r.compared == 0 && r.unreadable == 0 {
        return "nothing flipped: no manifests given, only the policy sets were compared (replay a history: `charter manifest git --each HEAD~500..HEAD | charter diff --base REV -`)".into();
    }
    if !r.anything() {
        return format!(
            "nothing flipped: {compared} compared, no decision and no policy's result changed{tail}"
        );
    }
    let mut parts = Vec::new();
    let flipped = r.flipped();
    if flipped > 0 {
        let changes: Vec<String> = decision_changes(r)
            .iter()
            .map(|(a, b, n)| format!("{n} {} -> {}", a.as_str(), b.as_str()))
            .collect();
        parts.push(format!(
            "{} flip{} ({})",
            plural(flipped, "decision", "decisions"),
            if flipped == 1 { "s" } else { "" },
            changes.join(", ")
        ));
    } else {
        parts.push("no decision flips".to_string());
    }
    let policies: Vec<String> = (0..r.entries.len())
        .filter(|&k| r.flips[k] > 0)
        .map(|k| format!("{} on {}", r.entries[k].name(d.base, d.new), r.flips[k]))
        .collect();
    if !policies.is_empty() {
        parts.push(format!(
            "{} flip{} ({})",
            plural(policies.len(), "policy", "policies"),
            if policies.len() == 1 { "s" } else { "" },
            policies.join(", ")
        ));
    }
    if r.exceptions > 0 {
        parts.push(format!(
            "overrides or waivers change on {}",
            plural(r.exceptions, "manifest", "manifests")
        ));
    }
    if r.now_errors > 0 {
        parts.push(format!(
            "{} now error{}",
            plural(r.now_errors, "manifest", "manifests"),
            if r.now_errors == 1 { "s" } else { "" }
        ));
    }
    format!("{compared} compared: {}{tail}", parts.join("; "))
}

// ------------------------------------------------------------------ human

pub fn human(d: &Diff<'_>, style: Style) -> String {
    let r = d.report;
    let mut out = format!(
        "base: {} ({}); new: {} ({})\n",
        d.base_label,
        plural(d.base.policies.len(), "policy", "policies"),
        d.new_label,
        plural(d.new.policies.len(), "policy", "policies"),
    );
    if !d.same_schema {
        out.push_str(SCHEMA_CHANGED);
        out.push('\n');
    }
    let changed: Vec<&Entry> = r
        .entries
        .iter()
        .filter(|e| e.kind != Kind::Unchanged)
        .collect();
    if !changed.is_empty() {
        out.push_str("\npolicies:\n");
        for e in changed {
            out.push_str(&format!(
                "  {:<9} {} ({})\n",
                e.kind.as_str(),
                entry_name(d, e),
                severity_text(d, e)
            ));
        }
    }
    let decisions = decision_changes(r);
    if !decisions.is_empty() {
        out.push_str(&format!(
            "\ndecisions: {} of {} flip\n",
            r.flipped(),
            plural(r.compared, "manifest", "manifests")
        ));
        for (a, b, n) in decisions {
            out.push_str(&format!(
                "  {:<15} {n}\n",
                format!("{} -> {}", a.as_str(), b.as_str())
            ));
        }
    }
    if r.exceptions > 0 {
        out.push_str(&format!("\n{}\n", exceptions_text(r.exceptions)));
    }
    for k in shown(d) {
        let e = r.entries[k];
        let ts = transitions(d, k);
        if e.kind == Kind::Unchanged && ts.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\npolicy {} ({}, {}): {}\n",
            entry_name(d, &e),
            e.kind.as_str(),
            severity_text(d, &e),
            flips_text(r.flips[k])
        ));
        if e.kind == Kind::Unchanged {
            out.push_str("  its text is the same: a definition or the schema it reads changed, or a waiver\n");
        }
        for t in &ts {
            out.push_str(&format!("  {:<14}  {}\n", t.text(), t.manifests));
        }
        for (i, ex) in r.examples[k].iter().enumerate() {
            out.push_str(&format!(
                "\n  example {} of {}: {}: {}\n",
                i + 1,
                r.flips[k],
                escape_controls(&r.kept[ex.manifest].name, false),
                example_text(d, k, ex)
            ));
            out.push_str(&render_diagnostic(
                d.sources,
                &example_diagnostic(d, ex),
                style,
            ));
        }
    }
    if r.now_errors > 0 {
        out.push_str(&format!(
            "\nnow errors: {} the base set read without an error\n",
            plural(r.now_errors, "manifest", "manifests")
        ));
        for f in &r.errors {
            out.push_str(&failure_human(d, f, style));
        }
    }
    if r.unreadable > 0 {
        out.push_str(&format!(
            "\ncould not be read by either set: {}\n",
            plural(r.unreadable, "manifest", "manifests")
        ));
        for f in &r.unreadable_examples {
            out.push_str(&failure_human(d, f, style));
        }
    }
    out.push('\n');
    out.push_str(&closing(d));
    out.push('\n');
    if let Some(now) = d.now
        && r.compared > 0
    {
        out.push_str(&format!("now = {now} (reproduce with --now {now})\n"));
    }
    out
}

/// Manifests on which an override or a waiver lets a failure through in one set only.
fn exceptions_text(n: usize) -> String {
    format!(
        "overrides and waivers: on {} a failure is let through (overridden or waived) by one set and not the other",
        plural(n, "manifest", "manifests")
    )
}

fn flips_text(n: usize) -> String {
    if n == 0 {
        "no flips".into()
    } else {
        format!("flips on {}", plural(n, "manifest", "manifests"))
    }
}

/// `pass -> fail`, and whose result the example shows when it is the base's.
fn example_text(d: &Diff<'_>, k: usize, ex: &Example) -> String {
    let mut s = format!("{} -> {}", outcome_name(ex.from), outcome_name(ex.to));
    if ex.from == ex.to {
        s.push_str(&format!(
            " (severity {})",
            severity_text(d, &d.report.entries[k])
        ));
    }
    if ex.side == Side::Base {
        s.push_str(" (what failed before)");
    }
    s
}

fn example_diagnostic(d: &Diff<'_>, ex: &Example) -> crate::diag::Diagnostic {
    let program = match ex.side {
        Side::Base => d.base,
        Side::New => d.new,
    };
    if excepted(Some(ex.result.outcome))
        && let Some(d) = override_diagnostic(program, &ex.result)
    {
        return d;
    }
    result_diagnostic(program, &ex.result)
}

fn failure_diagnostics(d: &Diff<'_>, f: &Failure) -> Vec<crate::diag::Diagnostic> {
    f.diagnostics
        .iter()
        .cloned()
        .chain(f.results.iter().map(|r| result_diagnostic(d.new, r)))
        .collect()
}

fn failure_human(d: &Diff<'_>, f: &Failure, style: Style) -> String {
    let mut out = format!("\n  {}\n", escape_controls(&f.name, false));
    for diag in failure_diagnostics(d, f) {
        out.push_str(&render_diagnostic(d.sources, &diag, style));
    }
    out
}

// ------------------------------------------------------------------ markdown

/// Markdown for a pull request comment or `$GITHUB_STEP_SUMMARY`: the closing line first, then
/// tables, then each example in a collapsed block with the same evidence as the human output.
pub fn markdown(d: &Diff<'_>) -> String {
    let r = d.report;
    let plain = Style {
        color: false,
        width: 100,
        quiet: false,
    };
    let mut out = String::from("## Charter: what this policy change flips\n\n");
    out.push_str(&format!(
        "Base: {} ({}). New: {} ({}).\n\n",
        md_code(d.base_label),
        plural(d.base.policies.len(), "policy", "policies"),
        md_code(d.new_label),
        plural(d.new.policies.len(), "policy", "policies"),
    ));
    out.push_str(&format!("**{}**\n", md_text(&closing(d))));
    if !d.same_schema {
        out.push_str(&format!("\n{}.\n", md_text(SCHEMA_CHANGED)));
    }
    let changed: Vec<&Entry> = r
        .entries
        .iter()
        .filter(|e| e.kind != Kind::Unchanged)
        .collect();
    if !changed.is_empty() {
        out.push_str("\n| policy | change | severity |\n|---|---|---|\n");
        for e in changed {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                md_code(&entry_name(d, e)),
                e.kind.as_str(),
                severity_text(d, e)
            ));
        }
    }
    let decisions = decision_changes(r);
    if !decisions.is_empty() {
        out.push_str("\n| decision | manifests |\n|---|---:|\n");
        for (a, b, n) in decisions {
            out.push_str(&format!("| {} -> {} | {n} |\n", a.as_str(), b.as_str()));
        }
    }
    if r.exceptions > 0 {
        out.push_str(&format!("\n{}.\n", md_text(&exceptions_text(r.exceptions))));
    }
    for k in shown(d) {
        let e = r.entries[k];
        let ts = transitions(d, k);
        out.push_str(&format!(
            "\n### {} ({}, {}): {}\n\n",
            md_code(&entry_name(d, &e)),
            e.kind.as_str(),
            severity_text(d, &e),
            flips_text(r.flips[k])
        ));
        if e.kind == Kind::Unchanged {
            out.push_str("Its text is the same: a definition or the schema it reads changed, or a waiver.\n\n");
        }
        if !ts.is_empty() {
            out.push_str("| outcome | manifests |\n|---|---:|\n");
            for t in &ts {
                out.push_str(&format!("| {} | {} |\n", t.text(), t.manifests));
            }
        }
        if r.examples[k].len() < r.flips[k] && !r.examples[k].is_empty() {
            out.push_str(&format!(
                "\nThe first {} of {} flips (`--examples N` shows more):\n",
                r.examples[k].len(),
                r.flips[k]
            ));
        }
        for ex in &r.examples[k] {
            let summary = format!("{}: {}", r.kept[ex.manifest].name, example_text(d, k, ex));
            let body = render_diagnostic(d.sources, &example_diagnostic(d, ex), plain);
            out.push_str(&details(&summary, &body));
        }
    }
    if r.now_errors > 0 {
        out.push_str(&format!(
            "\n### Now errors: {}\n\nThe base set read these without an error.\n",
            plural(r.now_errors, "manifest", "manifests")
        ));
        for f in &r.errors {
            out.push_str(&failure_markdown(d, f, plain));
        }
    }
    if r.unreadable > 0 {
        out.push_str(&format!(
            "\n### Could not be read by either set: {}\n",
            plural(r.unreadable, "manifest", "manifests")
        ));
        for f in &r.unreadable_examples {
            out.push_str(&failure_markdown(d, f, plain));
        }
    }
    if let Some(now) = d.now
        && r.compared > 0
    {
        out.push_str(&format!("\n`now` = {now} (reproduce with `--now {now}`)\n"));
    }
    out
}

fn failure_markdown(d: &Diff<'_>, f: &Failure, style: Style) -> String {
    let body: String = failure_diagnostics(d, f)
        .iter()
        .map(|diag| render_diagnostic(d.sources, diag, style))
        .collect();
    details(&f.name, &body)
}

/// A collapsed block: the summary line, then the text in a fence longer than any backtick run
/// in it.
fn details(summary: &str, body: &str) -> String {
    let longest = longest_run(body, '`');
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "\n<details><summary>{}</summary>\n\n{fence}text\n{}{}{fence}\n\n</details>\n",
        html_escape(&escape_controls(summary, false)),
        body,
        if body.ends_with('\n') { "" } else { "\n" },
    )
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text in a code span that survives a table cell: delimited by more backticks than it holds,
/// `|` escaped (GitHub splits cells on it even in code).
fn md_code(s: &str) -> String {
    let s = escape_controls(s, false).replace('|', "\\|");
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// Plain text in Markdown: the characters that would start markup escaped.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape_controls(s, false).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ------------------------------------------------------------------ JSON

#[derive(Serialize)]
struct JsonDiff<'a> {
    version: u32,
    now: Option<String>,
    base: JsonSet<'a>,
    new: JsonSet<'a>,
    /// Manifests at least one set could read.
    manifests: usize,
    /// Manifests whose decision changed.
    flipped: usize,
    /// Manifests whose decision or some policy's effect changed, or that now error.
    changed: usize,
    /// Manifests on which a failure is overridden or waived by one set only.
    exceptions: usize,
    nothing_flipped: bool,
    /// Whether both sets declare the same manifest schema.
    same_schema: bool,
    decisions: Vec<JsonDecision>,
    policies: Vec<JsonPolicy<'a>>,
    now_errors: JsonFailures<'a>,
    unreadable: JsonFailures<'a>,
}

#[derive(Serialize)]
struct JsonSet<'a> {
    label: &'a str,
    policies: usize,
}

#[derive(Serialize)]
struct JsonDecision {
    from: &'static str,
    to: &'static str,
    manifests: usize,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    policy: &'a str,
    /// The base set's name (differs for a renamed policy; null for an added one).
    base_name: Option<&'a str>,
    change: &'static str,
    severity: JsonSeverity,
    flips: usize,
    transitions: Vec<JsonTransition>,
    examples: Vec<JsonExample<'a>>,
}

#[derive(Serialize)]
struct JsonSeverity {
    base: Option<&'static str>,
    new: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonTransition {
    from: &'static str,
    to: &'static str,
    manifests: usize,
}

#[derive(Serialize)]
struct JsonExample<'a> {
    manifest: &'a str,
    from: &'static str,
    to: &'static str,
    /// Whose result `result` is: the new set's when it fails now, else the base's.
    side: &'static str,
    result: json::JsonResult<'a>,
}

#[derive(Serialize)]
struct JsonFailures<'a> {
    manifests: usize,
    examples: Vec<JsonFailure<'a>>,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    manifest: &'a str,
    diagnostics: Vec<json::JsonDiagnostic<'a>>,
    results: Vec<json::JsonResult<'a>>,
}

pub fn json(d: &Diff<'_>) -> String {
    let r = d.report;
    let sources = d.sources;
    let policies = r
        .entries
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let (sb, sn) = e.severities(d.base, d.new);
            JsonPolicy {
                policy: e.name(d.base, d.new),
                base_name: e.base.map(|i| d.base.policies[i].name.as_str()),
                change: e.kind.as_str(),
                severity: JsonSeverity {
                    base: sb.map(Severity::as_str),
                    new: sn.map(Severity::as_str),
                },
                flips: r.flips[k],
                transitions: transitions(d, k)
                    .iter()
                    .map(|t| JsonTransition {
                        from: outcome_name(t.from),
                        to: outcome_name(t.to),
                        manifests: t.manifests,
                    })
                    .collect(),
                examples: r.examples[k]
                    .iter()
                    .map(|ex| {
                        let program = match ex.side {
                            Side::Base => d.base,
                            Side::New => d.new,
                        };
                        JsonExample {
                            manifest: &r.kept[ex.manifest].name,
                            from: outcome_name(ex.from),
                            to: outcome_name(ex.to),
                            side: match ex.side {
                                Side::Base => "base",
                                Side::New => "new",
                            },
                            result: json_result(sources, program, &ex.result),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let doc = JsonDiff {
        version: VERSION,
        now: d.now.map(|t| t.to_string()),
        base: JsonSet {
            label: d.base_label,
            policies: d.base.policies.len(),
        },
        new: JsonSet {
            label: d.new_label,
            policies: d.new.policies.len(),
        },
        manifests: r.compared,
        flipped: r.flipped(),
        changed: r.changed,
        exceptions: r.exceptions,
        nothing_flipped: !r.anything(),
        same_schema: d.same_schema,
        decisions: decision_changes(r)
            .into_iter()
            .map(|(a, b, n)| JsonDecision {
                from: a.as_str(),
                to: b.as_str(),
                manifests: n,
            })
            .collect(),
        policies,
        now_errors: json_failures(d, r.now_errors, &r.errors),
        unreadable: json_failures(d, r.unreadable, &r.unreadable_examples),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// A result as `charter check --format json` writes it, located at its policy's name.
fn json_result<'a>(
    sources: &'a Sources,
    program: &'a Program,
    r: &'a crate::eval::PolicyResult,
) -> json::JsonResult<'a> {
    let at = json::location(sources, program.policies[r.policy].name_span);
    json::result(sources, program, r, at)
}

fn json_failures<'a>(d: &Diff<'a>, n: usize, list: &'a [Failure]) -> JsonFailures<'a> {
    JsonFailures {
        manifests: n,
        examples: list
            .iter()
            .map(|f| JsonFailure {
                manifest: &f.name,
                diagnostics: f
                    .diagnostics
                    .iter()
                    .map(|x| json::diagnostic(d.sources, x))
                    .collect(),
                results: f
                    .results
                    .iter()
                    .map(|r| json_result(d.sources, d.new, r))
                    .collect(),
            })
            .collect(),
    }
}
