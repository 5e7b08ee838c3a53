//! Comments are silent in the grammar, so they are not in the syntax tree: they are recovered
//! by scanning the source outside string literals (whose spans the tree has). `///` doc comments
//! are in the tree already and are skipped here.

use crate::syntax::ast::*;

/// One `// comment` (or `//// comment`) in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// The comment as written, without trailing whitespace.
    pub text: String,
    /// Only whitespace precedes it on its line (else it trails code).
    pub own_line: bool,
}

/// Every plain comment of `src`, in order. `file` is its parse (without errors).
pub fn scan(src: &str, file: &PolicyFile) -> Vec<Comment> {
    let mut strings: Vec<(usize, usize)> = Vec::new();
    for item in &file.items {
        strings_in_item(item, &mut strings);
    }
    strings.sort_unstable();
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut next_string = strings.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        while next_string.next_if(|&&(_, end)| end <= i).is_some() {}
        if let Some(&&(start, end)) = next_string.peek()
            && start <= i
        {
            i = end;
            continue;
        }
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/') {
            let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
            let is_doc = src[i..].starts_with("///") && !src[i..].starts_with("////");
            if !is_doc {
                let line_start = src[..i].rfind('\n').map_or(0, |n| n + 1);
                out.push(Comment {
                    start: i,
                    text: src[i..end].trim_end().to_string(),
                    own_line: src[line_start..i].trim().is_empty(),
                });
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

fn strings_in_item(item: &Item, out: &mut Vec<(usize, usize)>) {
    match item {
        Item::Levels(_) | Item::Enum(_) => {}
        Item::Record(d) | Item::Manifest(d) => strings_in_fields(&d.fields, out),
        Item::Let(d) => {
            for p in d.params.iter().flatten() {
                if let Some(t) = &p.ty {
                    strings_in_type(t, out);
                }
            }
            strings_in_expr(&d.body, out);
        }
        Item::Policy(p) => {
            for c in &p.clauses {
                match c {
                    Clause::Severity(_) => {}
                    Clause::When(e) | Clause::Require(e) | Clause::Override(e) => {
                        strings_in_expr(e, out)
                    }
                    Clause::Message(t) | Clause::Help(t) | Clause::OverrideMessage(t) => {
                        out.push((t.span.range().start, t.span.range().end))
                    }
                }
            }
        }
    }
}

fn strings_in_fields(fields: &[FieldDecl], out: &mut Vec<(usize, usize)>) {
    for f in fields {
        strings_in_type(&f.ty, out);
        if let Some(d) = &f.default {
            strings_in_expr(d, out);
        }
    }
}

fn strings_in_type(t: &TypeExpr, out: &mut Vec<(usize, usize)>) {
    match &t.kind {
        TypeKind::List(t) | TypeKind::Map(t, _) => strings_in_type(t, out),
        TypeKind::Record(fields) => strings_in_fields(fields, out),
        TypeKind::Named(_) | TypeKind::Enum(..) | TypeKind::Levels(..) => {}
    }
}

fn strings_in_expr(e: &Expr, out: &mut Vec<(usize, usize)>) {
    match &e.node {
        ExprKind::Str(_) => out.push((e.span.range().start, e.span.range().end)),
        ExprKind::Braces(entries) => {
            for (k, v) in entries {
                if matches!(k.node, Key::Str(_)) {
                    out.push((k.span.range().start, k.span.range().end));
                }
                strings_in_expr(v, out);
            }
        }
        _ => for_each_child(e, &mut |c| strings_in_expr(c, out)),
    }
}

/// Calls `f` on each direct sub-expression of `e`, in source order.
pub fn for_each_child(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    match &e.node {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Duration(_)
        | ExprKind::Timestamp(_)
        | ExprKind::Date(_)
        | ExprKind::Time(_)
        | ExprKind::Var(_) => {}
        ExprKind::Braces(entries) => entries.iter().for_each(|(_, v)| f(v)),
        ExprKind::If(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        ExprKind::Index(a, b)
        | ExprKind::MapOp(a, _, b)
        | ExprKind::By(_, a, _, b)
        | ExprKind::DistinctBy(a, _, b)
        | ExprKind::Binary(_, a, b)
        | ExprKind::Quant(_, _, _, a, b)
        | ExprKind::Where(a, _, b) => {
            f(a);
            f(b);
        }
        ExprKind::List(xs) | ExprKind::Call(_, xs) => xs.iter().for_each(f),
        ExprKind::Field(a, _) | ExprKind::Unary(_, a) => f(a),
    }
}
