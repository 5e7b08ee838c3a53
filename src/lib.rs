//! Charter: policy-as-code for change governance.
//!
//! The pipeline, one module per stage:
//! source text -> [`syntax`] (pest -> typed AST with spans) -> [`check`] (names, types, schema)
//! -> [`eval`] (a decision with evidence, against a [`manifest`]) -> [`report`] (human, JSON).
//! The CLI ([`cli`]) is the only module that does I/O.

pub mod diag;
pub mod source;
pub mod check;
pub mod glob;
pub mod syntax;
