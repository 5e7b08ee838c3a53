//! Decisions as evidence (issue 18): Ed25519 keys, digests, signed attestations, the decision
//! log (an RFC 9162 Merkle tree with C2SP signed checkpoints).
//!
//! Values in, values out: key files are read and written by `cli::keys`; this module only turns
//! PEM text into keys and back, and signs and verifies bytes.

pub mod digest;
pub mod dsse;
pub mod key;
pub mod log;
pub mod merkle;
pub mod note;

use crate::check::ir::{Schema, Ty};
use crate::manifest::{Manifest, NodeValue};

/// The git commit a manifest is about, for an attestation's `gitCommit` subject: the field
/// `source.commit` (the standard schema's head commit), when the manifest has it and it is a
/// full commit id (40 hex digits for SHA-1, 64 for SHA-256 repositories), in lowercase.
pub fn commit_of(schema: &Schema, manifest: &Manifest) -> Option<String> {
    let root = schema.record(schema.root);
    let source = root.field("source")?;
    let Ty::Record(source_ty) = root.fields[source].ty else {
        return None;
    };
    let commit = schema.record(source_ty).field("commit")?;
    let NodeValue::Record(fields) = &manifest.root.value else {
        return None;
    };
    let NodeValue::Record(source_fields) = &fields.get(source)?.as_ref()?.value else {
        return None;
    };
    let NodeValue::Str(sha) = &source_fields.get(commit)?.as_ref()?.value else {
        return None;
    };
    let full = matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit());
    full.then(|| sha.as_str().to_ascii_lowercase())
}
