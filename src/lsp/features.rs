//! Answers to requests about a position: hover, definition, references, completion, document
//! symbols, formatting.

use lsp_types::{
    CompletionItem, CompletionItemKind, DocumentSymbol, Documentation, Hover, HoverContents,
    Location, MarkupContent, MarkupKind, SymbolKind, TextEdit,
};

use super::analysis::Analysis;
use super::convert::LineIndex;
use super::index::{self, Symbol};
use crate::check::ir::{Builtin, LocalPart, Ty, TypeDef, TypeId};
use crate::source::{FileId, Span};
use crate::syntax::ast::{Item, TypeKind};

const KEYWORDS: [&str; 33] = [
    "policy", "let", "record", "levels", "enum", "manifest", "severity", "when", "require",
    "message", "help", "override", "deny", "warn", "info", "and", "or", "not", "in", "any", "all",
    "where", "matches", "map", "max_by", "min_by", "distinct", "by", "if", "then", "else", "true",
    "false",
];

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

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier around `offset`, and where it starts.
fn word_at(text: &str, offset: usize) -> Option<(usize, &str)> {
    let offset = offset.min(text.len());
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_ident(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then(|| (start, &text[start..end]))
}

impl Analysis {
    fn type_id(&self, name: &str) -> Option<TypeId> {
        self.program.schema.types.iter().position(|t| match t {
            TypeDef::Record(r) => r.name == name,
            TypeDef::Enum(e) => e.name == name,
        })
    }

    /// The symbol at an offset of file `index`: a declaration or use under the cursor, else the
    /// name under the cursor looked up by name (the file may not parse right now).
    pub fn symbol_at(&self, index: usize, offset: usize) -> Option<Symbol> {
        for (file, at) in self.positions(index, offset) {
            let hit = self
                .occurrences
                .iter()
                .filter(|o| {
                    o.span.file == file && o.span.start as usize <= at && at <= o.span.end as usize
                })
                .min_by_key(|o| o.span.len());
            if let Some(o) = hit {
                return Some(o.symbol.clone());
            }
        }
        let (_, word) = word_at(self.text(index), offset)?;
        self.symbol_named(word)
    }

    fn symbol_named(&self, word: &str) -> Option<Symbol> {
        let p = &self.program;
        if p.defs.iter().any(|d| d.name == word) {
            return Some(Symbol::Def(word.into()));
        }
        if let Some(id) = self.type_id(word) {
            let builtin =
                matches!(&p.schema.types[id], TypeDef::Enum(e) if e.span == Span::default());
            if !builtin {
                return Some(Symbol::Type(word.into()));
            }
        }
        if self
            .items
            .iter()
            .any(|i| matches!(i, Item::Policy(d) if d.name.node == word))
        {
            return Some(Symbol::Policy(word.into()));
        }
        let owners: Vec<TypeId> = p
            .schema
            .types
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t, TypeDef::Enum(e) if e.variants.iter().any(|v| v == word)))
            .map(|(id, _)| id)
            .collect();
        match owners.as_slice() {
            [id] => Some(Symbol::Variant(*id, word.into())),
            _ => None,
        }
    }

    pub fn definition(&self, index: usize, offset: usize) -> Vec<Location> {
        let Some(sym) = self.symbol_at(index, offset) else {
            return Vec::new();
        };
        self.occurrences
            .iter()
            .filter(|o| o.decl && o.symbol == sym)
            .filter_map(|o| self.location(o.span))
            .collect()
    }

    pub fn references(&self, index: usize, offset: usize, with_decl: bool) -> Vec<Location> {
        let Some(sym) = self.symbol_at(index, offset) else {
            return Vec::new();
        };
        let mut out: Vec<Location> = self
            .occurrences
            .iter()
            .filter(|o| o.symbol == sym && (with_decl || !o.decl))
            .filter_map(|o| self.location(o.span))
            .collect();
        out.sort_by(|a, b| {
            (a.uri.as_str(), a.range.start.line, a.range.start.character).cmp(&(
                b.uri.as_str(),
                b.range.start.line,
                b.range.start.character,
            ))
        });
        out.dedup();
        out
    }

    pub fn hover(&self, index: usize, offset: usize) -> Option<Hover> {
        let text = match self.symbol_at(index, offset) {
            Some(sym) => self.describe(&sym)?,
            None => {
                let e = self
                    .positions(index, offset)
                    .into_iter()
                    .find_map(|(file, at)| {
                        index::smallest(&self.program, &|s: Span| {
                            s.file == file && s.start as usize <= at && at <= s.end as usize
                        })
                    })?;
                if e.ty == Ty::Unknown {
                    return None;
                }
                let written = self.sources.slice(e.span);
                let written = if written.len() > 60 || written.contains('\n') {
                    "this expression"
                } else {
                    written
                };
                format!(
                    "```charter\n{written}: {}\n```",
                    self.program.schema.display(&e.ty)
                )
            }
        };
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: text,
            }),
            range: None,
        })
    }

    fn ast_doc(&self, sym: &Symbol) -> Option<String> {
        self.items.iter().find_map(|i| match (i, sym) {
            (Item::Levels(d) | Item::Enum(d), Symbol::Type(n)) if d.name.node == *n => {
                d.doc.clone()
            }
            (Item::Levels(d) | Item::Enum(d), Symbol::Variant(_, v)) => d
                .variants
                .iter()
                .find(|x| x.name.node == *v)
                .and_then(|x| x.doc.clone()),
            (Item::Record(d) | Item::Manifest(d), Symbol::Type(n)) if d.name.node == *n => {
                d.doc.clone()
            }
            (Item::Let(d), Symbol::Def(n)) if d.name.node == *n => d.doc.clone(),
            (Item::Policy(d), Symbol::Policy(n)) if d.name.node == *n => d.doc.clone(),
            _ => None,
        })
    }

    /// Markdown for a symbol: how it is declared (with its type) and its doc comment.
    fn describe(&self, sym: &Symbol) -> Option<String> {
        let schema = &self.program.schema;
        let (code, doc) = match sym {
            Symbol::Def(name) => {
                let def = self.program.defs.iter().find(|d| d.name == *name)?;
                let params = self.items.iter().find_map(|i| match i {
                    Item::Let(d) if d.name.node == *name => d.params.as_ref().map(|ps| {
                        let names: Vec<&str> = ps.iter().map(|p| p.name.node.as_str()).collect();
                        format!("({})", names.join(", "))
                    }),
                    _ => None,
                });
                let ty = match &def.body.ty {
                    Ty::Unknown => String::new(),
                    t => format!(": {}", schema.display(t)),
                };
                (
                    format!("let {name}{}{ty}", params.unwrap_or_default()),
                    def.doc.clone(),
                )
            }
            Symbol::Type(name) => {
                let id = self.type_id(name)?;
                let code = match &schema.types[id] {
                    TypeDef::Record(r) => {
                        let kw = if *name == schema.root_name {
                            "manifest"
                        } else {
                            "record"
                        };
                        let fields: Vec<String> = r
                            .fields
                            .iter()
                            .map(|f| {
                                let opt = if f.optional { "?" } else { "" };
                                format!("  {}: {}{opt}", f.name, schema.display(&f.ty))
                            })
                            .collect();
                        format!("{kw} {name} {{\n{}\n}}", fields.join("\n"))
                    }
                    TypeDef::Enum(e) => {
                        let kw = if e.ordered { "levels" } else { "enum" };
                        format!("{kw} {name} {{ {} }}", e.variants.join(", "))
                    }
                };
                (code, self.ast_doc(sym))
            }
            Symbol::Field(id, name) => {
                let TypeDef::Record(r) = schema.types.get(*id)? else {
                    return None;
                };
                let f = r.fields.iter().find(|f| f.name == *name)?;
                let opt = if f.optional { "?" } else { "" };
                let bounds: String = f
                    .bounds
                    .iter()
                    .map(|(op, v)| format!(" {} {v}", op.as_str()))
                    .collect();
                (
                    format!(
                        "{}.{}: {}{opt}{bounds}",
                        r.name,
                        f.name,
                        schema.display(&f.ty)
                    ),
                    f.doc.clone(),
                )
            }
            Symbol::Variant(id, name) => {
                let TypeDef::Enum(e) = schema.types.get(*id)? else {
                    return None;
                };
                let pos = e.variants.iter().position(|v| v == name)?;
                let what = if e.ordered {
                    format!("level {} of {} of `{}`", pos + 1, e.variants.len(), e.name)
                } else {
                    format!("a value of `{}`", e.name)
                };
                let doc = self
                    .ast_doc(sym)
                    .map_or(what.clone(), |d| format!("{what}\n\n{d}"));
                (format!("{name}: {}", e.name), Some(doc))
            }
            Symbol::Policy(name) => {
                let severity = self
                    .program
                    .policies
                    .iter()
                    .find(|p| p.name == *name)
                    .map_or("deny", |p| p.severity.as_str());
                (
                    format!("policy {name} // severity {severity}"),
                    self.ast_doc(sym),
                )
            }
        };
        let mut out = format!("```charter\n{code}\n```");
        if let Some(d) = doc {
            out.push_str("\n\n");
            out.push_str(&d);
        }
        Some(out)
    }

    pub fn completion(&self, index: usize, offset: usize) -> Vec<CompletionItem> {
        let text = self.text(index);
        let offset = offset.min(text.len());
        let start = word_at(text, offset).map_or(offset, |(s, _)| s.min(offset));
        if text[..start].ends_with('.') {
            return self.members(index, start - 1, offset);
        }
        self.names()
    }

    /// Fields (or local-time parts) of the expression before the `.` at `dot`.
    fn members(&self, index: usize, dot: usize, offset: usize) -> Vec<CompletionItem> {
        let text = self.text(index);
        // Analyse the text without the `.` and what follows it: the base is then complete.
        let edited = format!("{}{}", &text[..dot], &text[offset..]);
        let again = self.with_text(index, edited);
        let id = again.files[index].id;
        let ty = index::smallest(&again.program, &|s: Span| {
            s.file == id && s.end as usize == dot
        })
        .map(|e| e.ty.clone())
        .filter(|t| *t != Ty::Unknown)
        .or_else(|| self.path_type(&text[..dot], index));
        let schema = &again.program.schema;
        match ty {
            Some(Ty::Record(id)) if matches!(schema.types.get(id), Some(TypeDef::Record(_))) => {
                schema
                    .record(id)
                    .fields
                    .iter()
                    .map(|f| CompletionItem {
                        label: f.name.clone(),
                        kind: Some(CompletionItemKind::FIELD),
                        detail: Some(format!(
                            "{}{}",
                            schema.display(&f.ty),
                            if f.optional { "?" } else { "" }
                        )),
                        documentation: f.doc.clone().map(Documentation::String),
                        ..CompletionItem::default()
                    })
                    .collect()
            }
            Some(Ty::Local) => LocalPart::ALL
                .iter()
                .map(|(n, _)| CompletionItem {
                    label: n.to_string(),
                    kind: Some(CompletionItemKind::FIELD),
                    ..CompletionItem::default()
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The type of a written path `a.b.c` ending `before`, from this analysis (when the edited
    /// text does not check): the manifest, a definition or a bound name, then fields by name.
    fn path_type(&self, before: &str, index: usize) -> Option<Ty> {
        let path: String = before
            .chars()
            .rev()
            .take_while(|c| is_ident(*c) || *c == '.')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let mut segs = path.split('.').filter(|s| !s.is_empty());
        let first = segs.next()?;
        let schema = &self.program.schema;
        let file = self.files[index].id;
        let mut ty = if first == schema.root_name
            && matches!(schema.types.get(schema.root), Some(TypeDef::Record(_)))
        {
            Ty::Record(schema.root)
        } else if let Some(d) = self.program.defs.iter().find(|d| d.name == first) {
            d.body.ty.clone()
        } else {
            // A bound name: its type where the program uses it in this file.
            index::smallest(&self.program, &|s: Span| {
                s.file == file && self.sources.slice(s) == first
            })
            .map(|e| e.ty.clone())?
        };
        for seg in segs {
            let Ty::Record(id) = ty else { return None };
            let TypeDef::Record(r) = schema.types.get(id)? else {
                return None;
            };
            ty = r.fields.iter().find(|f| f.name == seg)?.ty.clone();
        }
        Some(ty)
    }

    /// Everything a name can be: definitions, level and enum values, functions, the manifest,
    /// types and keywords.
    fn names(&self) -> Vec<CompletionItem> {
        let schema = &self.program.schema;
        let mut out = Vec::new();
        let mut push = |label: &str, kind: CompletionItemKind, detail: Option<String>| {
            out.push(CompletionItem {
                label: label.to_string(),
                kind: Some(kind),
                detail,
                ..CompletionItem::default()
            });
        };
        for d in &self.program.defs {
            let detail = (d.body.ty != Ty::Unknown).then(|| schema.display(&d.body.ty));
            push(&d.name, CompletionItemKind::VARIABLE, detail);
        }
        for t in &schema.types {
            match t {
                TypeDef::Enum(e) => {
                    for v in &e.variants {
                        push(v, CompletionItemKind::ENUM_MEMBER, Some(e.name.clone()));
                    }
                    if e.span != Span::default() && !e.name.contains('.') {
                        push(&e.name, CompletionItemKind::ENUM, None);
                    }
                }
                TypeDef::Record(r) if !r.name.contains('.') => {
                    push(&r.name, CompletionItemKind::STRUCT, None);
                }
                TypeDef::Record(_) => {}
            }
        }
        for (name, _) in Builtin::ALL {
            push(name, CompletionItemKind::FUNCTION, Some("function".into()));
        }
        for p in PRIMITIVES {
            push(p, CompletionItemKind::TYPE_PARAMETER, Some("type".into()));
        }
        for k in KEYWORDS {
            push(k, CompletionItemKind::KEYWORD, None);
        }
        out.sort_by(|a, b| a.label.cmp(&b.label));
        out.dedup_by(|a, b| a.label == b.label);
        out
    }

    /// The outline of file `index`: policies, definitions, records (with fields) and levels and
    /// enums (with values).
    #[expect(
        deprecated,
        reason = "DocumentSymbol::deprecated must be written to build one"
    )]
    pub fn symbols(&self, index: usize) -> Vec<DocumentSymbol> {
        let f = &self.files[index];
        let ours =
            |s: Span| s.file == f.id || f.shadow.as_ref().is_some_and(|(id, _)| *id == s.file);
        let range = |s: Span| {
            let (_, a, b) = self.current(s).unwrap_or((index, 0, 0));
            self.range(index, a, b)
        };
        let symbol = |name: &str,
                      kind: SymbolKind,
                      whole: Span,
                      sel: Span,
                      children: Vec<DocumentSymbol>| {
            DocumentSymbol {
                name: name.to_string(),
                detail: None,
                kind,
                tags: None,
                deprecated: None,
                range: range(whole),
                selection_range: range(sel),
                children: (!children.is_empty()).then_some(children),
            }
        };
        let mut out: Vec<(u32, DocumentSymbol)> = Vec::new();
        for item in self.items.iter().filter(|i| ours(i.span())) {
            let s = match item {
                Item::Levels(d) | Item::Enum(d) => {
                    let values = d
                        .variants
                        .iter()
                        .map(|v| {
                            symbol(
                                &v.name.node,
                                SymbolKind::ENUM_MEMBER,
                                v.name.span,
                                v.name.span,
                                Vec::new(),
                            )
                        })
                        .collect();
                    symbol(&d.name.node, SymbolKind::ENUM, d.span, d.name.span, values)
                }
                Item::Record(d) | Item::Manifest(d) => {
                    let fields = d
                        .fields
                        .iter()
                        .map(|fd| {
                            let whole = Span {
                                end: fd.ty.span.end.max(fd.name.span.end),
                                ..fd.name.span
                            };
                            let kind = if matches!(fd.ty.kind, TypeKind::Record(_)) {
                                SymbolKind::STRUCT
                            } else {
                                SymbolKind::FIELD
                            };
                            symbol(&fd.name.node, kind, whole, fd.name.span, Vec::new())
                        })
                        .collect();
                    symbol(
                        &d.name.node,
                        SymbolKind::STRUCT,
                        d.span,
                        d.name.span,
                        fields,
                    )
                }
                Item::Let(d) => {
                    let kind = if d.params.is_some() {
                        SymbolKind::FUNCTION
                    } else {
                        SymbolKind::CONSTANT
                    };
                    symbol(&d.name.node, kind, d.span, d.name.span, Vec::new())
                }
                Item::Policy(d) => symbol(
                    &d.name.node,
                    SymbolKind::EVENT,
                    d.span,
                    d.name.span,
                    Vec::new(),
                ),
            };
            out.push((s.range.start.line, s));
        }
        out.sort_by_key(|(line, _)| *line);
        out.into_iter().map(|(_, s)| s).collect()
    }
}

/// The whole-document edit that formats `text`, `None` when it does not parse.
pub fn formatting(text: &str) -> Option<Vec<TextEdit>> {
    let out = crate::fmt::format(FileId(0), text).ok()?;
    if out == text {
        return Some(Vec::new());
    }
    let range = LineIndex::new(text).range(0, text.len());
    Some(vec![TextEdit::new(range, out)])
}
