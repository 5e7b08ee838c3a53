//! The checked program: a resolved schema and typed expressions. Names are resolved to indices
//! (fields by position, definitions by id, bound elements by slot), so evaluation does no lookups
//! by name.

use std::sync::Arc;

use crate::source::Span;
use crate::syntax::ast::Severity;

pub type TypeId = usize;
pub type DefId = usize;

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Str,
    /// A repository-relative path (`src/auth/x.rs`): a string whose manifest spelling is the
    /// normal one (no `.`, `..` or empty segment, no leading `/`, no backslash). What `matches`
    /// tests.
    Path,
    /// A login or a name: a string folded by `crate::identity::fold` when read, so `Dana`,
    /// `dana` and another Unicode normal form of the same name are one value.
    Identity,
    Timestamp,
    Duration,
    /// A calendar date (`2026-12-24`).
    Date,
    /// A time of day (`16:30`).
    Time,
    /// A timestamp seen in a time zone: `local(t, "Europe/Berlin")`, with `.weekday`, `.hour`, ...
    Local,
    Record(TypeId),
    Enum(TypeId),
    List(Box<Ty>),
    /// A map with string keys; `true` when keys are looked up ignoring case.
    Map(Box<Ty>, bool),
    /// The element type of `[]`, and the type of an expression that failed to check (so one
    /// mistake is reported once).
    Unknown,
}

#[derive(Clone, Debug)]
pub enum TypeDef {
    Record(RecordDef),
    Enum(EnumDef),
}

#[derive(Clone, Debug)]
pub struct RecordDef {
    pub name: String,
    pub fields: Vec<FieldDef>,
    pub span: Span,
}

impl RecordDef {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
    pub optional: bool,
    /// The value of the field when the manifest leaves it out.
    pub default: Option<Expr>,
    /// Bounds on a number: `int >= 0`.
    pub bounds: Vec<(CmpOp, f64)>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    /// `levels` (ordered, comparable with `<`) or `enum` (equality only).
    pub ordered: bool,
    pub variants: Vec<String>,
    /// Manifest values match ignoring case (`Staff` is `staff`).
    pub ignore_case: bool,
    /// An unknown manifest value is kept (with a warning) instead of refused.
    pub open: bool,
    pub span: Span,
}

