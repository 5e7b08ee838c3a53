//! SARIF 2.1.0 output (`--format sarif`), for code scanning (GitHub, Azure DevOps, IDE viewers).
//! Valid against the OASIS schema, which `schemas/sarif-schema-2.1.0.json` holds for the tests.
//!
//! ```text
//! { "$schema", "version": "2.1.0", "runs": [ {
//!     "tool": { "driver": { "name": "charter", "version", "rules": [ <rule> ] } },
//!     "columnKind": "unicodeCodePoints",
//!     "results": [ <result> ],
//!     "properties": { "decision", "engine": "charter/<version>", "policySetDigest": "sha256:<hex>",
//!                     "evaluatedAt": RFC 3339 } } ] }
//! <rule>   = one per policy, in policy-set order, then one per diagnostic code used:
//!            { "id": policy name | diagnostic code, "name", "shortDescription": first line of
//!              the doc comment, "fullDescription": the doc comment, "help",
//!              "defaultConfiguration": { "level": deny error | warn warning | info note } }
//! <result> = one per failed or errored policy and manifest, then one per diagnostic:
//!            { "ruleId", "ruleIndex", "level", "message": { "text": message + help + "to pass" },
//!              "locations": [ the manifest: first deciding value, else its first line;
//!                             then the failed clause in the policy file ],
//!              "relatedLocations": [ each failed clause in the policy file (or the policy's
//!                                    name), each deciding value, each with its text ],
//!              "properties": { "manifest", "manifestDigest", "policy", "severity", "outcome" } }
//! ```
//!
//! A refusal is anchored in the manifest, the file a change adds, so code scanning shows it on
//! the changed line; the failed clause in the policy file is the second location (and, with
//! every other label, a related location). A diagnostic (a syntax error, an
//! invalid manifest) is a result of the rule named by its code, at its first label. Regions
//! are 1-based, columns in Unicode code points, `endColumn` one past the last character.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::{ManifestRun, Run, locate, manifest_anchor, severity_level};
use crate::check::ir::{Policy, Program};
use crate::diag::{Diagnostic, Label, Level};
use crate::eval::PolicyResult;
use crate::source::{Sources, Span};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [SarifRun<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    decision: &'a str,
    engine: &'static str,
    policy_set_digest: String,
    evaluated_at: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "ResultProperties::is_empty")]
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<&'a str>,
    /// `sha256:<hex>` of the manifest's bytes (issue 18).
    #[serde(rename = "manifestDigest", skip_serializing_if = "Option::is_none")]
    manifest_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
}

