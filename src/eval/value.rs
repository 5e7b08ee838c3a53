//! Runtime values. Values read from a manifest borrow its nodes (no copying of lists or records),
//! so a value can always be traced back to the manifest text it came from.

use std::rc::Rc;
use std::sync::Arc;

use crate::check::ir::{Schema, Ty, TypeDef, TypeId};
use crate::manifest::{Node, NodeValue};

/// A string value: the manifest's own (borrowed: reading a field copies and counts nothing), or
/// one the policy wrote or computed.
#[derive(Clone, Debug)]
pub enum Text<'a> {
    Manifest(&'a str),
    Shared(Arc<str>),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Manifest(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text::Shared(s.into())
    }
}

impl From<&str> for Text<'_> {
    fn from(s: &str) -> Self {
        Text::Shared(s.into())
    }
}

#[derive(Clone, Debug)]
pub enum Value<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text<'a>),
    Timestamp(jiff::Timestamp),
    Duration(i64),
    Date(jiff::civil::Date),
    Time(jiff::civil::Time),
    /// A timestamp seen in a time zone.
    Local(jiff::civil::DateTime),
    Enum(TypeId, u32),
    /// A value of an `open` enum that the schema does not list: equals no listed value.
    Unlisted(TypeId, Arc<str>),
    /// A computed list.
    List(Rc<Vec<Value<'a>>>),
    /// A list in the manifest, with its element type.
    Nodes(&'a [Node], &'a Ty),
    /// A map in the manifest: entries, value type, whether keys ignore case.
    Map(&'a [(Arc<str>, Node)], &'a Ty, bool),
    /// A map written in a policy.
    MapLit(Rc<Vec<(Arc<str>, Value<'a>)>>),
    Record(TypeId, &'a Node),
    /// A record written in a policy.
    RecordLit(TypeId, Rc<Vec<Value<'a>>>),
}

impl<'a> Value<'a> {
    pub fn from_node(node: &'a Node, ty: &'a Ty) -> Value<'a> {
        match (&node.value, ty) {
            (NodeValue::Bool(b), _) => Value::Bool(*b),
            (NodeValue::Int(i), Ty::Float) => Value::Float(*i as f64),
            (NodeValue::Int(i), _) => Value::Int(*i),
            (NodeValue::Float(f), _) => Value::Float(*f),
            (NodeValue::Str(s), _) => Value::Str(Text::Manifest(s)),
            (NodeValue::Timestamp(t), _) => Value::Timestamp(*t),
            (NodeValue::Duration(d), _) => Value::Duration(*d),
            (NodeValue::Date(d), _) => Value::Date(*d),
            (NodeValue::Time(t), _) => Value::Time(*t),
            (NodeValue::Enum(i), Ty::Enum(id)) => Value::Enum(*id, *i),
            (NodeValue::Unlisted(s), Ty::Enum(id)) => Value::Unlisted(*id, s.clone()),
            (NodeValue::List(xs), Ty::List(elem)) => Value::Nodes(xs, elem),
            (NodeValue::Map(kvs), Ty::Map(elem, ci)) => Value::Map(kvs, elem, *ci),
            (NodeValue::Record(_), Ty::Record(id)) => Value::Record(*id, node),
            (v, t) => panic!("manifest validation let a {v:?} through as {t:?}"),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Value::List(xs) => xs.len(),
            Value::Nodes(xs, _) => xs.len(),
            Value::Map(kvs, ..) => kvs.len(),
            Value::MapLit(kvs) => kvs.len(),
            Value::Str(s) => s.chars().count(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements of a list (manifest lists are converted one element at a time).
    pub fn elements(&self) -> Elements<'_, 'a> {
        Elements {
            value: self,
            index: 0,
        }
    }

    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

pub struct Elements<'v, 'a> {
    value: &'v Value<'a>,
    index: usize,
}

impl<'a> Iterator for Elements<'_, 'a> {
    type Item = Value<'a>;
    fn next(&mut self) -> Option<Value<'a>> {
        let i = self.index;
        self.index += 1;
        match self.value {
            Value::List(xs) => xs.get(i).cloned(),
            Value::Nodes(xs, ty) => xs.get(i).map(|n| Value::from_node(n, ty)),
            _ => None,
        }
    }
}

/// Equality across the numeric tower (an int equals the float of the same value).
pub fn equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Timestamp(x), Value::Timestamp(y)) => x == y,
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Time(x), Value::Time(y)) => x == y,
        (Value::Local(x), Value::Local(y)) => x == y,
        (Value::Enum(t, x), Value::Enum(u, y)) => t == u && x == y,
        (Value::Unlisted(t, x), Value::Unlisted(u, y)) => t == u && x == y,
        (Value::Record(_, x), Value::Record(_, y)) => std::ptr::eq(*x, *y),
        (Value::RecordLit(_, x), Value::RecordLit(_, y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(a, b))
        }
        (Value::Map(x, ..), Value::Map(y, ..)) => std::ptr::eq(*x, *y),
        (x, y) if is_list(x) && is_list(y) => {
            x.len() == y.len() && x.elements().zip(y.elements()).all(|(a, b)| equal(&a, &b))
        }
        _ => false,
    }
}

fn is_list(v: &Value<'_>) -> bool {
    matches!(v, Value::List(_) | Value::Nodes(..))
}

/// Ordering for `<`, `min`, `max`; `None` when the values have no order.
pub fn compare(a: &Value<'_>, b: &Value<'_>) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some((**x).cmp(&**y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        (Value::Enum(t, x), Value::Enum(u, y)) if t == u => Some(x.cmp(y)),
        _ => None,
    }
}

/// `2d3h`, `45m`, `0s`, `-(1h30m)`: the literal syntax, so a printed duration can be pasted.
pub fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut rest = secs.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    let text = parts.join("");
    match (secs < 0, parts.len()) {
        (true, 1) => format!("-{text}"),
        (true, _) => format!("-({text})"),
        _ => text,
    }
}

