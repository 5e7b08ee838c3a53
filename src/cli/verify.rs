//! `charter verify ATTESTATION --key PUB [--policies DIR] [MANIFEST]...`: checks the signature
//! of every envelope in an attestation file (`charter check --attest`), and, given manifests,
//! evaluates each again with the policy set and the recorded evaluation time and checks that
//! the recorded decision is what the set decides now.
//!
//! Exit codes: 0 every envelope verified (and every manifest re-evaluated to its record); 1 a
//! verification failed (a bad or missing signature, a statement that is not a Charter decision,
//! a manifest with no attestation, a record the policy set does not reproduce); 2 bad input (an
//! unreadable file or key, a line that is not a DSSE envelope, a policy set with errors).

use std::path::PathBuf;

use super::Exit;
use super::project::{self, display};
use crate::bulk::Checker;
use crate::evidence::digest::Digest;
use crate::evidence::dsse::{self, Envelope};
use crate::evidence::key::PublicKey;
use crate::report::attest::{self, Statement};
use crate::report::{Provenance, plural};
use crate::source::FileId;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The attestation file: JSON Lines, one DSSE envelope per line.
    #[arg(value_name = "ATTESTATION")]
    attestation: PathBuf,
    /// Manifests to evaluate again: each must have an attestation in the file (found by the
    /// SHA-256 of its bytes) whose decision the policy set still gives.
    #[arg(value_name = "MANIFEST")]
    manifests: Vec<PathBuf>,
    /// The public key (SPKI PEM, the `.pub` file of `charter keygen`) the envelopes must be
    /// signed with.
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// The policy folder to evaluate with (default: from charter.toml, else `policies/`). Given
    /// without manifests: every record must name this set's digest.
    #[arg(long, short = 'p', value_name = "DIR")]
    policies: Option<PathBuf>,
    /// Use this project file instead of searching for charter.toml.
    #[arg(long, value_name = "FILE", env = "CHARTER_CONFIG")]
    config: Option<PathBuf>,
}

/// One envelope of the file, as far as it verified.
struct Entry {
    /// `FILE:N`.
    place: String,
    /// The statement, once the signature verified and the payload is a Charter decision.
    statement: Option<Statement>,
    /// Why it failed.
    failure: Option<String>,
    /// What else was checked (the policy-set digest, a re-evaluation).
    notes: Vec<String>,
}

pub fn run(args: &Args) -> Exit {
    match verify(args) {
        Ok(exit) => exit,
        Err(msg) => {
            eprintln!("error: {msg}");
            Exit::BadInput
        }
    }
}

fn verify(args: &Args) -> Result<Exit, String> {
    let key = super::keys::load_public_key(&args.key)?;
    let name = display(&args.attestation);
    let text = std::fs::read_to_string(&args.attestation)
        .map_err(|e| format!("cannot read the attestation file `{name}`: {e}"))?;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let place = format!("{name}:{}", i + 1);
        let envelope = Envelope::parse(line).map_err(|e| format!("`{place}` is {e}"))?;
        entries.push(check_envelope(place, &envelope, &key));
    }
    if entries.is_empty() {
        return Err(format!(
            "`{name}` holds no envelopes\n  help: `charter check --attest FILE` writes one per manifest"
        ));
    }
    if !args.manifests.is_empty() || args.policies.is_some() {
        let project = project::load(args.policies.as_deref(), args.config.as_deref())?;
        let Some(program) = project.set.program.as_ref() else {
            return Err(format!(
                "the policy set in `{}` has errors: `charter check` shows them",
                display(&project.dir)
            ));
        };
        let digest = project.digest;
        if args.manifests.is_empty() {
            for e in entries.iter_mut() {
                let Some(s) = &e.statement else { continue };
                let recorded = &s.predicate.policy_set.digest;
                if recorded.get("sha256") == Some(&digest.hex()) {
                    e.notes.push("made with this policy set".into());
                } else {
                    e.failure = Some(policy_set_differs(recorded, digest));
                }
            }
        }
        for path in &args.manifests {
            let shown = display(path);
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read manifest `{shown}`: {e}"))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("manifest `{shown}` is not UTF-8 text"))?;
            let sha = Digest::of(text.as_bytes()).hex();
            let found: Vec<usize> = (0..entries.len())
                .filter(|&i| {
                    entries[i]
                        .statement
                        .as_ref()
                        .is_some_and(|s| s.manifest_sha256() == Some(sha.as_str()))
                })
                .collect();
            if found.is_empty() {
                entries.push(Entry {
                    place: shown.clone(),
                    statement: None,
                    failure: Some(format!(
                        "no verified attestation in `{name}` is of this manifest (sha256:{})",
                        &sha[..12]
                    )),
                    notes: Vec::new(),
                });
                continue;
            }
            for i in found {
                let e = &mut entries[i];
                let Some(recorded) = e.statement.clone() else {
                    continue;
                };
                match reevaluate(&recorded, program, &project, digest, &text) {
                    Ok(note) => e.notes.push(note),
                    Err(why) => e.failure = Some(why),
                }
            }
        }
    }
    let mut out = String::new();
    let mut failed = 0;
    for e in &entries {
        let what = e.statement.as_ref().map_or(String::new(), |s| {
            format!(
                "  {} {}",
                s.manifest_name().unwrap_or("?"),
                s.predicate.decision
            )
        });
        match &e.failure {
            Some(why) => {
                failed += 1;
                out.push_str(&format!("FAILED    {}{what}: {why}\n", e.place));
            }
            None => {
                let mut notes = vec![format!("signed by key {}", &key.keyid()[..12])];
                notes.extend(e.notes.iter().cloned());
                out.push_str(&format!(
                    "verified  {}{what} ({})\n",
                    e.place,
                    notes.join("; ")
                ));
            }
        }
    }
    let n = entries.len();
    out.push_str(&if failed == 0 {
        format!(
            "{}: all verified\n",
            plural(n, "attestation", "attestations")
        )
    } else {
        format!(
            "{}: {failed} failed verification\n",
            plural(n, "attestation", "attestations")
        )
    });
    super::print(&out);
    Ok(if failed == 0 { Exit::Ok } else { Exit::Denied })
}

