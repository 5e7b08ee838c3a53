//! Attestations (`charter check --attest FILE`): each manifest's decision as an in-toto
//! Statement v1, the payload that `evidence::dsse` wraps in a signed envelope. README.md
//! ("Evidence and audit") and `schemas/charter-decision-v1.schema.json` document the predicate.
//!
//! ```text
//! { "_type": "https://in-toto.io/Statement/v1",
//!   "subject": [ { "name": MANIFEST, "digest": { "sha256": <manifest digest> } },
//!                { "name": "commit:<sha>", "digest": { "gitCommit": <sha> } } ],  when it has one
//!   "predicateType": "https://charter.dev/decision/v1",
//!   "predicate": {
//!     "decision": "allow" | "warn" | "deny" | "error",
//!     "engine": { "name": "charter", "version" },
//!     "policySet": { "digest": { "sha256" }, "policies": N },
//!     "evaluatedAt": RFC 3339,
//!     "results": [ { "policy", "severity", "outcome", "message"?, "remediation"?,
//!                    "clauses"?: [ text ], "evidence"?: [ { "path", "text" } ],
//!                    "override"?: { "message", "evidence" },
//!                    "waiver"?: { "owner", "reason", "approvedBy", "expires" } } ],
//!     "diagnostics": [ { "level", "code", "message" } ],
//!     SLSA Verification Summary v1 fields, embedded:
//!     "verifier": { "id": "https://charter.dev/charter", "version": { "charter": version } },
//!     "timeVerified": = evaluatedAt,
//!     "policy": { "digest": { "sha256": <policy-set digest> } },
//!     "verificationResult": "PASSED" (allow, warn) | "FAILED" (deny, error) } }
//! ```
//!
//! The statement is compact JSON with the fields in this order, so the same decision gives the
//! same bytes (and, Ed25519 being deterministic, the same signature).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ManifestRun, Provenance, manifest_decision};
use crate::check::ir::Program;
use crate::diag::Level;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Charter's decision predicate, version 1.
pub const PREDICATE_TYPE: &str = "https://charter.dev/decision/v1";
/// The SLSA verifier id Charter names itself by.
pub const VERIFIER_ID: &str = "https://charter.dev/charter";

/// An in-toto Statement v1 with Charter's predicate (as written, and as read back by
/// `charter verify`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Predicate {
    pub decision: String,
    pub engine: Engine,
    pub policy_set: PolicySet,
    pub evaluated_at: String,
    pub results: Vec<PolicyOutcome>,
    pub diagnostics: Vec<ManifestDiagnostic>,
    pub verifier: Verifier,
    pub time_verified: String,
    pub policy: PolicyRef,
    pub verification_result: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Engine {
    pub name: String,
    pub version: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PolicySet {
    pub digest: BTreeMap<String, String>,
    pub policies: usize,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PolicyOutcome {
    pub policy: String,
    pub severity: String,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Why each failing clause is false.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clauses: Vec<String>,
    /// The manifest values that decided a failed or errored policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceValue>,
    /// An `overridden` result: the override that held, and the values that made it hold.
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_: Option<OverrideRecord>,
    /// A `waived` result: the waiver of the waiver file that applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRecord>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OverrideRecord {
    pub message: String,
    pub evidence: Vec<EvidenceValue>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WaiverRecord {
    pub owner: String,
    pub reason: String,
    pub approved_by: Vec<String>,
    pub expires: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct EvidenceValue {
    pub path: String,
    pub text: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ManifestDiagnostic {
    pub level: String,
    pub code: String,
    pub message: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Verifier {
    pub id: String,
    pub version: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PolicyRef {
    pub digest: BTreeMap<String, String>,
}

impl Statement {
    /// Compact JSON: the payload of the envelope.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The manifest subject's SHA-256 (hex), when there is one.
    pub fn manifest_sha256(&self) -> Option<&str> {
        self.subject
            .iter()
            .find_map(|s| s.digest.get("sha256"))
            .map(String::as_str)
    }

    /// The manifest's name as recorded (the subject with the SHA-256).
    pub fn manifest_name(&self) -> Option<&str> {
        self.subject
            .iter()
            .find(|s| s.digest.contains_key("sha256"))
            .map(|s| s.name.as_str())
    }
}

fn evidence_values(evidence: &[crate::eval::Evidence]) -> Vec<EvidenceValue> {
    evidence
        .iter()
        .map(|e| EvidenceValue {
            path: e.path.to_string(),
            text: e.text.to_string(),
        })
        .collect()
}

fn sha256_set(hex: String) -> BTreeMap<String, String> {
    BTreeMap::from([("sha256".to_string(), hex)])
}

/// The statement of one manifest's decision; `None` for a manifest that could not be read (it
/// has no digest to name it by). `program` is `None` when the policy set has errors.
pub fn statement(
    program: Option<&Program>,
    provenance: &Provenance,
    m: &ManifestRun,
) -> Option<Statement> {
    let digest = m.digest?;
    let mut subject = vec![Subject {
        name: m.name.clone(),
        digest: sha256_set(digest.hex()),
    }];
    if let Some(sha) = &m.commit {
        subject.push(Subject {
            name: format!("commit:{sha}"),
            digest: BTreeMap::from([("gitCommit".to_string(), sha.clone())]),
        });
    }
    let results = match (&m.decision, program) {
        (Some(d), Some(program)) => {
            d.results
                .iter()
                .map(|r| {
                    let p = &program.policies[r.policy];
                    PolicyOutcome {
                        policy: p.name.clone(),
                        severity: p.severity.as_str().to_string(),
                        outcome: r.outcome.as_str().to_string(),
                        message: r.message.clone(),
                        remediation: r.remediation.clone(),
                        clauses: r.clauses.iter().map(|c| c.text.clone()).collect(),
                        evidence: evidence_values(&r.evidence),
                        override_: r.overridden.as_ref().map(|o| OverrideRecord {
                            message: o.message.clone(),
                            evidence: evidence_values(&o.evidence),
                        }),
                        waiver: r.waived.and_then(|w| program.waivers.get(w)).map(|w| {
                            WaiverRecord {
                                owner: w.owner.clone(),
                                reason: w.reason.clone(),
                                approved_by: w.approved_by.clone(),
                                expires: w.expires.to_string(),
                            }
                        }),
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let decision = manifest_decision(m);
    let time = provenance.evaluated_at.to_string();
    let version = env!("CARGO_PKG_VERSION").to_string();
    Some(Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject,
        predicate_type: PREDICATE_TYPE.to_string(),
        predicate: Predicate {
            decision: decision.to_string(),
            engine: Engine {
                name: "charter".to_string(),
                version: version.clone(),
            },
            policy_set: PolicySet {
                digest: sha256_set(provenance.policy_set.hex()),
                policies: program.map_or(0, |p| p.policies.len()),
            },
            evaluated_at: time.clone(),
            results,
            diagnostics: m
                .diagnostics
                .iter()
                .map(|d| ManifestDiagnostic {
                    level: match d.level {
                        Level::Error => "error",
                        Level::Warning => "warning",
                        Level::Advice => "advice",
                    }
                    .to_string(),
                    code: d.code.to_string(),
                    message: d.message.clone(),
                })
                .collect(),
            verifier: Verifier {
                id: VERIFIER_ID.to_string(),
                version: BTreeMap::from([("charter".to_string(), version)]),
            },
            time_verified: time,
            policy: PolicyRef {
                digest: sha256_set(provenance.policy_set.hex()),
            },
            verification_result: match decision {
                "allow" | "warn" => "PASSED",
                _ => "FAILED",
            }
            .to_string(),
        },
    })
}
