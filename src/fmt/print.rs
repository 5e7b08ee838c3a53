//! AST + comments -> [`Doc`]: the canonical layout of every construct.
//!
//! Comments are placed by position: before each point where a line may break, every comment
//! that starts before the next token is emitted there (a comment on its own line stays on its
//! own line; one that trails code stays at the end of that line). Building the document in
//! source order keeps them in order.
//!
//! Parentheses are re-derived from the tree (the AST drops them): an operand is wrapped when its
//! precedence is lower than its position needs, or when it is open-ended (`any ...: p`,
//! `if ... else e`, `xs where r: p`) and something follows that it would swallow.

use super::comments::Comment;
use super::doc::*;
use crate::source::Span;
use crate::syntax::ast::*;

/// What follows an expression in the same flat operator sequence.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Follow {
    Nothing,
    /// `where`, `map`, `max_by`, `min_by` or `distinct by` (a `body` stops before them).
    WhereLike,
    /// An infix operator, `.field` or `[index]` (a `body` and a quantifier take them in).
    Op,
}

#[derive(Clone, Copy, Debug)]
struct Cx {
    follow: Follow,
    /// At the top level of a `where`/`map`/... body, where those postfixes cannot appear.
    in_body: bool,
}

const TOP: Cx = Cx {
    follow: Follow::Nothing,
    in_body: false,
};

/// Precedence levels, loosest first, as in the Pratt table of `syntax/lower.rs`.
const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_NOT: u8 = 3;
const P_CMP: u8 = 4;
const P_DEFAULT: u8 = 5;
const P_ADD: u8 = 6;
const P_MUL: u8 = 7;
const P_NEG: u8 = 8;
const P_POSTFIX: u8 = 9;
const P_PRIMARY: u8 = 10;

fn bin_prec(op: BinOp) -> u8 {
    match op {
        BinOp::Or => P_OR,
        BinOp::And => P_AND,
        BinOp::Eq
        | BinOp::Ne
        | BinOp::Lt
        | BinOp::Le
        | BinOp::Gt
        | BinOp::Ge
        | BinOp::In
        | BinOp::Matches
        | BinOp::Regex => P_CMP,
        BinOp::Default => P_DEFAULT,
        BinOp::Add | BinOp::Sub => P_ADD,
        BinOp::Mul | BinOp::Div => P_MUL,
    }
}

fn prec(e: &Expr) -> u8 {
    match &e.node {
        ExprKind::Binary(op, ..) => bin_prec(*op),
        ExprKind::Unary(UnOp::Not, _) => P_NOT,
        ExprKind::Unary(UnOp::Neg, _) => P_NEG,
        ExprKind::Field(..)
        | ExprKind::Index(..)
        | ExprKind::Where(..)
        | ExprKind::MapOp(..)
        | ExprKind::By(..)
        | ExprKind::DistinctBy(..) => P_POSTFIX,
        _ => P_PRIMARY,
    }
}

fn is_where_like(e: &Expr) -> bool {
    matches!(
        e.node,
        ExprKind::Where(..) | ExprKind::MapOp(..) | ExprKind::By(..) | ExprKind::DistinctBy(..)
    )
}

pub struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    next: usize,
}

fn start(s: Span) -> usize {
    s.start as usize
}

fn end(s: Span) -> usize {
    s.end as usize
}

fn docs(doc: &Option<String>) -> Doc {
    let Some(doc) = doc else {
        return concat(Vec::new());
    };
    let mut out = Vec::new();
    for line in doc.split('\n') {
        out.push(text(if line.is_empty() {
            "///".to_string()
        } else {
            format!("/// {line}")
        }));
        out.push(Doc::HardLine);
    }
    concat(out)
}

fn modifiers(mods: &[Ident]) -> String {
    if mods.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = mods.iter().map(|m| m.node.as_str()).collect();
        format!("({})", names.join(", "))
    }
}

impl<'a> Printer<'a> {
    pub fn new(src: &'a str, comments: &'a [Comment]) -> Self {
        Printer {
            src,
            comments,
            next: 0,
        }
    }

    // ------------------------------------------------------------ comments and blank lines

