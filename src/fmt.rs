//! AST + comments -> canonical text: `charter fmt` and the language server's formatting.
//!
//! The file is parsed with [`crate::syntax::parse`] (a file with syntax errors is refused),
//! its comments are recovered from the source ([`comments`]), and the tree is printed in one
//! layout ([`print`], rendered at [`WIDTH`] columns by [`doc`]). Before the text is returned, it
//! is parsed again and must give the same tree (spans aside) and the same comments in the same
//! order: a formatter bug becomes an error, never a changed policy.
//! Invariant: no I/O; knows nothing about the command line or LSP.

pub mod comments;
mod doc;
mod print;

use crate::diag::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::{self, ast::*};

/// The line width the formatter aims for.
pub const WIDTH: usize = 100;

/// Formats one policy file. A file with syntax errors is refused: the errors are returned.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = syntax::parse(file, text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    format_parsed(file, text, &parsed.file)
}

/// Formats a file already parsed without errors (`ast` is the parse of `text`).
pub fn format_parsed(
    file: FileId,
    text: &str,
    ast: &PolicyFile,
) -> Result<String, Vec<Diagnostic>> {
    let comments = comments::scan(text, ast);
    let mut printer = print::Printer::new(text, &comments);
    let out = doc::render(&printer.file(ast), WIDTH);
    // Soundness: the output must mean exactly what the input meant, comments included.
    let again = syntax::parse(file, &out);
    let same = again.errors.is_empty()
        && same_shape(&again.file, ast)
        && texts(&comments::scan(&out, &again.file)) == texts(&comments);
    if !same {
        return Err(vec![
            Diagnostic::error(
                "charter::fmt::internal",
                "internal error: formatting would change this file, so it was left as it is",
            )
            .with_help("please file an issue at the Charter repository with this file attached"),
        ]);
    }
    // A file keeps its line ending style: the first line end decides (`\r\n` or `\n`).
    let crlf = text.find('\n').is_some_and(|i| text[..i].ends_with('\r'));
    Ok(if crlf { out.replace('\n', "\r\n") } else { out })
}

fn texts(cs: &[comments::Comment]) -> Vec<&str> {
    cs.iter().map(|c| c.text.as_str()).collect()
}

/// Whether two files have the same syntax tree, ignoring where things are in the text.
pub fn same_shape(a: &PolicyFile, b: &PolicyFile) -> bool {
    let (mut a, mut b) = (a.clone(), b.clone());
    erase_spans(&mut a);
    erase_spans(&mut b);
    a == b
}

/// Sets every plain `Span` of the tree to the default (`Spanned` already compares without spans).
fn erase_spans(f: &mut PolicyFile) {
    for item in &mut f.items {
        match item {
            Item::Levels(d) | Item::Enum(d) => d.span = Span::default(),
            Item::Record(d) | Item::Manifest(d) => {
                d.span = Span::default();
                d.fields.iter_mut().for_each(erase_field);
            }
            Item::Let(d) => {
                d.span = Span::default();
                for p in d.params.iter_mut().flatten() {
                    if let Some(t) = &mut p.ty {
                        erase_type(t);
                    }
                }
            }
            Item::Policy(d) => {
                d.span = Span::default();
                for c in &mut d.clauses {
                    match c {
                        Clause::Message(t) | Clause::Help(t) | Clause::OverrideMessage(t) => {
                            erase_template(t)
                        }
                        Clause::When(_)
                        | Clause::Require(_)
                        | Clause::Override(_)
                        | Clause::Severity(_) => {}
                    }
                }
            }
        }
    }
}

/// Expressions hold no plain spans (only `Spanned` ones), so fields, types and templates are
/// all there is to erase.
fn erase_field(f: &mut FieldDecl) {
    erase_type(&mut f.ty);
}

fn erase_type(t: &mut TypeExpr) {
    t.span = Span::default();
    t.refinements
        .iter_mut()
        .for_each(|r| r.span = Span::default());
    match &mut t.kind {
        TypeKind::List(t) | TypeKind::Map(t, _) => erase_type(t),
        TypeKind::Record(fields) => fields.iter_mut().for_each(erase_field),
        TypeKind::Named(_) | TypeKind::Enum(..) | TypeKind::Levels(..) => {}
    }
}

fn erase_template(t: &mut Template) {
    t.span = Span::default();
}
