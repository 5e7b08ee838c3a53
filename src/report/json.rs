//! JSON output (`--format json`): one document per run. The format is versioned; README.md
//! documents it field by field.
//!
//! ```text
//! { "version": 1, "decision": "deny", "policies": 5,
//!   "diagnostics": [ <diagnostic> ],            // problems in the policy files
//!   "manifests": [ { "path", "decision", "diagnostics": [ <diagnostic> ],
//!                    "results": [ { "policy", "severity", "outcome", "message", "help", "remediation",
//!                                   "location", "clauses": [ {"text", "location"} ],
//!                                   "evidence": [ {"path", "text", "location"} ] } ] } ] }
//! <diagnostic> = { "level", "code", "message", "help", "labels": [ {"text", "location"} ] }
//! <location>   = { "file", "line", "column", "end_line", "end_column" }   (1-based)
//! ```

use serde::Serialize;

use super::{Run, locate, manifest_decision, run_decision};
use crate::diag::{Diagnostic, Level};
use crate::source::{Sources, Span};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonRun<'a> {
    version: u32,
    decision: &'a str,
    /// The `now` policies saw (RFC 3339), when any policy reads it; else null.
    now: Option<String>,
    policies: usize,
    diagnostics: Vec<JsonDiagnostic>,
    manifests: Vec<JsonManifest<'a>>,
}

#[derive(Serialize)]
struct JsonManifest<'a> {
    path: &'a str,
    decision: &'a str,
    diagnostics: Vec<JsonDiagnostic>,
    results: Vec<JsonResult<'a>>,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    policy: &'a str,
    severity: &'a str,
    outcome: &'a str,
    message: Option<&'a str>,
    help: Option<&'a str>,
    /// What would change the outcome, when it can be computed (else null).
    remediation: Option<&'a str>,
    location: JsonLocation,
    clauses: Vec<JsonLabel>,
    evidence: Vec<JsonEvidence<'a>>,
}

#[derive(Serialize)]
struct JsonEvidence<'a> {
    path: &'a str,
    text: &'a str,
    location: JsonLocation,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    level: &'static str,
    code: String,
    message: String,
    help: Option<String>,
    labels: Vec<JsonLabel>,
}

#[derive(Serialize)]
struct JsonLabel {
    text: String,
    location: JsonLocation,
}

#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn location(sources: &Sources, span: Span) -> JsonLocation {
    let l = locate(sources, span);
    JsonLocation {
        file: l.file,
        line: l.line,
        column: l.column,
        end_line: l.end_line,
        end_column: l.end_column,
    }
}

fn diagnostic(sources: &Sources, d: &Diagnostic) -> JsonDiagnostic {
    JsonDiagnostic {
        level: match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Advice => "advice",
        },
        code: d.code.to_string(),
        message: d.message.clone(),
        help: d.help.clone(),
        labels: d
            .labels
            .iter()
            .map(|l| JsonLabel {
                text: l.text.clone(),
                location: location(sources, l.span),
            })
            .collect(),
    }
}

pub fn render(run: &Run<'_>) -> String {
    let sources = run.sources;
    let manifests = run
        .manifests
        .iter()
        .map(|m| JsonManifest {
            path: &m.name,
            decision: manifest_decision(m),
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
                        let p = &program.policies[r.policy];
                        JsonResult {
                            policy: &p.name,
                            severity: p.severity.as_str(),
                            outcome: r.outcome.as_str(),
                            message: r.message.as_deref(),
                            help: r.help.as_deref(),
                            remediation: r.remediation.as_deref(),
                            location: location(sources, p.name_span),
                            clauses: r
                                .clauses
                                .iter()
                                .map(|n| JsonLabel {
                                    text: n.text.clone(),
                                    location: location(sources, n.span),
                                })
                                .collect(),
                            evidence: r
                                .evidence
                                .iter()
                                .map(|e| JsonEvidence {
                                    path: &e.path,
                                    text: &e.text,
                                    location: location(sources, e.span),
                                })
                                .collect(),
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            },
        })
        .collect();
    let doc = JsonRun {
        version: VERSION,
        decision: run_decision(run),
        now: run.now.map(|t| t.to_string()),
        policies: run.program.map_or(0, |p| p.policies.len()),
        diagnostics: run
            .policy_diagnostics
            .iter()
            .map(|d| diagnostic(sources, d))
            .collect(),
        manifests,
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
