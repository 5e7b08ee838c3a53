//! JSON output (`--format json`): one document per run. The format is versioned; README.md
//! documents it field by field.
//!
//! ```text
//! { "version": 1, "decision": "deny", <provenance>, "now", "policies": 5,
//!   "diagnostics": [ <diagnostic> ],            // problems in the policy files
//!   "manifests": [ { "path", "decision", "manifest_digest", <provenance>,
//!                    "diagnostics": [ <diagnostic> ],
//!                    "results": [ { "policy", "severity", "outcome", "message", "help", "remediation",
//!                                   "location", "clauses": [ {"text", "location"} ],
//!                                   "evidence": [ {"path", "text", "location"} ],
//!                                   "override": {"message", "location", "evidence"},
//!                                   "waiver": {"owner", "reason", "expires", "approved_by", "location"} } ] } ] }
//!                                   (`override` only on an `overridden` result, `waiver` on a `waived` one)
//! <diagnostic> = { "level", "code", "message", "help", "labels": [ {"text", "location"} ] }
//! <location>   = { "file", "line", "column", "end_line", "end_column" }   (1-based)
//! <provenance> = "policy_set_digest": "sha256:<hex>", "engine": "charter/<version>",
//!                "evaluated_at": RFC 3339
//! ```
//!
//! Each manifest object is a whole decision record (issue 18): with the same policy set,
//! manifest and `--now` it is the same bytes, whatever the thread count or input order.

use serde::Serialize;

use super::{ManifestRun, Run, manifest_decision};
use crate::check::ir::Program;
use crate::diag::{Diagnostic, Level};
use crate::eval::{Evidence, Outcome, PolicyResult};
use crate::source::{FileId, Sources, Span};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonRun<'a> {
    version: u32,
    decision: &'a str,
    policy_set_digest: String,
    engine: &'static str,
    evaluated_at: String,
    /// The `now` policies saw (RFC 3339), when any policy reads it; else null.
    now: Option<String>,
    policies: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    manifests: Vec<JsonManifest<'a>>,
}

#[derive(Serialize)]
struct JsonManifest<'a> {
    path: &'a str,
    decision: &'a str,
    /// `sha256:<hex>` of the manifest's bytes; null when it could not be read.
    manifest_digest: Option<String>,
    policy_set_digest: String,
    engine: &'static str,
    evaluated_at: String,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    results: Vec<JsonResult<'a>>,
}

#[derive(Serialize)]
pub(super) struct JsonResult<'a> {
    policy: &'a str,
    severity: &'a str,
    outcome: &'a str,
    message: Option<&'a str>,
    help: Option<&'a str>,
    /// What would change the outcome, when it can be computed (else null).
    remediation: Option<&'a str>,
    location: JsonLocation<'a>,
    clauses: Vec<JsonLabel<'a>>,
    evidence: Vec<JsonEvidence<'a>>,
    /// Only on an `overridden` result: the override that let the failure pass.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    overridden: Option<JsonOverride<'a>>,
    /// Only on a `waived` result: the waiver that let the failure pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<JsonWaiver<'a>>,
}

#[derive(Serialize)]
struct JsonWaiver<'a> {
    owner: &'a str,
    reason: &'a str,
    expires: String,
    approved_by: &'a [String],
    location: JsonLocation<'a>,
}

#[derive(Serialize)]
struct JsonOverride<'a> {
    message: &'a str,
    location: JsonLocation<'a>,
    evidence: Vec<JsonEvidence<'a>>,
}

#[derive(Serialize)]
struct JsonEvidence<'a> {
    path: &'a str,
    text: &'a str,
    location: JsonLocation<'a>,
}

#[derive(Serialize)]
pub(super) struct JsonDiagnostic<'a> {
    level: &'static str,
    code: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    text: &'a str,
    location: JsonLocation<'a>,
}

#[derive(Clone, Copy, Serialize)]
pub(super) struct JsonLocation<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

pub(super) fn location(sources: &Sources, span: Span) -> JsonLocation<'_> {
    let f = sources.get(span.file);
    let (line, column) = f.line_col(span.start);
    let (end_line, end_column) = f.line_col(span.end);
    JsonLocation {
        file: &f.name,
        line,
        column,
        end_line,
        end_column,
    }
}

