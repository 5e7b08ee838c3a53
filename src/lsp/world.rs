//! What the server knows between messages: the open documents, the analysis of each policy set
//! that has been asked about (cached until one of its files changes), and the sets whose
//! diagnostics are due. Each file's diagnostics are published by the set that owns it (the set
//! `charter check` would find for it), so overlapping sets (a scratch file in a folder above two
//! projects) never overwrite each other's.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use lsp_server::{ErrorCode, Notification, Request};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::{
    GotoDefinitionResponse, PublishDiagnosticsParams, TextDocumentPositionParams, Uri,
};
use serde::de::DeserializeOwned;

use super::Options;
use super::analysis::{self, Analysis, Input};
use super::convert::{self, path_of};
use super::features;
use super::transport::Reply;

struct Document {
    uri: Uri,
    text: Arc<str>,
    /// The last text of it that parsed, as far as an analysis has seen.
    last_good: Option<Arc<str>>,
}

pub struct World {
    opts: Options,
    /// Open documents by path (or by URI, for documents that are not files).
    docs: HashMap<PathBuf, Document>,
    /// The analysis of each policy set asked about, by the set's folder.
    analyses: HashMap<PathBuf, Rc<Analysis>>,
    /// The last analysis of a set whose files changed since, for hovers in the meantime.
    previous: HashMap<PathBuf, Rc<Analysis>>,
    /// Sets whose diagnostics are to be published, with the document that made each due.
    due: BTreeMap<PathBuf, Uri>,
}

fn key(uri: &Uri) -> PathBuf {
    path_of(uri).map_or_else(|| PathBuf::from(uri.as_str()), |p| convert::normalize(&p))
}

fn params<P: DeserializeOwned>(req: &Request) -> Result<P, Reply> {
    serde_json::from_value(req.params.clone())
        .map_err(|e| Reply::Err(ErrorCode::InvalidParams, e.to_string()))
}

impl World {
    pub fn new(opts: Options) -> World {
        World {
            opts,
            docs: HashMap::new(),
            analyses: HashMap::new(),
            previous: HashMap::new(),
            due: BTreeMap::new(),
        }
    }

    /// Answers a request; a handler that panics answers with an internal error, and the
    /// analyses start again from the documents.
    pub fn request(&mut self, req: &Request) -> Reply {
        catch_unwind(AssertUnwindSafe(|| self.answer(req))).unwrap_or_else(|_| {
            self.analyses.clear();
            self.previous.clear();
            Reply::Err(
                ErrorCode::InternalError,
                "internal error in the Charter language server".into(),
            )
        })
    }

    pub fn notification(&mut self, n: Notification) {
        if catch_unwind(AssertUnwindSafe(|| self.note(n))).is_err() {
            self.analyses.clear();
            self.previous.clear();
        }
    }

    /// The diagnostics of the next set that is due, for the files it owns (empty when none is
    /// due).
    pub fn publish_next(&mut self) -> Vec<PublishDiagnosticsParams> {
        while let Some((root, trigger)) = self.due.pop_first() {
            let out = catch_unwind(AssertUnwindSafe(|| self.publish(&root, &trigger)));
            match out {
                Ok(notes) if !notes.is_empty() => return notes,
                Ok(_) => {}
                Err(_) => {
                    self.analyses.clear();
                    self.previous.clear();
                }
            }
        }
        Vec::new()
    }

