//! Manifest text (YAML or JSON) -> a [`Manifest`] validated against the declared schema.
//!
//! Two steps: serde-saphyr reads the document into a raw tree where every key and value keeps
//! its byte span (duplicate keys are an error); then the tree is checked against the schema,
//! collecting every problem, into typed [`Node`]s whose record fields are stored by schema
//! position (so evaluation reads a field by index, never by name).

pub mod fast;

use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned as YSpanned;

use crate::check::ir::{CmpOp, Schema, Ty, TypeDef};
use crate::diag::{Diagnostic, suggest};
use crate::source::{FileId, Span};

/// A validated manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub file: FileId,
    pub root: Node,
}

/// A manifest value with the span of its text and, for a field or map entry, of its key.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: NodeValue,
    pub span: Span,
    pub key_span: Option<Span>,
}

#[derive(Clone, Debug)]
pub enum NodeValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Inline up to 24 bytes (most names, ids, paths and labels): no allocation.
    Str(CompactString),
    Timestamp(jiff::Timestamp),
    /// Seconds.
    Duration(i64),
    Date(jiff::civil::Date),
    Time(jiff::civil::Time),
    /// A level or enum value: its index among the type's values.
    Enum(u32),
    /// A value an `open` enum does not list, kept as written.
    Unlisted(Arc<str>),
    List(Vec<Node>),
    Map(Vec<(Arc<str>, Node)>),
    /// Fields in schema order; `None` is an absent optional field.
    Record(Vec<Option<Node>>),
}

/// The result of loading: the manifest when it validates, and every diagnostic (warnings for
/// unknown fields come with a valid manifest).
pub struct Loaded {
    pub manifest: Option<Manifest>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn load(file: FileId, text: &str, schema: &Schema) -> Loaded {
    match parse(file, text) {
        Ok(raw) => validate(file, &raw, schema),
        Err(d) => Loaded {
            manifest: None,
            diagnostics: vec![*d],
        },
    }
}

/// Like [`load`], the fast way when the manifest is clean (see [`fast`]); the result is the same.
pub fn load_fast(file: FileId, text: &str, schema: &Schema) -> Loaded {
    match fast::load(file, text, schema) {
        Some(m) => Loaded {
            manifest: Some(m),
            diagnostics: Vec::new(),
        },
        None => load(file, text, schema),
    }
}

/// Reads a YAML or JSON document into a raw tree with spans (no schema yet). Scalars are typed
/// by the YAML 1.2 core schema: `yes`, `no`, `on`, `off`, `y` and `n` are strings, and the only
/// booleans are `true`, `True`, `TRUE`, `false`, `False` and `FALSE`.
pub fn parse(file: FileId, text: &str) -> Result<RawNode, Box<Diagnostic>> {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    // `.inf`, `.nan` and `1e400` reach validation, which names the field they are in.
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    serde_saphyr::from_str_with_options::<YSpanned<Raw>>(text, options)
        .map(|r| RawNode::from_spanned(r, file, text))
        .map_err(|e| Box::new(yaml_error(file, text, &e)))
}

/// Checks a raw tree against the schema: the manifest when it validates, and every problem.
pub fn validate(file: FileId, raw: &RawNode, schema: &Schema) -> Loaded {
    if matches!(raw.kind, RawKind::Null) {
        let d = Diagnostic::error("charter::manifest::empty", "the manifest is empty")
            .with_label(
                Span {
                    // A caret on the first character, inside the text (an empty text has none).
                    end: (raw.span.start + 1).min(raw.span.end.max(raw.span.start)),
                    ..raw.span
                },
                "no document here",
            )
            .with_help(format!(
                "a manifest is a mapping with the fields of `{}`",
                schema.root_name
            ));
        return Loaded {
            manifest: None,
            diagnostics: vec![d],
        };
    }
    let mut v = Validator {
        file,
        schema,
        diags: Vec::new(),
        bounds: &[],
    };
    let root = v.value(raw, &Ty::Record(schema.root), &schema.root_name);
    let ok = !v.diags.iter().any(|d| d.level == crate::diag::Level::Error);
    Loaded {
        manifest: root.filter(|_| ok).map(|root| Manifest { file, root }),
        diagnostics: v.diags,
    }
}

fn yaml_error(file: FileId, text: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let raw = e.without_snippet().to_string();
    let message = strip_location(raw.lines().next().unwrap_or(""));
    let (message, help) = if message.starts_with("duplicate mapping key") {
        let key = message
            .trim_start_matches("duplicate mapping key:")
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        (
            format!("key `{key}` appears twice in one mapping"),
            "each key may appear once; remove or merge the repeated one".to_string(),
        )
    } else if message.starts_with("multiple YAML documents") {
        (
            "the file holds several YAML documents".to_string(),
            "a manifest is one document: remove the `---` separators, or split the file"
                .to_string(),
        )
    } else if message.contains("expected <document start>")
        && text.trim_start().starts_with(['{', '['])
    {
        (
            "text follows the manifest's closing bracket".to_string(),
            "a manifest is one value: remove what follows it, or, for several manifests, put one per line in a `.jsonl` file (JSON Lines)"
                .to_string(),
        )
    } else if message.contains("recursion limit") || message.contains("depth") {
        (
            "the manifest nests too deeply".to_string(),
            "manifests may nest at most 64 levels".to_string(),
        )
    } else {
        (
            format!("invalid YAML: {message}"),
            "a manifest is one YAML (or JSON) document".to_string(),
        )
    };
    let offset = e.location().and_then(|l| {
        let s = l.span();
        match s.byte_offset() {
            Some(o) if o > 0 || l.line() <= 1 => {
                Some((o as usize, s.byte_len().unwrap_or(0) as usize))
            }
            _ => offset_of(text, l.line() as usize, l.column() as usize).map(|o| (o, 0)),
        }
    });
    let (start, len) = offset.unwrap_or((0, 0));
    let start = start.min(text.len());
    let len = if len == 0 {
        text[start..].chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    Diagnostic::error("charter::manifest::syntax", message)
        .with_label(Span::new(file, start, start + len), "here")
        .with_help(help)
}

/// Byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[line_start..];
    Some(
        line_start
            + rest
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i),
    )
}

