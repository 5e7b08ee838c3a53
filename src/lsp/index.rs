//! Every place a name is declared or used, from the syntax tree (declarations, type names in
//! fields) and the checked program (definitions, fields, levels and the manifest in
//! expressions): what go-to-definition, find-references and hover look up.

use std::collections::{HashMap, HashSet};

use crate::check::ir::{self, Const, ExprKind, Program, TypeDef, TypeId};
use crate::source::Span;
use crate::syntax::ast::{self, Item, TypeKind};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    Def(String),
    /// A record, levels or enum type, or the manifest, by its declared name.
    Type(String),
    /// A field of a record type (named or inline).
    Field(TypeId, String),
    /// A value of a levels or enum type.
    Variant(TypeId, String),
    Policy(String),
}

#[derive(Clone, Debug)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub span: Span,
    pub decl: bool,
}

struct Builder<'a> {
    program: &'a Program,
    /// Types by the span the checker gave them (a declaration's name, an inline type's extent).
    by_span: HashMap<Span, TypeId>,
    /// The names a type expression can refer to (declared records, levels and enums).
    declared: HashSet<&'a str>,
    out: Vec<Occurrence>,
}

pub fn occurrences(items: &[Item], program: &Program) -> Vec<Occurrence> {
    let by_span = program
        .schema
        .types
        .iter()
        .enumerate()
        .map(|(id, t)| {
            let span = match t {
                TypeDef::Record(r) => r.span,
                TypeDef::Enum(e) => e.span,
            };
            (span, id)
        })
        .collect();
    let declared = program
        .schema
        .types
        .iter()
        .filter_map(|t| match t {
            TypeDef::Record(r) => Some(r.name.as_str()),
            TypeDef::Enum(e) => (e.span != Span::default()).then_some(e.name.as_str()),
        })
        .collect();
    let mut b = Builder {
        program,
        by_span,
        declared,
        out: Vec::new(),
    };
    for item in items {
        b.item(item);
    }
    for def in &program.defs {
        b.expr(&def.body);
    }
    for p in &program.policies {
        for e in p.conditions() {
            b.expr(e);
        }
        for t in p.templates() {
            for part in &t.parts {
                if let ir::TemplatePart::Expr(e) = part {
                    b.expr(e);
                }
            }
        }
    }
    for t in &program.schema.types {
        if let TypeDef::Record(r) = t {
            for f in &r.fields {
                if let Some(d) = &f.default {
                    b.expr(d);
                }
            }
        }
    }
    b.out
}

impl Builder<'_> {
    fn push(&mut self, symbol: Symbol, span: Span, decl: bool) {
        self.out.push(Occurrence { symbol, span, decl });
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Levels(d) | Item::Enum(d) => {
                self.push(Symbol::Type(d.name.node.clone()), d.name.span, true);
                let id = self.by_span.get(&d.name.span).copied();
                self.variants(id, &d.variants);
            }
            Item::Record(d) | Item::Manifest(d) => {
                self.push(Symbol::Type(d.name.node.clone()), d.name.span, true);
                let id = self.by_span.get(&d.name.span).copied();
                self.fields(id, &d.fields);
            }
            Item::Let(d) => {
                self.push(Symbol::Def(d.name.node.clone()), d.name.span, true);
                for p in d.params.iter().flatten() {
                    if let Some(t) = &p.ty {
                        self.type_expr(t);
                    }
                }
            }
            Item::Policy(d) => self.push(Symbol::Policy(d.name.node.clone()), d.name.span, true),
        }
    }

    fn variants(&mut self, id: Option<TypeId>, vs: &[ast::Variant]) {
        let Some(id) = id else { return };
        for v in vs {
            self.push(Symbol::Variant(id, v.name.node.clone()), v.name.span, true);
        }
    }

    fn fields(&mut self, id: Option<TypeId>, fs: &[ast::FieldDecl]) {
        for f in fs {
            if let Some(id) = id {
                self.push(Symbol::Field(id, f.name.node.clone()), f.name.span, true);
            }
            self.type_expr(&f.ty);
        }
    }

    fn type_expr(&mut self, t: &ast::TypeExpr) {
        match &t.kind {
            TypeKind::Named(n) => {
                if self.declared.contains(n.node.as_str()) {
                    self.push(Symbol::Type(n.node.clone()), n.span, false);
                }
            }
            TypeKind::List(t) | TypeKind::Map(t, _) => self.type_expr(t),
            TypeKind::Record(fs) => {
                let id = self.by_span.get(&t.span).copied();
                self.fields(id, fs);
            }
            TypeKind::Enum(vs, _) | TypeKind::Levels(vs, _) => {
                let id = self.by_span.get(&t.span).copied();
                self.variants(id, vs);
            }
        }
    }

    fn expr(&mut self, e: &ir::Expr) {
        let schema = &self.program.schema;
        match &e.kind {
            ExprKind::Def(id) => {
                if let Some(d) = self.program.defs.get(*id) {
                    self.push(Symbol::Def(d.name.clone()), e.span, false);
                }
            }
            ExprKind::Apply { def, .. } => {
                if let Some(d) = self.program.defs.get(*def) {
                    let span = Span {
                        end: e.span.start + d.name.len() as u32,
                        ..e.span
                    };
                    self.push(Symbol::Def(d.name.clone()), span, false);
                }
            }
            ExprKind::Field { record, index, .. } => {
                if let Some(TypeDef::Record(r)) = schema.types.get(*record)
                    && let Some(f) = r.fields.get(*index)
                {
                    let span = Span {
                        start: e.span.end.saturating_sub(f.name.len() as u32),
                        ..e.span
                    };
                    self.push(Symbol::Field(*record, f.name.clone()), span, false);
                }
            }
            ExprKind::Const(Const::Enum(id, i)) => {
                if let Some(TypeDef::Enum(en)) = schema.types.get(*id)
                    && let Some(v) = en.variants.get(*i as usize)
                {
                    self.push(Symbol::Variant(*id, v.clone()), e.span, false);
                }
            }
            ExprKind::Root => {
                self.push(Symbol::Type(schema.root_name.clone()), e.span, false);
            }
            _ => {}
        }
        for c in children(e) {
            self.expr(c);
        }
    }
}