    fn answer(&mut self, req: &Request) -> Reply {
        let result = match req.method.as_str() {
            HoverRequest::METHOD => self.hover(req),
            GotoDefinition::METHOD => self.at(req, |a, i, o| {
                serde_json::to_string(&GotoDefinitionResponse::Array(a.definition(i, o)))
            }),
            References::METHOD => match params::<lsp_types::ReferenceParams>(req) {
                Ok(p) => {
                    let with_decl = p.context.include_declaration;
                    self.with(&p.text_document_position.text_document.uri, |a, i| {
                        let o = a.offset(i, p.text_document_position.position);
                        serde_json::to_string(&a.references(i, o, with_decl))
                    })
                }
                Err(r) => return r,
            },
            Completion::METHOD => match params::<lsp_types::CompletionParams>(req) {
                Ok(p) => self.with(&p.text_document_position.text_document.uri, |a, i| {
                    let o = a.offset(i, p.text_document_position.position);
                    serde_json::to_string(&a.completion(i, o))
                }),
                Err(r) => return r,
            },
            DocumentSymbolRequest::METHOD => match params::<lsp_types::DocumentSymbolParams>(req) {
                Ok(p) => self.with(&p.text_document.uri, |a, i| {
                    serde_json::to_string(&a.symbols(i))
                }),
                Err(r) => return r,
            },
            Formatting::METHOD => match params::<lsp_types::DocumentFormattingParams>(req) {
                Ok(p) => {
                    let text = self
                        .docs
                        .get(&key(&p.text_document.uri))
                        .map(|d| d.text.clone());
                    serde_json::to_string(&text.and_then(|t| features::formatting(&t)))
                }
                Err(r) => return r,
            },
            _ => {
                return Reply::Err(
                    ErrorCode::MethodNotFound,
                    format!("unknown request `{}`", req.method),
                );
            }
        };
        match result {
            Ok(v) => Reply::Ok(v),
            Err(e) => Reply::Err(ErrorCode::InvalidParams, e.to_string()),
        }
    }

    /// A hover while the document's set is due (edits not analysed yet) is answered at once
    /// from the set's previous analysis when the position lies outside what was edited since
    /// (a hover has no range to move); else from a fresh analysis.
    fn hover(&mut self, req: &Request) -> serde_json::Result<String> {
        let p: TextDocumentPositionParams = serde_json::from_value(req.params.clone())?;
        let path = key(&p.text_document.uri);
        let root = self.root_of(&path);
        if !self.analyses.contains_key(&root)
            && let Some(old) = self.previous.get(&root)
            && let Some(i) = old.file_index(&path)
            && let Some(doc) = self.docs.get(&path)
        {
            let lines = convert::LineIndex::new(&doc.text);
            let at = lines.offset(p.position);
            let map = analysis::EditMap::new(old.text(i), &doc.text);
            if let Some(o) = map.new_to_old(at) {
                return serde_json::to_string(&old.hover(i, o));
            }
        }
        self.with(&p.text_document.uri, |a, i| {
            serde_json::to_string(&a.hover(i, a.offset(i, p.position)))
        })
    }

    /// Runs `f` on the analysis of a position request's document.
    fn at(
        &mut self,
        req: &Request,
        f: impl FnOnce(&Analysis, usize, usize) -> serde_json::Result<String>,
    ) -> serde_json::Result<String> {
        let p: TextDocumentPositionParams = serde_json::from_value(req.params.clone())?;
        self.with(&p.text_document.uri, |a, i| {
            f(a, i, a.offset(i, p.position))
        })
    }

    fn with(
        &mut self,
        uri: &Uri,
        f: impl FnOnce(&Analysis, usize) -> serde_json::Result<String>,
    ) -> serde_json::Result<String> {
        let path = key(uri);
        let a = self.analysis(&path);
        match a.file_index(&path) {
            Some(i) => f(&a, i),
            None => Ok("null".into()),
        }
    }

    /// The folder of the set that owns `path` (`charter check`'s set for it); a document that is
    /// not a file (or any document, without [`Options::disk`]) is a set of its own.
    fn root_of(&self, path: &Path) -> PathBuf {
        if self.opts.disk && path.is_absolute() {
            analysis::root_of(path)
        } else {
            path.to_path_buf()
        }
    }

    /// The files of the set at `root`: its `.charter` files on disk and the open documents it
    /// owns.
    fn files_of(&self, root: &Path) -> Vec<PathBuf> {
        let mut files = if self.opts.disk && root.is_absolute() {
            analysis::files_under(root)
        } else {
            Vec::new()
        };
        let mut open: Vec<&PathBuf> = self
            .docs
            .keys()
            .filter(|p| !files.contains(p) && self.root_of(p) == root)
            .collect();
        open.sort();
        files.extend(open.into_iter().cloned());
        files
    }

    /// The analysis of `path`'s set, cached until one of its files changes.
    fn analysis(&mut self, path: &Path) -> Rc<Analysis> {
        let root = self.root_of(path);
        self.set_analysis(root, path)
    }