impl EnumDef {
    /// The index of a value as written in a manifest or a policy.
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v == name).or_else(|| {
            self.ignore_case
                .then(|| {
                    self.variants
                        .iter()
                        .position(|v| v.to_lowercase() == name.to_lowercase())
                })
                .flatten()
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub types: Vec<TypeDef>,
    /// The manifest record and the name expressions use for it (`change`).
    pub root: TypeId,
    pub root_name: String,
    /// The built-in levels `weekday` (monday .. sunday).
    pub weekday: TypeId,
}

impl Schema {
    pub fn record(&self, id: TypeId) -> &RecordDef {
        match &self.types[id] {
            TypeDef::Record(r) => r,
            TypeDef::Enum(e) => panic!("type {} is not a record", e.name),
        }
    }

    pub fn enumeration(&self, id: TypeId) -> &EnumDef {
        match &self.types[id] {
            TypeDef::Enum(e) => e,
            TypeDef::Record(r) => panic!("type {} is not an enum", r.name),
        }
    }

    /// How a type is written in messages: `int`, `[reviewer]`, `seniority`.
    pub fn display(&self, ty: &Ty) -> String {
        match ty {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Str => "string".into(),
            Ty::Path => "path".into(),
            Ty::Identity => "identity".into(),
            Ty::Timestamp => "timestamp".into(),
            Ty::Duration => "duration".into(),
            Ty::Date => "date".into(),
            Ty::Time => "time of day".into(),
            Ty::Local => "local time".into(),
            Ty::Record(id) => self.record(*id).name.clone(),
            Ty::Enum(id) => self.enumeration(*id).name.clone(),
            Ty::List(t) => format!("[{}]", self.display(t)),
            Ty::Map(t, _) => format!("map<{}>", self.display(t)),
            Ty::Unknown => "unknown".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Program {
    /// Whether any expression reads `now` (then the run prints the `now` it used).
    pub uses_now: bool,
    pub schema: Schema,
    pub defs: Vec<Def>,
    pub policies: Vec<Policy>,
    /// Exceptions from the waiver file, checked against this program.
    pub waivers: Vec<Waiver>,
}

/// A waiver: while it has not expired, a failure of `policy` on a change in its scope is
/// `waived`.
#[derive(Clone, Debug)]
pub struct Waiver {
    /// Index into `Program::policies`.
    pub policy: usize,
    /// Change ids it covers (compared with the manifest's `id`); empty: any.
    pub ids: Vec<String>,
    /// The position of the manifest's `id` field, when `ids` is used.
    pub id_field: Option<usize>,
    /// A condition the manifest must meet, beside `ids`.
    pub when: Option<Expr>,
    pub owner: String,
    pub reason: String,
    pub approved_by: Vec<String>,
    pub expires: jiff::Timestamp,
    pub expires_span: Span,
    /// The entry in the waiver file.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Def {
    pub name: String,
    pub doc: Option<String>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub name_span: Span,
    pub doc: Option<String>,
    pub severity: Severity,
    pub when: Option<Expr>,
    pub requires: Vec<Expr>,
    pub message: Option<Template>,
    pub help: Option<Template>,
    /// `override when`: a failure for which this holds is `overridden` (break-glass). A policy
    /// without one cannot be overridden.
    pub override_when: Option<Expr>,
    pub override_message: Option<Template>,
    pub span: Span,
}

impl Policy {
    /// Every condition, in evaluation order: `when`, each `require`, `override when`.
    pub fn conditions(&self) -> impl Iterator<Item = &Expr> {
        self.when
            .iter()
            .chain(&self.requires)
            .chain(&self.override_when)
    }

    /// Every text: `message`, `help`, `override message`.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.message
            .iter()
            .chain(&self.help)
            .chain(&self.override_message)
    }
}

#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Const {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Duration(i64),
    Timestamp(jiff::Timestamp),
    Date(jiff::civil::Date),
    Time(jiff::civil::Time),
    Enum(TypeId, u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Count,
    Sum,
    Min,
    Max,
    Distinct,
    Lower,
    Upper,
    Trim,
    StartsWith,
    EndsWith,
    Contains,
    Abs,
    First,
    Last,
    Keys,
    Values,
    Nfc,
    String,
    Split,
    Identity,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 20] = [
        ("count", Builtin::Count),
        ("sum", Builtin::Sum),
        ("min", Builtin::Min),
        ("max", Builtin::Max),
        ("distinct", Builtin::Distinct),
        ("lower", Builtin::Lower),
        ("upper", Builtin::Upper),
        ("trim", Builtin::Trim),
        ("starts_with", Builtin::StartsWith),
        ("ends_with", Builtin::EndsWith),
        ("contains", Builtin::Contains),
        ("abs", Builtin::Abs),
        ("first", Builtin::First),
        ("last", Builtin::Last),
        ("keys", Builtin::Keys),
        ("values", Builtin::Values),
        ("nfc", Builtin::Nfc),
        ("string", Builtin::String),
        ("split", Builtin::Split),
        ("identity", Builtin::Identity),
    ];

    pub fn name(self) -> &'static str {
        Builtin::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("?", |(n, _)| n)
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Const),
    List(Vec<Expr>),
    /// The manifest document.
    Root,
    /// An element bound by a quantifier or `where`, by slot (its binding depth).
    Local(usize, Arc<str>),
    Def(DefId),
    /// `base.field`; `record` is the base's record type.
    Field {
        base: Box<Expr>,
        record: TypeId,
        index: usize,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `x in xs`
    In(Box<Expr>, Box<Expr>),
    /// `path matches "glob"`, compiled when checked.
    Matches(Box<Expr>, Arc<crate::glob::Glob>),
    Quant {
        any: bool,
        slot: usize,
        var: Arc<str>,
        coll: Box<Expr>,
        body: Box<Expr>,
    },
    Where {
        slot: usize,
        var: Arc<str>,
        coll: Box<Expr>,
        body: Box<Expr>,
    },
    Call(Builtin, Vec<Expr>),
    /// `has(path)`: false when any link of the path is absent.
    Has(Box<Expr>),
    /// The time of the run (`--now`, else the clock).
    Now,
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `m[k]` on a map (absent when the key is missing) or `xs[i]` on a list.
    Index(Box<Expr>, Box<Expr>),
    /// `a ?? b`: `a`, or `b` when `a` is absent.
    Default(Box<Expr>, Box<Expr>),
    /// `s =~ "re"`, compiled when checked (Go RE2 semantics).
    Regex(Box<Expr>, Arc<regex::Regex>, Arc<str>),
    /// `any k, v in m: p` over a map's entries (`slot` is the key, `slot + 1` the value).
    QuantMap {
        any: bool,
        slot: usize,
        coll: Box<Expr>,
        body: Box<Expr>,
    },
    MapOp {
        slot: usize,
        var: Arc<str>,
        coll: Box<Expr>,
        body: Box<Expr>,
    },
    /// `xs max_by r: key` (`max` true) / `min_by`: absent for an empty list.
    By {
        max: bool,
        slot: usize,
        var: Arc<str>,
        coll: Box<Expr>,
        key: Box<Expr>,
    },
    DistinctBy {
        slot: usize,
        var: Arc<str>,
        coll: Box<Expr>,
        key: Box<Expr>,
    },
    MapLit(Vec<(Arc<str>, Expr)>),
    RecordLit(TypeId, Vec<Expr>),
    /// A call of a parameterised definition: the arguments fill slots `0..n` of `body`.
    Apply {
        def: DefId,
        args: Vec<Expr>,
        body: Box<Expr>,
    },
    /// `local(t, "Europe/Berlin")`
    ToLocal(Box<Expr>, jiff::tz::TimeZone),
    /// `.year`, `.weekday`, ... of a local time.
    LocalPart(Box<Expr>, LocalPart),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalPart {
    Year,
    Month,
    Day,
    Weekday,
    Hour,
    Minute,
    Date,
    Time,
}

impl LocalPart {
    pub const ALL: [(&'static str, LocalPart); 8] = [
        ("year", LocalPart::Year),
        ("month", LocalPart::Month),
        ("day", LocalPart::Day),
        ("weekday", LocalPart::Weekday),
        ("hour", LocalPart::Hour),
        ("minute", LocalPart::Minute),
        ("date", LocalPart::Date),
        ("time", LocalPart::Time),
    ];
}
