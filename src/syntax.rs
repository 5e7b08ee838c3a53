//! Text -> AST. Never fails: returns the items it could build plus syntax errors.
//!
//! pest stops at the first error, so a file that does not parse is split at the start of every
//! top-level item (`policy`, `let`, `record`, `levels`, `enum`, `manifest`, or the `///` doc
//! comment before one) and each chunk is parsed alone: every item's first error is reported and
//! the good items are kept (the language server relies on that).
//! Invariant: knows nothing about manifests, evaluation, output formats or LSP.

pub mod ast;
mod lower;

use crate::diag::Diagnostic;
use crate::source::FileId;
use ast::PolicyFile;

/// The result of parsing one file.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub file: PolicyFile,
    pub errors: Vec<Diagnostic>,
}

/// Deepest bracket nesting accepted in a policy file; deeper input is an error, not a stack overflow.
pub const MAX_NESTING: usize = 64;
/// Most brackets and nesting words (`any`, `all`, `if`, `where`, ...) open at once in a policy
/// file (see `lower::nesting_error`): a bound on the parser's recursion, not a language limit.
pub const MAX_SCAN_DEPTH: usize = 4096;

/// Parses one condition written outside a policy file (a waiver's `when`): `text` is the
/// condition, which starts at byte `base` of `file`, so spans point into that file.
pub fn parse_condition(
    file: FileId,
    text: &str,
    base: usize,
) -> Result<ast::Expr, Box<crate::diag::Diagnostic>> {
    lower::parse_condition(file, text, base)
}

pub fn parse(file: FileId, text: &str) -> Parsed {
    if let Some(err) = lower::nesting_error(file, text, 0) {
        return Parsed {
            file: PolicyFile::default(),
            errors: vec![err],
        };
    }
    match lower::parse_chunk(file, text, 0, false) {
        Ok((items, errors)) => Parsed {
            file: PolicyFile { items },
            errors,
        },
        Err(_) => {
            // A string left open swallows the rest of its line: pest then reports something far
            // away, so name it directly.
            let unterminated = lower::unterminated_strings(file, text);
            if !unterminated.is_empty() {
                return Parsed {
                    file: PolicyFile::default(),
                    errors: unterminated,
                };
            }
            let mut parsed = Parsed::default();
            let starts = item_starts(text);
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(text.len());
                match scanned_chunk(file, &text[start..end], start, end < text.len()) {
                    Ok((items, errors)) => {
                        parsed.file.items.extend(items);
                        parsed.errors.extend(errors);
                    }
                    Err(e) => parsed.errors.push(*e),
                }
            }
            if starts.is_empty() || starts[0] > 0 {
                // Text before the first item: parse it for its error.
                let end = starts.first().copied().unwrap_or(text.len());
                if let Err(e) = scanned_chunk(file, &text[..end], 0, end < text.len()) {
                    parsed.errors.insert(0, *e);
                }
            }
            parsed
        }
    }
}

/// One chunk of a file that did not parse as a whole, scanned for nesting again first: the scan
/// of the whole file may have lost its way in an item that does not parse (a string it took for
/// a message's).
fn scanned_chunk(file: FileId, text: &str, base: usize, more_follows: bool) -> lower::ChunkResult {
    if let Some(err) = lower::nesting_error(file, text, base) {
        return Err(Box::new(err));
    }
    lower::parse_chunk(file, text, base, more_follows)
}

pub(crate) const ITEM_KEYWORDS: [&str; 6] =
    ["policy", "let", "record", "levels", "enum", "manifest"];

/// Byte offsets of the lines that begin a top-level item (including its leading doc comments).
fn item_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    let mut doc_start: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("///") && !trimmed.starts_with("////") {
            doc_start.get_or_insert(offset);
        } else {
            let word: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = trimmed[word.len()..].chars().next();
            if ITEM_KEYWORDS.contains(&word.as_str())
                && after.is_none_or(|c| c.is_whitespace() || c == '{')
            {
                starts.push(doc_start.unwrap_or(offset));
            }
            if !trimmed.is_empty() {
                doc_start = None;
            }
        }
        offset += line.len();
    }
    starts
}
