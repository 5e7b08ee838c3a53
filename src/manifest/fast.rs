//! The fast route from manifest text to a [`Manifest`]: the schema drives a builder that reads
//! parser events and writes typed [`Node`]s directly, with their spans, and no intermediate tree.
//!
//! Two event sources feed it: the YAML event parser serde-saphyr itself is built on
//! (`granit-parser`, so the spans are the same ones), and a small JSON tokenizer for documents
//! that are JSON. The fast route only handles a manifest that is clean: it gives up (`None`) at the
//! first thing that would need a diagnostic (a type mismatch, an unknown field, a duplicate key, a
//! missing field, an out-of-range value) or that it does not model (anchors, tags, several
//! documents, an unusual scalar spelling, escapes it is unsure of). The caller then loads the text
//! through [`super::load`], which gives the same manifest, or the diagnostics.
//!
//! The contract, checked by the tests against `load` on every manifest of the test suite and on
//! generated ones: when the fast route returns a manifest, `load` returns the same manifest (same
//! values, same spans) and no diagnostic.

use std::borrow::Cow;
use std::sync::Arc;

use compact_str::CompactString;
use granit_parser::{Event, ScalarStyle};

use super::{Manifest, Node, NodeValue, parse_timestamp};
use crate::check::ir::{CmpOp, Schema, Ty, TypeDef};
use crate::source::{FileId, Span};

/// Loads `text` the fast way when it is a clean manifest; `None` when it needs the full route.
pub fn load(file: FileId, text: &str, schema: &Schema) -> Option<Manifest> {
    // Bigger than any manifest; the full route applies its own budgets to such input.
    if text.len() > MAX_TEXT {
        return None;
    }
    let first = text.bytes().find(|b| !matches!(b, b' ' | b'\n'))?;
    if first == b'{' {
        load_json(file, text, schema)
    } else {
        load_yaml(file, text, schema)
    }
}

/// The JSON route alone (`None` also when the text is not plain JSON).
pub fn load_json(file: FileId, text: &str, schema: &Schema) -> Option<Manifest> {
    let mut b = Builder::new(JsonEvents::new(text), file, text, schema);
    let first = b.events.next()?;
    let root = b.value(first, &Ty::Record(schema.root), &[], None)?;
    b.events.finish()?;
    Some(Manifest { file, root })
}

/// The YAML route alone.
pub fn load_yaml(file: FileId, text: &str, schema: &Schema) -> Option<Manifest> {
    let mut b = Builder::new(YamlEvents::new(text)?, file, text, schema);
    let first = b.events.next()?;
    let root = b.value(first, &Ty::Record(schema.root), &[], None)?;
    b.events.finish()?;
    Some(Manifest { file, root })
}

const MAX_TEXT: usize = 16 * 1024 * 1024;
/// Nesting the fast route follows (the full route refuses more than 64 levels).
const MAX_DEPTH: usize = 48;
/// Events per document (the full route's budget is far above any manifest).
const MAX_EVENTS: usize = 200_000;

// ------------------------------------------------------------------ events

/// A scalar as the full route's reader would type it.
enum Scalar<'t> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'t, str>),
}

enum Ev<'t> {
    MapStart(u32, u32),
    MapEnd,
    SeqStart(u32, u32),
    SeqEnd,
    Scalar(Scalar<'t>, u32, u32),
}