/// How a value reads in a message or a label: strings bare, lists comma-separated, records by
/// their name.
pub fn display(v: &Value<'_>, schema: &Schema) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f),
        Value::Str(s) => String::from(&**s),
        Value::Unlisted(_, s) => String::from(&**s),
        Value::Timestamp(t) => t.to_string(),
        Value::Duration(d) => format_duration(*d),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => t.strftime("%H:%M").to_string(),
        Value::Local(t) => t.strftime("%A %Y-%m-%d %H:%M").to_string(),
        Value::Enum(id, i) => schema.enumeration(*id).variants[*i as usize].clone(),
        Value::MapLit(kvs) => {
            let items: Vec<String> = kvs
                .iter()
                .map(|(k, v)| format!("{k}: {}", display(v, schema)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::RecordLit(id, vs) => {
            let rec = schema.record(*id);
            let items: Vec<String> = rec
                .fields
                .iter()
                .zip(vs.iter())
                .map(|(f, v)| format!("{}: {}", f.name, display(v, schema)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::List(_) | Value::Nodes(..) => {
            let items: Vec<String> = v
                .elements()
                .take(20)
                .map(|x| match x {
                    Value::List(_) | Value::Nodes(..) => format!("[{}]", display(&x, schema)),
                    _ => display(&x, schema),
                })
                .collect();
            let more = v.len().saturating_sub(20);
            if v.is_empty() {
                "none".into()
            } else if more > 0 {
                format!("{} and {more} more", items.join(", "))
            } else {
                items.join(", ")
            }
        }
        Value::Map(kvs, ty, _) => {
            let items: Vec<String> = kvs
                .iter()
                .take(20)
                .map(|(k, n)| format!("{k}: {}", display(&Value::from_node(n, ty), schema)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Record(id, node) => element_name(*id, node, schema)
            .unwrap_or_else(|| format!("a {}", schema.record(*id).name)),
    }
}

pub fn format_float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && a.is_finite() && !(1e-6..1e15).contains(&a) {
        format!("{f:e}")
    } else if f.fract() == 0.0 && f.is_finite() {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// The field that names a record in messages: `name`, `login`, `id`, `title`, `email`, else the
/// first string field.
pub fn element_name(id: TypeId, node: &Node, schema: &Schema) -> Option<String> {
    let TypeDef::Record(rec) = &schema.types[id] else {
        return None;
    };
    let NodeValue::Record(fields) = &node.value else {
        return None;
    };
    let string_field = |i: usize| match fields.get(i) {
        Some(Some(Node {
            value: NodeValue::Str(s),
            ..
        })) => Some(String::from(&**s)),
        _ => None,
    };
    for preferred in ["name", "login", "id", "title", "email", "key"] {
        if let Some(i) = rec.field(preferred)
            && let Some(s) = string_field(i)
        {
            return Some(s);
        }
    }
    (0..rec.fields.len()).find_map(string_field)
}
