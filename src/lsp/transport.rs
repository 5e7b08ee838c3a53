//! LSP's base protocol over a byte stream: `Content-Length` framed JSON-RPC messages in, the same
//! out. Reading never trusts the peer: a header line, a header block and a body have caps
//! checked before anything is allocated, and a body that is framed but not a JSON-RPC message is
//! an [`Incoming::Invalid`] to answer, not the end of the connection. Only a stream that cannot
//! be followed any more (end of input inside a message, a header that is not `Name: value`, no
//! `Content-Length`) ends it.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use serde_json::{Map, Value};

/// The largest message body read (bytes); a longer one is skipped without being stored.
pub const MAX_MESSAGE: usize = 64 << 20;
/// The longest header line, and the most header lines one message may have.
const MAX_HEADER_LINE: usize = 8 << 10;
const MAX_HEADERS: usize = 32;

/// What one framed message was.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// Not a JSON-RPC message: answer `code` to `id` (the request's id when it had a usable one,
    /// else `null`).
    Invalid {
        id: Value,
        code: ErrorCode,
        message: String,
    },
}

/// Reads framed messages from `R`.
pub struct Reader<R> {
    inner: R,
    /// The length of a message over the cap, answered already and still to be skipped.
    skip: Option<usize>,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader { inner, skip: None }
    }

    /// The next message; `Ok(None)` at the end of input between messages; `Err` when the stream
    /// is broken (it cannot be followed to a next message).
    pub fn read(&mut self) -> Result<Option<Incoming>, String> {
        if let Some(n) = self.skip.take() {
            self.skip_body(n)?;
        }
        let mut length: Option<usize> = None;
        let mut lines = 0;
        loop {
            let Some(line) = self.header_line()? else {
                return if lines == 0 {
                    Ok(None)
                } else {
                    Err("the input ended inside a message header".into())
                };
            };
            if line.is_empty() {
                if lines == 0 {
                    // Blank lines between messages are tolerated.
                    continue;
                }
                break;
            }
            lines += 1;
            if lines > MAX_HEADERS {
                return Err(format!(
                    "more than {MAX_HEADERS} header lines in one message"
                ));
            }
            let header = line.split_once(':').filter(|(name, _)| is_token(name));
            let Some((name, value)) = header else {
                return Err(format!(
                    "expected a `Content-Length: N` header, found `{}`",
                    excerpt(&line)
                ));
            };
            if name.eq_ignore_ascii_case("content-length") {
                let v = value.trim();
                let n = v
                    .parse::<u64>()
                    .map_err(|_| format!("`Content-Length: {}` is not a length", excerpt(v)))?;
                length = Some(usize::try_from(n).unwrap_or(usize::MAX));
            }
        }
        let Some(length) = length else {
            return Err("a message without a `Content-Length` header".into());
        };
        if length > MAX_MESSAGE {
            // Answered before it is skipped: the client learns at once, even if the body never
            // comes.
            self.skip = Some(length);
            return Ok(Some(Incoming::Invalid {
                id: Value::Null,
                code: ErrorCode::InvalidRequest,
                message: format!(
                    "a message of {length} bytes is over the limit of {} MiB; it was skipped",
                    MAX_MESSAGE >> 20
                ),
            }));
        }
        let mut body = vec![0; length];
        self.inner
            .read_exact(&mut body)
            .map_err(|e| format!("the input ended inside a message of {length} bytes ({e})"))?;
        Ok(Some(classify(&body)))
    }

    /// One header line without its line end (`\r\n`, or `\n`), `None` at the end of input
    /// before any byte of it.
    fn header_line(&mut self) -> Result<Option<String>, String> {
        let mut line = Vec::new();
        loop {
            let buf = self.inner.fill_buf().map_err(|e| e.to_string())?;
            if buf.is_empty() {
                return if line.is_empty() {
                    Ok(None)
                } else {
                    Err("the input ended inside a message header".into())
                };
            }
            let (take, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if line.len() + take > MAX_HEADER_LINE {
                return Err(format!(
                    "a header line longer than {MAX_HEADER_LINE} bytes (is the input framed with `Content-Length`?)"
                ));
            }
            line.extend_from_slice(&buf[..take]);
            self.inner.consume(take);
            if done {
                break;
            }
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        String::from_utf8(line)
            .map(Some)
            .map_err(|_| "a header line that is not UTF-8".into())
    }

    /// Reads and drops `n` bytes.
    fn skip_body(&mut self, n: usize) -> Result<(), String> {
        let want = n as u64;
        let got = io::copy(&mut (&mut self.inner).take(want), &mut io::sink())
            .map_err(|e| e.to_string())?;
        if got < want {
            return Err(format!(
                "the input ended inside a message of {n} bytes (over the limit of {} MiB)",
                MAX_MESSAGE >> 20
            ));
        }
        Ok(())
    }
}

/// A header name: letters, digits and `-`.
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn excerpt(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    let cut = crate::diag::escape_controls(&cut, false).into_owned();
    if s.chars().count() > 60 {
        format!("{cut}...")
    } else {
        cut
    }
}

fn invalid(id: Value, message: impl Into<String>) -> Incoming {
    Incoming::Invalid {
        id,
        code: ErrorCode::InvalidRequest,
        message: message.into(),
    }
}

/// A framed body as a JSON-RPC message.
fn classify(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Invalid {
                id: Value::Null,
                code: ErrorCode::ParseError,
                message: format!("the message is not JSON: {e}"),
            };
        }
    };
    let Value::Object(mut obj) = value else {
        return invalid(
            Value::Null,
            "a message must be a JSON object (batches are not used by LSP)",
        );
    };
    let raw_id = obj.get("id").cloned();
    let id = match &raw_id {
        None => None,
        Some(v) => match request_id(v) {
            Some(id) => Some(id),
            None => {
                return invalid(
                    Value::Null,
                    "a message `id` must be a 32-bit integer or a string",
                );
            }
        },
    };
    let params = obj.remove("params").unwrap_or(Value::Null);
    match (obj.remove("method"), id) {
        (Some(Value::String(method)), Some(id)) => {
            Incoming::Message(Message::Request(Request { id, method, params }))
        }
        (Some(Value::String(method)), None) => {
            Incoming::Message(Message::Notification(Notification { method, params }))
        }
        (Some(_), _) => invalid(raw_id.unwrap_or(Value::Null), "`method` must be a string"),
        (None, Some(id)) if obj.contains_key("result") || obj.contains_key("error") => {
            response(id, obj)
        }
        (None, _) => invalid(
            raw_id.unwrap_or(Value::Null),
            "a request or notification needs a `method`",
        ),
    }
}