/// The builder says what it expects next, so that a reader that can (JSON) needs no state of
/// its own to know where it is.
trait Events<'t> {
    /// The next event; `None` gives up.
    fn next(&mut self) -> Option<Ev<'t>>;
    /// After the root value: nothing but the end of the input may follow.
    fn finish(&mut self) -> Option<()>;

    /// In a mapping: the next key (a string scalar: anything else takes the full route) with its
    /// byte range, or `None` at the mapping's end.
    fn key(&mut self) -> Option<Option<(Cow<'t, str>, u32, u32)>> {
        match self.next()? {
            Ev::MapEnd => Some(None),
            Ev::Scalar(Scalar::Str(k), start, end) => Some(Some((k, start, end))),
            _ => None,
        }
    }

    /// In a mapping: when the next key is `name`, written as it is (no escapes), takes it and
    /// gives its byte range; else takes nothing (`None`, also for a reader that cannot tell at a
    /// glance), and [`Self::key`] reads the key.
    fn key_is(&mut self, _name: &str) -> Option<(u32, u32)> {
        None
    }

    /// In a sequence: the next item's first event, or `None` at the sequence's end.
    fn item(&mut self) -> Option<Option<Ev<'t>>> {
        match self.next()? {
            Ev::SeqEnd => Some(None),
            ev => Some(Some(ev)),
        }
    }
}

// ------------------------------------------------------------------ the builder

struct Builder<'t, 's, E> {
    events: E,
    file: FileId,
    text: &'t str,
    schema: &'s Schema,
    depth: usize,
    /// The items of the lists being read, innermost last: each list takes its own off the top
    /// in one allocation of the right size.
    items: Vec<Node>,
}

