//! Decisions as evidence (issue 18): Ed25519 keys, digests, signed attestations.
//!
//! Values in, values out: key files are read and written by `cli::keys`; this module only turns
//! PEM text into keys and back, and signs and verifies bytes.

pub mod digest;
pub mod key;
