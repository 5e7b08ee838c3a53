//! One policy set as the server sees it: every file's current text (open documents as edited,
//! the others from disk), the CLI's diagnostics for them, and a checked program to answer
//! questions with, built from each file's current parse or, where a file does not parse, from
//! the items it still has plus the ones its last good text had.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{Location, Position, Range, Uri};

use super::convert::{LineIndex, normalize, uri_of};
use super::index::{self, Occurrence};
use crate::check::{self, ir::Program};
use crate::diag::Diagnostic;
use crate::source::{FileId, Sources, Span};
use crate::syntax::{self, Parsed, ast::Item, ast::PolicyFile};

/// A file's text as given to the analysis.
#[derive(Clone)]
pub struct Input {
    pub path: PathBuf,
    pub uri: Uri,
    pub text: Arc<str>,
    /// The last text of it that parsed without errors, when the current one does not.
    pub last_good: Option<Arc<str>>,
}

pub struct SetFile {
    pub path: PathBuf,
    pub uri: Uri,
    /// The current text.
    pub id: FileId,
    /// The last good text, when the current one does not parse.
    pub shadow: Option<(FileId, EditMap)>,
    /// Whether the current text parses without errors.
    pub parses: bool,
    /// Line starts of the current text.
    lines: Vec<usize>,
}

pub struct Analysis {
    pub inputs: Vec<Input>,
    pub sources: Sources,
    pub files: Vec<SetFile>,
    /// What `charter check` reports for these texts.
    pub diagnostics: Vec<Diagnostic>,
    /// The items the program was built from (spans in current or last good texts).
    pub items: Vec<Item>,
    pub program: Program,
    pub occurrences: Vec<Occurrence>,
}

/// The folder of the set a policy file belongs to, found as the CLI finds it: the policy folder
/// named by the `charter.toml` above it when the file is in that folder, else the folder the
/// file is in.
pub fn root_of(path: &Path) -> PathBuf {
    let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    if let Some(rel) = crate::cli::config::find(&dir) {
        let toml = normalize(&dir.join(rel));
        if let Ok(cfg) = crate::cli::config::load(&toml) {
            let base = toml.parent().map_or_else(PathBuf::new, Path::to_path_buf);
            let policies = normalize(&cfg.policies.unwrap_or_else(|| base.join("policies")));
            if path.starts_with(&policies) {
                return policies;
            }
        }
    }
    dir
}

/// The `.charter` files of the set at `root` on disk (the CLI's discovery: links not followed,
/// depth and count bounded).
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = crate::cli::project::charter_files(root).unwrap_or_default();
    files.iter_mut().for_each(|f| *f = normalize(f));
    files
}

fn item_key(item: &Item) -> (u8, String) {
    match item {
        Item::Levels(d) | Item::Enum(d) => (0, d.name.node.clone()),
        Item::Record(d) | Item::Manifest(d) => (0, d.name.node.clone()),
        Item::Let(d) => (1, d.name.node.clone()),
        Item::Policy(d) => (2, d.name.node.clone()),
    }
}

impl Analysis {
    pub fn new(inputs: Vec<Input>) -> Analysis {
        let mut sources = Sources::new();
        let ids: Vec<FileId> = inputs
            .iter()
            .map(|i| sources.add(i.path.to_string_lossy(), i.text.clone()))
            .collect();
        let (mut set, partial) = crate::compile_analyzed(&sources, &ids, None);
        // Every file parsed: the set's own check is the program (one check, not two).
        let checked = set.program.take().or(partial);
        let mut items = Vec::new();
        let mut files = Vec::new();
        for ((input, &id), parsed) in inputs.iter().zip(&ids).zip(set.parsed) {
            let mut shadow = None;
            let parses = parsed.errors.is_empty();
            if parses {
                items.extend(parsed.file.items);
            } else {
                let have: HashSet<(u8, String)> = parsed.file.items.iter().map(item_key).collect();
                items.extend(parsed.file.items);
                if let Some(good) = input.last_good.as_ref().filter(|g| **g != input.text) {
                    let sid = sources.add(
                        format!("{} (last good)", input.path.display()),
                        good.clone(),
                    );
                    let old: Parsed = syntax::parse(sid, good);
                    items.extend(
                        old.file
                            .items
                            .into_iter()
                            .filter(|i| !have.contains(&item_key(i))),
                    );
                    shadow = Some((sid, EditMap::new(good, &input.text)));
                }
            }
            files.push(SetFile {
                path: input.path.clone(),
                uri: input.uri.clone(),
                id,
                shadow,
                parses,
                lines: super::convert::line_starts(&input.text),
            });
        }
        let file = PolicyFile { items };
        let program = match checked {
            Some(p) => p,
            None => check::analyze(&[&file]).0,
        };
        let occurrences = index::occurrences(&file.items, &program);
        Analysis {
            inputs,
            sources,
            files,
            diagnostics: set.diagnostics,
            items: file.items,
            program,
            occurrences,
        }
    }