impl<'t, 's, E: Events<'t>> Builder<'t, 's, E> {
    fn new(events: E, file: FileId, text: &'t str, schema: &'s Schema) -> Self {
        Builder {
            events,
            file,
            text,
            schema,
            depth: 0,
            items: Vec::with_capacity(16),
        }
    }

    /// The span the full route gives a node (see `manifest::yspan`): an empty span at a block
    /// collection's first token covers that token.
    #[inline]
    fn span(&self, start: u32, end: u32) -> Span {
        if end > start {
            Span {
                file: self.file,
                start,
                end,
            }
        } else {
            self.empty_span(start, end)
        }
    }

    #[cold]
    fn empty_span(&self, start: u32, end: u32) -> Span {
        let (start, mut end) = (start as usize, end as usize);
        if end == start {
            let text = self.text;
            end = text[start.min(text.len())..]
                .find(['\n', ':'])
                .map_or(text.len(), |i| start + i);
        }
        Span::new(self.file, start, end)
    }

    /// A node; `key_span` is its key's span when it is the value of a field or map entry.
    #[inline]
    fn node(&self, value: NodeValue, start: u32, end: u32, key_span: Option<Span>) -> Option<Node> {
        Some(Node {
            value,
            span: self.span(start, end),
            key_span,
        })
    }

    fn value(
        &mut self,
        ev: Ev<'t>,
        ty: &Ty,
        bounds: &[(CmpOp, f64)],
        key_span: Option<Span>,
    ) -> Option<Node> {
        match ev {
            Ev::Scalar(s, start, end) => {
                let value = self.scalar(s, ty, bounds)?;
                self.node(value, start, end, key_span)
            }
            Ev::MapStart(start, end) => {
                self.enter()?;
                let value = match ty {
                    Ty::Record(id) => self.record(*id)?,
                    Ty::Map(elem, ignore_case) => self.map(elem, *ignore_case)?,
                    _ => return None,
                };
                self.depth -= 1;
                self.node(value, start, end, key_span)
            }
            Ev::SeqStart(start, end) => {
                let Ty::List(elem) = ty else { return None };
                self.enter()?;
                let value = self.list(elem)?;
                self.depth -= 1;
                self.node(value, start, end, key_span)
            }
            Ev::MapEnd | Ev::SeqEnd => None,
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A key: a string scalar (anything else takes the full route).
    #[inline]
    fn key(&mut self) -> Option<Option<(Cow<'t, str>, Span)>> {
        let Some((k, start, end)) = self.events.key()? else {
            return Some(None);
        };
        Some(Some((k, self.span(start, end))))
    }

    // Collections are kept out of line: `value` is mostly called for scalars, and stays small.
    #[inline(never)]
    fn list(&mut self, elem: &Ty) -> Option<NodeValue> {
        let first = self.items.len();
        while let Some(ev) = self.events.item()? {
            let item = self.value(ev, elem, &[], None)?;
            self.items.push(item);
        }
        Some(NodeValue::List(self.items.split_off(first)))
    }

    #[inline(never)]
    fn record(&mut self, id: usize) -> Option<NodeValue> {
        let schema = self.schema;
        let TypeDef::Record(rec) = &schema.types[id] else {
            return None;
        };
        let mut fields: Vec<Option<Node>> = std::iter::repeat_with(|| None)
            .take(rec.fields.len())
            .collect();
        // The optional fields given as null (absent), so that a repeated key is still one.
        let mut nulls: u64 = 0;
        // Keys usually come in schema order: try the field after the last one first.
        let mut next = 0;
        loop {
            // The field after the last one, when the reader can tell it is next at a glance.
            let expected = rec
                .fields
                .get(next)
                .and_then(|f| self.events.key_is(&f.name))
                .map(|(start, end)| (next, self.span(start, end)));
            let (i, key_span) = match expected {
                Some(found) => found,
                None => {
                    let Some((k, key_span)) = self.key()? else {
                        break;
                    };
                    match rec.fields.get(next) {
                        Some(f) if f.name == *k => (next, key_span),
                        _ => (rec.field(&k)?, key_span), // an unknown field: full route
                    }
                }
            };
            next = i + 1;
            let bit = 1u64.checked_shl(u32::try_from(i).ok()?)?;
            if fields[i].is_some() || nulls & bit != 0 {
                return None; // a repeated key is an error: full route
            }
            let f = &rec.fields[i];
            let ev = self.events.next()?;
            if let Ev::Scalar(Scalar::Null, ..) = ev {
                if !f.optional {
                    return None;
                }
                nulls |= bit;
                continue;
            }
            fields[i] = Some(self.value(ev, &f.ty, &f.bounds, Some(key_span))?);
        }
        if rec
            .fields
            .iter()
            .zip(&fields)
            .any(|(f, v)| !f.optional && v.is_none())
        {
            return None; // a missing field is an error: full route
        }
        Some(NodeValue::Record(fields))
    }

    #[inline(never)]
    fn map(&mut self, elem: &Ty, ignore_case: bool) -> Option<NodeValue> {
        let mut entries: Vec<(Arc<str>, Node)> = Vec::new();
        // In a `map(ignore_case)`, the folded keys: keys that differ only in case are merged
        // or refused, which the full route does.
        let mut folded: Vec<String> = Vec::new();
        while let Some((k, key_span)) = self.key()? {
            if entries.iter().any(|(seen, _)| **seen == *k) {
                return None;
            }
            if ignore_case {
                let f = super::fold_key(&k);
                if folded.contains(&f) {
                    return None;
                }
                folded.push(f);
            }
            let ev = self.events.next()?;
            let n = self.value(ev, elem, &[], Some(key_span))?;
            entries.push((Arc::from(&*k), n));
        }
        Some(NodeValue::Map(entries))
    }

    /// A scalar of type `ty`, exactly as the full route's validator converts it when it has no
    /// complaint.
    fn scalar(&self, s: Scalar<'t>, ty: &Ty, bounds: &[(CmpOp, f64)]) -> Option<NodeValue> {
        let in_bounds = |v: f64| {
            bounds.iter().all(|(op, b)| match op {
                CmpOp::Ge => v >= *b,
                CmpOp::Gt => v > *b,
                CmpOp::Le => v <= *b,
                CmpOp::Lt => v < *b,
                _ => true,
            })
        };
        Some(match (ty, s) {
            (Ty::Bool, Scalar::Bool(b)) => NodeValue::Bool(b),
            (Ty::Int, Scalar::Int(i)) if in_bounds(i as f64) => NodeValue::Int(i),
            (Ty::Float, Scalar::Float(f)) if in_bounds(f) => NodeValue::Float(f),
            (Ty::Float, Scalar::Int(i)) if in_bounds(i as f64) => NodeValue::Float(i as f64),
            (Ty::Str, Scalar::Str(s)) => NodeValue::Str(CompactString::from(&*s)),
            (Ty::Path, Scalar::Str(s)) if crate::glob::path_problem(&s).is_none() => {
                NodeValue::Str(CompactString::from(&*s))
            }
            (Ty::Identity, Scalar::Str(s)) => {
                NodeValue::Str(CompactString::from(crate::identity::fold(&s)))
            }
            (Ty::Enum(id), Scalar::Str(s)) => {
                // An unlisted value is a warning or an error: full route.
                let i = self.schema.enumeration(*id).lookup(&s)?;
                NodeValue::Enum(u32::try_from(i).ok()?)
            }
            (Ty::Timestamp, Scalar::Str(s)) => NodeValue::Timestamp(parse_timestamp(&s).ok()?),
            (Ty::Duration, Scalar::Str(s)) => {
                NodeValue::Duration(crate::literal::duration(&s).ok()?)
            }
            (Ty::Date, Scalar::Str(s)) => NodeValue::Date(s.trim().parse().ok()?),
            (Ty::Time, Scalar::Str(s)) => NodeValue::Time(s.trim().parse().ok()?),
            _ => return None,
        })
    }
}

// ------------------------------------------------------------------ YAML

struct YamlEvents<'t> {
    parser: granit_parser::Parser<'t, granit_parser::StrInput<'t>>,
    count: usize,
}

