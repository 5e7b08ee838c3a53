//! The typed syntax tree of a policy file. Data only; every node carries its span.

use crate::source::{Span, Spanned};

pub type Ident = Spanned<String>;

/// One `.charter` file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PolicyFile {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `levels seniority { junior, mid, senior }`: an ordered enumeration.
    Levels(EnumDecl),
    /// `enum environment { dev, production }`: an unordered enumeration.
    Enum(EnumDecl),
    /// `record reviewer { name: string, ... }`
    Record(RecordDecl),
    /// `manifest change { ... }`: the record every manifest document is.
    Manifest(RecordDecl),
    /// `let name = expr`
    Let(LetDecl),
    /// `policy name { ... }`
    Policy(PolicyDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Levels(d) | Item::Enum(d) => d.span,
            Item::Record(d) | Item::Manifest(d) => d.span,
            Item::Let(d) => d.span,
            Item::Policy(d) => d.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub doc: Option<String>,
    pub name: Ident,
    /// `ignore_case`, `open`.
    pub modifiers: Vec<Ident>,
    pub variants: Vec<Variant>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub doc: Option<String>,
    pub name: Ident,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub ty: TypeExpr,
    /// `= expr`: the value of an absent optional field.
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub optional: bool,
    /// `>= 0`, `< 100`: bounds on a number.
    pub refinements: Vec<Refinement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Refinement {
    pub op: BinOp,
    /// The bound as written.
    pub bound: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// A primitive (`string`, `int`, ...) or a declared record, levels or enum type.
    Named(Ident),
    /// `[T]`
    List(Box<TypeExpr>),
    /// `map<T>`: string keys; modifiers as in `map(ignore_case)<T>`.
    Map(Box<TypeExpr>, Vec<Ident>),
    /// `{ field: T, ... }`
    Record(Vec<FieldDecl>),
    /// `enum { a, b }`
    Enum(Vec<Variant>, Vec<Ident>),
    /// `levels { a, b }`
    Levels(Vec<Variant>, Vec<Ident>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LetDecl {
    pub doc: Option<String>,
    pub name: Ident,
    /// `let approved_by(team) = ...`; `None` for a plain definition.
    pub params: Option<Vec<Param>>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warn,
    Deny,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    Severity(Spanned<Severity>),
    When(Expr),
    Require(Expr),
    /// `override when expr`: a failure this condition holds for is `overridden` (break-glass).
    Override(Expr),
    /// `override message "..."`: what an overridden outcome says.
    OverrideMessage(Template),
    Message(Template),
    Help(Template),
}

/// A string with `{expr}` interpolations.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

pub type Expr = Spanned<ExprKind>;

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// `48h`, `1h30m`: seconds.
    Duration(i64),
    /// `2026-12-20T00:00:00Z`, as written (checked in `check`).
    Timestamp(String),
    /// `2026-12-24`
    Date(String),
    /// `16:30`
    Time(String),
    /// `{"dev": 200}` (string keys: a map) or `{name: "x"}` (names: a record).
    Braces(Vec<(Spanned<Key>, Expr)>),
    /// `if c then a else b`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `m[k]`
    Index(Box<Expr>, Box<Expr>),
    /// `xs map r: e`
    MapOp(Box<Expr>, Ident, Box<Expr>),
    /// `xs max_by r: key`, `xs min_by r: key`
    By(ByKind, Box<Expr>, Ident, Box<Expr>),
    /// `xs distinct by r: key`
    DistinctBy(Box<Expr>, Ident, Box<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// A bare name: a bound element, a definition, the manifest, or a level/enum value.
    Var(String),
    /// `e.field`
    Field(Box<Expr>, Ident),
    /// `name(args)`: a built-in function.
    Call(Ident, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `any r in xs: p` / `all r in xs: p`; `any k, v in m: p` over a map's entries.
    Quant(Quant, Ident, Option<Ident>, Box<Expr>, Box<Expr>),
    /// `xs where r: p`
    Where(Box<Expr>, Ident, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    Str(String),
    Name(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByKind {
    Max,
    Min,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    Any,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Matches,
    /// `=~`: regular expression search.
    Regex,
    /// `??`: the left side, or the right when the left is absent.
    Default,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Matches => "matches",
            BinOp::Regex => "=~",
            BinOp::Default => "??",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}