impl ResultProperties<'_> {
    fn is_empty(&self) -> bool {
        self.manifest.is_none() && self.policy.is_none()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

/// What one manifest adds to `results`: its diagnostics (each with the rule of its code, which
/// takes its index in order of first use across the run) and its failed policies, as
/// pretty-printed elements.
pub struct Part {
    diagnostics: Vec<(Rule, String)>,
    results: Vec<String>,
}

/// Stands for a diagnostic's `ruleIndex` until the run's rules are known.
const UNKNOWN_RULE: usize = usize::MAX;
/// Results are elements of `runs[0].results`, this deep in the document.
const RESULT_INDENT: &str = "        ";

/// One manifest's results. `run.sources` must hold the manifest's text.
pub(super) fn part(run: &Run<'_>, m: &ManifestRun) -> Part {
    let sources = run.sources;
    let diagnostics = m
        .diagnostics
        .iter()
        .map(|d| {
            let mut result = diagnostic_to_result(sources, d, UNKNOWN_RULE, Some(&m.name));
            result.properties.manifest_digest = m.digest.map(|d| d.to_string());
            (code_rule(d), super::json::indented(&result, RESULT_INDENT))
        })
        .collect();
    let mut results = Vec::new();
    if let (Some(decision), Some(program), Some(file)) = (&m.decision, run.program, m.file) {
        for r in decision
            .results
            .iter()
            .filter(|r| super::is_failure(r) || super::is_excused(r))
        {
            let mut result = policy_result(sources, program, r, &m.name, file);
            result.properties.manifest_digest = m.digest.map(|d| d.to_string());
            results.push(super::json::indented(&result, RESULT_INDENT));
        }
    }
    Part {
        diagnostics,
        results,
    }
}

/// The document as the run goes: the rules of the diagnostic codes used so far (after the
/// policies' rules, in order of first use) and how many results the body holds.
pub struct Doc {
    code_rules: BTreeMap<String, usize>,
    rules: Vec<Rule>,
    policies: usize,
    results: usize,
}

impl Doc {
    /// The policy set's diagnostics are the first results.
    pub(super) fn new(head: &Run<'_>, body: &mut dyn Write) -> std::io::Result<Doc> {
        let policies = head.program.map_or(0, |p| p.policies.len());
        let mut doc = Doc {
            code_rules: BTreeMap::new(),
            rules: Vec::new(),
            policies,
            results: 0,
        };
        for d in &head.policy_diagnostics {
            let index = doc.rule_for(d.code.as_ref(), || code_rule(d));
            let result = diagnostic_to_result(head.sources, d, index, None);
            doc.write(&super::json::indented(&result, RESULT_INDENT), body)?;
        }
        Ok(doc)
    }

    fn rule_for(&mut self, code: &str, rule: impl FnOnce() -> Rule) -> usize {
        if let Some(&i) = self.code_rules.get(code) {
            return i;
        }
        let i = self.policies + self.rules.len();
        self.rules.push(rule());
        self.code_rules.insert(code.to_string(), i);
        i
    }

    fn write(&mut self, element: &str, body: &mut dyn Write) -> std::io::Result<()> {
        if self.results > 0 {
            body.write_all(b",\n")?;
        }
        self.results += 1;
        body.write_all(element.as_bytes())
    }

    pub(super) fn add(&mut self, part: Part, body: &mut dyn Write) -> std::io::Result<()> {
        for (rule, text) in part.diagnostics {
            let code = rule.id.clone();
            let index = self.rule_for(&code, || rule);
            let text = text.replacen(
                &format!("\"ruleIndex\": {UNKNOWN_RULE}"),
                &format!("\"ruleIndex\": {index}"),
                1,
            );
            self.write(&text, body)?;
        }
        for text in part.results {
            self.write(&text, body)?;
        }
        Ok(())
    }

    /// What comes before and after the results: the rules (known once every manifest is in)
    /// and the run's decision.
    pub(super) fn finish(self, head: &Run<'_>, decision: &str) -> (String, String) {
        let sources = head.sources;
        let mut rules: Vec<Rule> = head
            .program
            .map(|p| p.policies.iter().map(|p| policy_rule(sources, p)).collect())
            .unwrap_or_default();
        rules.extend(self.rules);
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [SarifRun {
                tool: Tool {
                    driver: Driver {
                        name: "charter",
                        version: env!("CARGO_PKG_VERSION"),
                        semantic_version: env!("CARGO_PKG_VERSION"),
                        rules,
                    },
                },
                column_kind: "unicodeCodePoints",
                results: Vec::new(),
                properties: RunProperties {
                    decision,
                    engine: super::ENGINE,
                    policy_set_digest: head.provenance.policy_set.to_string(),
                    evaluated_at: head.provenance.evaluated_at.to_string(),
                },
            }],
        };
        let mut s = serde_json::to_string_pretty(&log)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        // The last `"results": []` is the run's (the properties after it hold the decision).
        const EMPTY: &str = "\"results\": []";
        match s.rfind(EMPTY) {
            Some(at) if self.results > 0 => {
                let open = format!("{}\"results\": [\n", &s[..at]);
                let close = format!("\n      ]{}", &s[at + EMPTY.len()..]);
                (open, close)
            }
            _ => (s, String::new()),
        }
    }
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Advice => "note",
    }
}

fn policy_rule(sources: &Sources, p: &Policy) -> Rule {
    let doc = p
        .doc
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(String::from);
    let short = doc
        .as_deref()
        .and_then(|d| d.lines().next())
        .map_or_else(|| format!("policy `{}`", p.name), String::from);
    let loc = locate(sources, p.name_span);
    Rule {
        id: p.name.clone(),
        name: p.name.clone(),
        short_description: Text { text: short },
        full_description: Text {
            text: doc
                .clone()
                .unwrap_or_else(|| format!("policy `{}`", p.name)),
        },
        help: Text {
            text: format!(
                "{}\n\nCharter policy `{}` ({}), defined in {}:{}.",
                doc.as_deref().unwrap_or("This policy has no doc comment."),
                p.name,
                p.severity.as_str(),
                loc.file,
                loc.line
            ),
        },
        default_configuration: Configuration {
            level: level(severity_level(p.severity)),
        },
    }
}

/// A rule for a diagnostic code, e.g. `charter::manifest::unknown_field`, whose short
/// description is the code in words ("manifest: unknown field").
fn code_rule(d: &Diagnostic) -> Rule {
    let last = d
        .code
        .strip_prefix("charter::")
        .unwrap_or(&d.code)
        .replace("::", ": ")
        .replace('_', " ");
    Rule {
        id: d.code.to_string(),
        name: d.code.to_string(),
        short_description: Text { text: last.clone() },
        full_description: Text {
            text: format!("Charter diagnostic `{}`: {last}", d.code),
        },
        help: Text {
            text: format!(
                "Charter reports `{}` when a policy file or a manifest has this problem; the result's message says what to change.",
                d.code
            ),
        },
        default_configuration: Configuration {
            level: level(d.level),
        },
    }
}