impl<'t> YamlEvents<'t> {
    fn new(text: &'t str) -> Option<Self> {
        // serde-saphyr's parser options, without comment events (comments are still checked).
        let options = granit_parser::options! {
            simple_key_max_lookahead: 1024,
            emit_comments: false,
        };
        let mut ev = YamlEvents {
            parser: granit_parser::Parser::new_from_str_with_options(text, options),
            count: 0,
        };
        match ev.raw()? {
            Event::StreamStart => {}
            _ => return None,
        }
        match ev.raw()? {
            Event::DocumentStart(..) => Some(ev),
            _ => None,
        }
    }

    /// The next event that is not a comment, with its byte range.
    fn raw_spanned(&mut self) -> Option<(Event<'t>, u32, u32)> {
        self.count += 1;
        if self.count > MAX_EVENTS {
            return None;
        }
        loop {
            let (event, span) = self.parser.next_event()?.ok()?;
            if is_comment(&event) {
                continue;
            }
            let range = span.byte_range()?;
            return Some((event, to_u32(range.start)?, to_u32(range.end)?));
        }
    }

    fn raw(&mut self) -> Option<Event<'t>> {
        self.raw_spanned().map(|(e, _, _)| e)
    }
}

fn is_comment(e: &Event<'_>) -> bool {
    matches!(e, Event::Comment(..))
}

impl<'t> Events<'t> for YamlEvents<'t> {
    fn next(&mut self) -> Option<Ev<'t>> {
        let (event, start, end) = self.raw_spanned()?;
        Some(match event {
            Event::Scalar(value, style, 0, None) => {
                let scalar = match style {
                    ScalarStyle::Plain => plain(value)?,
                    _ => Scalar::Str(value),
                };
                Ev::Scalar(scalar, start, end)
            }
            Event::MappingStart(_, 0, None) => Ev::MapStart(start, end),
            Event::SequenceStart(_, 0, None) => Ev::SeqStart(start, end),
            Event::MappingEnd => Ev::MapEnd,
            Event::SequenceEnd => Ev::SeqEnd,
            // anchors, aliases, tags, documents: the full route
            _ => return None,
        })
    }

    fn finish(&mut self) -> Option<()> {
        match self.raw()? {
            Event::DocumentEnd => {}
            _ => return None,
        }
        match self.raw()? {
            Event::StreamEnd => Some(()),
            _ => None, // another document: the full route reports it
        }
    }
}

