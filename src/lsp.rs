//! The language server (`charter lsp`): LSP over a connection, on the same parser, checker and
//! formatter as the command line. Diagnostics are `charter check`'s, for the whole policy set of
//! each open file; hover, definition, references, completion and symbols read a checked program
//! that survives syntax errors (see [`analysis`]).
//!
//! Every request gets an answer: a handler that panics answers with an internal error and the
//! server goes on. This module reads the files of a policy set from disk; it is, with `cli`, the
//! only one that does I/O.

mod analysis;
pub mod convert;
mod features;
mod index;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::{
    CompletionOptions, GotoDefinitionResponse, HoverProviderCapability, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;

use analysis::{Analysis, Input};
use convert::{LineIndex, path_of};

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// Runs the server on `conn` until the client shuts it down.
pub fn serve(conn: &Connection) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    conn.initialize(caps).map_err(|e| e.to_string())?;
    let mut world = World::default();
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                let id = req.id.clone();
                let resp =
                    catch_unwind(AssertUnwindSafe(|| world.request(&req))).unwrap_or_else(|_| {
                        // The analyses may be half-built: start again from the documents.
                        world.analyses.clear();
                        Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            "internal error in the Charter language server".into(),
                        )
                    });
                conn.sender.send(resp.into()).map_err(|e| e.to_string())?;
            }
            Message::Notification(n) => {
                let out = catch_unwind(AssertUnwindSafe(|| world.notification(&n))).unwrap_or_else(
                    |_| {
                        world.analyses.clear();
                        Vec::new()
                    },
                );
                for note in out {
                    conn.sender.send(note.into()).map_err(|e| e.to_string())?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

struct Document {
    uri: Uri,
    text: Arc<str>,
    last_good: Option<Arc<str>>,
}

#[derive(Default)]
struct World {
    /// Open documents by path (or by URI, for documents that are not files).
    docs: HashMap<PathBuf, Document>,
    /// The analysis of each policy set with an open document, by the set's folder.
    analyses: HashMap<PathBuf, Rc<Analysis>>,
}

fn key(uri: &Uri) -> PathBuf {
    path_of(uri).map_or_else(|| PathBuf::from(uri.as_str()), |p| convert::normalize(&p))
}

fn params<P: DeserializeOwned>(req: &Request) -> Result<P, Response> {
    serde_json::from_value(req.params.clone()).map_err(|e| {
        Response::new_err(
            req.id.clone(),
            ErrorCode::InvalidParams as i32,
            e.to_string(),
        )
    })
}

impl World {
    fn request(&mut self, req: &Request) -> Response {
        let result = match req.method.as_str() {
            HoverRequest::METHOD => self.at(req, |a, i, o| serde_json::to_value(a.hover(i, o))),
            GotoDefinition::METHOD => self.at(req, |a, i, o| {
                serde_json::to_value(GotoDefinitionResponse::Array(a.definition(i, o)))
            }),
            References::METHOD => match params::<lsp_types::ReferenceParams>(req) {
                Ok(p) => {
                    let with_decl = p.context.include_declaration;
                    self.with(&p.text_document_position.text_document.uri, |a, i| {
                        let o = offset(a, i, &p.text_document_position);
                        serde_json::to_value(a.references(i, o, with_decl))
                    })
                }
                Err(r) => return r,
            },
            Completion::METHOD => match params::<lsp_types::CompletionParams>(req) {
                Ok(p) => self.with(&p.text_document_position.text_document.uri, |a, i| {
                    let o = offset(a, i, &p.text_document_position);
                    serde_json::to_value(a.completion(i, o))
                }),
                Err(r) => return r,
            },
            DocumentSymbolRequest::METHOD => match params::<lsp_types::DocumentSymbolParams>(req) {
                Ok(p) => self.with(&p.text_document.uri, |a, i| {
                    serde_json::to_value(a.symbols(i))
                }),
                Err(r) => return r,
            },
            Formatting::METHOD => match params::<lsp_types::DocumentFormattingParams>(req) {
                Ok(p) => {
                    let text = self
                        .docs
                        .get(&key(&p.text_document.uri))
                        .map(|d| d.text.clone());
                    serde_json::to_value(text.and_then(|t| features::formatting(&t)))
                }
                Err(r) => return r,
            },
            _ => {
                return Response::new_err(
                    req.id.clone(),
                    ErrorCode::MethodNotFound as i32,
                    format!("unknown request `{}`", req.method),
                );
            }
        };
        match result {
            Ok(v) => Response::new_ok(req.id.clone(), v),
            Err(e) => Response::new_err(
                req.id.clone(),
                ErrorCode::InternalError as i32,
                e.to_string(),
            ),
        }
    }

    /// Runs `f` on the analysis of a position request's document.
    fn at(
        &mut self,
        req: &Request,
        f: impl FnOnce(&Analysis, usize, usize) -> serde_json::Result<serde_json::Value>,
    ) -> serde_json::Result<serde_json::Value> {
        let p: TextDocumentPositionParams = serde_json::from_value(req.params.clone())?;
        self.with(&p.text_document.uri, |a, i| f(a, i, offset(a, i, &p)))
    }

    fn with(
        &mut self,
        uri: &Uri,
        f: impl FnOnce(&Analysis, usize) -> serde_json::Result<serde_json::Value>,
    ) -> serde_json::Result<serde_json::Value> {
        let path = key(uri);
        let a = self.analysis(&path);
        match a.file_index(&path) {
            Some(i) => f(&a, i),
            None => Ok(serde_json::Value::Null),
        }
    }

    /// The analysis of `path`'s set, cached until one of its documents changes.
    fn analysis(&mut self, path: &Path) -> Rc<Analysis> {
        let (root, files) = self.set_of(path);
        if let Some(a) = self.analyses.get(&root)
            && a.file_index(path).is_some()
        {
            return a.clone();
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
                None => analysis::disk_input(f),
            })
            .collect();
        let a = Rc::new(Analysis::new(inputs));
        self.analyses.insert(root, a.clone());
        a
    }

    fn set_of(&self, path: &Path) -> (PathBuf, Vec<PathBuf>) {
        if path.is_absolute() {
            analysis::set_of(path)
        } else {
            // Not a file (an unsaved buffer): a set of its own.
            (path.to_path_buf(), vec![path.to_path_buf()])
        }
    }

    fn notification(&mut self, n: &Notification) -> Vec<Notification> {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(
                    n.params.clone(),
                ) else {
                    return Vec::new();
                };
                self.set_text(&p.text_document.uri, p.text_document.text);
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(
                    n.params.clone(),
                ) else {
                    return Vec::new();
                };
                // Full synchronisation: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return Vec::new();
                };
                self.set_text(&p.text_document.uri, change.text);
                p.text_document.uri
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(
                    n.params.clone(),
                ) else {
                    return Vec::new();
                };
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(
                    n.params.clone(),
                ) else {
                    return Vec::new();
                };
                self.docs.remove(&key(&p.text_document.uri));
                p.text_document.uri
            }
            _ => return Vec::new(),
        };
        let path = key(&uri);
        self.analyses.clear();
        let a = self.analysis(&path);
        publish(&a, &uri)
    }

    fn set_text(&mut self, uri: &Uri, text: String) {
        let path = key(uri);
        let text: Arc<str> = text.into();
        let parses = crate::syntax::parse(crate::source::FileId(0), &text)
            .errors
            .is_empty();
        let last_good = if parses {
            Some(text.clone())
        } else {
            self.docs.get(&path).and_then(|d| d.last_good.clone())
        };
        self.docs.insert(
            path,
            Document {
                uri: uri.clone(),
                text,
                last_good,
            },
        );
    }
}

fn offset(a: &Analysis, index: usize, p: &TextDocumentPositionParams) -> usize {
    LineIndex::new(a.text(index)).offset(p.position)
}

/// `publishDiagnostics` for every file of the set (an empty list clears a file's old ones).
/// A diagnostic without a location goes to the document that changed.
fn publish(a: &Analysis, changed: &Uri) -> Vec<Notification> {
    let mut per_file: Vec<Vec<lsp_types::Diagnostic>> = vec![Vec::new(); a.files.len()];
    let changed_index = a.files.iter().position(|f| f.uri == *changed);
    for d in &a.diagnostics {
        let place = d
            .primary_span()
            .and_then(|s| a.current(s))
            .or_else(|| changed_index.map(|i| (i, 0, 0)));
        let Some((i, start, end)) = place else {
            continue;
        };
        let range = a.range(i, start, end);
        per_file[i].push(convert::diagnostic(d, range, &|s| a.location(s)));
    }
    a.files
        .iter()
        .zip(per_file)
        .map(|(f, diagnostics)| {
            Notification::new(
                PublishDiagnostics::METHOD.to_string(),
                PublishDiagnosticsParams {
                    uri: f.uri.clone(),
                    diagnostics,
                    version: None,
                },
            )
        })
        .collect()
}