    fn has_comment_before(&self, pos: usize) -> bool {
        self.comments.get(self.next).is_some_and(|c| c.start < pos)
    }

    /// Every comment before `pos` not yet printed, in an expression: own-line comments keep
    /// their own line, trailing ones stay at the end of theirs.
    fn flush(&mut self, pos: usize) -> Doc {
        self.flush_comments(pos, None)
    }

    /// The same in a list of statements, keeping an empty line before a comment when the source
    /// has one (except before the first comment of a block).
    fn flush_stmt(&mut self, pos: usize, first_in_block: bool) -> Doc {
        self.flush_comments(pos, Some(first_in_block))
    }

    fn flush_comments(&mut self, pos: usize, stmt: Option<bool>) -> Doc {
        let mut out = Vec::new();
        let mut first = true;
        while let Some(c) = self.comments.get(self.next).filter(|c| c.start < pos) {
            self.next += 1;
            if c.own_line {
                let blank_ok = match stmt {
                    Some(first_in_block) => !(first && first_in_block),
                    None => false,
                };
                let sep = if blank_ok && self.blank_before(c.start) {
                    Doc::BlankLine
                } else {
                    Doc::HardLine
                };
                out.extend([sep, text(&c.text), Doc::HardLine]);
            } else {
                out.push(Doc::LineSuffix(c.text.clone()));
            }
            first = false;
        }
        concat(out)
    }

    /// Comments between a keyword and its expression (`require // why` + newline + `x`): a
    /// trailing one stays on the keyword's line, own-line ones go on indented lines before it.
    fn lead(&mut self, pos: usize) -> Doc {
        let mut trailing = Vec::new();
        let mut own = Vec::new();
        while let Some(c) = self.comments.get(self.next).filter(|c| c.start < pos) {
            self.next += 1;
            // One comment can trail the keyword's line; any other goes on a line of its own.
            if c.own_line || !trailing.is_empty() || !own.is_empty() {
                own.extend([Doc::HardLine, text(&c.text), Doc::HardLine]);
            } else {
                trailing.push(Doc::LineSuffix(c.text.clone()));
            }
        }
        concat(vec![concat(trailing), indent(concat(own))])
    }

    /// Whether the source has an empty line right before `pos`.
    fn blank_before(&self, pos: usize) -> bool {
        let before = &self.src[..pos];
        let code = before.trim_end();
        !code.is_empty() && before[code.len()..].matches('\n').count() >= 2
    }

