//! Typing of expressions: name resolution (bound elements, definitions, the manifest, level and
//! enum values), field lookup against the schema, operator and function signatures.

use std::sync::Arc;

use super::ir::*;
use super::{Checker, DefState};
use crate::diag::{Diagnostic, did_you_mean, suggest};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind as A, Quant, UnOp};

/// Calls of parameterised definitions checked in one policy set.
const MAX_EXPANSIONS: usize = 20_000;

pub(super) struct ExprChecker<'c, 'a> {
    cx: &'c mut Checker<'a>,
    scope: Vec<(Arc<str>, Ty)>,
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// A string, or a path or identity read as one.
fn stringy(t: &Ty) -> bool {
    matches!(t, Ty::Str | Ty::Path | Ty::Identity | Ty::Unknown)
}

/// `e`, a string or a list of strings, folded as identities (`crate::identity::fold`): at check
/// time for a literal, else when evaluated.
fn fold_identity(e: Expr) -> Expr {
    let ty = match &e.ty {
        Ty::List(_) => Ty::List(Box::new(Ty::Identity)),
        _ => Ty::Identity,
    };
    match e.kind {
        ExprKind::Const(Const::Str(s)) => Expr {
            kind: ExprKind::Const(Const::Str(crate::identity::fold(&s).into())),
            ty,
            span: e.span,
        },
        ExprKind::List(xs) if e.ty == Ty::List(Box::new(Ty::Str)) => Expr {
            kind: ExprKind::List(xs.into_iter().map(fold_identity).collect()),
            ty,
            span: e.span,
        },
        kind => {
            let span = e.span;
            let inner = Expr {
                kind,
                ty: e.ty,
                span,
            };
            Expr {
                kind: ExprKind::Call(Builtin::Identity, vec![inner]),
                ty,
                span,
            }
        }
    }
}

/// Where an identity meets a string (`author.name == "Dana"`, `r.name in names`), the string side
/// is folded, so the comparison follows the identity rule.
fn meet_identity(a: Expr, b: Expr) -> (Expr, Expr) {
    let elem = |t: &Ty| match t {
        Ty::List(x) => (**x).clone(),
        t => t.clone(),
    };
    match (elem(&a.ty), elem(&b.ty)) {
        (Ty::Identity, Ty::Str) => (a, fold_identity(b)),
        (Ty::Str, Ty::Identity) => (fold_identity(a), b),
        _ => (a, b),
    }
}

/// The common type of two values that may meet (list elements, comparison operands).
pub(super) fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Unknown, t) | (t, Ty::Unknown) => Some(t.clone()),
        (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Some(Ty::Float),
        // A path or an identity is a string where strings are read; mixed, they are strings.
        (Ty::Path | Ty::Identity, Ty::Str) | (Ty::Str, Ty::Path | Ty::Identity) => Some(Ty::Str),
        (Ty::List(x), Ty::List(y)) => unify(x, y).map(|t| Ty::List(Box::new(t))),
        (Ty::Map(x, a), Ty::Map(y, b)) => unify(x, y).map(|t| Ty::Map(Box::new(t), *a || *b)),
        (x, y) if x == y => Some(x.clone()),
        _ => None,
    }
}

impl<'c, 'a> ExprChecker<'c, 'a> {
    pub(super) fn new(cx: &'c mut Checker<'a>) -> Self {
        ExprChecker {
            cx,
            scope: Vec::new(),
        }
    }

    /// A checker whose first slots are bound (the parameters of a definition).
    pub(super) fn with_scope(cx: &'c mut Checker<'a>, scope: Vec<(Arc<str>, Ty)>) -> Self {
        ExprChecker { cx, scope }
    }

    fn show(&self, ty: &Ty) -> String {
        self.cx.schema.display(ty)
    }

    fn error(&mut self, d: Diagnostic) {
        self.cx.error(d);
    }

    fn mk(kind: ExprKind, ty: Ty, span: Span) -> Expr {
        Expr { kind, ty, span }
    }

    fn bad(span: Span) -> Expr {
        Self::mk(ExprKind::Const(Const::Bool(false)), Ty::Unknown, span)
    }