fn strip_location(msg: &str) -> String {
    let msg = msg.trim();
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    let msg = match msg.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map_or(rest, |(_, m)| m),
        None => msg,
    };
    msg.to_string()
}

// ------------------------------------------------------------------ the raw tree

enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<YSpanned<Raw>>),
    Map(Vec<(YSpanned<String>, YSpanned<Raw>)>),
    /// An integer outside the 64-bit range.
    TooBig,
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::TooBig, Raw::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::TooBig, Raw::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::TooBig, Raw::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut out = Vec::new();
        while let Some(x) = seq.next_element::<YSpanned<Raw>>()? {
            out.push(x);
        }
        Ok(Raw::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<YSpanned<String>>()? {
            let v = map.next_value::<YSpanned<Raw>>()?;
            out.push((k, v));
        }
        Ok(Raw::Map(out))
    }
    fn visit_bytes<E: de::Error>(self, _v: &[u8]) -> Result<Raw, E> {
        Err(E::custom("binary values are not supported"))
    }
}

/// The raw tree with spans converted to [`Span`]s.
/// A YAML/JSON value before validation, with its span.
#[derive(Clone, Debug)]
pub struct RawNode {
    pub kind: RawKind,
    pub span: Span,
    /// For a number or a boolean: the text as written (`NO`, `1.10`, `0x1F`), for messages and
    /// for values a schema reads as text (an enum value `off`).
    pub source: Option<Box<str>>,
}

#[derive(Clone, Debug)]
pub enum RawKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(String, Span, RawNode)>),
    TooBig,
}

