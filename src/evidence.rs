//! Decisions as evidence (issue 18): Ed25519 keys, digests, signed attestations, the decision
//! log (an RFC 9162 Merkle tree with C2SP signed checkpoints).
//!
//! Values in, values out: key files are read and written by `cli::keys`; this module only turns
//! PEM text into keys and back, and signs and verifies bytes.

pub mod key;
pub mod log;
pub mod merkle;
pub mod note;