/// A plain YAML scalar typed the way serde-saphyr types it, for the spellings that are certain;
/// `None` (full route) for anything else that could be a number or a special value.
fn plain(value: Cow<'_, str>) -> Option<Scalar<'_>> {
    let s: &str = &value;
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Scalar::Null),
        _ => {}
    }
    // The YAML 1.2 core schema's booleans (`yes`, `on` and `y` are strings).
    match s {
        "true" | "True" | "TRUE" => return Some(Scalar::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    let bytes = s.as_bytes();
    match bytes[0] {
        b'0'..=b'9' | b'-' => {
            if let Some(i) = decimal_int(s) {
                return Some(Scalar::Int(i));
            }
            if is_decimal_float(s) {
                return s.parse().ok().map(Scalar::Float);
            }
            // Dates, timestamps and durations are strings; any other spelling may be a number.
            (is_date_like(s) || is_duration_like(s)).then_some(Scalar::Str(value))
        }
        b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'/' => {
            for word in ["inf", "infinity", "nan"] {
                if s.eq_ignore_ascii_case(word) {
                    return None;
                }
            }
            Some(Scalar::Str(value))
        }
        _ => None,
    }
}

/// `0`, `42`, `-7`: at most 18 digits, no leading zero, no sign but `-`.
fn decimal_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let b = digits.as_bytes();
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if b.len() > 1 && b[0] == b'0' {
        return None;
    }
    s.parse().ok()
}

/// `1.5`, `-0.25`: digits, a point, digits.
fn is_decimal_float(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let Some((int, frac)) = digits.split_once('.') else {
        return false;
    };
    !int.is_empty()
        && !frac.is_empty()
        && int.len() + frac.len() <= 17
        && (int == "0" || !int.starts_with('0'))
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `2026-11-25`, `2026-11-25T14:30:00Z`, `2026-11-25T15:30:00+01:00`.
fn is_date_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10
            || (matches!(b[10], b'T' | b't')
                && b[11..].iter().all(|c| {
                    c.is_ascii_digit() || matches!(c, b':' | b'.' | b'+' | b'-' | b'Z' | b'z')
                })))
}

/// `48h`, `1h30m`, `7d`.
fn is_duration_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.last()
        .is_some_and(|c| matches!(c, b'w' | b'd' | b'h' | b'm' | b's'))
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'w' | b'd' | b'h' | b'm' | b's'))
        && b.windows(2)
            .all(|w| w[0].is_ascii_digit() || w[1].is_ascii_digit())
}

// ------------------------------------------------------------------ JSON

/// A pull tokenizer for JSON text that YAML reads the same way. The builder asks for a key, an
/// item or a value, so all it keeps is whether the container just opened.
struct JsonEvents<'t> {
    text: &'t str,
    pos: usize,
    /// Right after `{` or `[`: no comma before the first key or item.
    first: bool,
}