    /// The analysis of the set at `root`, which holds `path` (a document outside the folder's
    /// files, such as an unsaved buffer, is added to it).
    fn set_analysis(&mut self, root: PathBuf, path: &Path) -> Rc<Analysis> {
        if let Some(a) = self.analyses.get(&root)
            && a.file_index(path).is_some()
        {
            return a.clone();
        }
        let mut files = self.files_of(&root);
        if !files.iter().any(|f| f == path) {
            files.push(path.to_path_buf());
        }
        let inputs = files
            .iter()
            .filter_map(|f| match self.docs.get(f) {
                Some(d) => Some(Input {
                    path: f.clone(),
                    uri: d.uri.clone(),
                    text: d.text.clone(),
                    last_good: d.last_good.clone(),
                }),
                None if self.opts.disk => analysis::disk_input(f),
                None => None,
            })
            .collect();
        let a = Rc::new(Analysis::new(inputs));
        // A document whose text parsed is its own last good text from now on.
        for f in a.files.iter().filter(|f| f.parses) {
            if let Some(d) = self.docs.get_mut(&f.path)
                && d.last_good.as_ref() != Some(a.input_text(f))
            {
                d.last_good = Some(a.input_text(f).clone());
            }
        }
        self.previous.remove(&root);
        self.analyses.insert(root, a.clone());
        a
    }

    /// Takes the notification: a document's text moves into the world without a copy.
    fn note(&mut self, n: Notification) {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                self.set_text(&p.text_document.uri, p.text_document.text);
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                // Full synchronisation: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return;
                };
                self.set_text(&p.text_document.uri, change.text);
                p.text_document.uri
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                else {
                    return;
                };
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                self.docs.remove(&key(&p.text_document.uri));
                p.text_document.uri
            }
            _ => return,
        };
        let path = key(&uri);
        // Every set that holds the file is stale, and is due if it owns an open document.
        let stale: Vec<PathBuf> = self
            .analyses
            .iter()
            .filter(|(_, a)| a.file_index(&path).is_some())
            .map(|(root, _)| root.clone())
            .collect();
        for root in stale {
            if let Some(a) = self.analyses.remove(&root) {
                self.previous.insert(root.clone(), a);
            }
            if self.docs.keys().any(|d| self.root_of(d) == root) {
                self.due.entry(root).or_insert_with(|| uri.clone());
            }
        }
        self.due.insert(self.root_of(&path), uri);
    }

    fn set_text(&mut self, uri: &Uri, text: String) {
        let path = key(uri);
        let last_good = self.docs.remove(&path).and_then(|d| d.last_good);
        self.docs.insert(
            path,
            Document {
                uri: uri.clone(),
                text: text.into(),
                last_good,
            },
        );
    }

    /// `publishDiagnostics` for every file the set at `root` owns (an empty list clears a
    /// file's old ones). A diagnostic without a location goes to the set's first open document.
    /// A set with no open document left (its last one was closed) publishes what its files on
    /// disk give, or clears the closed document when there are none.
    fn publish(&mut self, root: &Path, trigger: &Uri) -> Vec<PublishDiagnosticsParams> {
        let files = self.files_of(root);
        let Some(first) = files
            .iter()
            .find(|f| self.docs.contains_key(*f))
            .or(files.first())
            .cloned()
        else {
            return vec![PublishDiagnosticsParams {
                uri: trigger.clone(),
                diagnostics: Vec::new(),
                version: None,
            }];
        };
        let a = self.set_analysis(root.to_path_buf(), &first);
        let mut owners: HashMap<PathBuf, PathBuf> = HashMap::new();
        let owned: Vec<bool> = a
            .files
            .iter()
            .map(|f| {
                let dir = f.path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
                let owner = owners.entry(dir).or_insert_with(|| self.root_of(&f.path));
                owner == root
            })
            .collect();
        let fallback = a.file_index(&first);
        a.diagnostics_by_file(fallback)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| owned[*i])
            .map(|(i, diagnostics)| PublishDiagnosticsParams {
                uri: a.files[i].uri.clone(),
                diagnostics,
                version: None,
            })
            .collect()
    }
}
