//! The language server (`charter lsp`): LSP over a byte stream, on the same parser, checker and
//! formatter as the command line. Diagnostics are `charter check`'s, for the whole policy set of
//! each open file; hover, definition, references, completion and symbols read a checked program
//! that survives syntax errors (see [`analysis`]).
//!
//! [`serve`] is the one message loop, for the binary (standard input and output) and for tests
//! and fuzzing (any reader and writer). A reader thread frames messages ([`transport`]) into a
//! queue; the loop answers them in order. Diagnostics are published when the queue is empty, so
//! a burst of edits is checked once, at its last version; a request still queued when its
//! `$/cancelRequest` arrives is answered `RequestCancelled` without being run. Every request
//! gets an answer: one that is not a JSON-RPC message gets -32700 or -32600, and a handler that
//! panics answers with an internal error and the server goes on.
//!
//! With [`Options::disk`], this module reads the files of a policy set from disk; it is, with
//! `cli`, the only one that does I/O.

mod analysis;
pub mod convert;
mod features;
mod index;
pub mod transport;
mod world;

use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::sync::mpsc::{Receiver, sync_channel};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId};
use lsp_types::notification::{Notification as _, PublishDiagnostics};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, OneOf, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use transport::{Incoming, Reply};
use world::World;

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

/// How [`serve`] runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Read the policy set of a `file://` document from disk (the binary). Without it, every
    /// document is a set of its own (fuzzing: no input may make the server walk the disk).
    pub disk: bool,
}

/// How the server ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// `exit` after `shutdown`, or the end of the input after `shutdown` (exit code 0).
    Clean,
    /// `exit` without `shutdown`, or the end of the input without it (exit code 1).
    NoShutdown,
    /// The input cannot be followed to a next message, or the output cannot be written.
    Broken(String),
}

/// Messages read ahead of the loop: enough to see a burst of edits and the cancellations of
/// queued requests, bounded so a flood cannot fill the memory.
const QUEUE: usize = 64;

enum Event {
    In(Incoming),
    End,
    Broken(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `initialize`.
    Waiting,
    Running,
    /// After `shutdown`: only `exit` is expected.
    ShutDown,
}

/// Runs the server over `input` and `output` until `exit` or the end of the input.
pub fn serve<R: Read + Send + 'static>(input: R, mut output: impl Write, opts: Options) -> Ended {
    let (tx, rx) = sync_channel::<Event>(QUEUE);
    // Not joined: after `exit` the client may leave the input open, and the reader then waits
    // on it until the process ends; it stops by itself at the end of the input, at a broken
    // stream, or when the loop is gone.
    std::thread::spawn(move || {
        let mut reader = transport::Reader::new(BufReader::new(input));
        loop {
            let (event, last) = match reader.read() {
                Ok(Some(m)) => (Event::In(m), false),
                Ok(None) => (Event::End, true),
                Err(e) => (Event::Broken(e), true),
            };
            if tx.send(event).is_err() || last {
                return;
            }
        }
    });
    let mut lp = Loop {
        world: World::new(opts),
        phase: Phase::Waiting,
        queue: VecDeque::new(),
        rx,
    };
    match lp.run(&mut output) {
        Ok(ended) => ended,
        Err(e) => Ended::Broken(format!("cannot write to the client: {e}")),
    }
}

struct Loop {
    world: World,
    phase: Phase,
    /// Events taken from the reader, not handled yet.
    queue: VecDeque<Event>,
    rx: Receiver<Event>,
}

impl Loop {
    fn fill(&mut self) {
        while self.queue.len() < QUEUE {
            match self.rx.try_recv() {
                Ok(e) => self.queue.push_back(e),
                Err(_) => break,
            }
        }
    }

    fn run(&mut self, out: &mut impl Write) -> std::io::Result<Ended> {
        loop {
            self.fill();
            if self.queue.is_empty() {
                // Idle: publish what changed, one set at a time, looking at the input in between
                // (a newer version makes the rest stale).
                if self.phase == Phase::Running {
                    let notes = self.world.publish_next();
                    if !notes.is_empty() {
                        for n in notes {
                            transport::write_notification(out, PublishDiagnostics::METHOD, &n)?;
                        }
                        continue;
                    }
                }
                match self.rx.recv() {
                    Ok(e) => self.queue.push_back(e),
                    Err(_) => return Ok(Ended::Broken("the input reader stopped".into())),
                }
            }
            let Some(event) = self.queue.pop_front() else {
                continue;
            };
            match event {
                Event::In(Incoming::Message(Message::Request(req))) => {
                    let reply = self.request(&req);
                    transport::write_reply(out, &req.id, &reply)?;
                }
                Event::In(Incoming::Message(Message::Notification(n))) => {
                    if n.method == "exit" {
                        return Ok(if self.phase == Phase::ShutDown {
                            Ended::Clean
                        } else {
                            Ended::NoShutdown
                        });
                    }
                    if self.phase == Phase::Running {
                        self.world.notification(n);
                    }
                }
                Event::In(Incoming::Message(Message::Response(_))) => {}
                Event::In(Incoming::Invalid { id, code, message }) => {
                    transport::write_invalid(out, &id, code, &message)?;
                }
                Event::End => {
                    return Ok(if self.phase == Phase::ShutDown {
                        Ended::Clean
                    } else {
                        Ended::NoShutdown
                    });
                }
                Event::Broken(e) => return Ok(Ended::Broken(e)),
            }
        }
    }

    /// Whether a queued `$/cancelRequest` names `id` (it is then taken from the queue).
    fn cancelled(&mut self, id: &RequestId) -> bool {
        let pos = self.queue.iter().position(|e| match e {
            Event::In(Incoming::Message(Message::Notification(n))) => {
                n.method == "$/cancelRequest" && cancel_id(n).as_ref() == Some(id)
            }
            _ => false,
        });
        pos.map(|i| self.queue.remove(i)).is_some()
    }

    fn request(&mut self, req: &Request) -> Reply {
        let err = |code: ErrorCode, msg: &str| Reply::Err(code, msg.into());
        match (self.phase, req.method.as_str()) {
            (Phase::Waiting, "initialize") => {
                self.phase = Phase::Running;
                let result = lsp_types::InitializeResult {
                    capabilities: capabilities(),
                    server_info: Some(ServerInfo {
                        name: "charter".into(),
                        version: Some(env!("CARGO_PKG_VERSION").into()),
                    }),
                };
                match serde_json::to_string(&result) {
                    Ok(json) => Reply::Ok(json),
                    Err(e) => Reply::Err(ErrorCode::InternalError, e.to_string()),
                }
            }
            (Phase::Waiting, _) => err(
                ErrorCode::ServerNotInitialized,
                "the server is not initialized: send `initialize` first",
            ),
            (Phase::ShutDown, _) => err(
                ErrorCode::InvalidRequest,
                "the server is shut down: only the `exit` notification is expected",
            ),
            (Phase::Running, "initialize") => err(
                ErrorCode::InvalidRequest,
                "the server is already initialized",
            ),
            (Phase::Running, "shutdown") => {
                self.phase = Phase::ShutDown;
                Reply::Ok("null".into())
            }
            (Phase::Running, _) if self.cancelled(&req.id) => err(
                ErrorCode::RequestCanceled,
                "cancelled before it was answered",
            ),
            (Phase::Running, _) => self.world.request(req),
        }
    }
}

fn cancel_id(n: &Notification) -> Option<RequestId> {
    let id = n.params.get("id")?;
    match id {
        serde_json::Value::String(s) => Some(RequestId::from(s.clone())),
        v => v
            .as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .map(RequestId::from),
    }
}