impl<'t> JsonEvents<'t> {
    fn new(text: &'t str) -> Self {
        JsonEvents {
            text,
            pos: 0,
            first: false,
        }
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    /// [`Events::key_is`] without putting the position back when the key is another.
    fn key_is_here(&mut self, name: &str) -> Option<(u32, u32)> {
        // At the mapping's end there is no key to take (`key` then reads the end again).
        if !self.more(b'}')? {
            return None;
        }
        let start = self.pos;
        let rest = &self.bytes()[start..];
        let n = name.len();
        // `"name"`: the name's characters need no escape (schema names are identifiers).
        if rest.len() < n + 2
            || rest[0] != b'"'
            || &rest[1..=n] != name.as_bytes()
            || rest[n + 1] != b'"'
        {
            return None;
        }
        self.pos += n + 2;
        let end = self.pos;
        self.colon()?;
        Some((to_u32(start)?, to_u32(end)?))
    }

    /// After a key: spaces, then the `:` that ends it.
    fn colon(&mut self) -> Option<()> {
        while self.peek()? == b' ' {
            self.pos += 1;
        }
        if self.peek()? != b':' {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    /// Spaces and newlines (tabs and carriage returns take the full route).
    fn ws(&mut self) {
        let b = self.bytes();
        while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\n') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Before a key or an item: `false` at the container's closing bracket, else past the comma
    /// that separates it from the one before.
    fn more(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = self.peek()?;
        if c == close {
            self.pos += 1;
            self.first = false;
            return Some(false);
        }
        if self.first {
            self.first = false;
        } else {
            if c != b',' {
                return None;
            }
            self.pos += 1;
            self.ws();
            // `[1, ]` and `{"a": 1, }` are YAML but not JSON.
            if self.peek()? == close {
                return None;
            }
        }
        Some(true)
    }

    fn value(&mut self) -> Option<Ev<'t>> {
        let start = self.pos;
        let b = self.peek()?;
        let ev = match b {
            b'{' => {
                self.pos += 1;
                self.first = true;
                return Some(Ev::MapStart(to_u32(start)?, to_u32(start + 1)?));
            }
            b'[' => {
                self.pos += 1;
                self.first = true;
                return Some(Ev::SeqStart(to_u32(start)?, to_u32(start + 1)?));
            }
            b'"' => Scalar::Str(self.string()?),
            b't' => self.word("true", Scalar::Bool(true))?,
            b'f' => self.word("false", Scalar::Bool(false))?,
            b'n' => self.word("null", Scalar::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(Ev::Scalar(ev, to_u32(start)?, to_u32(self.pos)?))
    }

    fn word(&mut self, word: &str, s: Scalar<'t>) -> Option<Scalar<'t>> {
        if !self.text[self.pos..].starts_with(word) {
            return None;
        }
        self.pos += word.len();
        self.delimited().then_some(s)
    }

    /// Whether the token just read ends where YAML would end a plain scalar too.
    fn delimited(&self) -> bool {
        matches!(self.peek(), None | Some(b' ' | b'\n' | b',' | b']' | b'}'))
    }

    fn number(&mut self) -> Option<Scalar<'t>> {
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        if b[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_len = i - int_start;
        if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
            return None;
        }
        let mut float = false;
        if i < b.len() && b[i] == b'.' {
            float = true;
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == f {
                return None;
            }
        }
        if i < b.len() && matches!(b[i], b'e' | b'E') {
            // Exponents: YAML and JSON agree in principle; not worth the doubt here.
            return None;
        }
        self.pos = i;
        if !self.delimited() {
            return None;
        }
        let s = &self.text[start..i];
        if float {
            (s.len() <= 18).then(|| s.parse().ok().map(Scalar::Float))?
        } else {
            decimal_int(s).map(Scalar::Int)
        }
    }

    /// A quoted string; escapes are decoded. Anything YAML might read differently gives up.
    fn string(&mut self) -> Option<Cow<'t, str>> {
        let b = self.bytes();
        self.pos += 1; // the opening quote
        let start = self.pos;
        // The common case, in one pass: no escapes, so the string borrows the text.
        let mut i = start;
        loop {
            i += plain_run(&b[i..]);
            match *b.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some(Cow::Borrowed(&self.text[start..i]));
                }
                b'\\' => return self.escaped(start, i),
                // Characters beyond ASCII that YAML may read differently.
                0x80.. if printable_in_yaml(&b[i..]) => i += 1,
                // Controls.
                _ => return None,
            }
        }
    }

    /// The rest of a string from its first escape at `i`, decoded.
    #[cold]
    fn escaped(&mut self, start: usize, mut i: usize) -> Option<Cow<'t, str>> {
        let b = self.bytes();
        let mut out = String::from(&self.text[start..i]);
        loop {
            let c = *b.get(i)?;
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    let e = *b.get(i + 1)?;
                    i += 2;
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = self.text.get(i..i + 4)?;
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            i += 4;
                            // Surrogate pairs and controls: not worth the doubt.
                            if code < 0x20 || (0xd800..0xe000).contains(&code) {
                                return None;
                            }
                            char::from_u32(code)?
                        }
                        _ => return None,
                    });
                }
                0..=0x1f | 0x7f => return None,
                _ => {
                    // Copy up to the next quote or escape.
                    let run = b[i..]
                        .iter()
                        .position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f | 0x7f))
                        .map_or(b.len(), |n| i + n);
                    if !b[i..run]
                        .iter()
                        .enumerate()
                        .all(|(k, &c)| c < 0x80 || printable_in_yaml(&b[i + k..]))
                    {
                        return None;
                    }
                    out.push_str(self.text.get(i..run)?);
                    i = run;
                }
            }
        }
    }
}