pub(super) fn diagnostic<'a>(sources: &'a Sources, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        level: match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Advice => "advice",
        },
        code: &d.code,
        message: &d.message,
        help: d.help.as_deref(),
        labels: d
            .labels
            .iter()
            .map(|l| JsonLabel {
                text: &l.text,
                location: location(sources, l.span),
            })
            .collect(),
    }
}

/// The object of one manifest (an element of `manifests`; [`Lines`] writes the same object).
fn manifest<'a>(run: &'a Run<'_>, m: &'a ManifestRun) -> JsonManifest<'a> {
    let sources = run.sources;
    JsonManifest {
        path: &m.name,
        decision: manifest_decision(m),
        manifest_digest: m.digest.map(|d| d.to_string()),
        policy_set_digest: run.provenance.policy_set.to_string(),
        engine: super::ENGINE,
        evaluated_at: run.provenance.evaluated_at.to_string(),
        diagnostics: m
            .diagnostics
            .iter()
            .map(|d| diagnostic(sources, d))
            .collect(),
        results: match (&m.decision, run.program) {
            (Some(d), Some(program)) => d
                .results
                .iter()
                .map(|r| {
                    let location = location(sources, program.policies[r.policy].name_span);
                    result(sources, program, r, location)
                })
                .collect(),
            _ => Vec::new(),
        },
    }
}

pub(super) fn result<'a>(
    sources: &'a Sources,
    program: &'a Program,
    r: &'a PolicyResult,
    at: JsonLocation<'a>,
) -> JsonResult<'a> {
    let p = &program.policies[r.policy];
    JsonResult {
        policy: &p.name,
        severity: p.severity.as_str(),
        outcome: r.outcome.as_str(),
        message: r.message.as_deref(),
        help: r.help.as_deref(),
        remediation: r.remediation.as_deref(),
        location: at,
        clauses: r
            .clauses
            .iter()
            .map(|n| JsonLabel {
                text: &n.text,
                location: location(sources, n.span),
            })
            .collect(),
        evidence: evidence(sources, &r.evidence),
        overridden: r.overridden.as_ref().map(|o| JsonOverride {
            message: &o.message,
            location: location(sources, o.span),
            evidence: evidence(sources, &o.evidence),
        }),
        waiver: r.waived.map(|w| {
            let w = &program.waivers[w];
            JsonWaiver {
                owner: &w.owner,
                reason: &w.reason,
                expires: w.expires.to_string(),
                approved_by: &w.approved_by,
                location: location(sources, w.span),
            }
        }),
    }
}

fn evidence<'a>(sources: &'a Sources, evidence: &'a [Evidence]) -> Vec<JsonEvidence<'a>> {
    evidence
        .iter()
        .map(|e| JsonEvidence {
            path: &e.path,
            text: &e.text,
            location: location(sources, e.span),
        })
        .collect()
}

/// One element of `manifests`, as the pretty-printed document holds it (indented, without the
/// separator). `run.sources` must hold the manifest's text.
pub(super) fn part(run: &Run<'_>, m: &ManifestRun) -> String {
    indented(&manifest(run, m), "    ")
}

/// `value` pretty-printed as an element at that depth of a pretty-printed document: serde_json
/// writes every line break of a pretty document between tokens (never in a string, where it is
/// `\n`), so an element printed alone is the same text with `indent` after each line break.
pub(super) fn indented(value: &impl Serialize, indent: &str) -> String {
    let text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    out.push_str(indent);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        out.push_str(line);
    }
    out
}

