//! Charter: policy-as-code for change governance.
//!
//! The pipeline, one module per stage:
//! source text -> [`syntax`] (pest -> typed AST with spans) -> [`check`] (names, types, schema)
//! -> [`eval`] (a decision with evidence, against a [`manifest`]) -> [`report`] (human, JSON,
//! SARIF, JUnit, GitHub annotations). [`facts`] turns where a change lives (git commits, a
//! GitHub pull request) into a manifest.
//! The CLI ([`cli`]) is the only module that does I/O.

pub mod bulk;
pub mod check;
pub mod cli;
pub mod compare;
pub mod diag;
pub mod eval;
pub mod evidence;
pub mod facts;
pub mod fmt;
pub mod glob;
pub mod identity;
pub mod literal;
pub mod lsp;
pub mod manifest;
pub mod re;
pub mod report;
pub mod source;
pub mod syntax;
pub mod testing;

use diag::Diagnostic;
use source::{FileId, Sources};

/// A policy set read from text: parses every file and checks them together.
pub struct PolicySet {
    pub files: Vec<FileId>,
    pub parsed: Vec<syntax::Parsed>,
    pub program: Option<check::ir::Program>,
    /// Syntax errors first (file by file), then check errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// source -> syntax -> check for a whole policy set (files already added to `sources`).
pub fn compile(sources: &Sources, files: &[FileId]) -> PolicySet {
    compile_with_waivers(sources, files, None)
}

/// [`compile`], with a waiver file (YAML, already in `sources`) checked against the set: its
/// problems are the set's diagnostics, and its waivers part of the program.
pub fn compile_with_waivers(
    sources: &Sources,
    files: &[FileId],
    waiver_file: Option<FileId>,
) -> PolicySet {
    compile_analyzed(sources, files, waiver_file).0
}

/// [`compile_with_waivers`], and also the checker's program when the set has errors but every
/// file parses ([`check::analyze`]'s, for the language server's questions; never evaluated).
/// `None` when there are syntax errors (nothing was checked) or no errors (the program is the
/// set's).
pub fn compile_analyzed(
    sources: &Sources,
    files: &[FileId],
    waiver_file: Option<FileId>,
) -> (PolicySet, Option<check::ir::Program>) {
    let parsed: Vec<syntax::Parsed> = files
        .iter()
        .map(|&f| syntax::parse(f, &sources.get(f).text))
        .collect();
    let mut diagnostics: Vec<Diagnostic> = parsed
        .iter()
        .flat_map(|p| p.errors.iter().cloned())
        .collect();
    // A waiver the file spells wrong is left out, and the others are still checked.
    let mut waivers = Vec::new();
    let mut waiver_problems = Vec::new();
    if let Some(w) = waiver_file {
        let text = &sources.get(w).text;
        match manifest::parse(w, text) {
            Ok(raw) => (waivers, waiver_problems) = check::waivers::read(w, text, &raw),
            Err(d) => waiver_problems.push(*d),
        }
    }
    // With syntax errors, names and types are only reported once the files parse: an item that
    // did not parse would otherwise cause follow-on errors ("unknown name") that mislead.
    let (mut program, mut partial) = if diagnostics.is_empty() {
        let asts: Vec<&syntax::ast::PolicyFile> = parsed.iter().map(|p| &p.file).collect();
        let (program, checked) = check::analyze_with_waivers(&asts, &waivers);
        let ok = !checked.iter().any(|d| d.level == diag::Level::Error);
        diagnostics.extend(checked);
        if ok {
            (Some(program), None)
        } else {
            (None, Some(program))
        }
    } else {
        (None, None)
    };
    if !waiver_problems.is_empty() {
        diagnostics.extend(waiver_problems);
        partial = partial.or(program.take());
    }
    let set = PolicySet {
        files: files.to_vec(),
        parsed,
        program,
        diagnostics,
    };
    (set, partial)
}