fn response(id: RequestId, mut obj: Map<String, Value>) -> Incoming {
    let result = match obj.remove("error") {
        Some(e) => match serde_json::from_value(e) {
            Ok(e) => Err(e),
            Err(_) => return invalid(Value::Null, "a response `error` needs a code and a message"),
        },
        None => Ok(obj.remove("result").unwrap_or(Value::Null)),
    };
    Incoming::Message(Message::Response(Response {
        id,
        response_result: result,
    }))
}

fn request_id(v: &Value) -> Option<RequestId> {
    match v {
        Value::String(s) => Some(RequestId::from(s.clone())),
        Value::Number(n) => n
            .as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .map(RequestId::from),
        _ => None,
    }
}

/// The answer to a request: its result as JSON text (serialized once, straight from the typed
/// value: a large outline through `serde_json::Value` cost three passes), or an error.
#[derive(Debug)]
pub enum Reply {
    Ok(String),
    Err(ErrorCode, String),
}

fn frame(w: &mut impl Write, body: &str) -> io::Result<()> {
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(body.as_bytes())?;
    w.flush()
}

/// Writes the answer to request `id`.
pub fn write_reply(w: &mut impl Write, id: &RequestId, reply: &Reply) -> io::Result<()> {
    let id = serde_json::to_string(id)?;
    let body = match reply {
        Reply::Ok(result) => format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#),
        Reply::Err(code, message) => format!(
            r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":{},"message":{}}}}}"#,
            *code as i32,
            serde_json::to_string(message)?
        ),
    };
    frame(w, &body)
}

/// Writes a notification.
pub fn write_notification(
    w: &mut impl Write,
    method: &str,
    params: &impl serde::Serialize,
) -> io::Result<()> {
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":{},"params":{}}}"#,
        serde_json::to_string(method)?,
        serde_json::to_string(params)?
    );
    frame(w, &body)
}

/// Writes the error answer to an [`Incoming::Invalid`].
pub fn write_invalid(
    w: &mut impl Write,
    id: &Value,
    code: ErrorCode,
    message: &str,
) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code as i32, "message": message},
    })
    .to_string();
    frame(w, &body)
}