/// What comes before and after `n` manifest objects (joined by `,\n`): the opening holds the
/// run's decision, known once every manifest is in.
pub(super) fn frame(head: &Run<'_>, decision: &str, n: usize) -> (String, String) {
    let sources = head.sources;
    let doc = JsonRun {
        version: VERSION,
        decision,
        policy_set_digest: head.provenance.policy_set.to_string(),
        engine: super::ENGINE,
        evaluated_at: head.provenance.evaluated_at.to_string(),
        now: head.now.map(|t| t.to_string()),
        policies: head.program.map_or(0, |p| p.policies.len()),
        diagnostics: head
            .policy_diagnostics
            .iter()
            .map(|d| diagnostic(sources, d))
            .collect(),
        manifests: Vec::new(),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    // `manifests` is the last field: the document ends `"manifests": []\n}\n`.
    match s.strip_suffix("[]\n}\n") {
        Some(open) if n > 0 => (format!("{open}[\n"), "\n  ]\n}\n".to_string()),
        _ => (s, String::new()),
    }
}

/// JSON Lines (`--format jsonl`): one line per manifest, each the object the JSON format has in
/// `manifests`. Problems in the policy files are not lines (the CLI prints them on standard
/// error).
///
/// Renders JSON Lines one manifest at a time (for streaming). What does not depend on the
/// manifest is worked out once: the location of each policy, and the whole object of a result
/// that passed or was skipped.
pub struct Lines {
    /// Per policy: file, line, column, end line, end column.
    policies: Vec<(FileId, [usize; 4])>,
    /// Per policy: the result object of a pass and of a skip, as JSON.
    plain: Vec<[String; 2]>,
    /// `,"policy_set_digest":…,"engine":…,"evaluated_at":…`: the same on every line.
    provenance: String,
}

impl Lines {
    pub fn new(run: &Run<'_>) -> Lines {
        let mut provenance = String::from(",\"policy_set_digest\":");
        write_str(&mut provenance, &run.provenance.policy_set.to_string());
        provenance.push_str(",\"engine\":");
        write_str(&mut provenance, super::ENGINE);
        provenance.push_str(",\"evaluated_at\":");
        write_str(&mut provenance, &run.provenance.evaluated_at.to_string());
        let Some(program) = run.program else {
            return Lines {
                policies: Vec::new(),
                plain: Vec::new(),
                provenance,
            };
        };
        let mut policies = Vec::new();
        let mut plain = Vec::new();
        for (i, p) in program.policies.iter().enumerate() {
            let l = location(run.sources, p.name_span);
            policies.push((
                p.name_span.file,
                [l.line, l.column, l.end_line, l.end_column],
            ));
            let object = |outcome| {
                let r = PolicyResult::new(i, outcome);
                serde_json::to_string(&result(run.sources, program, &r, l)).unwrap_or_default()
            };
            plain.push([object(Outcome::Pass), object(Outcome::Skip)]);
        }
        Lines {
            policies,
            plain,
            provenance,
        }
    }

    /// One manifest's line (with its newline). `run` gives the sources that hold the manifest.
    pub fn render(&self, run: &Run<'_>, m: &ManifestRun) -> String {
        let sources = run.sources;
        let mut out = String::with_capacity(256 + 320 * self.plain.len());
        out.push_str("{\"path\":");
        write_str(&mut out, &m.name);
        out.push_str(",\"decision\":\"");
        out.push_str(manifest_decision(m));
        out.push_str("\",\"manifest_digest\":");
        match m.digest {
            Some(d) => {
                out.push_str("\"sha256:");
                out.push_str(&d.hex());
                out.push('"');
            }
            None => out.push_str("null"),
        }
        out.push_str(&self.provenance);
        out.push_str(",\"diagnostics\":");
        if m.diagnostics.is_empty() {
            out.push_str("[]");
        } else {
            let diagnostics: Vec<JsonDiagnostic<'_>> = m
                .diagnostics
                .iter()
                .map(|d| diagnostic(sources, d))
                .collect();
            out.push_str(&serde_json::to_string(&diagnostics).unwrap_or_else(|_| "null".into()));
        }
        out.push_str(",\"results\":[");
        if let (Some(d), Some(program)) = (&m.decision, run.program) {
            for (k, r) in d.results.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let bare = r.message.is_none()
                    && r.help.is_none()
                    && r.remediation.is_none()
                    && r.clauses.is_empty()
                    && r.evidence.is_empty();
                let cached = match r.outcome {
                    Outcome::Pass if bare => self.plain.get(r.policy).map(|p| &p[0]),
                    Outcome::Skip if bare => self.plain.get(r.policy).map(|p| &p[1]),
                    _ => None,
                };
                match cached {
                    Some(json) => out.push_str(json),
                    None => {
                        let location = match self.policies.get(r.policy) {
                            Some((file, [line, column, end_line, end_column])) => JsonLocation {
                                file: &sources.get(*file).name,
                                line: *line,
                                column: *column,
                                end_line: *end_line,
                                end_column: *end_column,
                            },
                            None => location(sources, program.policies[r.policy].name_span),
                        };
                        result(sources, program, r, location).write(&mut out);
                    }
                }
            }
        }
        out.push_str("]}\n");
        out
    }
}