/// The signature and the payload of one envelope.
fn check_envelope(place: String, envelope: &Envelope, key: &PublicKey) -> Entry {
    let fail = |why: String| Entry {
        place: place.clone(),
        statement: None,
        failure: Some(why),
        notes: Vec::new(),
    };
    if envelope.signatures.is_empty() {
        return fail("the envelope is unsigned (written with --attest-unsigned)".into());
    }
    if !envelope.signed_by(key) {
        return fail(format!(
            "no signature verifies with the key given (key id {}): the envelope was altered, or signed with another key",
            &key.keyid()[..12]
        ));
    }
    if envelope.payload_type != dsse::IN_TOTO {
        return fail(format!(
            "the payload type is `{}`, not `{}`",
            envelope.payload_type,
            dsse::IN_TOTO
        ));
    }
    let statement: Statement = match serde_json::from_slice(&envelope.payload) {
        Ok(s) => s,
        Err(e) => {
            return fail(format!(
                "the signed payload is not a Charter decision statement: {e}"
            ));
        }
    };
    if statement.statement_type != attest::STATEMENT_TYPE
        || statement.predicate_type != attest::PREDICATE_TYPE
    {
        return fail(format!(
            "the signed statement is `{}` with predicate `{}`, not a Charter decision (`{}`)",
            statement.statement_type,
            statement.predicate_type,
            attest::PREDICATE_TYPE
        ));
    }
    Entry {
        place,
        statement: Some(statement),
        failure: None,
        notes: Vec::new(),
    }
}

fn policy_set_differs(
    recorded: &std::collections::BTreeMap<String, String>,
    now: Digest,
) -> String {
    format!(
        "made with another policy set: recorded sha256:{}, this set is {now}",
        recorded.get("sha256").map_or("?", String::as_str)
    )
}

/// Evaluates the manifest again as the record says it was (its name, its evaluation time) and
/// compares. The `Ok` text says what matched; the `Err` text what did not.
fn reevaluate(
    recorded: &Statement,
    program: &crate::check::ir::Program,
    project: &project::Project,
    digest: Digest,
    text: &str,
) -> Result<String, String> {
    let p = &recorded.predicate;
    if p.policy_set.digest.get("sha256") != Some(&digest.hex()) {
        return Err(policy_set_differs(&p.policy_set.digest, digest));
    }
    let evaluated_at = crate::manifest::parse_timestamp(&p.evaluated_at)
        .map_err(|why| format!("the recorded evaluation time is not a timestamp: {why}"))?;
    let checker = Checker {
        program,
        sources: &project.sources,
        options: crate::eval::Options {
            now: evaluated_at,
            ..project.options
        },
    };
    let name = recorded.manifest_name().unwrap_or_default().to_string();
    let run = checker.check(name, FileId(project.sources.len() as u32), text);
    let provenance = Provenance {
        policy_set: digest,
        evaluated_at,
    };
    let Some(now) = attest::statement(Some(program), &provenance, &run) else {
        return Err("the manifest could not be evaluated again".into());
    };
    let decided = &now.predicate;
    if decided.decision != p.decision {
        return Err(format!(
            "recorded decision `{}`, but the policy set decides `{}` for this manifest",
            p.decision, decided.decision
        ));
    }
    let differ: Vec<String> = p
        .results
        .iter()
        .zip(&decided.results)
        .filter(|(a, b)| a.policy != b.policy || a.outcome != b.outcome)
        .map(|(a, b)| format!("`{}` recorded {}, now {}", a.policy, a.outcome, b.outcome))
        .collect();
    if !differ.is_empty() || p.results.len() != decided.results.len() {
        return Err(format!(
            "the recorded policy outcomes differ from this evaluation: {}",
            if differ.is_empty() {
                format!(
                    "{} recorded, {} now",
                    plural(p.results.len(), "result", "results"),
                    decided.results.len()
                )
            } else {
                differ.join(", ")
            }
        ));
    }
    // The rest must match too (messages, evidence, subjects); only the engine's version may
    // differ, and is said.
    let mut same = now.clone();
    same.predicate.engine = p.engine.clone();
    same.predicate.verifier = p.verifier.clone();
    if &same != recorded {
        return Err(
            "the record's messages, evidence or subjects differ from this evaluation".into(),
        );
    }
    let mut note = format!("re-evaluated: `{}` again", p.decision);
    if p.engine.version != decided.engine.version {
        note.push_str(&format!(
            " (recorded by charter {}, checked with {})",
            p.engine.version, decided.engine.version
        ));
    }
    Ok(note)
}