fn yspan<T>(s: &YSpanned<T>, file: FileId, text: &str) -> Span {
    let sp = s.referenced.span();
    match (sp.byte_offset(), sp.byte_len()) {
        (Some(o), len) => {
            let start = o as usize;
            let mut end = start + len.unwrap_or(0) as usize;
            if end == start {
                // A block collection has an empty span at its first token: cover that token.
                end = text[start.min(text.len())..]
                    .find(['\n', ':'])
                    .map_or(text.len(), |i| start + i);
            }
            Span::new(file, start, end)
        }
        (None, _) => Span::new(file, 0, 0),
    }
}

impl RawNode {
    /// JSON Merge Patch (RFC 7386): mappings merge key by key, `null` removes a key, anything
    /// else (lists included) replaces.
    pub fn merge(&mut self, patch: &RawNode) {
        match (&mut self.kind, &patch.kind) {
            (RawKind::Map(entries), RawKind::Map(changes)) => {
                for (k, ks, v) in changes {
                    let at = entries.iter().position(|(key, _, _)| key == k);
                    match (at, &v.kind) {
                        (Some(i), RawKind::Null) => {
                            entries.remove(i);
                        }
                        (None, RawKind::Null) => {}
                        (Some(i), _) => {
                            // The patch wrote this key: point at it there.
                            entries[i].1 = *ks;
                            entries[i].2.merge(v);
                        }
                        (None, _) => entries.push((k.clone(), *ks, v.clone())),
                    }
                }
            }
            _ => *self = patch.clone(),
        }
    }

    /// The value of a key, when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&RawNode> {
        match &self.kind {
            RawKind::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            RawKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// How the value reads in a message: `the number 3`, `a list`.
    pub fn describe_value(&self) -> String {
        self.describe()
    }

    fn from_spanned(s: YSpanned<Raw>, file: FileId, text: &str) -> RawNode {
        let span = yspan(&s, file, text);
        let kind = match s.value {
            Raw::Null => RawKind::Null,
            Raw::Bool(b) => RawKind::Bool(b),
            Raw::Int(i) => RawKind::Int(i),
            // An integer beyond 64 bits arrives as a float; the text tells them apart.
            Raw::Float(_) if is_integer_text(&text[span.range()]) => RawKind::TooBig,
            Raw::Float(f) => RawKind::Float(f),
            Raw::Str(s) => RawKind::Str(s),
            Raw::TooBig => RawKind::TooBig,
            Raw::Seq(xs) => RawKind::Seq(
                xs.into_iter()
                    .map(|x| RawNode::from_spanned(x, file, text))
                    .collect(),
            ),
            Raw::Map(kvs) => RawKind::Map(
                kvs.into_iter()
                    .map(|(k, v)| {
                        let ks = yspan(&k, file, text);
                        (k.value, ks, RawNode::from_spanned(v, file, text))
                    })
                    .collect(),
            ),
        };
        let source = matches!(
            kind,
            RawKind::Bool(_) | RawKind::Int(_) | RawKind::Float(_) | RawKind::TooBig
        )
        .then(|| text.get(span.range()).unwrap_or("").trim().into());
        RawNode { kind, span, source }
    }

    fn describe(&self) -> String {
        match &self.kind {
            RawKind::Null => "null".into(),
            RawKind::Bool(b) => match self.source.as_deref() {
                Some(src) if src != b.to_string() => format!("`{src}`, which YAML reads as `{b}`"),
                _ => format!("`{b}`"),
            },
            RawKind::Int(_) | RawKind::Float(_) => {
                format!("the number {}", self.source.as_deref().unwrap_or("?"))
            }
            RawKind::Str(s) => format!("the string \"{}\"", truncate(s, 40)),
            RawKind::Seq(_) => "a list".into(),
            RawKind::Map(_) => "a mapping".into(),
            RawKind::TooBig => "a number too large for 64 bits".into(),
        }
    }
}

fn is_integer_text(s: &str) -> bool {
    let s = s.trim().trim_start_matches(['-', '+']);
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

// ------------------------------------------------------------------ validation

struct Validator<'s> {
    file: FileId,
    schema: &'s Schema,
    diags: Vec<Diagnostic>,
    /// The bounds of the field being validated (`int >= 0`).
    bounds: &'s [(CmpOp, f64)],
}

impl Validator<'_> {
    fn bounds(&mut self, v: f64, raw: &RawNode, path: &str) -> Option<()> {
        for (op, b) in self.bounds {
            let ok = match op {
                CmpOp::Ge => v >= *b,
                CmpOp::Gt => v > *b,
                CmpOp::Le => v <= *b,
                CmpOp::Lt => v < *b,
                _ => true,
            };
            if !ok {
                let bound = crate::eval::value::format_float(*b)
                    .trim_end_matches(".0")
                    .to_string();
                let shown = crate::eval::value::format_float(v)
                    .trim_end_matches(".0")
                    .to_string();
                self.diags.push(
                    Diagnostic::error(
                        "charter::manifest::out_of_range",
                        format!(
                            "`{path}` is {shown}, but the schema requires {} {bound}",
                            op.as_str()
                        ),
                    )
                    .with_label(raw.span, format!("must be {} {bound}", op.as_str()))
                    .with_help("fix the value; the schema declares the bound"),
                );
                return None;
            }
        }
        Some(())
    }