/// How many bytes at the start of `b` are plain string characters (printable ASCII but `"` and
/// `\\`), eight at a time: strings are short, so this beats memchr's setup and a table alike.
fn plain_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte's high bit is set where it was zero (exact up to the first such byte: borrows
    // only reach bytes above it).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let special = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x) // below 0x20
            | x.wrapping_add(ONES) // 0x7f
            | x; // 0x80 and above
        let found = special & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| !PLAIN[usize::from(c)])
        .unwrap_or(b.len() - i)
}

/// The bytes a string can hold as themselves, YAML and JSON alike: printable ASCII but the quote
/// and the backslash.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0x20;
    while c < 0x7f {
        t[c] = c != b'"' as usize && c != b'\\' as usize;
        c += 1;
    }
    t
};

/// Whether the UTF-8 character at the start of `b` (not ASCII) is one YAML reads as itself:
/// not a C1 control, not a line or paragraph separator, not a byte order mark or non-character.
fn printable_in_yaml(b: &[u8]) -> bool {
    match b {
        [0xc2, c, ..] => *c >= 0xa0,
        [0xe2, 0x80, 0xa8 | 0xa9, ..] => false,
        [0xef, 0xbb, 0xbf, ..] => false,
        [0xef, 0xbf, 0xbe | 0xbf, ..] => false,
        _ => true,
    }
}

fn to_u32(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

impl<'t> Events<'t> for JsonEvents<'t> {
    fn next(&mut self) -> Option<Ev<'t>> {
        self.ws();
        self.value()
    }

    fn finish(&mut self) -> Option<()> {
        self.ws();
        (self.pos == self.text.len()).then_some(())
    }

    fn key(&mut self) -> Option<Option<(Cow<'t, str>, u32, u32)>> {
        if !self.more(b'}')? {
            return Some(None);
        }
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        let k = self.string()?;
        let end = self.pos;
        // YAML reads a key only on one line and up to 1024 characters.
        if end - start > 1000 {
            return None;
        }
        self.colon()?;
        Some(Some((k, to_u32(start)?, to_u32(end)?)))
    }

    fn key_is(&mut self, name: &str) -> Option<(u32, u32)> {
        let (pos, first) = (self.pos, self.first);
        let found = self.key_is_here(name);
        if found.is_none() {
            (self.pos, self.first) = (pos, first);
        }
        found
    }

    fn item(&mut self) -> Option<Option<Ev<'t>>> {
        if !self.more(b']')? {
            return Some(None);
        }
        self.value().map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::{PLAIN, plain_run};

    /// Eight bytes at a time finds the same first special byte as one at a time, wherever it is
    /// and whatever follows it.
    #[test]
    fn plain_run_stops_at_the_first_special_byte() {
        for special in 0..=255u8 {
            for at in 0..20 {
                for after in [b'a', b'"', 0, 0xff, 0x7f, 0x20] {
                    let mut b = vec![b'x'; 24];
                    b[at] = special;
                    b[at + 1] = after;
                    let want = b
                        .iter()
                        .position(|&c| !PLAIN[usize::from(c)])
                        .unwrap_or(b.len());
                    assert_eq!(plain_run(&b), want, "{special:#x} at {at}, then {after:#x}");
                }
            }
        }
        assert_eq!(plain_run(b"abc"), 3);
        assert_eq!(plain_run(b""), 0);
    }
}