    /// Checks `e`; `hint` is the type the context expects, used to resolve bare level and enum
    /// values (`r.seniority >= senior`).
    pub(super) fn expr(&mut self, e: &ast::Expr, hint: Option<&Ty>) -> Expr {
        let span = e.span;
        match &e.node {
            A::Int(n) => Self::mk(ExprKind::Const(Const::Int(*n)), Ty::Int, span),
            A::Float(f) => Self::mk(ExprKind::Const(Const::Float(*f)), Ty::Float, span),
            A::Str(s) => Self::mk(
                ExprKind::Const(Const::Str(s.as_str().into())),
                Ty::Str,
                span,
            ),
            A::Bool(b) => Self::mk(ExprKind::Const(Const::Bool(*b)), Ty::Bool, span),
            A::Duration(d) => Self::mk(ExprKind::Const(Const::Duration(*d)), Ty::Duration, span),
            A::Timestamp(s) => self.timestamp(s, span),
            A::List(xs) => self.list(xs, hint, span),
            A::Var(name) => self.var(name, hint, span),
            A::Field(base, name) => self.field(base, name, span),
            A::Call(name, args) => self.call(name, args, span),
            A::Unary(UnOp::Not, x) => {
                let x = self.expect(x, &Ty::Bool, "`not` applies to a condition");
                Self::mk(ExprKind::Not(boxed(x)), Ty::Bool, span)
            }
            A::Unary(UnOp::Neg, x) => {
                let x = self.expr(x, None);
                if !matches!(x.ty, Ty::Int | Ty::Float | Ty::Duration | Ty::Unknown) {
                    let found = self.show(&x.ty);
                    self.error(
                        Diagnostic::error(
                            "charter::check::type_mismatch",
                            format!("cannot negate a {found}"),
                        )
                        .with_label(x.span, format!("this is a {found}")),
                    );
                }
                let ty = x.ty.clone();
                Self::mk(ExprKind::Neg(boxed(x)), ty, span)
            }
            A::Binary(op, l, r) => self.binary(*op, l, r, span),
            A::Quant(q, var, second, coll, body) => {
                self.quantifier(*q == Quant::Any, var, second.as_ref(), coll, body, span)
            }
            A::Where(coll, var, body) => {
                let (coll, elem) = self.collection(coll, false, var);
                let slot = self.scope.len();
                self.scope.push((var.node.as_str().into(), elem));
                let body = self.expect(
                    body,
                    &Ty::Bool,
                    "the filter after `where ...:` is a condition",
                );
                self.scope.pop();
                let ty = coll.ty.clone();
                Self::mk(
                    ExprKind::Where {
                        slot,
                        var: var.node.as_str().into(),
                        coll: boxed(coll),
                        body: boxed(body),
                    },
                    ty,
                    span,
                )
            }
            A::Date(d) => match d.parse::<jiff::civil::Date>() {
                Ok(v) => Self::mk(ExprKind::Const(Const::Date(v)), Ty::Date, span),
                Err(e) => self.bad_literal(
                    "date",
                    d,
                    e.to_string(),
                    "write dates as `2026-12-24`",
                    span,
                ),
            },
            A::Time(t) => match t.parse::<jiff::civil::Time>() {
                Ok(v) => Self::mk(ExprKind::Const(Const::Time(v)), Ty::Time, span),
                Err(e) => self.bad_literal(
                    "time of day",
                    t,
                    e.to_string(),
                    "write times of day as `16:30` or `08:00:00`",
                    span,
                ),
            },
            A::If(c, a, b) => {
                let c = self.expect(c, &Ty::Bool, "the condition after `if` is true or false");
                let a = self.expr(a, hint);
                let b = self.expr(b, Some(&a.ty));
                let ty = match unify(&a.ty, &b.ty) {
                    Some(t) => t,
                    None => {
                        let (x, y) = (self.show(&a.ty), self.show(&b.ty));
                        self.error(
                            Diagnostic::error(
                                "charter::check::type_mismatch",
                                format!("the branches of `if` differ: a {x} and a {y}"),
                            )
                            .with_label(a.span, format!("this is a {x}"))
                            .with_label(b.span, format!("this is a {y}"))
                            .with_help("both branches must give the same type"),
                        );
                        Ty::Unknown
                    }
                };
                Self::mk(ExprKind::If(boxed(c), boxed(a), boxed(b)), ty, span)
            }
            A::Index(base, key) => self.index(base, key, span),
            A::MapOp(coll, var, body) => {
                let (coll, elem) = self.collection(coll, false, var);
                let slot = self.scope.len();
                self.scope.push((var.node.as_str().into(), elem));
                let body = self.expr(body, None);
                self.scope.pop();
                let ty = Ty::List(Box::new(body.ty.clone()));
                Self::mk(
                    ExprKind::MapOp {
                        slot,
                        var: var.node.as_str().into(),
                        coll: boxed(coll),
                        body: boxed(body),
                    },
                    ty,
                    span,
                )
            }
            A::By(kind, coll, var, key) => {
                let (coll, elem) = self.collection(coll, false, var);
                let slot = self.scope.len();
                self.scope.push((var.node.as_str().into(), elem.clone()));
                let key = self.expr(key, None);
                self.scope.pop();
                if !self.ordered(&key.ty) {
                    let found = self.show(&key.ty);
                    let name = if *kind == ast::ByKind::Max {
                        "max_by"
                    } else {
                        "min_by"
                    };
                    self.error(
                        Diagnostic::error(
                            "charter::check::not_ordered",
                            format!("`{name}` needs a key with an order, and a {found} has none"),
                        )
                        .with_label(key.span, format!("this is a {found}"))
                        .with_help("order by a number, duration, timestamp, string or level"),
                    );
                }
                let max = *kind == ast::ByKind::Max;
                Self::mk(
                    ExprKind::By {
                        max,
                        slot,
                        var: var.node.as_str().into(),
                        coll: boxed(coll),
                        key: boxed(key),
                    },
                    elem,
                    span,
                )
            }
            A::DistinctBy(coll, var, key) => {
                let (coll, elem) = self.collection(coll, false, var);
                let slot = self.scope.len();
                self.scope.push((var.node.as_str().into(), elem.clone()));
                let key = self.expr(key, None);
                self.scope.pop();
                let ty = Ty::List(Box::new(elem));
                Self::mk(
                    ExprKind::DistinctBy {
                        slot,
                        var: var.node.as_str().into(),
                        coll: boxed(coll),
                        key: boxed(key),
                    },
                    ty,
                    span,
                )
            }
            A::Braces(entries) => self.braces(entries, hint, span),
        }
    }

    fn bad_literal(&mut self, what: &str, text: &str, why: String, help: &str, span: Span) -> Expr {
        self.error(
            Diagnostic::error(
                "charter::check::bad_literal",
                format!("`{text}` is not a valid {what}"),
            )
            .with_label(span, why)
            .with_help(help.to_string()),
        );
        Self::bad(span)
    }