/// The sub-expressions of `e` written where `e` is (not the body a call of a parameterised
/// definition expands to, which is written in the definition).
pub fn children(e: &ir::Expr) -> Vec<&ir::Expr> {
    match &e.kind {
        ExprKind::Const(_)
        | ExprKind::Root
        | ExprKind::Local(..)
        | ExprKind::Def(_)
        | ExprKind::Now => Vec::new(),
        ExprKind::List(xs) | ExprKind::Call(_, xs) | ExprKind::RecordLit(_, xs) => {
            xs.iter().collect()
        }
        ExprKind::Apply { args, .. } => args.iter().collect(),
        ExprKind::MapLit(kvs) => kvs.iter().map(|(_, v)| v).collect(),
        ExprKind::Field { base: x, .. }
        | ExprKind::Not(x)
        | ExprKind::Neg(x)
        | ExprKind::Matches(x, _)
        | ExprKind::Has(x)
        | ExprKind::Regex(x, ..)
        | ExprKind::ToLocal(x, _)
        | ExprKind::LocalPart(x, _) => vec![x],
        ExprKind::And(a, b)
        | ExprKind::Or(a, b)
        | ExprKind::Compare(_, a, b)
        | ExprKind::Arith(_, a, b)
        | ExprKind::In(a, b)
        | ExprKind::Index(a, b)
        | ExprKind::Default(a, b) => vec![a, b],
        ExprKind::Quant { coll, body, .. }
        | ExprKind::QuantMap { coll, body, .. }
        | ExprKind::Where { coll, body, .. }
        | ExprKind::MapOp { coll, body, .. } => vec![coll, body],
        ExprKind::By { coll, key, .. } | ExprKind::DistinctBy { coll, key, .. } => vec![coll, key],
        ExprKind::If(a, b, c) => vec![a, b, c],
    }
}

/// Every checked expression of the program (policies, definitions, field defaults).
pub fn roots(program: &Program) -> Vec<&ir::Expr> {
    let mut out: Vec<&ir::Expr> = program.defs.iter().map(|d| &d.body).collect();
    for p in &program.policies {
        out.extend(p.conditions());
        for t in p.templates() {
            out.extend(t.parts.iter().filter_map(|part| match part {
                ir::TemplatePart::Expr(e) => Some(e),
                ir::TemplatePart::Text(_) => None,
            }));
        }
    }
    for t in &program.schema.types {
        if let TypeDef::Record(r) = t {
            out.extend(r.fields.iter().filter_map(|f| f.default.as_ref()));
        }
    }
    out
}

/// The smallest checked expression whose span satisfies `hit`.
pub fn smallest<'p>(program: &'p Program, hit: &dyn Fn(Span) -> bool) -> Option<&'p ir::Expr> {
    let mut best: Option<&ir::Expr> = None;
    let mut todo = roots(program);
    while let Some(e) = todo.pop() {
        if hit(e.span) && best.is_none_or(|b| e.span.len() < b.span.len()) {
            best = Some(e);
        }
        todo.extend(children(e));
    }
    best
}