fn policy_result<'a>(
    sources: &Sources,
    program: &'a Program,
    r: &PolicyResult,
    manifest: &'a str,
    file: crate::source::FileId,
) -> SarifResult<'a> {
    let p = &program.policies[r.policy];
    // An overridden failure is a note, anchored at the values that made the override hold.
    let overridden = super::override_diagnostic(program, r);
    let mut labels = match &overridden {
        Some(d) => d.labels.clone(),
        None => super::result_labels(program, r),
    };
    let anchor = match &r.overridden {
        Some(o) => o.evidence.first().map(|e| e.span),
        None => manifest_anchor(r),
    }
    .and_then(|span| labels.iter().position(|l| l.span == span));
    let primary = match anchor {
        Some(i) => {
            let l = labels.remove(i);
            location(sources, l.span, Some(&l.text))
        }
        // No manifest value decided it (e.g. `require false`): the manifest's first line.
        None => SarifLocation {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri(&sources.get(file).name),
                },
                region: Some(Region {
                    start_line: 1,
                    start_column: 1,
                    end_line: None,
                    end_column: None,
                }),
            },
            message: None,
        },
    };
    SarifResult {
        rule_id: p.name.clone(),
        rule_index: r.policy,
        level: match &overridden {
            Some(d) => level(d.level),
            None => level(severity_level(p.severity)),
        },
        message: Text {
            text: match &overridden {
                Some(d) => with_help(&d.message, d.help.as_deref()),
                None => with_help(
                    r.message.as_deref().unwrap_or(&p.name),
                    super::result_help(r).as_deref(),
                ),
            },
        },
        // The manifest first (GitHub shows the first location), then the clause in the policy
        // file: a refusal is fixed in one or the other.
        locations: std::iter::once(primary)
            .chain(
                labels
                    .iter()
                    .find(|l| l.span.file != file)
                    .map(|l| location(sources, l.span, Some(&l.text))),
            )
            .collect(),
        related_locations: related_locations(sources, &labels),
        properties: ResultProperties {
            manifest: Some(manifest),
            manifest_digest: None,
            policy: Some(&p.name),
            severity: Some(p.severity.as_str()),
            outcome: Some(r.outcome.as_str()),
        },
    }
}

fn diagnostic_to_result<'a>(
    sources: &Sources,
    d: &Diagnostic,
    rule_index: usize,
    manifest: Option<&'a str>,
) -> SarifResult<'a> {
    let locations = match (d.labels.first(), manifest) {
        (Some(l), _) => vec![location(sources, l.span, Some(&l.text))],
        // A manifest that could not be read has no span: the file itself.
        (None, Some(name)) => vec![SarifLocation {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri: uri(name) },
                region: None,
            },
            message: None,
        }],
        (None, None) => Vec::new(),
    };
    SarifResult {
        rule_id: d.code.to_string(),
        rule_index,
        level: level(d.level),
        message: Text {
            text: with_help(&d.message, d.help.as_deref()),
        },
        locations,
        related_locations: related_locations(sources, d.labels.get(1..).unwrap_or_default()),
        properties: ResultProperties {
            manifest,
            manifest_digest: None,
            policy: None,
            severity: None,
            outcome: None,
        },
    }
}

fn with_help(message: &str, help: Option<&str>) -> String {
    match help {
        Some(h) => format!("{message}\nhelp: {h}"),
        None => message.to_string(),
    }
}

fn related_locations(sources: &Sources, labels: &[Label]) -> Vec<SarifLocation> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| SarifLocation {
            id: Some(i + 1),
            ..location(sources, l.span, Some(&l.text))
        })
        .collect()
}

fn location(sources: &Sources, span: Span, text: Option<&str>) -> SarifLocation {
    let l = locate(sources, span);
    SarifLocation {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: uri(&l.file) },
            region: Some(Region {
                start_line: l.line,
                start_column: l.column,
                end_line: Some(l.end_line),
                end_column: Some(l.end_column),
            }),
        },
        message: text.map(|t| Text {
            text: t.to_string(),
        }),
    }
}

/// A file name as a URI reference: relative names stay relative (code scanning resolves them
/// against the repository root), absolute ones become `file://` URIs; `\` becomes `/`, and
/// bytes outside the unreserved and path characters are percent-encoded.
pub fn uri(name: &str) -> String {
    let path = name.replace('\\', "/");
    let (prefix, path) = if path.starts_with('/') {
        ("file://", path.as_str())
    } else if path.as_bytes().get(1) == Some(&b':') {
        // A Windows drive letter, `C:/x`.
        ("file:///", path.as_str())
    } else {
        ("", path.as_str())
    };
    let mut out = String::from(prefix);
    for (i, b) in path.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            || (b == b':' && !prefix.is_empty() && i == 1);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