    fn ordered(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Int
            | Ty::Float
            | Ty::Str
            | Ty::Path
            | Ty::Identity
            | Ty::Timestamp
            | Ty::Duration
            | Ty::Date
            | Ty::Time
            | Ty::Unknown => true,
            Ty::Enum(id) => self.cx.schema.enumeration(*id).ordered,
            _ => false,
        }
    }

    fn quantifier(
        &mut self,
        any: bool,
        var: &ast::Ident,
        second: Option<&ast::Ident>,
        coll: &ast::Expr,
        body: &ast::Expr,
        span: Span,
    ) -> Expr {
        let c = self.expr(coll, None);
        if let Ty::Map(vty, _) = &c.ty {
            let vty = (**vty).clone();
            let slot = self.scope.len();
            self.scope.push((var.node.as_str().into(), Ty::Str));
            let value_name = second.map_or_else(|| Arc::from("_"), |v| Arc::from(v.node.as_str()));
            self.scope.push((value_name, vty));
            let body = self.expect(body, &Ty::Bool, "the body of a quantifier is a condition");
            self.scope.truncate(slot);
            return Self::mk(
                ExprKind::QuantMap {
                    any,
                    slot,
                    coll: boxed(c),
                    body: boxed(body),
                },
                Ty::Bool,
                span,
            );
        }
        if let Some(v) = second {
            self.error(
                Diagnostic::error(
                    "charter::check::two_names",
                    format!(
                        "`{}, {}` names a key and a value, but this is not a map",
                        var.node, v.node
                    ),
                )
                .with_label(c.span, "not a map")
                .with_help(format!(
                    "over a list, bind one name: `any {} in ...`",
                    var.node
                )),
            );
        }
        let elem = self.element_type(&c, var);
        let slot = self.scope.len();
        self.scope.push((var.node.as_str().into(), elem));
        let body = self.expect(body, &Ty::Bool, "the body of a quantifier is a condition");
        self.scope.pop();
        let kind = ExprKind::Quant {
            any,
            slot,
            var: var.node.as_str().into(),
            coll: boxed(c),
            body: boxed(body),
        };
        Self::mk(kind, Ty::Bool, span)
    }

    fn index(&mut self, base: &ast::Expr, key: &ast::Expr, span: Span) -> Expr {
        let b = self.expr(base, None);
        let (k, ty) = match &b.ty {
            Ty::Map(v, _) => {
                let v = (**v).clone();
                let k = self.expr(key, None);
                if !(stringy(&k.ty) || matches!(k.ty, Ty::Enum(_))) {
                    let found = self.show(&k.ty);
                    self.error(
                        Diagnostic::error(
                            "charter::check::type_mismatch",
                            format!("map keys are strings, but this is a {found}"),
                        )
                        .with_label(k.span, format!("this is a {found}")),
                    );
                }
                (k, v)
            }
            Ty::List(e) => {
                let e = (**e).clone();
                (
                    self.expect(
                        key,
                        &Ty::Int,
                        "a list is indexed by position: `xs[0]` is the first element",
                    ),
                    e,
                )
            }
            Ty::Unknown => (self.expr(key, None), Ty::Unknown),
            other => {
                let found = self.show(other);
                self.error(
                    Diagnostic::error(
                        "charter::check::not_indexable",
                        format!("a {found} cannot be indexed with `[...]`"),
                    )
                    .with_label(b.span, format!("this is a {found}"))
                    .with_help("`[...]` looks up a key in a map or a position in a list"),
                );
                (self.expr(key, None), Ty::Unknown)
            }
        };
        Self::mk(ExprKind::Index(boxed(b), boxed(k)), ty, span)
    }

    fn braces(
        &mut self,
        entries: &[(crate::source::Spanned<ast::Key>, ast::Expr)],
        hint: Option<&Ty>,
        span: Span,
    ) -> Expr {
        let named = entries
            .iter()
            .filter(|(k, _)| matches!(k.node, ast::Key::Name(_)))
            .count();
        if named > 0 && named < entries.len() {
            self.error(
                Diagnostic::error("charter::check::mixed_braces", "mix of quoted and bare keys")
                    .with_label(span, "quoted keys make a map, bare names a record")
                    .with_help("quote every key for a map (`{\"dev\": 1}`), or none for a record (`{name: \"x\"}`)"),
            );
            return Self::bad(span);
        }
        if named == 0 {
            let elem_hint = match hint {
                Some(Ty::Map(t, _)) => Some((**t).clone()),
                _ => None,
            };
            let mut elem = Ty::Unknown;
            let mut out = Vec::new();
            let mut seen: Vec<&str> = Vec::new();
            for (k, v) in entries {
                let ast::Key::Str(key) = &k.node else {
                    continue;
                };
                if seen.contains(&key.as_str()) {
                    self.error(
                        Diagnostic::error(
                            "charter::check::duplicate",
                            format!("key `{key}` appears twice in this map"),
                        )
                        .with_label(k.span, "repeated key"),
                    );
                }
                seen.push(key);
                let h = if elem == Ty::Unknown {
                    elem_hint.clone()
                } else {
                    Some(elem.clone())
                };
                let value = self.expr(v, h.as_ref());
                match unify(&elem, &value.ty) {
                    Some(t) => elem = t,
                    None => {
                        let (a, b) = (self.show(&elem), self.show(&value.ty));
                        self.error(
                            Diagnostic::error(
                                "charter::check::mixed_map",
                                format!(
                                    "a map holds values of one type, but this one mixes {a} and {b}"
                                ),
                            )
                            .with_label(value.span, format!("this is a {b}")),
                        );
                    }
                }
                out.push((Arc::from(key.as_str()), value));
            }
            return Self::mk(ExprKind::MapLit(out), Ty::Map(Box::new(elem), false), span);
        }
        let mut fields: Vec<FieldDef> = Vec::new();
        let mut values = Vec::new();
        for (k, v) in entries {
            let ast::Key::Name(name) = &k.node else {
                continue;
            };
            if fields.iter().any(|f| &f.name == name) {
                self.error(
                    Diagnostic::error(
                        "charter::check::duplicate",
                        format!("field `{name}` appears twice in this record"),
                    )
                    .with_label(k.span, "repeated field"),
                );
                continue;
            }
            let value = self.expr(v, None);
            fields.push(FieldDef {
                name: name.clone(),
                ty: value.ty.clone(),
                optional: false,
                default: None,
                bounds: Vec::new(),
                doc: None,
                span: k.span,
            });
            values.push(value);
        }
        let id = self.cx.schema.types.len();
        let name = format!(
            "{{{}}}",
            fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.cx
            .schema
            .types
            .push(TypeDef::Record(RecordDef { name, fields, span }));
        Self::mk(ExprKind::RecordLit(id, values), Ty::Record(id), span)
    }

    /// Checks `e` and reports when it is not of type `want`.
    fn expect(&mut self, e: &ast::Expr, want: &Ty, why: &str) -> Expr {
        let x = self.expr(e, Some(want));
        if unify(&x.ty, want)
            .is_none_or(|t| &t != want && !matches!((want, &x.ty), (Ty::Float, Ty::Int)))
        {
            let (found, wanted) = (self.show(&x.ty), self.show(want));
            self.error(
                Diagnostic::error(
                    "charter::check::type_mismatch",
                    format!("expected a {wanted}, found a {found}"),
                )
                .with_label(x.span, format!("this is a {found}"))
                .with_help(why),
            );
        }
        x
    }

    fn timestamp(&mut self, s: &str, span: Span) -> Expr {
        let has_offset = s.ends_with(['Z', 'z'])
            || s.rsplit_once(['T', 't'])
                .is_some_and(|(_, time)| time.contains(['+', '-']));
        if !has_offset {
            self.error(
                Diagnostic::error(
                    "charter::check::timestamp_offset",
                    format!("timestamp `{s}` has no UTC offset"),
                )
                .with_label(span, "which time zone is this in?")
                .with_help(format!(
                    "add `Z` for UTC (`{s}Z`) or an offset such as `{s}+02:00`"
                )),
            );
            return Self::bad(span);
        }
        match crate::literal::timestamp(s) {
            Ok(t) => Self::mk(ExprKind::Const(Const::Timestamp(t)), Ty::Timestamp, span),
            Err(e) => {
                self.error(
                    Diagnostic::error(
                        "charter::check::bad_timestamp",
                        format!("`{s}` is not a valid timestamp"),
                    )
                    .with_label(span, e.to_string())
                    .with_help("write RFC 3339 timestamps such as `2026-12-20T17:00:00Z`"),
                );
                Self::bad(span)
            }
        }
    }

    fn list(&mut self, xs: &[ast::Expr], hint: Option<&Ty>, span: Span) -> Expr {
        let elem_hint = match hint {
            Some(Ty::List(t)) => Some((**t).clone()),
            _ => None,
        };
        let mut elem = Ty::Unknown;
        let mut items = Vec::new();
        for x in xs {
            let h = if elem == Ty::Unknown {
                elem_hint.clone()
            } else {
                Some(elem.clone())
            };
            let item = self.expr(x, h.as_ref());
            match unify(&elem, &item.ty) {
                Some(t) => elem = t,
                None => {
                    let (a, b) = (self.show(&elem), self.show(&item.ty));
                    self.error(
                        Diagnostic::error(
                            "charter::check::mixed_list",
                            format!(
                                "a list holds values of one type, but this one mixes {a} and {b}"
                            ),
                        )
                        .with_label(item.span, format!("this is a {b}"))
                        .with_help("make every element the same type"),
                    );
                }
            }
            items.push(item);
        }
        Self::mk(ExprKind::List(items), Ty::List(Box::new(elem)), span)
    }

    fn var(&mut self, name: &str, hint: Option<&Ty>, span: Span) -> Expr {
        if let Some(slot) = self.scope.iter().rposition(|(n, _)| &**n == name) {
            let ty = self.scope[slot].1.clone();
            return Self::mk(ExprKind::Local(slot, name.into()), ty, span);
        }
        if let Some(&id) = self.cx.def_names.get(name) {
            self.cx.defs[id].used = true;
            if self.cx.defs[id].state == DefState::InProgress {
                self.error(
                    Diagnostic::error(
                        "charter::check::cycle",
                        format!("definition `{name}` refers to itself"),
                    )
                    .with_label(span, "used here, while it is being defined")
                    .with_label(self.cx.defs[id].decl.name.span, "defined here")
                    .with_help(
                        "definitions cannot be recursive, directly or through other definitions",
                    ),
                );
                return Self::bad(span);
            }
            if let Some(params) = &self.cx.defs[id].decl.params {
                let names: Vec<&str> = params.iter().map(|p| p.name.node.as_str()).collect();
                self.error(
                    Diagnostic::error("charter::check::arity", format!("`{name}` takes arguments"))
                        .with_label(span, "called without arguments")
                        .with_help(format!("write `{name}({})`", names.join(", "))),
                );
                return Self::bad(span);
            }
            let ty = self.cx.check_def(id);
            return Self::mk(ExprKind::Def(id), ty, span);
        }
        if self.cx.has_root && name == self.cx.schema.root_name {
            return Self::mk(ExprKind::Root, Ty::Record(self.cx.schema.root), span);
        }
        if name == "now" {
            self.cx.uses_now = true;
            return Self::mk(ExprKind::Now, Ty::Timestamp, span);
        }
        // A level or enum value: resolved by the type the context expects, else by its name alone.
        if let Some(Ty::Enum(id)) = hint {
            let e = self.cx.schema.enumeration(*id);
            if let Some(i) = e.lookup(name) {
                return Self::mk(
                    ExprKind::Const(Const::Enum(*id, i as u32)),
                    Ty::Enum(*id),
                    span,
                );
            }
            let kind = if e.ordered { "level" } else { "value" };
            let help = suggest(name, e.variants.iter().map(String::as_str)).unwrap_or_else(|| {
                format!("the {kind}s of `{}` are: {}", e.name, e.variants.join(", "))
            });
            let msg = format!("`{name}` is not a {kind} of `{}`", e.name);
            self.error(
                Diagnostic::error("charter::check::unknown_variant", msg)
                    .with_label(span, format!("unknown {kind}"))
                    .with_help(help),
            );
            return Self::bad(span);
        }
        let owners: Vec<(TypeId, u32)> = self
            .cx
            .schema
            .types
            .iter()
            .enumerate()
            .filter_map(|(id, t)| match t {
                TypeDef::Enum(e) => e
                    .variants
                    .iter()
                    .position(|v| v == name)
                    .map(|i| (id, i as u32)),
                TypeDef::Record(_) => None,
            })
            .collect();
        match owners.as_slice() {
            [(id, i)] => Self::mk(ExprKind::Const(Const::Enum(*id, *i)), Ty::Enum(*id), span),
            [] => {
                let mut candidates: Vec<&str> = self.scope.iter().map(|(n, _)| &**n).collect();
                candidates.extend(self.cx.def_names.keys().map(String::as_str));
                if self.cx.has_root {
                    candidates.push(&self.cx.schema.root_name);
                }
                for t in &self.cx.schema.types {
                    if let TypeDef::Enum(e) = t {
                        candidates.extend(e.variants.iter().map(String::as_str));
                    }
                }
                let help = suggest(name, candidates.iter().copied()).unwrap_or_else(|| {
                    if self.cx.has_root {
                        format!("fields of the manifest are read through `{}`, e.g. `{}.{name}`", self.cx.schema.root_name, self.cx.schema.root_name)
                    } else {
                        "names are definitions (`let`), elements bound by `any`/`all`/`where`, or level values".into()
                    }
                });
                self.error(
                    Diagnostic::error(
                        "charter::check::unknown_name",
                        format!("unknown name `{name}`"),
                    )
                    .with_label(span, "not defined")
                    .with_help(help),
                );
                Self::bad(span)
            }
            many => {
                let types: Vec<String> = many
                    .iter()
                    .map(|(id, _)| format!("`{}`", self.cx.schema.enumeration(*id).name))
                    .collect();
                self.error(
                    Diagnostic::error(
                        "charter::check::ambiguous_value",
                        format!("`{name}` is a value of several types: {}", types.join(", ")),
                    )
                    .with_label(span, "which one?")
                    .with_help(
                        "compare it with a field of the type you mean, e.g. `change.level == name`",
                    ),
                );
                Self::bad(span)
            }
        }
    }

    fn field(&mut self, base: &ast::Expr, name: &ast::Ident, span: Span) -> Expr {
        let b = self.expr(base, None);
        match b.ty.clone() {
            Ty::Local => {
                let Some(&(_, part)) = LocalPart::ALL.iter().find(|(n, _)| *n == name.node) else {
                    let names: Vec<&str> = LocalPart::ALL.iter().map(|(n, _)| *n).collect();
                    let help = suggest(&name.node, names.iter().copied())
                        .unwrap_or_else(|| format!("a local time has: {}", names.join(", ")));
                    self.error(
                        Diagnostic::error(
                            "charter::check::unknown_field",
                            format!("a local time has no `{}`", name.node),
                        )
                        .with_label(name.span, "no such part")
                        .with_help(help),
                    );
                    return Self::bad(span);
                };
                let ty = match part {
                    LocalPart::Weekday => Ty::Enum(self.cx.schema.weekday),
                    LocalPart::Date => Ty::Date,
                    LocalPart::Time => Ty::Time,
                    _ => Ty::Int,
                };
                Self::mk(ExprKind::LocalPart(boxed(b), part), ty, span)
            }
            Ty::Record(id) => {
                let rec = self.cx.schema.record(id);
                if let Some(index) = rec.field(&name.node) {
                    let ty = rec.fields[index].ty.clone();
                    return Self::mk(
                        ExprKind::Field {
                            base: boxed(b),
                            record: id,
                            index,
                        },
                        ty,
                        span,
                    );
                }
                let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                let help = suggest(&name.node, names.iter().copied()).unwrap_or_else(|| {
                    format!("the fields of `{}` are: {}", rec.name, names.join(", "))
                });
                let msg = format!("unknown field `{}` on `{}`", name.node, rec.name);
                self.error(
                    Diagnostic::error("charter::check::unknown_field", msg)
                        .with_label(name.span, "no such field")
                        .with_help(help),
                );
                Self::bad(span)
            }
            Ty::Unknown => Self::bad(span),
            Ty::List(elem) if matches!(*elem, Ty::Record(_)) => {
                let src = self.cx_source_hint(base);
                self.error(
                    Diagnostic::error(
                        "charter::check::field_of_list",
                        format!(
                            "`.{}` reads a field of one element, but this is a list",
                            name.node
                        ),
                    )
                    .with_label(base.span, format!("a list of {}", self.show(&elem)))
                    .with_help(format!(
                        "use a quantifier, e.g. `any x in {src}: x.{}`",
                        name.node
                    )),
                );
                Self::bad(span)
            }
            other => {
                let found = self.show(&other);
                self.error(
                    Diagnostic::error(
                        "charter::check::no_fields",
                        format!("a {found} has no field `{}`", name.node),
                    )
                    .with_label(base.span, format!("this is a {found}")),
                );
                Self::bad(span)
            }
        }
    }

    fn cx_source_hint(&self, e: &ast::Expr) -> String {
        fn render(e: &ast::Expr) -> Option<String> {
            match &e.node {
                A::Var(n) => Some(n.clone()),
                A::Field(b, f) => Some(format!("{}.{}", render(b)?, f.node)),
                _ => None,
            }
        }
        render(e).unwrap_or_else(|| "...".into())
    }

    /// The collection of a quantifier or `where`, and its element type.
    fn collection(&mut self, coll: &ast::Expr, _any: bool, var: &ast::Ident) -> (Expr, Ty) {
        let c = self.expr(coll, None);
        let elem = self.element_type(&c, var);
        (c, elem)
    }

    fn element_type(&mut self, c: &Expr, var: &ast::Ident) -> Ty {
        match &c.ty {
            Ty::List(t) => (**t).clone(),
            Ty::Unknown => Ty::Unknown,
            other => {
                let found = self.show(other);
                self.error(
                    Diagnostic::error(
                        "charter::check::not_a_list",
                        format!("`{}` ranges over a list, but this is a {found}", var.node),
                    )
                    .with_label(c.span, format!("this is a {found}, not a list")),
                );
                Ty::Unknown
            }
        }
    }

    fn binary(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Expr {
        match op {
            BinOp::And | BinOp::Or => {
                let why = format!("both sides of `{}` are conditions", op.as_str());
                let a = self.expect(l, &Ty::Bool, &why);
                let b = self.expect(r, &Ty::Bool, &why);
                let kind = if op == BinOp::And {
                    ExprKind::And(boxed(a), boxed(b))
                } else {
                    ExprKind::Or(boxed(a), boxed(b))
                };
                Self::mk(kind, Ty::Bool, span)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.compare(op, l, r, span)
            }
            BinOp::In => {
                let bare = |e: &ast::Expr| matches!(e.node, A::Var(_));
                let (a, b) = if bare(l) {
                    let b = self.expr(r, None);
                    let hint = match &b.ty {
                        Ty::List(t) => Some((**t).clone()),
                        _ => None,
                    };
                    (self.expr(l, hint.as_ref()), b)
                } else {
                    let a = self.expr(l, None);
                    let b = self.expr(r, Some(&Ty::List(Box::new(a.ty.clone()))));
                    (a, b)
                };
                let (a, b) = meet_identity(a, b);
                match &b.ty {
                    Ty::List(elem) if unify(elem, &a.ty).is_some() => {}
                    Ty::Map(..) if stringy(&a.ty) || matches!(a.ty, Ty::Enum(_)) => {}
                    Ty::Unknown => {}
                    t if stringy(t) && stringy(&a.ty) => {
                        self.error(
                            Diagnostic::error(
                                "charter::check::in_string",
                                "`in` tests membership in a list, not in a string",
                            )
                            .with_label(span, "a string on the right")
                            .with_help("to test for a substring, use `contains(text, part)`"),
                        );
                    }
                    other => {
                        let (x, y) = (self.show(&a.ty), self.show(other));
                        self.error(
                            Diagnostic::error(
                                "charter::check::type_mismatch",
                                format!("cannot test whether a {x} is in a {y}"),
                            )
                            .with_label(a.span, format!("this is a {x}"))
                            .with_label(b.span, format!("this is a {y}"))
                            .with_help(format!("`x in xs` needs a list of {x} on the right")),
                        );
                    }
                }
                Self::mk(ExprKind::In(boxed(a), boxed(b)), Ty::Bool, span)
            }
            BinOp::Matches => {
                let a = self.expr(l, None);
                if !matches!(a.ty, Ty::Path | Ty::Unknown) {
                    let found = self.show(&a.ty);
                    let mut d = Diagnostic::error(
                        "charter::check::type_mismatch",
                        format!("`matches` tests a path, found a {found}"),
                    )
                    .with_label(a.span, format!("this is a {found}"));
                    d = d.with_help(if a.ty == Ty::Str {
                        "declare the field as `path` (`files: [path]`): a manifest path is then refused unless it is in its one normal spelling, so `src//auth/x.rs` cannot slip past `src/auth/**`".to_string()
                    } else {
                        "`matches` tests a path against a glob pattern".to_string()
                    });
                    self.error(d);
                }
                let A::Str(pattern) = &r.node else {
                    let _ = self.expr(r, None);
                    self.error(
                        Diagnostic::error(
                            "charter::check::glob_literal",
                            "the pattern after `matches` must be a string literal",
                        )
                        .with_label(r.span, "not a literal")
                        .with_help(
                            "write the glob in the policy, e.g. `f matches \"src/auth/**\"`",
                        ),
                    );
                    return Self::bad(span);
                };
                if let Some(rest) = pattern.strip_prefix('!') {
                    // gitignore's negation; here it would silently be a literal `!`.
                    self.error(
                        Diagnostic::error(
                            "charter::check::glob_negation",
                            format!("`!` cannot negate a glob pattern: `{pattern}`"),
                        )
                        .with_label(r.span, "a leading `!` excludes paths in .gitignore, not here")
                        .with_help(format!(
                            "negate the test instead: `not (f matches \"{rest}\")`; a file whose name starts with `!` is written `\\!`"
                        )),
                    );
                    return Self::bad(span);
                }
                match crate::glob::Glob::new(pattern) {
                    Ok(g) => Self::mk(ExprKind::Matches(boxed(a), Arc::new(g)), Ty::Bool, span),
                    Err(msg) => {
                        self.error(
                            Diagnostic::error("charter::check::bad_glob", format!("invalid glob pattern `{pattern}`"))
                                .with_label(r.span, msg)
                                .with_help("globs use `*`, `?`, `**` and `[abc]`; see the README for the rules"),
                        );
                        Self::bad(span)
                    }
                }
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => self.arith(op, l, r, span),
            BinOp::Default => {
                let a = self.expr(l, None);
                let b = self.expr(r, Some(&a.ty));
                let ty = unify(&a.ty, &b.ty).unwrap_or_else(|| {
                    let (x, y) = (self.show(&a.ty), self.show(&b.ty));
                    self.error(
                        Diagnostic::error(
                            "charter::check::type_mismatch",
                            format!("the default after `??` is a {y}, but the value is a {x}"),
                        )
                        .with_label(b.span, format!("this is a {y}"))
                        .with_help(format!("give a default of the same type: a {x}")),
                    );
                    Ty::Unknown
                });
                Self::mk(ExprKind::Default(boxed(a), boxed(b)), ty, span)
            }
            BinOp::Regex => {
                let a = self.expect(
                    l,
                    &Ty::Str,
                    "`=~` searches a string with a regular expression",
                );
                let A::Str(pattern) = &r.node else {
                    let _ = self.expr(r, None);
                    self.error(
                        Diagnostic::error("charter::check::regex_literal", "the pattern after `=~` must be a string literal")
                            .with_label(r.span, "not a literal")
                            .with_help("write the regular expression in the policy, e.g. `change.title =~ \"^(feat|fix):\"`"),
                    );
                    return Self::bad(span);
                };
                match crate::re::compile(pattern) {
                    Ok(re) => Self::mk(
                        ExprKind::Regex(boxed(a), Arc::new(re), pattern.as_str().into()),
                        Ty::Bool,
                        span,
                    ),
                    Err(msg) => {
                        self.error(
                            Diagnostic::error(
                                "charter::check::bad_regex",
                                format!("invalid regular expression `{pattern}`"),
                            )
                            .with_label(r.span, msg)
                            .with_help("patterns use Go's RE2 syntax, as policy-bot does"),
                        );
                        Self::bad(span)
                    }
                }
            }
        }
    }

    fn compare(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Expr {
        let bare = |e: &ast::Expr| matches!(e.node, A::Var(_) | A::List(_));
        let (a, b) = if bare(l) && !bare(r) {
            let b = self.expr(r, None);
            let a = self.expr(l, Some(&b.ty));
            (a, b)
        } else {
            let a = self.expr(l, None);
            let b = self.expr(r, Some(&a.ty));
            (a, b)
        };
        let (a, b) = meet_identity(a, b);
        let cmp = match op {
            BinOp::Eq => CmpOp::Eq,
            BinOp::Ne => CmpOp::Ne,
            BinOp::Lt => CmpOp::Lt,
            BinOp::Le => CmpOp::Le,
            BinOp::Gt => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let ordering = !matches!(cmp, CmpOp::Eq | CmpOp::Ne);
        match unify(&a.ty, &b.ty) {
            None => {
                let (x, y) = (self.show(&a.ty), self.show(&b.ty));
                let mut d = Diagnostic::error(
                    "charter::check::type_mismatch",
                    format!("cannot compare a {x} with a {y}"),
                )
                .with_label(a.span, format!("this is a {x}"))
                .with_label(b.span, format!("this is a {y}"));
                for (enum_side, str_side) in [(&a, r), (&b, l)] {
                    if let (Ty::Enum(id), A::Str(s)) = (&enum_side.ty, &str_side.node) {
                        let e = self.cx.schema.enumeration(*id);
                        let kind = if e.ordered { "level" } else { "value" };
                        d = d.with_help(match did_you_mean(s, e.variants.iter().map(String::as_str)) {
                            Some(v) => format!("{kind}s are written without quotes: `{v}`"),
                            None => format!("{kind}s are written without quotes; the {kind}s of `{}` are: {}", e.name, e.variants.join(", ")),
                        });
                    }
                }
                self.error(d);
            }
            Some(t) if ordering => {
                let ok = self.ordered(&t);
                if !ok {
                    let x = self.show(&t);
                    let help = match &t {
                        Ty::Enum(_) => format!(
                            "declare `{x}` with `levels` instead of `enum` to give its values an order"
                        ),
                        Ty::List(_) => "compare their sizes with `count(...)`".to_string(),
                        _ => {
                            "only numbers, durations, timestamps, strings and levels have an order"
                                .to_string()
                        }
                    };
                    self.error(
                        Diagnostic::error(
                            "charter::check::not_ordered",
                            match &t {
                                Ty::Enum(_) => format!("`{}` needs an order, but `{x}` is an enum: its values have none", cmp.as_str()),
                                _ => format!("`{}` needs an order, and a {x} has none", cmp.as_str()),
                            },
                        )
                        .with_label(span, format!("comparing {x} values"))
                        .with_help(help),
                    );
                }
            }
            Some(_) => {}
        }
        Self::mk(ExprKind::Compare(cmp, boxed(a), boxed(b)), Ty::Bool, span)
    }

    fn arith(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Expr {
        let a = self.expr(l, None);
        let b = self.expr(r, None);
        use Ty::*;
        let ty = match (op, &a.ty, &b.ty) {
            (_, Unknown, _) | (_, _, Unknown) => Some(Unknown),
            (BinOp::Div, Int | Float, Int | Float) => Some(Float),
            (_, Int, Int) => Some(Int),
            (_, Int | Float, Int | Float) => Some(Float),
            (BinOp::Add, a, b) if stringy(a) && stringy(b) => Some(Str),
            (BinOp::Add, List(x), List(y)) => unify(x, y).map(|t| List(Box::new(t))),
            (BinOp::Add | BinOp::Sub, Duration, Duration) => Some(Duration),
            (BinOp::Add | BinOp::Sub, Timestamp, Duration) => Some(Timestamp),
            (BinOp::Add, Duration, Timestamp) => Some(Timestamp),
            (BinOp::Sub, Timestamp, Timestamp) => Some(Duration),
            (BinOp::Mul, Duration, Int)
            | (BinOp::Mul, Int, Duration)
            | (BinOp::Div, Duration, Int) => Some(Duration),
            _ => None,
        };
        let ty = ty.unwrap_or_else(|| {
            let (x, y) = (self.show(&a.ty), self.show(&b.ty));
            let help = match (&a.ty, &b.ty) {
                (List(_), _) | (_, List(_)) => "arithmetic works on numbers; count a list with `count(...)`".to_string(),
                _ => "arithmetic works on numbers, durations and timestamps (timestamp - timestamp is a duration)".to_string(),
            };
            self.error(
                Diagnostic::error("charter::check::type_mismatch", format!("cannot apply `{}` to a {x} and a {y}", op.as_str()))
                    .with_label(a.span, format!("this is a {x}"))
                    .with_label(b.span, format!("this is a {y}"))
                    .with_help(help),
            );
            Unknown
        });
        let aop = match op {
            BinOp::Add => ArithOp::Add,
            BinOp::Sub => ArithOp::Sub,
            BinOp::Mul => ArithOp::Mul,
            _ => ArithOp::Div,
        };
        Self::mk(ExprKind::Arith(aop, boxed(a), boxed(b)), ty, span)
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        if name.node == "has" {
            return self.has(args, span);
        }
        if name.node == "local" && !self.cx.def_names.contains_key("local") {
            return self.local(args, span);
        }
        if let Some(&id) = self.cx.def_names.get(&name.node)
            && self.cx.defs[id].decl.params.is_some()
        {
            return self.apply(id, name, args, span);
        }
        let Some(&(_, f)) = Builtin::ALL.iter().find(|(n, _)| *n == name.node) else {
            let mut names: Vec<&str> = Builtin::ALL.iter().map(|(n, _)| *n).collect();
            names.push("has");
            let help = if self.cx.def_names.contains_key(&name.node) {
                format!(
                    "`{}` is a definition, not a function: write `{}` without parentheses",
                    name.node, name.node
                )
            } else {
                suggest(&name.node, names.iter().copied())
                    .unwrap_or_else(|| format!("the functions are: {}", names.join(", ")))
            };
            self.error(
                Diagnostic::error(
                    "charter::check::unknown_function",
                    format!("unknown function `{}`", name.node),
                )
                .with_label(name.span, "not a function")
                .with_help(help),
            );
            return Self::bad(span);
        };
        let mut args: Vec<Expr> = args.iter().map(|a| self.expr(a, None)).collect();
        if f == Builtin::Contains && args.len() == 2 {
            let b = args.pop().expect("two arguments");
            let a = args.pop().expect("two arguments");
            let (a, b) = meet_identity(a, b);
            args = vec![a, b];
        }
        let ty = self.signature(f, &args, name, span);
        Self::mk(ExprKind::Call(f, args), ty, span)
    }

    fn arity(&mut self, f: Builtin, args: &[Expr], want: usize, usage: &str, span: Span) -> bool {
        if args.len() == want {
            return true;
        }
        self.error(
            Diagnostic::error(
                "charter::check::arity",
                format!(
                    "`{}` takes {want} argument{}, found {}",
                    f.name(),
                    if want == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .with_label(span, "wrong number of arguments")
            .with_help(format!("write `{usage}`")),
        );
        false
    }

    fn wrong_arg(&mut self, f: Builtin, arg: &Expr, want: &str) -> Ty {
        if arg.ty == Ty::Unknown {
            return Ty::Unknown;
        }
        let found = self.show(&arg.ty);
        self.error(
            Diagnostic::error(
                "charter::check::type_mismatch",
                format!("`{}` expects {want}, found a {found}", f.name()),
            )
            .with_label(arg.span, format!("this is a {found}")),
        );
        Ty::Unknown
    }

    fn signature(&mut self, f: Builtin, args: &[Expr], _name: &ast::Ident, span: Span) -> Ty {
        use Builtin::*;
        match f {
            Count => {
                if !self.arity(f, args, 1, "count(list)", span) {
                    return Ty::Int;
                }
                match &args[0].ty {
                    Ty::List(_) | Ty::Map(..) => Ty::Int,
                    t if stringy(t) => Ty::Int,
                    _ => {
                        self.wrong_arg(f, &args[0], "a list");
                        Ty::Int
                    }
                }
            }
            Sum => {
                if !self.arity(f, args, 1, "sum(list)", span) {
                    return Ty::Unknown;
                }
                match &args[0].ty {
                    Ty::List(t)
                        if matches!(**t, Ty::Int | Ty::Float | Ty::Duration | Ty::Unknown) =>
                    {
                        if **t == Ty::Unknown {
                            Ty::Int
                        } else {
                            (**t).clone()
                        }
                    }
                    Ty::Unknown => Ty::Unknown,
                    _ => self.wrong_arg(f, &args[0], "a list of numbers or durations"),
                }
            }
            Min | Max => {
                if args.len() == 1 {
                    match &args[0].ty {
                        Ty::List(t) => (**t).clone(),
                        Ty::Unknown => Ty::Unknown,
                        _ => self.wrong_arg(f, &args[0], "a list, or two or more values"),
                    }
                } else if args.len() >= 2 {
                    let mut t = Ty::Unknown;
                    for a in args {
                        match unify(&t, &a.ty) {
                            Some(u) => t = u,
                            None => return self.wrong_arg(f, a, "values of one type"),
                        }
                    }
                    t
                } else {
                    self.arity(f, args, 1, &format!("{}(list)", f.name()), span);
                    Ty::Unknown
                }
            }
            Distinct => {
                if !self.arity(f, args, 1, "distinct(list)", span) {
                    return Ty::Unknown;
                }
                match &args[0].ty {
                    t @ (Ty::List(_) | Ty::Unknown) => t.clone(),
                    _ => self.wrong_arg(f, &args[0], "a list"),
                }
            }
            Lower | Upper | Trim => {
                if self.arity(f, args, 1, &format!("{}(text)", f.name()), span)
                    && !stringy(&args[0].ty)
                {
                    self.wrong_arg(f, &args[0], "a string");
                }
                Ty::Str
            }
            StartsWith | EndsWith => {
                if self.arity(f, args, 2, &format!("{}(text, part)", f.name()), span) {
                    for a in args {
                        if !stringy(&a.ty) {
                            self.wrong_arg(f, a, "strings");
                        }
                    }
                }
                Ty::Bool
            }
            Contains => {
                if self.arity(
                    f,
                    args,
                    2,
                    "contains(text, part) or contains(list, value)",
                    span,
                ) {
                    match (&args[0].ty, &args[1].ty) {
                        (Ty::Unknown, _) | (_, Ty::Unknown) => {}
                        (x, y) if stringy(x) && stringy(y) => {}
                        (Ty::List(e), t) if unify(e, t).is_some() => {}
                        _ => {
                            self.wrong_arg(
                                f,
                                &args[1],
                                "a string in a string, or an element of the list",
                            );
                        }
                    }
                }
                Ty::Bool
            }
            First | Last => {
                if !self.arity(f, args, 1, &format!("{}(list)", f.name()), span) {
                    return Ty::Unknown;
                }
                match &args[0].ty {
                    Ty::List(t) => (**t).clone(),
                    Ty::Unknown => Ty::Unknown,
                    _ => self.wrong_arg(f, &args[0], "a list"),
                }
            }
            Keys | Values => {
                if !self.arity(f, args, 1, &format!("{}(map)", f.name()), span) {
                    return Ty::Unknown;
                }
                match &args[0].ty {
                    Ty::Map(t, _) => {
                        Ty::List(Box::new(if f == Keys { Ty::Str } else { (**t).clone() }))
                    }
                    Ty::Unknown => Ty::Unknown,
                    _ => self.wrong_arg(f, &args[0], "a map"),
                }
            }
            String => {
                self.arity(f, args, 1, "string(value)", span);
                Ty::Str
            }
            Split => {
                if self.arity(f, args, 2, "split(text, separator)", span) {
                    for a in args {
                        if !stringy(&a.ty) {
                            self.wrong_arg(f, a, "strings");
                        }
                    }
                }
                Ty::List(Box::new(Ty::Str))
            }
            Nfc => {
                if self.arity(f, args, 1, "nfc(text)", span) && !stringy(&args[0].ty) {
                    self.wrong_arg(f, &args[0], "a string");
                }
                Ty::Str
            }
            Identity => {
                if self.arity(f, args, 1, "identity(text)", span) && !stringy(&args[0].ty) {
                    self.wrong_arg(f, &args[0], "a string");
                }
                Ty::Identity
            }
            Abs => {
                if !self.arity(f, args, 1, "abs(number)", span) {
                    return Ty::Unknown;
                }
                match &args[0].ty {
                    t @ (Ty::Int | Ty::Float | Ty::Duration | Ty::Unknown) => t.clone(),
                    _ => self.wrong_arg(f, &args[0], "a number or a duration"),
                }
            }
        }
    }

    /// A call of a parameterised definition: its body is checked with the arguments' types.
    fn apply(&mut self, id: DefId, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        self.cx.defs[id].used = true;
        let decl = self.cx.defs[id].decl;
        let params = decl.params.as_deref().unwrap_or(&[]);
        let args: Vec<Expr> = args.iter().map(|a| self.expr(a, None)).collect();
        if args.len() != params.len() {
            let names: Vec<&str> = params.iter().map(|p| p.name.node.as_str()).collect();
            self.error(
                Diagnostic::error(
                    "charter::check::arity",
                    format!(
                        "`{}` takes {} argument{}, found {}",
                        name.node,
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_label(span, "wrong number of arguments")
                .with_label(decl.name.span, "defined here")
                .with_help(format!("write `{}({})`", name.node, names.join(", "))),
            );
            return Self::bad(span);
        }
        self.cx.expansions += 1;
        if self.cx.expansions > MAX_EXPANSIONS {
            if self.cx.expansions == MAX_EXPANSIONS + 1 {
                self.error(
                    Diagnostic::error("charter::check::too_many_expansions", format!("definitions expand into more than {MAX_EXPANSIONS} calls"))
                        .with_label(span, "the limit is reached at this call")
                        .with_help("parameterised definitions that call others several times multiply; compute shared parts once with a plain `let`"),
                );
            }
            return Self::bad(span);
        }
        if self.cx.defs[id].expanding {
            self.error(
                Diagnostic::error(
                    "charter::check::cycle",
                    format!("definition `{}` refers to itself", name.node),
                )
                .with_label(span, "used here, while it is being defined")
                .with_label(decl.name.span, "defined here")
                .with_help(
                    "definitions cannot be recursive, directly or through other definitions",
                ),
            );
            return Self::bad(span);
        }
        let mut scope = Vec::new();
        for (p, a) in params.iter().zip(&args) {
            let ty = match &p.ty {
                Some(t) => {
                    let want = self.cx.type_expr(t, &p.name.node);
                    if unify(&want, &a.ty).is_none() {
                        let (x, y) = (self.show(&want), self.show(&a.ty));
                        self.error(
                            Diagnostic::error(
                                "charter::check::type_mismatch",
                                format!(
                                    "`{}` expects a {x} for `{}`, found a {y}",
                                    name.node, p.name.node
                                ),
                            )
                            .with_label(a.span, format!("this is a {y}"))
                            .with_label(p.name.span, format!("declared as a {x}")),
                        );
                    }
                    want
                }
                None => a.ty.clone(),
            };
            scope.push((Arc::from(p.name.node.as_str()), ty));
        }
        self.cx.defs[id].expanding = true;
        let body = ExprChecker::with_scope(self.cx, scope).expr(&decl.body, None);
        self.cx.defs[id].expanding = false;
        let ty = body.ty.clone();
        Self::mk(
            ExprKind::Apply {
                def: id,
                args,
                body: boxed(body),
            },
            ty,
            span,
        )
    }

    /// `local(t, "Europe/Berlin")`: the zone is a literal, checked against the bundled database.
    fn local(&mut self, args: &[ast::Expr], span: Span) -> Expr {
        let [t, zone] = args else {
            self.error(
                Diagnostic::error(
                    "charter::check::arity",
                    format!("`local` takes 2 arguments, found {}", args.len()),
                )
                .with_label(span, "wrong number of arguments")
                .with_help("write `local(change.created_at, \"Europe/Berlin\")`"),
            );
            return Self::bad(span);
        };
        let t = self.expect(
            t,
            &Ty::Timestamp,
            "`local` shows a timestamp in a time zone",
        );
        let A::Str(name) = &zone.node else {
            self.error(
                Diagnostic::error(
                    "charter::check::zone_literal",
                    "the time zone must be a string literal",
                )
                .with_label(zone.span, "not a literal")
                .with_help("write an IANA zone name such as \"Europe/Berlin\" or \"UTC\""),
            );
            return Self::bad(span);
        };
        match jiff::tz::TimeZone::get(name) {
            Ok(tz) => Self::mk(ExprKind::ToLocal(boxed(t), tz), Ty::Local, span),
            Err(_) => {
                let names: Vec<String> =
                    jiff::tz::db().available().map(|n| n.to_string()).collect();
                let help = suggest(name, names.iter().map(String::as_str))
                    .unwrap_or_else(|| "use an IANA zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"".into());
                self.error(
                    Diagnostic::error(
                        "charter::check::unknown_zone",
                        format!("unknown time zone `{name}`"),
                    )
                    .with_label(zone.span, "not in the time zone database")
                    .with_help(help),
                );
                Self::bad(span)
            }
        }
    }

    fn has(&mut self, args: &[ast::Expr], span: Span) -> Expr {
        let [arg] = args else {
            self.error(
                Diagnostic::error(
                    "charter::check::arity",
                    format!("`has` takes 1 argument, found {}", args.len()),
                )
                .with_label(span, "wrong number of arguments")
                .with_help("write `has(change.field)`"),
            );
            return Self::bad(span);
        };
        if !matches!(arg.node, A::Field(..)) {
            self.error(
                Diagnostic::error(
                    "charter::check::has_path",
                    "`has` tests whether a field is present, so it takes a field path",
                )
                .with_label(arg.span, "not a field path")
                .with_help("write e.g. `has(change.author.team)`"),
            );
            return Self::bad(span);
        }
        let path = self.expr(arg, None);
        Self::mk(ExprKind::Has(boxed(path)), Ty::Bool, span)
    }
}

/// Whether an expression reads nothing from the manifest, the clock or a definition.
pub(super) fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Const(_) => true,
        ExprKind::List(xs) => xs.iter().all(is_constant),
        ExprKind::MapLit(kvs) => kvs.iter().all(|(_, v)| is_constant(v)),
        ExprKind::RecordLit(_, vs) => vs.iter().all(is_constant),
        ExprKind::Neg(x) => is_constant(x),
        ExprKind::Arith(_, a, b) => is_constant(a) && is_constant(b),
        _ => false,
    }
}