    fn mismatch(&mut self, raw: &RawNode, path: &str, expected: &str, help: Option<String>) {
        self.diags.push(
            Diagnostic::error(
                "charter::manifest::type",
                format!("`{path}` must be {expected}, found {}", raw.describe()),
            )
            .with_label(raw.span, format!("expected {expected}"))
            .with_help_opt(help),
        );
    }

    /// Reports a value of the wrong kind; validation of it stops here.
    fn refuse(&mut self, raw: &RawNode, path: &str, expected: &str, help: &str) -> Option<Node> {
        self.mismatch(raw, path, expected, Some(help.to_string()));
        None
    }

    fn node(&self, value: NodeValue, raw: &RawNode) -> Option<Node> {
        Some(Node {
            value,
            span: raw.span,
            key_span: None,
        })
    }

    fn value(&mut self, raw: &RawNode, ty: &Ty, path: &str) -> Option<Node> {
        let _ = self.file;
        match (ty, &raw.kind) {
            (_, RawKind::TooBig) if has_leading_zero(raw.source.as_deref().unwrap_or("")) => {
                let src = raw.source.as_deref().unwrap_or("");
                let digits = src.trim_start_matches(['-', '+']).trim_start_matches('0');
                let sign = if src.starts_with('-') { "-" } else { "" };
                let n = if digits.is_empty() { "0" } else { digits };
                self.diags.push(
                    Diagnostic::error(
                        "charter::manifest::leading_zero",
                        format!("`{path}` is `{src}`: leading zeros are not allowed in a number"),
                    )
                    .with_label(raw.span, "a number with a leading zero")
                    .with_help(format!(
                        "write `{sign}{n}`, or quote it (\"{src}\") if it is text such as a code"
                    )),
                );
                None
            }
            (_, RawKind::Float(f)) if !f.is_finite() => {
                let src = raw.source.as_deref().unwrap_or("");
                self.diags.push(
                    Diagnostic::error(
                        "charter::manifest::not_finite",
                        format!("`{path}` is `{src}`, which is not a finite number"),
                    )
                    .with_label(raw.span, "infinite or not a number")
                    .with_help(format!(
                        "write a number within 64-bit floating point, or quote it (\"{src}\") if it is text"
                    )),
                );
                None
            }
            (_, RawKind::TooBig) => {
                self.mismatch(
                    raw,
                    path,
                    "a 64-bit integer",
                    Some("integers range from -9223372036854775808 to 9223372036854775807".into()),
                );
                None
            }
            (Ty::Bool, RawKind::Bool(b)) => self.node(NodeValue::Bool(*b), raw),
            (Ty::Bool, RawKind::Str(s)) => {
                let help = bool_word(s).map(|(b, quoted)| {
                    if quoted {
                        format!("write `{b}` without quotes")
                    } else {
                        format!("YAML 1.2 reads `{s}` as a string, not a boolean: write `{b}`")
                    }
                });
                self.mismatch(raw, path, "true or false", help);
                None
            }
            (Ty::Bool, _) => {
                self.mismatch(raw, path, "true or false", None);
                None
            }
            (Ty::Int, RawKind::Int(i)) => {
                self.bounds(*i as f64, raw, path)?;
                self.node(NodeValue::Int(*i), raw)
            }
            (Ty::Int, RawKind::Str(s)) if s.trim().parse::<i64>().is_ok() => {
                self.mismatch(
                    raw,
                    path,
                    "an integer",
                    Some(format!("write {} without quotes", s.trim())),
                );
                None
            }
            (Ty::Int, _) => {
                self.mismatch(raw, path, "an integer", None);
                None
            }
            (Ty::Float, RawKind::Float(f)) => {
                self.bounds(*f, raw, path)?;
                self.node(NodeValue::Float(*f), raw)
            }
            (Ty::Float, RawKind::Int(i)) => {
                self.bounds(*i as f64, raw, path)?;
                self.node(NodeValue::Float(*i as f64), raw)
            }
            (Ty::Float, _) => {
                self.mismatch(raw, path, "a number", None);
                None
            }
            (Ty::Str, RawKind::Str(s)) => self.node(NodeValue::Str(s.as_str().into()), raw),
            (Ty::Identity, RawKind::Str(s)) => {
                self.node(NodeValue::Str(crate::identity::fold(s).into()), raw)
            }
            (Ty::Path, RawKind::Str(s)) => match crate::glob::path_problem(s) {
                None => self.node(NodeValue::Str(s.as_str().into()), raw),
                Some((why, normal)) => {
                    let help = match normal {
                        Some(n) => format!("write `{n}`"),
                        None => "write the path relative to the repository root, with `/` between folders".into(),
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "charter::manifest::path",
                            format!(
                                "`{path}` is not a path in its normal spelling: `{}`",
                                s.chars()
                                    .map(|c| if c.is_control() {
                                        c.escape_default().to_string()
                                    } else {
                                        c.to_string()
                                    })
                                    .collect::<String>()
                            ),
                        )
                        .with_label(raw.span, why)
                        .with_help(help),
                    );
                    None
                }
            },
            (
                Ty::Str | Ty::Path | Ty::Identity,
                RawKind::Int(_) | RawKind::Float(_) | RawKind::Bool(_),
            ) => {
                let text = raw.source.as_deref().unwrap_or("");
                self.mismatch(raw, path, "a string", Some(format!("quote it: \"{text}\"")));
                None
            }
            (Ty::Str | Ty::Path | Ty::Identity, _) => {
                self.mismatch(raw, path, "a string", None);
                None
            }
            (Ty::Timestamp, RawKind::Str(s)) => match parse_timestamp(s) {
                Ok(t) => self.node(NodeValue::Timestamp(t), raw),
                Err(why) => {
                    self.diags.push(
                        Diagnostic::error("charter::manifest::timestamp", format!("`{path}` is not a valid timestamp: {why}"))
                            .with_label(raw.span, why)
                            .with_help("write RFC 3339 with an offset, e.g. 2026-11-25T14:30:00Z or 2026-11-25T15:30:00+01:00"),
                    );
                    None
                }
            },
            (Ty::Timestamp, _) => {
                self.mismatch(
                    raw,
                    path,
                    "a timestamp",
                    Some("write RFC 3339 with an offset, e.g. 2026-11-25T14:30:00Z".into()),
                );
                None
            }
            (Ty::Duration, RawKind::Str(s)) => match crate::literal::duration(s) {
                Ok(d) => self.node(NodeValue::Duration(d), raw),
                Err(why) => {
                    self.diags.push(
                        Diagnostic::error(
                            "charter::manifest::duration",
                            format!("`{path}` is not a valid duration: {why}"),
                        )
                        .with_label(raw.span, "expected a duration such as `1h30m`")
                        .with_help("write each unit once, largest first, with a number before it: 48h, 30m, 7d, 1h30m"),
                    );
                    None
                }
            },
            (Ty::Duration, _) => {
                self.mismatch(
                    raw,
                    path,
                    "a duration",
                    Some("write durations like \"48h\", \"30m\", \"7d\" or \"1h30m\"".into()),
                );
                None
            }
            (Ty::Date, _) => match raw
                .as_str()
                .and_then(|s| s.trim().parse::<jiff::civil::Date>().ok())
            {
                Some(d) => self.node(NodeValue::Date(d), raw),
                None => self.refuse(raw, path, "a date", "write dates as 2026-12-24"),
            },
            (Ty::Time, _) => match raw
                .as_str()
                .and_then(|s| s.trim().parse::<jiff::civil::Time>().ok())
            {
                Some(t) => self.node(NodeValue::Time(t), raw),
                None => self.refuse(
                    raw,
                    path,
                    "a time of day",
                    "write times of day as \"16:30\"",
                ),
            },
            (Ty::Local, _) => {
                self.mismatch(
                    raw,
                    path,
                    "a local time",
                    Some("store a timestamp, and use `local(t, zone)` in the policy".into()),
                );
                None
            }
            (Ty::Enum(id), RawKind::Str(s)) => {
                let e = self.schema.enumeration(*id);
                match e.lookup(s) {
                    Some(i) => self.node(NodeValue::Enum(i as u32), raw),
                    None if e.open => {
                        let kind = if e.ordered { "level" } else { "value" };
                        let listed = format!(
                            "the listed {kind}s of `{}` are: {}",
                            e.name,
                            e.variants.join(", ")
                        );
                        self.diags.push(
                            Diagnostic::warning(
                                "charter::manifest::unlisted_variant",
                                format!("`{path}`: `{s}` is not a listed {kind}; kept as is"),
                            )
                            .with_label(
                                raw.span,
                                format!(
                                    "unlisted {kind}: equals no listed {kind} and has no order"
                                ),
                            )
                            .with_help(
                                suggest(s, e.variants.iter().map(String::as_str)).unwrap_or(listed),
                            ),
                        );
                        self.node(NodeValue::Unlisted(s.as_str().into()), raw)
                    }
                    None => {
                        let kind = if e.ordered { "level" } else { "value" };
                        let help = suggest(s, e.variants.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                format!(
                                    "the {kind}s of `{}` are: {}",
                                    e.name,
                                    e.variants.join(", ")
                                )
                            });
                        self.diags.push(
                            Diagnostic::error(
                                "charter::manifest::unknown_variant",
                                if e.name == path {
                                    format!("`{s}` is not a {kind} of `{}`", e.name)
                                } else {
                                    format!("`{path}`: `{s}` is not a {kind} of `{}`", e.name)
                                },
                            )
                            .with_label(raw.span, format!("unknown {kind}"))
                            .with_help(help),
                        );
                        None
                    }
                }
            }
            // An enum with a value `true` (or `True`) takes the word as written.
            (Ty::Enum(id), RawKind::Bool(_))
                if raw
                    .source
                    .as_deref()
                    .is_some_and(|s| self.schema.enumeration(*id).lookup(s).is_some()) =>
            {
                let e = self.schema.enumeration(*id);
                let i = raw.source.as_deref().and_then(|s| e.lookup(s)).unwrap_or(0);
                self.node(NodeValue::Enum(i as u32), raw)
            }
            (Ty::Enum(id), _) => {
                let e = self.schema.enumeration(*id);
                let expected = format!("one of {}", e.variants.join(", "));
                self.mismatch(raw, path, &expected, None);
                None
            }
            (Ty::List(elem), RawKind::Seq(xs)) => {
                let mut out = Vec::with_capacity(xs.len());
                let mut ok = true;
                for (i, x) in xs.iter().enumerate() {
                    match self.value(x, elem, &format!("{path}[{i}]")) {
                        Some(n) => out.push(n),
                        None => ok = false,
                    }
                }
                ok.then_some(Node {
                    value: NodeValue::List(out),
                    span: raw.span,
                    key_span: None,
                })
            }
            (Ty::List(_), _) => {
                self.mismatch(
                    raw,
                    path,
                    "a list",
                    Some("write a YAML list, e.g. `[a, b]` or one `- item` per line".into()),
                );
                None
            }
            (Ty::Map(elem, ignore_case), RawKind::Map(kvs)) => {
                let mut out: Vec<(Arc<str>, Node)> = Vec::with_capacity(kvs.len());
                let mut ok = true;
                // In a `map(ignore_case)`: each folded key, and the first entry that has it.
                let mut first: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                for (at, (k, ks, v)) in kvs.iter().enumerate() {
                    let earlier = if *ignore_case {
                        match first.entry(fold_key(k)) {
                            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                e.insert(at);
                                None
                            }
                        }
                    } else {
                        None
                    };
                    if let Some(j) = earlier
                        && !matches!(**elem, Ty::List(_))
                    {
                        self.case_collision(path, &kvs[j], (k, *ks));
                        ok = false;
                        continue;
                    }
                    match self.value(v, elem, &format!("{path}.{k}")) {
                        Some(mut n) => match earlier {
                            // A list under another spelling of a key already seen: its items
                            // join that entry's, in document order.
                            Some(j) => {
                                let key = kvs[j].0.as_str();
                                if let (Some((_, into)), NodeValue::List(items)) =
                                    (out.iter_mut().find(|(o, _)| &**o == key), n.value)
                                    && let NodeValue::List(into) = &mut into.value
                                {
                                    into.extend(items);
                                }
                            }
                            None => {
                                n.key_span = Some(*ks);
                                out.push((Arc::from(k.as_str()), n));
                            }
                        },
                        None => ok = false,
                    }
                }
                ok.then_some(Node {
                    value: NodeValue::Map(out),
                    span: raw.span,
                    key_span: None,
                })
            }
            (Ty::Map(_, _), _) => {
                self.mismatch(raw, path, "a mapping", None);
                None
            }
            (Ty::Record(id), RawKind::Map(kvs)) => self.record(*id, raw, kvs, path),
            (Ty::Record(id), _) => {
                let name = match &self.schema.types[*id] {
                    TypeDef::Record(r) => r.name.clone(),
                    TypeDef::Enum(e) => e.name.clone(),
                };
                self.mismatch(raw, path, &format!("a mapping (a `{name}` record)"), None);
                None
            }
            (Ty::Unknown, _) => None,
        }
    }

    /// Two keys of a `map(ignore_case)` that differ only in case: one key written twice.
    fn case_collision(&mut self, path: &str, first: &(String, Span, RawNode), again: (&str, Span)) {
        let (k1, ks1, _) = first;
        let (k2, ks2) = again;
        self.diags.push(
            Diagnostic::error(
                "charter::manifest::duplicate_key",
                format!(
                    "keys `{k1}` and `{k2}` of `{path}` are the same key: its keys ignore case"
                ),
            )
            .with_label(*ks1, "first written here")
            .with_label(ks2, "the same key, in other case")
            .with_help(format!(
                "each key may appear once in any case; keep one of `{k1}` and `{k2}`"
            )),
        );
    }

    fn record(
        &mut self,
        id: usize,
        raw: &RawNode,
        kvs: &[(String, Span, RawNode)],
        path: &str,
    ) -> Option<Node> {
        let rec = self.schema.record(id);
        let mut fields: Vec<Option<Node>> = vec![None; rec.fields.len()];
        let mut ok = true;
        for (k, ks, v) in kvs {
            let Some(i) = rec.field(k) else {
                let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                let help = suggest(k, names.iter().copied()).unwrap_or_else(|| {
                    format!("the fields of `{}` are: {}", rec.name, names.join(", "))
                });
                self.diags.push(
                    Diagnostic::warning(
                        "charter::manifest::unknown_field",
                        format!("unknown field `{k}` in `{path}` is ignored"),
                    )
                    .with_label(*ks, "not in the schema")
                    .with_help(help),
                );
                continue;
            };
            let f = &rec.fields[i];
            if matches!(v.kind, RawKind::Null) {
                if f.optional {
                    continue;
                }
                self.diags.push(
                    Diagnostic::error(
                        "charter::manifest::null",
                        format!("`{path}.{k}` is required, but it is null"),
                    )
                    .with_label(v.span.cover(*ks), "null")
                    .with_help(format!(
                        "give it a value, or declare it optional in the schema: `{k}: {}?`",
                        self.schema.display(&f.ty)
                    )),
                );
                ok = false;
                continue;
            }
            self.bounds = &rec.fields[i].bounds;
            let value = self.value(v, &f.ty, &format!("{path}.{k}"));
            self.bounds = &[];
            match value {
                Some(mut n) => {
                    n.key_span = Some(*ks);
                    fields[i] = Some(n);
                }
                None => ok = false,
            }
        }
        let missing: Vec<&str> = rec
            .fields
            .iter()
            .zip(&fields)
            .filter(|(f, v)| !f.optional && v.is_none())
            .map(|(f, _)| f.name.as_str())
            .collect();
        let missing: Vec<&str> = missing
            .into_iter()
            .filter(|name| !kvs.iter().any(|(k, _, _)| k == name))
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let (noun, them) = if missing.len() == 1 {
                ("field", "it")
            } else {
                ("fields", "them")
            };
            self.diags.push(
                Diagnostic::error(
                    "charter::manifest::missing_field",
                    format!("`{path}` is missing the required {noun} {list}"),
                )
                .with_label(
                    raw.span,
                    format!(
                        "{} missing here",
                        if missing.len() == 1 { "is" } else { "are" }
                    ),
                )
                .with_help(format!(
                    "add {them}, or declare {them} optional in the schema with `?`"
                )),
            );
            ok = false;
        }
        ok.then_some(Node {
            value: NodeValue::Record(fields),
            span: raw.span,
            key_span: None,
        })
    }
}

/// How a `map(ignore_case)` compares keys, the same folding as a lookup in the evaluator
/// (`eval::lookup`): two keys are one when their lowercase forms are equal.
pub fn fold_key(k: &str) -> String {
    k.to_lowercase()
}

/// A string meant as a boolean: its value, and whether it is a YAML boolean in quotes (`"true"`)
/// rather than a YAML 1.1 word (`yes`, `on`, `y`), which YAML 1.2 reads as a string.
fn bool_word(s: &str) -> Option<(bool, bool)> {
    match s.to_lowercase().as_str() {
        "true" => Some((true, true)),
        "false" => Some((false, true)),
        "yes" | "y" | "on" => Some((true, false)),
        "no" | "n" | "off" => Some((false, false)),
        _ => None,
    }
}

/// Whether a number is written with a leading zero (`017`, `-007`; not `0` or `0.5`).
fn has_leading_zero(src: &str) -> bool {
    let b = src.trim_start_matches(['-', '+']).as_bytes();
    b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit()
}

/// RFC 3339 with a required offset (see [`crate::literal::timestamp`]).
pub fn parse_timestamp(s: &str) -> Result<jiff::Timestamp, String> {
    crate::literal::timestamp(s)
}