    /// A list of statements (items, clauses, fields), one per line, keeping up to one empty line
    /// between them; comments before `close` are flushed at the end.
    fn stmts<T>(
        &mut self,
        items: &[T],
        start_of: impl Fn(&Self, &T) -> usize,
        close: usize,
        mut print: impl FnMut(&mut Self, &T) -> Doc,
    ) -> Doc {
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let s = start_of(self, it);
            let had_comments = self.has_comment_before(s);
            out.push(self.flush_stmt(s, i == 0));
            out.push(if (i > 0 || had_comments) && self.blank_before(s) {
                Doc::BlankLine
            } else {
                Doc::HardLine
            });
            out.push(print(self, it));
        }
        out.push(self.flush_stmt(close, items.is_empty()));
        concat(out)
    }

    /// `{ a, b }`, `[a, b]`, `f(a, b)`: flat when it fits, else one element per line with a
    /// trailing comma. `close` is the offset of the closing bracket.
    #[expect(
        clippy::too_many_arguments,
        reason = "each call site names its brackets inline"
    )]
    fn delimited(
        &mut self,
        open: &str,
        close_text: &str,
        starts: &[usize],
        close: usize,
        space: bool,
        force: bool,
        item: &mut dyn FnMut(&mut Self, usize) -> Doc,
    ) -> Doc {
        if starts.is_empty() && !self.has_comment_before(close) {
            return text(format!("{open}{close_text}"));
        }
        let edge = if space { Doc::Line } else { Doc::SoftLine };
        let mut inner = Vec::new();
        for (i, &s) in starts.iter().enumerate() {
            inner.push(self.flush(s));
            inner.push(if i == 0 { edge.clone() } else { Doc::Line });
            inner.push(item(self, i));
            inner.push(if i + 1 < starts.len() {
                text(",")
            } else {
                Doc::IfBreak(",", "")
            });
        }
        inner.push(self.flush(close));
        let d = concat(vec![
            text(open),
            indent(concat(inner)),
            edge,
            text(close_text),
        ]);
        if force { broken(d) } else { group(d) }
    }

    /// Where a line that holds doc comments (`///`) before `pos` starts.
    fn doc_start(&self, pos: usize) -> usize {
        let mut s = pos;
        loop {
            let before = self.src[..s].trim_end();
            let line_start = before.rfind('\n').map_or(0, |n| n + 1);
            let line = before[line_start..].trim_start();
            if line.starts_with("///") && !line.starts_with("////") {
                s = before.len() - line.len();
            } else {
                return s;
            }
        }
    }

    /// The offset of `kw` right before `pos` (skipping whitespace, opening parentheses and
    /// comments).
    fn keyword_start(&self, pos: usize, kw: &str) -> usize {
        let mut before = self.src[..pos].trim_end_matches(|c: char| c.is_whitespace() || c == '(');
        while let Some(c) = self
            .comments
            .iter()
            .find(|c| c.start < before.len() && before.len() <= c.start + c.text.len())
        {
            before = self.src[..c.start].trim_end_matches(|c: char| c.is_whitespace() || c == '(');
        }
        if before.ends_with(kw) {
            before.len() - kw.len()
        } else {
            pos
        }
    }

    /// The offset of the last `}` before `pos` (the end of an inline type's braces).
    fn brace_before(&self, pos: usize) -> usize {
        self.src[..pos].rfind('}').unwrap_or(pos)
    }

    fn slice(&self, s: Span) -> &'a str {
        self.src.get(s.range()).unwrap_or("")
    }

    // ------------------------------------------------------------ items

    pub fn file(&mut self, f: &PolicyFile) -> Doc {
        let close = self.src.len();
        self.stmts(
            &f.items,
            |_, it| start(it.span()),
            close,
            |p, it| p.item(it),
        )
    }

    fn item(&mut self, it: &Item) -> Doc {
        match it {
            Item::Levels(d) => self.enum_decl("levels", d),
            Item::Enum(d) => self.enum_decl("enum", d),
            Item::Record(d) => self.record_decl("record", d),
            Item::Manifest(d) => self.record_decl("manifest", d),
            Item::Let(d) => self.let_decl(d),
            Item::Policy(d) => self.policy(d),
        }
    }

    fn enum_decl(&mut self, kw: &str, d: &EnumDecl) -> Doc {
        let head = text(format!("{kw} {}{} ", d.name.node, modifiers(&d.modifiers)));
        let variants = self.variants(&d.variants, end(d.span).saturating_sub(1));
        concat(vec![docs(&d.doc), head, variants])
    }

    fn variants(&mut self, vs: &[Variant], close: usize) -> Doc {
        let force = vs.iter().any(|v| v.doc.is_some());
        let starts: Vec<usize> = vs
            .iter()
            .map(|v| match v.doc {
                Some(_) => self.doc_start(start(v.name.span)),
                None => start(v.name.span),
            })
            .collect();
        self.delimited("{", "}", &starts, close, true, force, &mut |_, i| {
            concat(vec![docs(&vs[i].doc), text(&vs[i].name.node)])
        })
    }

    fn record_decl(&mut self, kw: &str, d: &RecordDecl) -> Doc {
        let head = text(format!("{kw} {} ", d.name.node));
        let body = self.record_block(&d.fields, end(d.span).saturating_sub(1));
        concat(vec![docs(&d.doc), head, body])
    }

    fn field_start(&self, f: &FieldDecl) -> usize {
        match f.doc {
            Some(_) => self.doc_start(start(f.name.span)),
            None => start(f.name.span),
        }
    }

    /// A named record's fields: always one per line.
    fn record_block(&mut self, fields: &[FieldDecl], close: usize) -> Doc {
        if fields.is_empty() && !self.has_comment_before(close) {
            return text("{}");
        }
        let body = self.stmts(fields, Self::field_start, close, |p, f| p.field(f));
        concat(vec![text("{"), indent(body), Doc::HardLine, text("}")])
    }

    /// An inline record type: `{ a: int, b: string }` when it fits, else one field per line.
    fn inline_record(&mut self, fields: &[FieldDecl], close: usize) -> Doc {
        if fields.is_empty() && !self.has_comment_before(close) {
            return text("{}");
        }
        let force = fields.iter().any(|f| f.doc.is_some());
        let mut inner = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let s = self.field_start(f);
            inner.push(self.flush(s));
            inner.push(Doc::Line);
            inner.push(self.field(f));
            if i + 1 < fields.len() {
                inner.push(Doc::IfBreak("", ","));
            }
        }
        inner.push(self.flush(close));
        let d = concat(vec![text("{"), indent(concat(inner)), Doc::Line, text("}")]);
        if force { broken(d) } else { group(d) }
    }

    fn field(&mut self, f: &FieldDecl) -> Doc {
        let mut parts = vec![docs(&f.doc), text(format!("{}: ", f.name.node))];
        parts.push(self.type_expr(&f.ty));
        if let Some(d) = &f.default {
            parts.push(text(" = "));
            parts.push(self.lead(start(d.span)));
            parts.push(self.expr(d, 0, TOP));
        }
        concat(parts)
    }

    fn type_expr(&mut self, t: &TypeExpr) -> Doc {
        let mut parts = vec![match &t.kind {
            TypeKind::Named(n) => text(&n.node),
            TypeKind::List(inner) => concat(vec![text("["), self.type_expr(inner), text("]")]),
            TypeKind::Map(inner, mods) => concat(vec![
                text(format!("map{}<", modifiers(mods))),
                self.type_expr(inner),
                text(">"),
            ]),
            TypeKind::Record(fields) => {
                let close = self.brace_before(end(t.span));
                self.inline_record(fields, close)
            }
            TypeKind::Enum(vs, mods) | TypeKind::Levels(vs, mods) => {
                let kw = if matches!(t.kind, TypeKind::Enum(..)) {
                    "enum"
                } else {
                    "levels"
                };
                let close = self.brace_before(end(t.span));
                concat(vec![
                    text(format!("{kw}{} ", modifiers(mods))),
                    self.variants(vs, close),
                ])
            }
        }];
        if t.optional {
            parts.push(text("?"));
        }
        for r in &t.refinements {
            parts.push(text(format!(" {} {}", r.op.as_str(), r.bound)));
        }
        concat(parts)
    }

    fn let_decl(&mut self, d: &LetDecl) -> Doc {
        let mut parts = vec![docs(&d.doc), text(format!("let {}", d.name.node))];
        if let Some(params) = &d.params {
            let from = params.last().map_or(end(d.name.span), |p| {
                p.ty.as_ref().map_or(end(p.name.span), |t| end(t.span))
            });
            let close = self.src[from..].find(')').map_or(from, |n| from + n);
            let starts: Vec<usize> = params.iter().map(|p| start(p.name.span)).collect();
            parts.push(
                self.delimited("(", ")", &starts, close, false, false, &mut |p, i| {
                    let param = &params[i];
                    match &param.ty {
                        Some(t) => {
                            concat(vec![text(format!("{}: ", param.name.node)), p.type_expr(t)])
                        }
                        None => text(&param.name.node),
                    }
                }),
            );
        }
        parts.push(text(" = "));
        parts.push(self.lead(start(d.body.span)));
        parts.push(self.expr(&d.body, 0, TOP));
        concat(parts)
    }

    fn policy(&mut self, d: &PolicyDecl) -> Doc {
        let close = end(d.span).saturating_sub(1);
        let head = text(format!("policy {} ", d.name.node));
        let body = if d.clauses.is_empty() && !self.has_comment_before(close) {
            text("{}")
        } else {
            let clauses = self.stmts(&d.clauses, Self::clause_start, close, |p, c| p.clause(c));
            concat(vec![text("{"), indent(clauses), Doc::HardLine, text("}")])
        };
        concat(vec![docs(&d.doc), head, body])
    }

    fn clause_start(&self, c: &Clause) -> usize {
        let (pos, kw) = match c {
            Clause::Severity(s) => (start(s.span), "severity"),
            Clause::When(e) => (start(e.span), "when"),
            Clause::Require(e) => (start(e.span), "require"),
            Clause::Message(t) => (start(t.span), "message"),
            Clause::Help(t) => (start(t.span), "help"),
            Clause::Override(e) => (self.keyword_start(start(e.span), "when"), "override"),
            Clause::OverrideMessage(t) => {
                (self.keyword_start(start(t.span), "message"), "override")
            }
        };
        self.keyword_start(pos, kw)
    }

    fn clause(&mut self, c: &Clause) -> Doc {
        match c {
            Clause::Severity(s) => text(format!("severity {}", s.node.as_str())),
            Clause::When(e) | Clause::Require(e) | Clause::Override(e) => {
                let kw = match c {
                    Clause::When(_) => "when ",
                    Clause::Require(_) => "require ",
                    _ => "override when ",
                };
                let lead = self.lead(start(e.span));
                concat(vec![text(kw), lead, self.expr(e, 0, TOP)])
            }
            Clause::Message(t) | Clause::Help(t) | Clause::OverrideMessage(t) => {
                let kw = match c {
                    Clause::Message(_) => "message ",
                    Clause::Help(_) => "help ",
                    _ => "override message ",
                };
                // No comment can be inside a template: all before it are placed here.
                let lead = self.lead(start(t.span));
                concat(vec![text(kw), lead, self.template(t)])
            }
        }
    }

    /// The template as written (text and escapes untouched), with each `{expr}` formatted flat:
    /// a string cannot span lines.
    fn template(&mut self, t: &Template) -> Doc {
        let raw = self.slice(t.span);
        let base = start(t.span);
        let mut exprs = t.parts.iter().filter_map(|p| match p {
            TemplatePart::Expr(e) => Some(e),
            TemplatePart::Text(_) => None,
        });
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    out.push(c);
                    if let Some((_, n)) = chars.next() {
                        out.push(n);
                    }
                }
                '{' => match exprs.next() {
                    Some(e) => {
                        let d = self.expr(e, 0, TOP);
                        out.push('{');
                        out.push_str(render(&d, usize::MAX).trim_end());
                        out.push('}');
                        let after = (end(e.span) - base).max(i + 1);
                        let close = raw[after..].find('}').map_or(raw.len(), |n| after + n);
                        while chars.next_if(|&(j, _)| j <= close).is_some() {}
                    }
                    None => out.push(c),
                },
                _ => out.push(c),
            }
        }
        text(out)
    }

    // ------------------------------------------------------------ expressions

    /// `e` where an expression of precedence `min` or tighter is needed.
    fn expr(&mut self, e: &Expr, min: u8, cx: Cx) -> Doc {
        self.expr_paren(e, min, cx, false)
    }

    /// `force`: parenthesize even when not needed, for readability.
    fn expr_paren(&mut self, e: &Expr, min: u8, cx: Cx, force: bool) -> Doc {
        let open = match &e.node {
            ExprKind::Quant(..) | ExprKind::If(..) => cx.follow != Follow::Nothing,
            _ if is_where_like(e) => cx.follow == Follow::Op || cx.in_body,
            _ => false,
        };
        if force || prec(e) < min || open {
            let inner = self.bare(e, TOP);
            return concat(vec![text("("), indent(inner), text(")")]);
        }
        self.bare(e, cx)
    }

    fn bare(&mut self, e: &Expr, cx: Cx) -> Doc {
        let op = Cx {
            follow: Follow::Op,
            in_body: cx.in_body,
        };
        match &e.node {
            ExprKind::Int(n) => self.literal(e.span, || n.to_string()),
            ExprKind::Float(f) => self.literal(e.span, || format!("{f:?}")),
            ExprKind::Str(s) => self.literal(e.span, || format!("{s:?}")),
            ExprKind::Duration(secs) => self.literal(e.span, || format!("{secs}s")),
            ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
            ExprKind::Timestamp(s) | ExprKind::Date(s) | ExprKind::Time(s) | ExprKind::Var(s) => {
                text(s)
            }
            ExprKind::Binary(..) => self.binary(e, cx),
            ExprKind::Unary(UnOp::Not, x) => {
                // `not not a`, `not a.b`, `not f(x)`; anything else in parentheses to read clearly:
                // `not (a == b)`, `not (any r in xs: p)`.
                let bare = matches!(x.node, ExprKind::Unary(UnOp::Not, _))
                    || (prec(x) >= P_POSTFIX
                        && !is_where_like(x)
                        && !matches!(x.node, ExprKind::Quant(..) | ExprKind::If(..)));
                concat(vec![text("not "), self.expr_paren(x, P_NOT, cx, !bare)])
            }
            // `- -x` as written: parentheses around each inner minus would add a bracket level per
            // `-`, and a long run (`a - - - … b`) would then nest too deeply to parse again.
            ExprKind::Unary(UnOp::Neg, x) if matches!(x.node, ExprKind::Unary(UnOp::Neg, _)) => {
                concat(vec![text("- "), self.bare(x, cx)])
            }
            ExprKind::Unary(UnOp::Neg, x) => concat(vec![text("-"), self.expr(x, P_POSTFIX, cx)]),
            ExprKind::Field(x, name) => concat(vec![
                self.expr(x, P_POSTFIX, op),
                text(format!(".{}", name.node)),
            ]),
            ExprKind::Index(x, k) => concat(vec![
                self.expr(x, P_POSTFIX, op),
                text("["),
                self.expr(k, 0, TOP),
                text("]"),
            ]),
            ExprKind::Where(..)
            | ExprKind::MapOp(..)
            | ExprKind::By(..)
            | ExprKind::DistinctBy(..) => self.postfix_chain(e, cx),
            ExprKind::Quant(q, v, v2, coll, body) => {
                let kw = if *q == Quant::Any { "any" } else { "all" };
                let vars = match v2 {
                    Some(v2) => format!("{kw} {}, {} in ", v.node, v2.node),
                    None => format!("{kw} {} in ", v.node),
                };
                // The collection is followed by `:`; parentheses around an open-ended one read better.
                let coll = self.expr(
                    coll,
                    0,
                    Cx {
                        follow: Follow::Op,
                        in_body: false,
                    },
                );
                let lead = self.flush(start(body.span));
                let body = self.expr(body, 0, TOP);
                group(concat(vec![
                    text(vars),
                    coll,
                    text(":"),
                    indent(concat(vec![lead, Doc::Line, body])),
                ]))
            }
            ExprKind::If(c, a, b) => {
                let c = self.expr(c, 0, TOP);
                let lead_a = self.flush(start(a.span));
                let a = self.expr(a, 0, TOP);
                let lead_b = self.flush(start(b.span));
                let b = self.expr(b, 0, TOP);
                group(concat(vec![
                    text("if "),
                    c,
                    indent(concat(vec![
                        lead_a,
                        Doc::Line,
                        text("then "),
                        a,
                        lead_b,
                        Doc::Line,
                        text("else "),
                        b,
                    ])),
                ]))
            }
            ExprKind::Call(name, args) => {
                let starts: Vec<usize> = args.iter().map(|a| start(a.span)).collect();
                let close = end(e.span).saturating_sub(1);
                let list = self.delimited("(", ")", &starts, close, false, false, &mut |p, i| {
                    p.expr(&args[i], 0, TOP)
                });
                concat(vec![text(&name.node), list])
            }
            ExprKind::List(xs) => {
                let starts: Vec<usize> = xs.iter().map(|a| start(a.span)).collect();
                let close = end(e.span).saturating_sub(1);
                self.delimited("[", "]", &starts, close, false, false, &mut |p, i| {
                    p.expr(&xs[i], 0, TOP)
                })
            }
            ExprKind::Braces(entries) => {
                let starts: Vec<usize> = entries.iter().map(|(k, _)| start(k.span)).collect();
                let close = end(e.span).saturating_sub(1);
                self.delimited("{", "}", &starts, close, true, false, &mut |p, i| {
                    let (k, v) = &entries[i];
                    let key = match &k.node {
                        Key::Name(n) => n.clone(),
                        Key::Str(s) => {
                            let raw = p.slice(k.span);
                            if raw.starts_with('"') {
                                raw.to_string()
                            } else {
                                format!("{s:?}")
                            }
                        }
                    };
                    concat(vec![text(format!("{key}: ")), p.expr(v, 0, TOP)])
                })
            }
        }
    }

    /// A literal as written (`1_000`, `1h30m`, `"a\tb"`), so formatting keeps the spelling.
    fn literal(&self, span: Span, fallback: impl FnOnce() -> String) -> Doc {
        let raw = self.slice(span);
        text(if raw.is_empty() {
            fallback()
        } else {
            raw.to_string()
        })
    }

    /// `a and b and c`: operators of one precedence level break together, each continuation
    /// line starting with its operator.
    fn binary(&mut self, e: &Expr, cx: Cx) -> Doc {
        let ExprKind::Binary(op, ..) = &e.node else {
            return self.bare(e, cx);
        };
        let p = bin_prec(*op);
        let mut rights: Vec<(BinOp, &Expr)> = Vec::new();
        let mut first = e;
        while let ExprKind::Binary(o, l, r) = &first.node
            && bin_prec(*o) == p
        {
            rights.push((*o, r));
            first = l;
        }
        rights.reverse();
        let op_cx = Cx {
            follow: Follow::Op,
            in_body: cx.in_body,
        };
        // Parentheses the reader would want: `(a and b) or c`, `x in (xs where r: p)`.
        let clarify = |x: &Expr| {
            is_where_like(x) || (p == P_OR && matches!(x.node, ExprKind::Binary(BinOp::And, ..)))
        };
        let head = self.expr_paren(first, p, op_cx, clarify(first));
        let mut tail = Vec::new();
        let n = rights.len();
        for (i, (o, r)) in rights.into_iter().enumerate() {
            tail.push(self.flush(start(r.span)));
            tail.push(Doc::Line);
            tail.push(text(format!("{} ", o.as_str())));
            let force = clarify(r);
            tail.push(self.expr_paren(r, p + 1, if i + 1 == n { cx } else { op_cx }, force));
        }
        group(concat(vec![head, indent(concat(tail))]))
    }

    /// `xs where r: p map r: e`: a chain of filter/map/selection postfixes, each on its own line
    /// when the chain does not fit.
    fn postfix_chain(&mut self, e: &Expr, cx: Cx) -> Doc {
        let mut links: Vec<(String, &Expr)> = Vec::new();
        let mut base = e;
        loop {
            let (kw, coll, var, body) = match &base.node {
                ExprKind::Where(c, v, b) => ("where", c, v, b),
                ExprKind::MapOp(c, v, b) => ("map", c, v, b),
                ExprKind::By(ByKind::Max, c, v, b) => ("max_by", c, v, b),
                ExprKind::By(ByKind::Min, c, v, b) => ("min_by", c, v, b),
                ExprKind::DistinctBy(c, v, b) => ("distinct by", c, v, b),
                _ => break,
            };
            links.push((format!("{kw} {}: ", var.node), body));
            base = coll;
        }
        links.reverse();
        let head = self.expr(
            base,
            P_POSTFIX,
            Cx {
                follow: Follow::WhereLike,
                in_body: false,
            },
        );
        let mut tail = Vec::new();
        let n = links.len();
        for (i, (kw, body)) in links.into_iter().enumerate() {
            // The keyword and bound name come before the body; comments before them too.
            let kw_pos = self.src[..start(body.span)]
                .rfind(':')
                .unwrap_or(start(body.span));
            tail.push(self.flush(kw_pos));
            tail.push(Doc::Line);
            tail.push(text(kw));
            let follow = if i + 1 == n {
                cx.follow
            } else {
                Follow::WhereLike
            };
            tail.push(self.expr(
                body,
                0,
                Cx {
                    follow,
                    in_body: true,
                },
            ));
        }
        group(concat(vec![head, indent(concat(tail))]))
    }
}
