//! AST -> checked [`ir::Program`]: resolves the declared schema, names and types across every file
//! of a policy set, and reports every problem it finds (never stops at the first).
//! A program is returned only when there are no errors: nothing evaluates a broken policy set.

mod expr;
pub mod ir;
pub mod waivers;

use std::collections::HashMap;

use crate::diag::{Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::ast::{self, Clause, Item, Severity, TypeKind};
use ir::*;

/// The result of checking: a program when there were no errors, and every diagnostic.
pub struct Checked {
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
}

const PRIMITIVES: [&str; 10] = [
    "bool",
    "int",
    "float",
    "string",
    "path",
    "identity",
    "timestamp",
    "duration",
    "date",
    "time",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub fn check(files: &[&ast::PolicyFile]) -> Checked {
    check_with_waivers(files, &[])
}

/// [`check`], with the waivers of a waiver file checked against the policy set: each names a
/// policy of the set, and its condition types like a clause.
pub fn check_with_waivers(files: &[&ast::PolicyFile], waivers: &[waivers::WaiverDecl]) -> Checked {
    let (program, diagnostics) = analyze_with_waivers(files, waivers);
    let has_errors = diagnostics
        .iter()
        .any(|d| d.level == crate::diag::Level::Error);
    Checked {
        program: (!has_errors).then_some(program),
        diagnostics,
    }
}

/// Like [`check`], but returns the program even when there are errors, with unknown types where
/// checking failed: for tools that explain a policy set while it is being written (the language
/// server's hover, definitions and completion). Never evaluate it.
pub fn analyze(files: &[&ast::PolicyFile]) -> (Program, Vec<Diagnostic>) {
    analyze_with_waivers(files, &[])
}

/// [`analyze`], with the waivers of a waiver file checked against the set (as
/// [`check_with_waivers`] does).
pub fn analyze_with_waivers(
    files: &[&ast::PolicyFile],
    waiver_decls: &[waivers::WaiverDecl],
) -> (Program, Vec<Diagnostic>) {
    let mut cx = Checker::default();
    let items: Vec<&Item> = files.iter().flat_map(|f| f.items.iter()).collect();
    cx.builtin_types();
    cx.declare_types(&items);
    cx.define_types(&items);
    cx.find_manifest(&items);
    cx.check_defaults();
    cx.declare_defs(&items);
    cx.check_defs();
    let policies = cx.check_policies(&items);
    let waivers = cx.check_waivers(waiver_decls, &policies);
    cx.warn_unused_defs();
    dedup(&mut cx.diags);
    for d in &mut cx.diags {
        d.message = articles(&d.message);
        for l in &mut d.labels {
            l.text = articles(&l.text);
        }
    }
    let defs = cx
        .defs
        .into_iter()
        .map(|d| Def {
            name: d.decl.name.node.clone(),
            doc: d.decl.doc.clone(),
            body: d.body.unwrap_or_else(|| unknown_expr(d.decl.span)),
            span: d.decl.span,
        })
        .collect();
    let program = Program {
        uses_now: cx.uses_now,
        schema: cx.schema,
        defs,
        policies,
        waivers,
    };
    (program, cx.diags)
}

/// Messages are built as "a {type}"; types that start with a vowel sound take "an".
fn articles(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("a ") {
        let boundary =
            i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '`');
        let next = rest[i + 2..].chars().next();
        out.push_str(&rest[..i]);
        if boundary
            && next.is_some_and(|c| "aeiouAEIOU".contains(c))
            && !rest[i + 2..].starts_with("unique")
        {
            out.push_str("an ");
        } else {
            out.push_str("a ");
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// A parameterised definition checked at several call sites reports a mistake in its body once.
/// Linear: a set of 200,000 definitions has as many diagnostics.
fn dedup(diags: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashSet<Diagnostic> =
        std::collections::HashSet::with_capacity(diags.len());
    diags.retain(|d| seen.insert(d.clone()));
}

fn unknown_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Bool(false)),
        ty: Ty::Unknown,
        span,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum DefState {
    Unchecked,
    InProgress,
    Done,
}

struct DefSlot<'a> {
    decl: &'a ast::LetDecl,
    state: DefState,
    body: Option<Expr>,
    used: bool,
    /// Set while a call of this parameterised definition is being checked (finds recursion).
    expanding: bool,
}

#[derive(Default)]
struct Checker<'a> {
    schema: Schema,
    type_names: HashMap<String, (TypeId, Span)>,
    has_root: bool,
    defs: Vec<DefSlot<'a>>,
    def_names: HashMap<String, DefId>,
    diags: Vec<Diagnostic>,
    uses_now: bool,
    /// Calls of parameterised definitions checked so far: each call checks the body again, so
    /// definitions calling each other twice over grow exponentially; a budget stops that.
    expansions: usize,
    /// Field defaults, checked once every type is known: (record, field index, expression).
    pending_defaults: Vec<(TypeId, usize, &'a ast::Expr)>,
}

impl<'a> Checker<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// `what` is `type`, `policy`, ... or `field of \`owner\``: the message reads
    /// "field `name` of `owner` is defined twice".
    fn duplicate(&mut self, what: &str, name: &ast::Ident, first: Span) {
        let message = match what.split_once(" of ") {
            Some((kind, owner)) => format!("{kind} `{}` of {owner} is defined twice", name.node),
            None => format!("{what} `{}` is defined twice", name.node),
        };
        self.error(
            Diagnostic::error("charter::check::duplicate", message)
                .with_label(name.span, "defined again here")
                .with_label(first, "first defined here")
                .with_help("rename one of them"),
        );
    }

    fn builtin_types(&mut self) {
        self.schema.weekday = self.schema.types.len();
        self.schema.types.push(TypeDef::Enum(EnumDef {
            name: "weekday".into(),
            ordered: true,
            variants: WEEKDAYS.iter().map(|d| d.to_string()).collect(),
            ignore_case: true,
            open: false,
            span: Span::default(),
        }));
        self.type_names
            .insert("weekday".into(), (self.schema.weekday, Span::default()));
    }

    /// `(ignore_case, open)`: the allowed modifiers and their values.
    fn modifiers(&mut self, mods: &[ast::Ident], allowed: &[&'static str]) -> (bool, bool) {
        let (mut ignore_case, mut open) = (false, false);
        for m in mods {
            match m.node.as_str() {
                "ignore_case" if allowed.contains(&"ignore_case") => ignore_case = true,
                "open" if allowed.contains(&"open") => open = true,
                other => {
                    let help = suggest(other, allowed.iter().copied())
                        .unwrap_or_else(|| format!("allowed here: {}", allowed.join(", ")));
                    self.error(
                        Diagnostic::error(
                            "charter::check::unknown_modifier",
                            format!("unknown modifier `{other}`"),
                        )
                        .with_label(m.span, "not allowed here")
                        .with_help(help),
                    );
                }
            }
        }
        (ignore_case, open)
    }

    /// Pass 1: every named type gets an id, so fields can refer to types declared later.
    fn declare_types(&mut self, items: &[&'a Item]) {
        for item in items {
            let (name, def) = match item {
                Item::Levels(d) | Item::Enum(d) => (
                    &d.name,
                    TypeDef::Enum(EnumDef {
                        name: d.name.node.clone(),
                        ordered: matches!(item, Item::Levels(_)),
                        variants: Vec::new(),
                        ignore_case: false,
                        open: false,
                        span: d.name.span,
                    }),
                ),
                Item::Record(d) => (
                    &d.name,
                    TypeDef::Record(RecordDef {
                        name: d.name.node.clone(),
                        fields: Vec::new(),
                        span: d.name.span,
                    }),
                ),
                _ => continue,
            };
            if PRIMITIVES.contains(&name.node.as_str()) {
                self.error(
                    Diagnostic::error(
                        "charter::check::reserved_name",
                        format!("`{}` is a built-in type", name.node),
                    )
                    .with_label(name.span, "cannot be redefined")
                    .with_help("choose another name"),
                );
                continue;
            }
            if let Some(&(_, first)) = self.type_names.get(&name.node) {
                if first == Span::default() {
                    self.error(
                        Diagnostic::error(
                            "charter::check::reserved_name",
                            format!("`{}` is a built-in type", name.node),
                        )
                        .with_label(name.span, "cannot be redefined")
                        .with_help("choose another name"),
                    );
                    continue;
                }
                self.duplicate("type", name, first);
                continue;
            }
            let id = self.schema.types.len();
            self.schema.types.push(def);
            self.type_names.insert(name.node.clone(), (id, name.span));
        }
    }

    /// Pass 2: fields and variants.
    fn define_types(&mut self, items: &[&'a Item]) {
        for item in items {
            match item {
                Item::Levels(d) | Item::Enum(d) => {
                    let Some(&(id, span)) = self.type_names.get(&d.name.node) else {
                        continue;
                    };
                    if span != d.name.span {
                        continue;
                    }
                    let variants = self.variants(&d.variants, &d.name.node);
                    let (ignore_case, open) =
                        self.modifiers(&d.modifiers, &["ignore_case", "open"]);
                    if let TypeDef::Enum(e) = &mut self.schema.types[id] {
                        e.variants = variants;
                        e.ignore_case = ignore_case;
                        e.open = open;
                    }
                }
                Item::Record(d) => {
                    let Some(&(id, span)) = self.type_names.get(&d.name.node) else {
                        continue;
                    };
                    if span != d.name.span {
                        continue;
                    }
                    let fields = self.fields(&d.fields, &d.name.node);
                    if let TypeDef::Record(r) = &mut self.schema.types[id] {
                        r.fields = fields;
                    }
                    self.queue_defaults(id, &d.fields);
                }
                _ => {}
            }
        }
    }

    fn variants(&mut self, vs: &[ast::Variant], owner: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for v in vs {
            if let Some(&first) = seen.get(v.name.node.as_str()) {
                self.duplicate(&format!("value of `{owner}`"), &v.name, first);
                continue;
            }
            seen.insert(&v.name.node, v.name.span);
            out.push(v.name.node.clone());
        }
        out
    }

    fn fields(&mut self, fs: &'a [ast::FieldDecl], owner: &str) -> Vec<FieldDef> {
        let mut out: Vec<FieldDef> = Vec::new();
        for f in fs {
            if let Some(first) = out.iter().find(|o| o.name == f.name.node) {
                let first = first.span;
                self.duplicate(&format!("field of `{owner}`"), &f.name, first);
                continue;
            }
            let ty = self.type_expr(&f.ty, &format!("{owner}.{}", f.name.node));
            let bounds = self.bounds(&f.ty, &ty);
            out.push(FieldDef {
                name: f.name.node.clone(),
                ty,
                optional: f.ty.optional || f.default.is_some(),
                default: None,
                bounds,
                doc: f.doc.clone(),
                span: f.name.span,
            });
        }
        out
    }

    /// Remembers the defaults of a record's fields, to check once every type is known.
    fn queue_defaults(&mut self, id: TypeId, fs: &'a [ast::FieldDecl]) {
        let TypeDef::Record(rec) = &self.schema.types[id] else {
            return;
        };
        let pending: Vec<(TypeId, usize, &'a ast::Expr)> = fs
            .iter()
            .filter_map(|f| Some((id, rec.field(&f.name.node)?, f.default.as_ref()?)))
            .collect();
        self.pending_defaults.extend(pending);
    }

    fn check_defaults(&mut self) {
        for (id, index, e) in std::mem::take(&mut self.pending_defaults) {
            let ty = self.schema.record(id).fields[index].ty.clone();
            let checked = expr::ExprChecker::new(self).expr(e, Some(&ty));
            if !expr::is_constant(&checked) {
                self.error(
                    Diagnostic::error(
                        "charter::check::default_not_constant",
                        "a field default must be a constant",
                    )
                    .with_label(e.span, "this reads other values")
                    .with_help("write a literal, e.g. `labels: [string] = []`"),
                );
            } else if expr::unify(&checked.ty, &ty).is_none() {
                let (found, want) = (self.schema.display(&checked.ty), self.schema.display(&ty));
                self.error(
                    Diagnostic::error(
                        "charter::check::type_mismatch",
                        format!("the default is a {found}, but the field is a {want}"),
                    )
                    .with_label(e.span, format!("this is a {found}")),
                );
            }
            if let TypeDef::Record(r) = &mut self.schema.types[id] {
                r.fields[index].default = Some(checked);
            }
        }
    }

    /// `int >= 0`: bounds apply to numbers and durations.
    fn bounds(&mut self, t: &ast::TypeExpr, ty: &Ty) -> Vec<(CmpOp, f64)> {
        let mut out = Vec::new();
        for r in &t.refinements {
            if !matches!(ty, Ty::Int | Ty::Float | Ty::Unknown) {
                let found = self.schema.display(ty);
                self.error(
                    Diagnostic::error(
                        "charter::check::bad_bound",
                        format!("a {found} cannot have a numeric bound"),
                    )
                    .with_label(r.span, "bounds apply to `int` and `float` fields"),
                );
                continue;
            }
            let Ok(v) = r.bound.parse::<f64>() else {
                continue;
            };
            if *ty == Ty::Int && r.bound.contains('.') {
                self.error(
                    Diagnostic::error(
                        "charter::check::bad_bound",
                        format!("an `int` field needs a whole-number bound, not {}", r.bound),
                    )
                    .with_label(r.span, "not a whole number"),
                );
                continue;
            }
            let op = match r.op {
                ast::BinOp::Ge => CmpOp::Ge,
                ast::BinOp::Le => CmpOp::Le,
                ast::BinOp::Gt => CmpOp::Gt,
                _ => CmpOp::Lt,
            };
            out.push((op, v));
        }
        out
    }

    fn type_expr(&mut self, t: &'a ast::TypeExpr, path: &str) -> Ty {
        match &t.kind {
            TypeKind::Named(n) => match n.node.as_str() {
                "bool" => Ty::Bool,
                "int" => Ty::Int,
                "float" => Ty::Float,
                "string" => Ty::Str,
                "path" => Ty::Path,
                "identity" => Ty::Identity,
                "timestamp" => Ty::Timestamp,
                "duration" => Ty::Duration,
                "date" => Ty::Date,
                "time" => Ty::Time,
                name => match self.type_names.get(name) {
                    Some(&(id, _)) => match &self.schema.types[id] {
                        TypeDef::Record(_) => Ty::Record(id),
                        TypeDef::Enum(_) => Ty::Enum(id),
                    },
                    None => {
                        // Declared names sorted: `type_names` is a hash map, and output is
                        // deterministic.
                        let mut declared: Vec<&str> =
                            self.type_names.keys().map(String::as_str).collect();
                        declared.sort_unstable();
                        let known: Vec<&str> = PRIMITIVES.iter().copied().chain(declared).collect();
                        let help = suggest(name, known.iter().copied())
                            .unwrap_or_else(|| format!("known types: {}", known.join(", ")));
                        self.error(
                            Diagnostic::error(
                                "charter::check::unknown_type",
                                format!("unknown type `{name}`"),
                            )
                            .with_label(n.span, "not a declared type")
                            .with_help(help),
                        );
                        Ty::Unknown
                    }
                },
            },
            TypeKind::List(inner) | TypeKind::Map(inner, _) => {
                if inner.optional {
                    self.error(
                        Diagnostic::error(
                            "charter::check::optional_element",
                            "only fields can be optional",
                        )
                        .with_label(inner.span, "`?` is not allowed here")
                        .with_help("make the field optional instead: `name: [T]?`"),
                    );
                }
                let elem = self.type_expr(inner, path);
                match &t.kind {
                    TypeKind::Map(_, mods) => {
                        let (ignore_case, _) = self.modifiers(mods, &["ignore_case"]);
                        Ty::Map(Box::new(elem), ignore_case)
                    }
                    _ => Ty::List(Box::new(elem)),
                }
            }
            TypeKind::Record(fields) => {
                let id = self.schema.types.len();
                self.schema.types.push(TypeDef::Record(RecordDef {
                    name: path.to_string(),
                    fields: Vec::new(),
                    span: t.span,
                }));
                let fields_def = self.fields(fields, path);
                if let TypeDef::Record(r) = &mut self.schema.types[id] {
                    r.fields = fields_def;
                }
                self.queue_defaults(id, fields);
                Ty::Record(id)
            }
            TypeKind::Enum(vs, mods) | TypeKind::Levels(vs, mods) => {
                let variants = self.variants(vs, path);
                let (ignore_case, open) = self.modifiers(mods, &["ignore_case", "open"]);
                let id = self.schema.types.len();
                let ordered = matches!(t.kind, TypeKind::Levels(..));
                self.schema.types.push(TypeDef::Enum(EnumDef {
                    name: path.to_string(),
                    ordered,
                    variants,
                    ignore_case,
                    open,
                    span: t.span,
                }));
                Ty::Enum(id)
            }
        }
    }

    fn find_manifest(&mut self, items: &[&'a Item]) {
        let mut first: Option<&ast::RecordDecl> = None;
        for item in items {
            let Item::Manifest(d) = item else { continue };
            if let Some(f) = first {
                self.error(
                    Diagnostic::error(
                        "charter::check::two_manifests",
                        format!("a policy set declares one manifest, but this one declares `{}` and `{}`", f.name.node, d.name.node),
                    )
                    .with_label(d.name.span, "second manifest declaration")
                    .with_label(f.name.span, "first manifest declaration")
                    .with_help("keep one `manifest`; declare other shapes with `record`"),
                );
                continue;
            }
            first = Some(d);
            let id = self.schema.types.len();
            self.schema.types.push(TypeDef::Record(RecordDef {
                name: d.name.node.clone(),
                fields: Vec::new(),
                span: d.name.span,
            }));
            let fields = self.fields(&d.fields, &d.name.node);
            if let TypeDef::Record(r) = &mut self.schema.types[id] {
                r.fields = fields;
            }
            self.queue_defaults(id, &d.fields);
            self.schema.root = id;
            self.schema.root_name = d.name.node.clone();
            self.has_root = true;
        }
        if first.is_none() {
            let mut d = Diagnostic::error("charter::check::no_manifest", "the policy set declares no manifest schema").with_help(
                "declare the shape of a change manifest, e.g. `manifest change { id: string, reviewers: [reviewer] }`",
            );
            if let Some(item) = items.first() {
                d = d.with_label(
                    Span {
                        end: item.span().start,
                        ..item.span()
                    },
                    "no `manifest` declaration in any file",
                );
            }
            self.error(d);
        }
    }

    fn declare_defs(&mut self, items: &[&'a Item]) {
        for item in items {
            let Item::Let(d) = item else { continue };
            if let Some(&id) = self.def_names.get(&d.name.node) {
                let first = self.defs[id].decl.name.span;
                self.duplicate("definition", &d.name, first);
                continue;
            }
            if self.has_root && d.name.node == self.schema.root_name {
                let span = self.schema.record(self.schema.root).span;
                self.duplicate("name", &d.name, span);
                continue;
            }
            self.def_names.insert(d.name.node.clone(), self.defs.len());
            self.defs.push(DefSlot {
                decl: d,
                state: DefState::Unchecked,
                body: None,
                used: false,
                expanding: false,
            });
        }
    }

    fn check_defs(&mut self) {
        for id in 0..self.defs.len() {
            self.check_def(id);
        }
    }

    /// Checks a definition once; a reference back into one being checked is a cycle.
    fn check_def(&mut self, id: DefId) -> Ty {
        match self.defs[id].state {
            DefState::Done => {
                return self.defs[id]
                    .body
                    .as_ref()
                    .map_or(Ty::Unknown, |b| b.ty.clone());
            }
            DefState::InProgress => return Ty::Unknown,
            DefState::Unchecked => {}
        }
        self.defs[id].state = DefState::InProgress;
        let decl = self.defs[id].decl;
        let body = match &decl.params {
            // Checked at every call with the arguments' types; here once for names alone.
            Some(params) => {
                let scope = params
                    .iter()
                    .map(|p| (p.name.node.as_str().into(), Ty::Unknown))
                    .collect();
                self.defs[id].expanding = true;
                let body = expr::ExprChecker::with_scope(self, scope).expr(&decl.body, None);
                self.defs[id].expanding = false;
                body
            }
            None => expr::ExprChecker::new(self).expr(&decl.body, None),
        };
        let ty = body.ty.clone();
        self.defs[id].body = Some(body);
        self.defs[id].state = DefState::Done;
        ty
    }

    fn warn_unused_defs(&mut self) {
        let unused: Vec<(String, Span)> = self
            .defs
            .iter()
            .filter(|d| !d.used)
            .map(|d| (d.decl.name.node.clone(), d.decl.name.span))
            .collect();
        for (name, span) in unused {
            self.diags.push(
                Diagnostic::warning(
                    "charter::check::unused_definition",
                    format!("definition `{name}` is never used"),
                )
                .with_label(span, "not used by any policy or definition")
                .with_help("remove it, or use it in a policy"),
            );
        }
    }

    fn check_policies(&mut self, items: &[&'a Item]) -> Vec<Policy> {
        let mut out = Vec::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for item in items {
            let Item::Policy(p) = item else { continue };
            if let Some(&first) = names.get(p.name.node.as_str()) {
                self.duplicate("policy", &p.name, first);
                continue;
            }
            names.insert(&p.name.node, p.name.span);
            if let Some(policy) = self.policy(p) {
                out.push(policy);
            }
        }
        out
    }

    fn policy(&mut self, p: &'a ast::PolicyDecl) -> Option<Policy> {
        let mut severity: Option<Span> = None;
        let mut policy = Policy {
            name: p.name.node.clone(),
            name_span: p.name.span,
            doc: p.doc.clone(),
            severity: Severity::Deny,
            when: None,
            requires: Vec::new(),
            message: None,
            help: None,
            override_when: None,
            override_message: None,
            span: p.span,
        };
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        for clause in &p.clauses {
            let (kw, span) = match clause {
                Clause::Severity(s) => ("severity", s.span),
                Clause::When(e) => ("when", e.span),
                Clause::Require(_) => ("require", Span::default()),
                Clause::Override(e) => ("override when", e.span),
                Clause::OverrideMessage(t) => ("override message", t.span),
                Clause::Message(t) => ("message", t.span),
                Clause::Help(t) => ("help", t.span),
            };
            if kw != "require" {
                if let Some(&first) = seen.get(kw) {
                    let help = if kw == "when" {
                        "combine the conditions with `and`"
                    } else if kw == "override when" {
                        "combine the ways past the rule with `or`"
                    } else {
                        "keep one of them"
                    };
                    self.error(
                        Diagnostic::error(
                            "charter::check::duplicate_clause",
                            format!("policy `{}` has two `{kw}` clauses", p.name.node),
                        )
                        .with_label(span, "second one here")
                        .with_label(first, "first one here")
                        .with_help(help),
                    );
                    continue;
                }
                seen.insert(kw, span);
            }
            match clause {
                Clause::Severity(s) => {
                    policy.severity = s.node;
                    severity = Some(s.span);
                }
                Clause::When(e) => policy.when = Some(self.condition(e, "when")),
                Clause::Require(e) => policy.requires.push(self.condition(e, "require")),
                Clause::Override(e) => {
                    policy.override_when = Some(self.condition(e, "override when"))
                }
                Clause::OverrideMessage(t) => policy.override_message = Some(self.template(t)),
                Clause::Message(t) => policy.message = Some(self.template(t)),
                Clause::Help(t) => policy.help = Some(self.template(t)),
            }
        }
        let _ = severity;
        if let (Some(&span), None) = (seen.get("override message"), &policy.override_when) {
            self.error(
                Diagnostic::error(
                    "charter::check::override_message_alone",
                    format!(
                        "policy `{}` has an `override message` but no `override when`",
                        p.name.node
                    ),
                )
                .with_label(span, "this message is never shown")
                .with_help("say when the policy may be overridden, e.g. `override when has(change.break_glass)`, or remove the message"),
            );
        }
        if policy.requires.is_empty() {
            self.error(
                Diagnostic::error(
                    "charter::check::no_require",
                    format!("policy `{}` has no `require` clause", p.name.node),
                )
                .with_label(p.name.span, "this policy requires nothing")
                .with_help(
                    "add what a change must satisfy, e.g. `require count(change.reviewers) >= 1`",
                ),
            );
            return None;
        }
        Some(policy)
    }

    fn check_waivers(
        &mut self,
        decls: &[waivers::WaiverDecl],
        policies: &[Policy],
    ) -> Vec<ir::Waiver> {
        let mut out = Vec::new();
        for w in decls {
            let (name, span) = &w.policy;
            let Some(policy) = policies.iter().position(|p| &p.name == name) else {
                let help = crate::diag::suggest(name, policies.iter().map(|p| p.name.as_str()))
                    .unwrap_or_else(|| "a waiver names a policy of the set by its name".into());
                self.error(
                    Diagnostic::error(
                        "charter::waiver::unknown_policy",
                        format!("this waiver names `{name}`, which is not a policy of the set"),
                    )
                    .with_label(*span, "no such policy")
                    .with_help(help),
                );
                continue;
            };
            let id_field = match (w.ids.first(), self.schema.types.get(self.schema.root)) {
                (None, _) => None,
                (Some((_, ids_span)), Some(TypeDef::Record(root))) => {
                    let field = root.field("id");
                    let ok =
                        field.is_some_and(|i| matches!(root.fields[i].ty, Ty::Str | Ty::Identity));
                    if !ok {
                        self.error(
                            Diagnostic::error(
                                "charter::waiver::no_id",
                                format!("a waiver's `ids` are compared with the manifest's `id`, but `{}` has no `id: string` field", root.name),
                            )
                            .with_label(*ids_span, "no `id` to compare with")
                            .with_help("scope the waiver with a `when` condition instead"),
                        );
                        continue;
                    }
                    field
                }
                _ => None,
            };
            let when = w.when.as_ref().map(|e| self.condition(e, "when"));
            out.push(ir::Waiver {
                policy,
                ids: w.ids.iter().map(|(s, _)| s.clone()).collect(),
                id_field,
                when,
                owner: w.owner.clone(),
                reason: w.reason.clone(),
                approved_by: w.approved_by.clone(),
                expires: w.expires,
                expires_span: w.expires_span,
                span: w.span,
            });
        }
        out
    }

    fn condition(&mut self, e: &ast::Expr, kw: &str) -> Expr {
        let checked = expr::ExprChecker::new(self).expr(e, Some(&Ty::Bool));
        if !matches!(checked.ty, Ty::Bool | Ty::Unknown) {
            let found = self.schema.display(&checked.ty);
            let help = match checked.ty {
                Ty::List(_) => "test the list with `count(...) > 0`, `any x in ...: ...` or `all x in ...: ...`".to_string(),
                _ => "compare it with something, e.g. `... == ...` or `... >= ...`".to_string(),
            };
            self.error(
                Diagnostic::error(
                    "charter::check::not_bool",
                    format!(
                        "{} `{kw}` condition must be true or false, but this is a {found}",
                        if kw.starts_with('o') { "an" } else { "a" }
                    ),
                )
                .with_label(e.span, format!("this is a {found}"))
                .with_help(help),
            );
        }
        checked
    }

    fn template(&mut self, t: &ast::Template) -> Template {
        let parts = t
            .parts
            .iter()
            .map(|p| match p {
                ast::TemplatePart::Text(s) => TemplatePart::Text(s.clone()),
                ast::TemplatePart::Expr(e) => {
                    TemplatePart::Expr(expr::ExprChecker::new(self).expr(e, None))
                }
            })
            .collect();
        Template {
            parts,
            span: t.span,
        }
    }
}