    /// The same set with another text for file `index` (completion analyses an edited copy).
    pub fn with_text(&self, index: usize, text: String) -> Analysis {
        let mut inputs = self.inputs.clone();
        inputs[index].text = text.into();
        Analysis::new(inputs)
    }

    pub fn file_index(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }

    pub fn text(&self, index: usize) -> &str {
        &self.sources.get(self.files[index].id).text
    }

    /// The file of a span and its range in that file's current text.
    pub fn current(&self, span: Span) -> Option<(usize, usize, usize)> {
        self.files.iter().enumerate().find_map(|(i, f)| {
            if f.id == span.file {
                Some((i, span.start as usize, span.end as usize))
            } else {
                let (_, map) = f.shadow.as_ref().filter(|(sid, _)| *sid == span.file)?;
                Some((
                    i,
                    map.old_to_new(span.start as usize),
                    map.old_to_new(span.end as usize),
                ))
            }
        })
    }

    /// The current text of file `index` as given (shared with its document).
    pub fn input_text(&self, f: &SetFile) -> &Arc<str> {
        &self.inputs[self.files.iter().position(|g| g.id == f.id).unwrap_or(0)].text
    }

    pub fn lines(&self, index: usize) -> LineIndex<'_> {
        LineIndex::with_starts(self.text(index), &self.files[index].lines)
    }

    pub fn range(&self, index: usize, start: usize, end: usize) -> Range {
        self.lines(index).range(start, end)
    }

    /// The byte offset of a position in file `index`'s current text.
    pub fn offset(&self, index: usize, p: Position) -> usize {
        self.lines(index).offset(p)
    }

    /// The diagnostics of every file, as LSP's; one without a location goes to file `fallback`.
    pub fn diagnostics_by_file(&self, fallback: Option<usize>) -> Vec<Vec<lsp_types::Diagnostic>> {
        let mut per_file = vec![Vec::new(); self.files.len()];
        for d in &self.diagnostics {
            let place = d
                .primary_span()
                .and_then(|s| self.current(s))
                .or_else(|| fallback.map(|i| (i, 0, 0)));
            let Some((i, start, end)) = place else {
                continue;
            };
            let range = self.range(i, start, end);
            per_file[i].push(super::convert::diagnostic(d, range, &|s| self.location(s)));
        }
        per_file
    }

    pub fn location(&self, span: Span) -> Option<Location> {
        let (i, start, end) = self.current(span)?;
        Some(Location::new(
            self.files[i].uri.clone(),
            self.range(i, start, end),
        ))
    }

    /// Where an offset of file `index`'s current text is in the texts the program was built
    /// from: the current text, and the last good one where the edit left it unchanged.
    pub fn positions(&self, index: usize, offset: usize) -> Vec<(FileId, usize)> {
        let f = &self.files[index];
        let mut out = vec![(f.id, offset)];
        if let Some((sid, map)) = &f.shadow
            && let Some(old) = map.new_to_old(offset)
        {
            out.push((*sid, old));
        }
        out
    }
}

/// How offsets move between an old and a new text that differ in one region (an edit): the
/// common prefix and suffix keep their text.
pub struct EditMap {
    prefix: usize,
    suffix: usize,
    old_len: usize,
    new_len: usize,
}

impl EditMap {
    pub fn new(old: &str, new: &str) -> EditMap {
        let mut prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let max = old.len().min(new.len()) - prefix;
        let mut suffix = old
            .bytes()
            .rev()
            .zip(new.bytes().rev())
            .take(max)
            .take_while(|(a, b)| a == b)
            .count();
        while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix)
        {
            suffix -= 1;
        }
        EditMap {
            prefix,
            suffix,
            old_len: old.len(),
            new_len: new.len(),
        }
    }

    /// An offset in the old text, in the new one (inside the edit: the edit's start).
    pub fn old_to_new(&self, o: usize) -> usize {
        if o <= self.prefix {
            o
        } else if o >= self.old_len - self.suffix {
            o + self.new_len - self.old_len
        } else {
            self.prefix
        }
    }

    /// An offset in the new text, in the old one; `None` inside the edit.
    pub fn new_to_old(&self, n: usize) -> Option<usize> {
        if n <= self.prefix {
            Some(n)
        } else if n >= self.new_len - self.suffix {
            Some(n + self.old_len - self.new_len)
        } else {
            None
        }
    }
}

/// A file of the set that is not open in the editor, as it is on disk.
pub fn disk_input(path: &Path) -> Option<Input> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(Input {
        path: path.to_path_buf(),
        uri: uri_of(path),
        text: text.into(),
        last_good: None,
    })
}