// Compact JSON written by hand, byte for byte what serde_json writes for the derived
// `Serialize`: a failing result is most of a JSON Lines stream's output, and serde spends more
// on its keys and escaping than on its values.

impl JsonResult<'_> {
    fn write(&self, out: &mut String) {
        out.push_str("{\"policy\":");
        write_str(out, self.policy);
        out.push_str(",\"severity\":");
        write_str(out, self.severity);
        out.push_str(",\"outcome\":");
        write_str(out, self.outcome);
        out.push_str(",\"message\":");
        write_opt_str(out, self.message);
        out.push_str(",\"help\":");
        write_opt_str(out, self.help);
        out.push_str(",\"remediation\":");
        write_opt_str(out, self.remediation);
        out.push_str(",\"location\":");
        self.location.write(out);
        out.push_str(",\"clauses\":[");
        for (i, c) in self.clauses.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"text\":");
            write_str(out, c.text);
            out.push_str(",\"location\":");
            c.location.write(out);
            out.push('}');
        }
        out.push_str("],\"evidence\":");
        write_evidence(out, &self.evidence);
        if let Some(o) = &self.overridden {
            out.push_str(",\"override\":{\"message\":");
            write_str(out, o.message);
            out.push_str(",\"location\":");
            o.location.write(out);
            out.push_str(",\"evidence\":");
            write_evidence(out, &o.evidence);
            out.push('}');
        }
        if let Some(w) = &self.waiver {
            // Rare: serde writes it.
            out.push_str(",\"waiver\":");
            out.push_str(&serde_json::to_string(w).unwrap_or_else(|_| "null".into()));
        }
        out.push('}');
    }
}

fn write_evidence(out: &mut String, evidence: &[JsonEvidence<'_>]) {
    out.push('[');
    for (i, e) in evidence.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"path\":");
        write_str(out, e.path);
        out.push_str(",\"text\":");
        write_str(out, e.text);
        out.push_str(",\"location\":");
        e.location.write(out);
        out.push('}');
    }
    out.push(']');
}

impl JsonLocation<'_> {
    fn write(&self, out: &mut String) {
        out.push_str("{\"file\":");
        write_str(out, self.file);
        out.push_str(",\"line\":");
        write_usize(out, self.line);
        out.push_str(",\"column\":");
        write_usize(out, self.column);
        out.push_str(",\"end_line\":");
        write_usize(out, self.end_line);
        out.push_str(",\"end_column\":");
        write_usize(out, self.end_column);
        out.push('}');
    }
}

fn write_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.push_str("null"),
    }
}

/// Text that needs no escape is copied whole; the rest is left to serde_json.
fn write_str(out: &mut String, s: &str) {
    // Folded chunk by chunk, without an early exit, so that it compiles to vector code.
    let plain = s.as_bytes().chunks(32).all(|chunk| {
        chunk
            .iter()
            .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'))
    });
    if plain {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "null".into()));
    }
}

/// `n` in decimal (what `write!` does, without its formatting machinery).
pub(crate) fn write_usize(out: &mut String, n: usize) {
    out.push_str(itoa::Buffer::new().format(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_json_is_serde_json() {
        let texts = [
            "",
            "plain",
            "quote \" and backslash \\",
            "tab\tnewline\ncontrol\u{1}\u{1f} del\u{7f}",
            "é ü \u{2028} 😀",
            &"a long line without escapes, ".repeat(5),
        ];
        for (k, text) in texts.iter().enumerate() {
            let location = JsonLocation {
                file: text,
                line: k,
                column: 10_usize.pow(k as u32),
                end_line: usize::MAX,
                end_column: 1,
            };
            let r = JsonResult {
                policy: text,
                severity: "deny",
                outcome: "fail",
                message: Some(text),
                help: (k % 2 == 0).then_some(*text),
                remediation: None,
                location,
                clauses: (0..k % 3).map(|_| JsonLabel { text, location }).collect(),
                evidence: (0..k % 3)
                    .map(|_| JsonEvidence {
                        path: text,
                        text,
                        location,
                    })
                    .collect(),
                overridden: (k % 2 == 1).then(|| JsonOverride {
                    message: text,
                    location,
                    evidence: vec![JsonEvidence {
                        path: text,
                        text,
                        location,
                    }],
                }),
                waiver: None,
            };
            let mut out = String::new();
            r.write(&mut out);
            assert_eq!(out, serde_json::to_string(&r).unwrap_or_default());
        }
    }
}
