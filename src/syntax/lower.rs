//! pest pairs -> AST, one function per grammar rule. An impossible pair shape is a bug in the
//! grammar or in this file (it panics with the rule name); user input never reaches a panic.

use std::sync::LazyLock;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use crate::diag::Diagnostic;
use crate::source::{FileId, Span, Spanned};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/charter.pest"]
struct CharterParser;

/// Most operators in one flat expression; longer chains are an error, not a deep recursion.
const MAX_OPERATORS: usize = 256;
/// Deepest expression tree accepted.
const MAX_EXPR_DEPTH: usize = 128;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_re, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left)
            | Op::infix(Rule::op_matches, Assoc::Left))
        .op(Op::infix(Rule::op_default, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
        .op(Op::postfix(Rule::field_access)
            | Op::postfix(Rule::index)
            | Op::postfix(Rule::where_op)
            | Op::postfix(Rule::map_op)
            | Op::postfix(Rule::by_op)
            | Op::postfix(Rule::distinct_by))
});

pub(super) type ChunkResult = Result<(Vec<Item>, Vec<Diagnostic>), Box<Diagnostic>>;

/// Parses `text` (a whole file, or the slice of it starting at byte `base`).
/// `more_follows`: the chunk ends before the end of the file.
pub(super) fn parse_chunk(
    file: FileId,
    text: &str,
    base: usize,
    more_follows: bool,
) -> ChunkResult {
    // Error detail (the rules pest tried, with their call stacks) makes parsing several times
    // slower, and only a failure needs it: parse without, and again with it on failure.
    pest::set_error_detail(false);
    let parsed = CharterParser::parse(Rule::file, text).or_else(|_| {
        pest::set_error_detail(true);
        CharterParser::parse(Rule::file, text)
    });
    let mut pairs =
        parsed.map_err(|e| Box::new(syntax_error(file, text, base, more_follows, &e)))?;
    let file_pair = pairs.next().expect("grammar: file is the start rule");
    let mut cx = Lower {
        file,
        base,
        errors: Vec::new(),
        nesting: 0,
        cut: false,
    };
    let mut items = Vec::new();
    for p in file_pair.into_inner() {
        match p.as_rule() {
            Rule::EOI => {}
            _ => items.push(cx.item(p)),
        }
    }
    Ok((items, cx.errors))
}

/// One expression alone (a condition written outside a policy file), its spans offset by `base`.
pub(super) fn parse_condition(
    file: FileId,
    text: &str,
    base: usize,
) -> Result<Expr, Box<Diagnostic>> {
    if let Some(err) = nesting_error(file, text, base) {
        return Err(Box::new(err));
    }
    pest::set_error_detail(false);
    let parsed = CharterParser::parse(Rule::condition, text).or_else(|_| {
        pest::set_error_detail(true);
        CharterParser::parse(Rule::condition, text)
    });
    let mut pairs = parsed.map_err(|e| Box::new(syntax_error(file, text, base, false, &e)))?;
    let condition = pairs.next().expect("grammar: condition is a start rule");
    let expr = condition
        .into_inner()
        .next()
        .expect("grammar: a condition holds an expression");
    let mut cx = Lower {
        file,
        base,
        errors: Vec::new(),
        nesting: 0,
        cut: false,
    };
    let e = cx.expr(expr);
    match cx.errors.into_iter().next() {
        Some(err) => Err(Box::new(err)),
        None => Ok(e),
    }
}

/// Words that open an expression nested in another without a bracket around it.
const NESTING_WORDS: [&str; 8] = [
    "any", "all", "if", "where", "map", "max_by", "min_by", "distinct",
];

/// Words that may follow a complete expression: after one of them, `let x` is no new item.
const FOLLOW_WORDS: [&str; 13] = [
    "and", "or", "not", "in", "matches", "where", "map", "max_by", "min_by", "distinct", "by",
    "then", "else",
];

/// When `word` (ending at `at`) begins an item (`let name =`, `let name(`, `policy name {`,
/// `record name {`, ...), where its name ends. No expression can hold these words in this order
/// (a variable named `let` followed by a name is no expression), so a scan can start counting
/// again: pest, had it been inside an expression, stops there.
fn item_head(text: &str, word: &str, at: usize) -> Option<usize> {
    if !super::ITEM_KEYWORDS.contains(&word) {
        return None;
    }
    let b = text.as_bytes();
    let mut i = at;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    if !(i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_')) {
        return None;
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
        i += 1;
    }
    let end = i;
    // `let and(x)`, `policy and-x {` would go on with the expression: `and x`, `and -x`.
    let first = text[start..end].split('-').next().unwrap_or_default();
    if FOLLOW_WORDS.contains(&first) {
        return None;
    }
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    match b.get(i) {
        Some(b'=') if b.get(i + 1) != Some(&b'=') => Some(end),
        Some(b'(' | b'{') => Some(end),
        _ => None,
    }
}

/// Nesting that pest would recurse into too deeply, found before it does: brackets deeper than
/// [`super::MAX_NESTING`] (the `{...}` of a message's interpolations included), or more than
/// [`super::MAX_SCAN_DEPTH`] brackets and nesting words (`any x in xs: ...`, `if ... then`)
/// open at once. A word counts until the bracket around it closes, whether or not it opened
/// anything (a field named `map`, a variable named `any`): the count bounds pest's recursion
/// however the expression is spelled, and the bound is far above any real policy (the lowering
/// refuses expressions more than [`MAX_EXPR_DEPTH`] deep). `text` starts at byte `base` of its file.
pub(super) fn nesting_error(file: FileId, text: &str, base: usize) -> Option<Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Code,
        Str,
        Template,
    }
    /// An open bracket: the nesting words in it, and whether it is a message's `{...}`.
    struct Level {
        words: usize,
        interp: bool,
    }
    let b = text.as_bytes();
    let mut levels = vec![Level {
        words: 0,
        interp: false,
    }];
    let mut words = 0usize;
    let mut mode = Mode::Code;
    // The last word was `message` or `help`: a string right after it is a template.
    let mut template_next = false;
    let mut i = 0;
    while i < b.len() {
        let (c, token) = (b[i], i);
        if mode != Mode::Code {
            match c {
                b'\\' => i += 1,
                // A string cannot span lines: pest stops at the line's end.
                b'"' | b'\n' => mode = Mode::Code,
                b'{' if mode == Mode::Template => {
                    levels.push(Level {
                        words: 0,
                        interp: true,
                    });
                    mode = Mode::Code;
                }
                _ => {}
            }
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            template_next = word == "message" || word == "help";
            if levels.len() == 1
                && let Some(end) = item_head(text, word, i)
            {
                // A new item: nothing of the one before is open any more.
                words -= levels[0].words;
                levels[0].words = 0;
                i = end;
            } else if NESTING_WORDS.contains(&word) {
                words += 1;
                if let Some(top) = levels.last_mut() {
                    top.words += 1;
                }
            }
        } else {
            match c {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = text[i..].find('\n').map_or(b.len(), |n| i + n);
                    continue;
                }
                b'"' => {
                    mode = if template_next {
                        Mode::Template
                    } else {
                        Mode::Str
                    };
                }
                b'(' | b'[' | b'{' => levels.push(Level {
                    words: 0,
                    interp: false,
                }),
                b')' | b']' | b'}' if levels.len() > 1 => {
                    if let Some(level) = levels.pop() {
                        words -= level.words;
                        if level.interp && c == b'}' {
                            mode = Mode::Template;
                        }
                    }
                }
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                template_next = false;
            }
            i += 1;
        }
        let brackets = levels.len() - 1;
        if brackets > super::MAX_NESTING {
            return Some(
                Diagnostic::error("charter::syntax::too_deep", "brackets nest too deeply")
                    .with_label(
                        Span::new(file, base + token, base + token + 1),
                        format!("more than {} levels deep", super::MAX_NESTING),
                    )
                    .with_help("split the expression into named definitions with `let`"),
            );
        }
        if brackets + words > super::MAX_SCAN_DEPTH {
            return Some(
                Diagnostic::error("charter::syntax::too_deep", "expression nests too deeply")
                    .with_label(
                        Span::new(file, base + token, base + i),
                        format!(
                            "brackets, quantifiers and conditions nest more than {} levels deep here",
                            super::MAX_SCAN_DEPTH
                        ),
                    )
                    .with_help("split the expression into named definitions with `let`"),
            );
        }
    }
    None
}

/// Strings not closed on their line, for a file that did not parse. A message's `{expr}` may
/// itself hold strings, so interpolations are followed.
pub(super) fn unterminated_strings(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for (line_start, line) in text.split_inclusive('\n').scan(0, |at, l| {
        let start = *at;
        *at += l.len();
        Some((start, l))
    }) {
        // A stack of open strings and of interpolations inside them: (is a string, offset).
        let mut stack: Vec<(bool, usize)> = Vec::new();
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let in_string = stack.last().is_some_and(|(s, _)| *s);
            if !in_string && line[i..].starts_with("//") {
                break;
            }
            match (in_string, c) {
                (true, '\\') => {
                    chars.next();
                }
                (true, '"') => {
                    stack.pop();
                }
                (true, '{') => stack.push((false, i)),
                (false, '"') => stack.push((true, i)),
                (false, '}') if !stack.is_empty() => {
                    stack.pop();
                }
                _ => {}
            }
        }
        if let Some(&(_, open)) = stack.iter().find(|(s, _)| *s) {
            let at = line_start + open;
            errors.push(
                Diagnostic::error(
                    "charter::syntax::unterminated_string",
                    "unterminated string",
                )
                .with_label(
                    Span::new(file, at, at + 1),
                    "this string is not closed on its line",
                )
                .with_help(
                    "close it with `\"`; a string cannot span lines (write `\\n` for a line break)",
                ),
            );
        }
    }
    errors
}

fn syntax_error(
    file: FileId,
    text: &str,
    base: usize,
    more_follows: bool,
    e: &pest::error::Error<Rule>,
) -> Diagnostic {
    let mut pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !expected.contains(&s) {
            expected.push(s);
        }
    };
    let attempts = e.parse_attempts();
    // pest reports the furthest *rule* it tried; a literal token (`{`, `}`) may have been tried
    // further on. The furthest point is where the text stopped making sense.
    let attempts = attempts.filter(|a| a.max_position >= pos);
    if let Some(a) = &attempts
        && a.max_position > pos
    {
        pos = a.max_position;
    } else if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(name) = rule_name(*r) {
                push(name.to_string());
            }
        }
    }
    if let Some(a) = &attempts {
        for stack in a.call_stacks() {
            let rule = stack.deepest.get_rule().copied().or(stack.parent);
            if let Some(name) = rule.and_then(rule_name) {
                push(name.to_string());
            }
        }
        for tok in a.expected_tokens() {
            let token = tok.to_string();
            if ["{", "}", "(", ")", "[", "]", ":", "=", ","].contains(&token.as_str()) {
                push(format!("`{token}`"));
            }
        }
    }
    // After a complete expression almost anything may follow; name the likely intent only.
    if expected.iter().any(|e| e == "an operator") {
        expected
            .retain(|e| e == "an operator" || ["`)`", "`]`", "`}`", "`,`"].contains(&e.as_str()));
    }
    expected.sort_by_key(|s| (s.starts_with('`'), s.clone()));
    let rest = &text[pos..];
    let found = found_token(rest);
    // The end of a chunk that is not the end of the file: the next item begins here.
    if found.is_none() && more_follows && expected.iter().any(|e| e == "`}`") {
        let at = Span::new(file, base + pos, base + pos);
        return Diagnostic::error(
            "charter::syntax::unclosed",
            "missing `}`: this item is not closed before the next one",
        )
        .with_label(
            Span::new(
                file,
                base,
                base + text.find('\n').unwrap_or(text.len()).min(text.len()),
            ),
            "this item",
        )
        .with_label(at, "expected `}` before the next item")
        .with_help("close the item with `}`");
    }
    if found.is_none()
        && text
            .trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.trim_start().starts_with("///"))
    {
        let start = text.trim_end().rfind("///").unwrap_or(0);
        return Diagnostic::error(
            "charter::syntax::dangling_doc",
            "a doc comment `///` must come before the item it documents",
        )
        .with_label(
            Span::new(file, base + start, base + text.trim_end().len()),
            "nothing follows this doc comment",
        )
        .with_help("use `//` for a plain comment");
    }
    let expected_text = join_or(&expected);
    let where_ = if more_follows {
        "end of the item"
    } else {
        "end of file"
    };
    let message = match (&found, expected.is_empty()) {
        (Some(f), false) => format!("unexpected {f}: expected {expected_text}"),
        (None, false) => format!("unexpected {where_}: expected {expected_text}"),
        (Some(f), true) => format!("unexpected {f}"),
        (None, true) => format!("unexpected {where_}"),
    };
    let label = if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {expected_text}")
    };
    let len = found.as_ref().map_or(0, |_| token_len(rest));
    if found.is_none() {
        // The item (or file) ended early: point at the end of what was written, not at the
        // next item's first column below the blank lines and comments.
        pos = written_end(text, pos);
    }
    Diagnostic::error("charter::syntax::unexpected", message)
        .with_label(Span::new(file, base + pos, base + pos + len), label)
        .with_help_opt(syntax_help(rest, &expected))
}

/// The end of `text[..pos]` without trailing blank space and comment lines.
fn written_end(text: &str, pos: usize) -> usize {
    let mut end = text[..pos].trim_end().len();
    loop {
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        if line_start == 0 || !text[line_start..end].trim_start().starts_with("//") {
            return end;
        }
        end = text[..line_start].trim_end().len();
    }
}

fn syntax_help(rest: &str, expected: &[String]) -> Option<String> {
    if rest.starts_with("&&") {
        return Some("write `and` instead of `&&`".into());
    }
    if rest.starts_with("||") {
        return Some("write `or` instead of `||`".into());
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return Some("write `not` instead of `!`".into());
    }
    if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=~") {
        return Some("compare with `==`".into());
    }
    if rest.starts_with('\'') {
        return Some("strings use double quotes: \"...\"".into());
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let clause_words = ["severity", "when", "require", "message", "help"];
    if expected.iter().any(|e| e == "`require`") {
        if let Some(s) = crate::diag::did_you_mean(&word, clause_words) {
            return Some(format!("did you mean `{s}`?"));
        }
        return Some("a policy holds `severity`, `when`, `require`, `message` and `help` clauses, one per line".into());
    }
    let items = ["policy", "let", "record", "levels", "enum", "manifest"];
    if expected.iter().any(|e| e.starts_with("a declaration")) || expected.is_empty() {
        return crate::diag::did_you_mean(&word, items).map(|s| format!("did you mean `{s}`?"));
    }
    None
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn token_len(rest: &str) -> usize {
    let first = rest.chars().next().map_or(0, char::len_utf8);
    let word: usize = rest
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .map(|(_, c)| c.len_utf8())
        .sum();
    word.max(first)
}

fn found_token(rest: &str) -> Option<String> {
    let c = rest.chars().next()?;
    Some(if c.is_alphanumeric() || c == '_' {
        format!("`{}`", &rest[..token_len(rest)])
    } else if c == '\n' {
        "end of line".to_string()
    } else {
        let run: String = rest
            .chars()
            .take_while(|c| "&|=!<>".contains(*c))
            .take(2)
            .collect();
        if run.len() > 1 {
            format!("`{run}`")
        } else {
            format!("`{c}`")
        }
    })
}

/// Words a person uses for each grammar rule; `None` hides the rule from "expected" lists.
fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::levels_decl
        | Rule::enum_decl
        | Rule::record_decl
        | Rule::manifest_decl
        | Rule::let_decl
        | Rule::policy_decl => {
            "a declaration (`policy`, `let`, `record`, `levels`, `enum` or `manifest`)"
        }
        Rule::EOI => "end of file",
        Rule::ident | Rule::var => "a name",
        Rule::field_name => "a field name",
        Rule::policy_name => "a policy name",
        Rule::variant => "a value name",
        Rule::type_expr
        | Rule::list_type
        | Rule::map_type
        | Rule::inline_enum
        | Rule::inline_levels
        | Rule::inline_record
        | Rule::named_type => "a type",
        Rule::optional => "`?`",
        Rule::field_decl => "a field",
        Rule::severity_clause => "`severity`",
        Rule::when_clause => "`when`",
        Rule::require_clause => "`require`",
        Rule::message_clause => "`message`",
        Rule::help_clause => "`help`",
        Rule::override_clause => "`override when`",
        Rule::override_message_clause => "`override message`",
        Rule::severity_level => "`deny`, `warn` or `info`",
        Rule::expr
        | Rule::body
        | Rule::quantifier
        | Rule::quant_kind
        | Rule::call
        | Rule::paren
        | Rule::list
        | Rule::bool
        | Rule::int
        | Rule::float
        | Rule::duration
        | Rule::timestamp
        | Rule::date
        | Rule::time_of_day
        | Rule::if_expr
        | Rule::braces
        | Rule::op_not
        | Rule::op_neg => "an expression",
        Rule::modifiers => "modifiers such as `(ignore_case)`",
        Rule::default => "`= default`",
        Rule::refinement => "a bound such as `>= 0`",
        Rule::params => "parameters",
        Rule::index => "`[`",
        Rule::map_op | Rule::by_op | Rule::distinct_by => {
            "`map`, `max_by`, `min_by` or `distinct by`"
        }
        Rule::op_default | Rule::op_re => "an operator",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::string => "a string",
        Rule::template => "a string (the message text, in double quotes)",
        Rule::op_or
        | Rule::op_and
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_in
        | Rule::op_matches
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div => "an operator",
        Rule::field_access => "`.`",
        Rule::where_op | Rule::kw_where => "`where`",
        Rule::kw_in => "`in`",
        Rule::kw_levels => "`levels`",
        Rule::kw_enum => "`enum`",
        Rule::kw_record => "`record`",
        Rule::kw_manifest => "`manifest`",
        Rule::kw_map => "`map`",
        Rule::kw_let => "`let`",
        Rule::kw_policy => "`policy`",
        Rule::kw_severity => "`severity`",
        Rule::kw_when => "`when`",
        Rule::kw_require => "`require`",
        Rule::kw_message => "`message`",
        Rule::kw_help => "`help`",
        Rule::kw_override => "`override`",
        _ => return None,
    })
}

struct Lower {
    file: FileId,
    base: usize,
    errors: Vec<Diagnostic>,
    /// How many `expr` calls are active: size and depth are checked at the outermost only.
    nesting: usize,
    /// An expression inside the one being lowered was too deep to follow.
    cut: bool,
}

impl Lower {
    /// The pair's span without trailing whitespace (pest includes the whitespace it skipped
    /// while trying a repetition that then did not match).
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let len = p.as_str().trim_end().len();
        Span::new(
            self.file,
            self.base + s.start(),
            self.base + s.start() + len,
        )
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Spanned::new(p.as_str().to_string(), self.span(&p))
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Item {
        match p.as_rule() {
            Rule::levels_decl => Item::Levels(self.enum_decl(p)),
            Rule::enum_decl => Item::Enum(self.enum_decl(p)),
            Rule::record_decl => Item::Record(self.record_decl(p)),
            Rule::manifest_decl => Item::Manifest(self.record_decl(p)),
            Rule::let_decl => Item::Let(self.let_decl(p)),
            Rule::policy_decl => Item::Policy(self.policy_decl(p)),
            r => panic!("grammar: unexpected item rule {r:?}"),
        }
    }

    /// Leading `doc` pairs joined into one doc string.
    fn docs<'i>(
        &self,
        inner: &mut std::iter::Peekable<pest::iterators::Pairs<'i, Rule>>,
    ) -> Option<String> {
        let mut lines = Vec::new();
        while let Some(p) = inner.next_if(|p| p.as_rule() == Rule::doc) {
            let text = p.into_inner().next().map_or("", |t| t.as_str());
            lines.push(
                text.strip_prefix(' ')
                    .unwrap_or(text)
                    .trim_end()
                    .to_string(),
            );
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    fn enum_decl(&mut self, p: Pair<'_, Rule>) -> EnumDecl {
        let span = self.span(&p);
        let mut inner = p.into_inner().peekable();
        let doc = self.docs(&mut inner);
        let _kw = inner.next();
        let name = self.ident(inner.next().expect("grammar: enum name"));
        let modifiers = self.modifiers(&mut inner);
        let variants = self.variants(inner.next().expect("grammar: variants"));
        EnumDecl {
            doc,
            name,
            modifiers,
            variants,
            span,
        }
    }

    fn modifiers(
        &self,
        inner: &mut std::iter::Peekable<pest::iterators::Pairs<'_, Rule>>,
    ) -> Vec<Ident> {
        match inner.next_if(|p| p.as_rule() == Rule::modifiers) {
            Some(m) => m.into_inner().map(|m| self.ident(m)).collect(),
            None => Vec::new(),
        }
    }

    fn variants(&mut self, p: Pair<'_, Rule>) -> Vec<Variant> {
        debug_assert_eq!(p.as_rule(), Rule::variants);
        p.into_inner()
            .map(|v| {
                let mut inner = v.into_inner().peekable();
                let doc = self.docs(&mut inner);
                let name = self.ident(inner.next().expect("grammar: variant name"));
                Variant { doc, name }
            })
            .collect()
    }

    fn record_decl(&mut self, p: Pair<'_, Rule>) -> RecordDecl {
        let span = self.span(&p);
        let mut inner = p.into_inner().peekable();
        let doc = self.docs(&mut inner);
        let _kw = inner.next();
        let name = self.ident(inner.next().expect("grammar: record name"));
        let fields = self.record_body(inner.next().expect("grammar: record body"));
        RecordDecl {
            doc,
            name,
            fields,
            span,
        }
    }

    fn record_body(&mut self, p: Pair<'_, Rule>) -> Vec<FieldDecl> {
        debug_assert_eq!(p.as_rule(), Rule::record_body);
        p.into_inner().map(|f| self.field_decl(f)).collect()
    }

    fn field_decl(&mut self, p: Pair<'_, Rule>) -> FieldDecl {
        debug_assert_eq!(p.as_rule(), Rule::field_decl);
        let mut inner = p.into_inner().peekable();
        let doc = self.docs(&mut inner);
        let name = self.ident(inner.next().expect("grammar: field name"));
        let ty = self.type_expr(inner.next().expect("grammar: field type"));
        let default = inner
            .next()
            .map(|d| self.expr(d.into_inner().next().expect("grammar: default expr")));
        FieldDecl {
            doc,
            name,
            ty,
            default,
        }
    }

    fn type_expr(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        debug_assert_eq!(p.as_rule(), Rule::type_expr);
        let span = self.span(&p);
        let mut inner = p.into_inner().peekable();
        let atom = inner.next().expect("grammar: type atom");
        let optional = inner.next_if(|p| p.as_rule() == Rule::optional).is_some();
        let refinements = inner
            .map(|r| {
                let span = self.span(&r);
                let mut parts = r.into_inner();
                let op = match parts.next().expect("grammar: refinement op").as_rule() {
                    Rule::op_ge => BinOp::Ge,
                    Rule::op_le => BinOp::Le,
                    Rule::op_gt => BinOp::Gt,
                    _ => BinOp::Lt,
                };
                let bound = parts
                    .next()
                    .expect("grammar: refinement bound")
                    .as_str()
                    .to_string();
                Refinement { op, bound, span }
            })
            .collect();
        let kind = match atom.as_rule() {
            Rule::named_type => {
                TypeKind::Named(self.ident(atom.into_inner().next().expect("grammar: type name")))
            }
            Rule::list_type => TypeKind::List(Box::new(
                self.type_expr(
                    atom.into_inner()
                        .next()
                        .expect("grammar: list element type"),
                ),
            )),
            Rule::map_type | Rule::inline_enum | Rule::inline_levels => {
                let rule = atom.as_rule();
                let mut parts = atom.into_inner().peekable();
                let _kw = parts.next();
                let mods = self.modifiers(&mut parts);
                let last = parts.next().expect("grammar: map value type or variants");
                match rule {
                    Rule::map_type => TypeKind::Map(Box::new(self.type_expr(last)), mods),
                    Rule::inline_enum => TypeKind::Enum(self.variants(last), mods),
                    _ => TypeKind::Levels(self.variants(last), mods),
                }
            }
            Rule::inline_record => TypeKind::Record(
                self.record_body(atom.into_inner().next().expect("grammar: record body")),
            ),
            r => panic!("grammar: unexpected type rule {r:?}"),
        };
        TypeExpr {
            kind,
            optional,
            refinements,
            span,
        }
    }

    fn let_decl(&mut self, p: Pair<'_, Rule>) -> LetDecl {
        let span = self.span(&p);
        let mut inner = p.into_inner().peekable();
        let doc = self.docs(&mut inner);
        let _kw = inner.next();
        let name = self.ident(inner.next().expect("grammar: let name"));
        let params = inner.next_if(|p| p.as_rule() == Rule::params).map(|ps| {
            ps.into_inner()
                .map(|param| {
                    let mut parts = param.into_inner();
                    let name = self.ident(parts.next().expect("grammar: parameter name"));
                    let ty = parts.next().map(|t| self.type_expr(t));
                    Param { name, ty }
                })
                .collect()
        });
        let body = self.expr(inner.next().expect("grammar: let body"));
        LetDecl {
            doc,
            name,
            params,
            body,
            span,
        }
    }

    fn policy_decl(&mut self, p: Pair<'_, Rule>) -> PolicyDecl {
        let span = self.span(&p);
        let mut inner = p.into_inner().peekable();
        let doc = self.docs(&mut inner);
        let _kw = inner.next();
        let name = self.ident(inner.next().expect("grammar: policy name"));
        let clauses = inner.map(|c| self.clause(c)).collect();
        PolicyDecl {
            doc,
            name,
            clauses,
            span,
        }
    }

    fn clause(&mut self, p: Pair<'_, Rule>) -> Clause {
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        let _kw = inner.next();
        if matches!(rule, Rule::override_clause | Rule::override_message_clause) {
            let _when_or_message = inner.next();
        }
        let body = inner.next().expect("grammar: clause body");
        match rule {
            Rule::severity_clause => {
                let sev = match body.as_str() {
                    "deny" => Severity::Deny,
                    "warn" => Severity::Warn,
                    "info" => Severity::Info,
                    s => panic!("grammar: unexpected severity {s}"),
                };
                Clause::Severity(Spanned::new(sev, self.span(&body)))
            }
            Rule::when_clause => Clause::When(self.expr(body)),
            Rule::require_clause => Clause::Require(self.expr(body)),
            Rule::override_clause => Clause::Override(self.expr(body)),
            Rule::override_message_clause => Clause::OverrideMessage(self.template(body)),
            Rule::message_clause => Clause::Message(self.template(body)),
            Rule::help_clause => Clause::Help(self.template(body)),
            r => panic!("grammar: unexpected clause rule {r:?}"),
        }
    }

    fn template(&mut self, p: Pair<'_, Rule>) -> Template {
        debug_assert_eq!(p.as_rule(), Rule::template);
        let span = self.span(&p);
        let parts = p
            .into_inner()
            .map(|part| match part.as_rule() {
                Rule::text => TemplatePart::Text(unescape(part.as_str())),
                Rule::interp => TemplatePart::Expr(
                    self.expr(
                        part.into_inner()
                            .next()
                            .expect("grammar: interpolated expr"),
                    ),
                ),
                r => panic!("grammar: unexpected template rule {r:?}"),
            })
            .collect();
        Template { parts, span }
    }

    /// An expression: checks its size, then lowers it and checks its depth.
    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        debug_assert!(matches!(p.as_rule(), Rule::expr | Rule::body));
        let span = self.span(&p);
        // Point at the first line only: the expression may span hundreds.
        let first_line = p.as_str().find('\n').map_or(span, |n| Span {
            end: span.start + n as u32,
            ..span
        });
        if p.clone().into_inner().count() > 2 * MAX_OPERATORS {
            self.errors.push(
                Diagnostic::error("charter::syntax::too_long", "expression is too long")
                    .with_label(
                        first_line,
                        format!("this expression has more than {MAX_OPERATORS} operators"),
                    )
                    .with_help("split it into named definitions with `let`"),
            );
            return Spanned::new(ExprKind::Bool(false), span);
        }
        // Deeper than the limit: stop here (the outermost expression reports it) rather than
        // recurse as deep as the text goes.
        // (Brackets add calls here but no depth to the tree: twice the limit is never reached
        // by an expression the limit accepts.)
        if self.nesting > 2 * MAX_EXPR_DEPTH {
            self.cut = true;
            return Spanned::new(ExprKind::Bool(false), span);
        }
        self.nesting += 1;
        let e = self.pratt(p);
        self.nesting -= 1;
        if self.nesting == 0 && (std::mem::take(&mut self.cut) || depth_exceeds(&e, MAX_EXPR_DEPTH))
        {
            self.errors.push(
                Diagnostic::error("charter::syntax::too_deep", "expression nests too deeply")
                    .with_label(
                        first_line,
                        format!("this expression nests more than {MAX_EXPR_DEPTH} levels deep"),
                    )
                    .with_help("split it into named definitions with `let`"),
            );
            return Spanned::new(ExprKind::Bool(false), span);
        }
        e
    }

    fn pratt(&mut self, p: Pair<'_, Rule>) -> Expr {
        let this = std::cell::RefCell::new(self);
        PRATT
            .map_primary(|p| this.borrow_mut().primary(p))
            .map_prefix(|op, rhs| {
                let span = this.borrow().span(&op).cover(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_not => UnOp::Not,
                    Rule::op_neg => UnOp::Neg,
                    r => panic!("grammar: unexpected prefix {r:?}"),
                };
                Spanned::new(ExprKind::Unary(op, Box::new(rhs)), span)
            })
            .map_postfix(|lhs, op| {
                let span = lhs.span.cover(this.borrow().span(&op));
                match op.as_rule() {
                    Rule::field_access => {
                        let name = this
                            .borrow()
                            .ident(op.into_inner().next().expect("grammar: field name"));
                        Spanned::new(ExprKind::Field(Box::new(lhs), name), span)
                    }
                    Rule::index => {
                        let key = this
                            .borrow_mut()
                            .expr(op.into_inner().next().expect("grammar: index expr"));
                        Spanned::new(ExprKind::Index(Box::new(lhs), Box::new(key)), span)
                    }
                    Rule::where_op | Rule::map_op | Rule::by_op | Rule::distinct_by => {
                        let rule = op.as_rule();
                        let mut inner = op.into_inner();
                        let kw = inner.next().expect("grammar: postfix keyword");
                        if rule == Rule::distinct_by {
                            let _by = inner.next();
                        }
                        let var = this
                            .borrow()
                            .ident(inner.next().expect("grammar: bound variable"));
                        let body = Box::new(
                            this.borrow_mut()
                                .expr(inner.next().expect("grammar: postfix body")),
                        );
                        let lhs = Box::new(lhs);
                        let kind = match rule {
                            Rule::where_op => ExprKind::Where(lhs, var, body),
                            Rule::map_op => ExprKind::MapOp(lhs, var, body),
                            Rule::distinct_by => ExprKind::DistinctBy(lhs, var, body),
                            _ => {
                                let by = if kw.as_str() == "max_by" {
                                    ByKind::Max
                                } else {
                                    ByKind::Min
                                };
                                ExprKind::By(by, lhs, var, body)
                            }
                        };
                        Spanned::new(kind, span)
                    }
                    r => panic!("grammar: unexpected postfix {r:?}"),
                }
            })
            .map_infix(|lhs, op, rhs| {
                let op = match op.as_rule() {
                    Rule::op_or => BinOp::Or,
                    Rule::op_and => BinOp::And,
                    Rule::op_eq => BinOp::Eq,
                    Rule::op_ne => BinOp::Ne,
                    Rule::op_lt => BinOp::Lt,
                    Rule::op_le => BinOp::Le,
                    Rule::op_gt => BinOp::Gt,
                    Rule::op_ge => BinOp::Ge,
                    Rule::op_in => BinOp::In,
                    Rule::op_matches => BinOp::Matches,
                    Rule::op_re => BinOp::Regex,
                    Rule::op_default => BinOp::Default,
                    Rule::op_add => BinOp::Add,
                    Rule::op_sub => BinOp::Sub,
                    Rule::op_mul => BinOp::Mul,
                    Rule::op_div => BinOp::Div,
                    r => panic!("grammar: unexpected infix {r:?}"),
                };
                let span = lhs.span.cover(rhs.span);
                Spanned::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span)
            })
            .parse(p.into_inner())
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::paren => {
                // The parentheses belong to the expression's span, so labels quote it whole.
                let mut e = self.expr(p.into_inner().next().expect("grammar: paren expr"));
                e.span = span;
                return e;
            }
            Rule::bool => ExprKind::Bool(p.as_str() == "true"),
            Rule::int => match p.as_str().replace('_', "").parse::<i64>() {
                Ok(n) => ExprKind::Int(n),
                Err(_) => {
                    self.errors.push(
                        Diagnostic::error(
                            "charter::syntax::int_overflow",
                            "integer literal is too large",
                        )
                        .with_label(span, "does not fit in a 64-bit integer"),
                    );
                    ExprKind::Int(0)
                }
            },
            Rule::float => ExprKind::Float(p.as_str().parse().unwrap_or(0.0)),
            Rule::duration => match crate::literal::duration(p.as_str()) {
                Ok(secs) => ExprKind::Duration(secs),
                Err(why) => {
                    self.errors.push(
                        Diagnostic::error(
                            "charter::syntax::bad_duration",
                            format!("`{}` is not a duration: {why}", p.as_str()),
                        )
                        .with_label(span, "not a duration")
                        .with_help("write each unit once, largest first, with a number before it: `1h30m`, `2w`, `90s`"),
                    );
                    ExprKind::Duration(0)
                }
            },
            Rule::timestamp => ExprKind::Timestamp(p.as_str().to_string()),
            Rule::date => ExprKind::Date(p.as_str().to_string()),
            Rule::time_of_day => ExprKind::Time(p.as_str().to_string()),
            Rule::if_expr => {
                let mut inner = p.into_inner().filter(|x| x.as_rule() == Rule::expr);
                let mut next =
                    || self.expr(inner.next().expect("grammar: if has three expressions"));
                let (c, a, b) = (next(), next(), next());
                ExprKind::If(Box::new(c), Box::new(a), Box::new(b))
            }
            Rule::braces => ExprKind::Braces(
                p.into_inner()
                    .map(|entry| {
                        let mut parts = entry.into_inner();
                        let k = parts.next().expect("grammar: entry key");
                        let kspan = self.span(&k);
                        let key = match k.as_rule() {
                            Rule::string => {
                                Key::Str(unescape(k.into_inner().next().map_or("", |s| s.as_str())))
                            }
                            _ => Key::Name(k.as_str().to_string()),
                        };
                        let value = self.expr(parts.next().expect("grammar: entry value"));
                        (Spanned::new(key, kspan), value)
                    })
                    .collect(),
            ),
            Rule::string => {
                ExprKind::Str(unescape(p.into_inner().next().map_or("", |s| s.as_str())))
            }
            Rule::list => ExprKind::List(p.into_inner().map(|e| self.expr(e)).collect()),
            Rule::var => ExprKind::Var(p.as_str().to_string()),
            Rule::call => {
                let mut inner = p.into_inner();
                let name = self.ident(inner.next().expect("grammar: call name"));
                ExprKind::Call(name, inner.map(|e| self.expr(e)).collect())
            }
            Rule::quantifier => {
                let mut inner = p.into_inner();
                let q = if inner.next().expect("grammar: quantifier kind").as_str() == "any" {
                    Quant::Any
                } else {
                    Quant::All
                };
                let var = self.ident(inner.next().expect("grammar: quantifier variable"));
                let mut rest = inner.peekable();
                let second = rest
                    .next_if(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.ident(p));
                let _in = rest.next();
                let coll = self.expr(rest.next().expect("grammar: quantifier collection"));
                let body = self.expr(rest.next().expect("grammar: quantifier body"));
                ExprKind::Quant(q, var, second, Box::new(coll), Box::new(body))
            }
            r => panic!("grammar: unexpected primary rule {r:?}"),
        };
        Spanned::new(kind, span)
    }
}

fn depth_exceeds(e: &Expr, limit: usize) -> bool {
    if limit == 0 {
        return true;
    }
    let l = limit - 1;
    match &e.node {
        ExprKind::List(xs) | ExprKind::Call(_, xs) => xs.iter().any(|x| depth_exceeds(x, l)),
        ExprKind::Field(x, _) | ExprKind::Unary(_, x) => depth_exceeds(x, l),
        ExprKind::Binary(_, a, b)
        | ExprKind::Quant(_, _, _, a, b)
        | ExprKind::Where(a, _, b)
        | ExprKind::Index(a, b)
        | ExprKind::MapOp(a, _, b)
        | ExprKind::By(_, a, _, b)
        | ExprKind::DistinctBy(a, _, b) => depth_exceeds(a, l) || depth_exceeds(b, l),
        ExprKind::If(a, b, c) => depth_exceeds(a, l) || depth_exceeds(b, l) || depth_exceeds(c, l),
        ExprKind::Braces(kvs) => kvs.iter().any(|(_, v)| depth_exceeds(v, l)),
        _ => false,
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(c @ ('"' | '\\' | '{' | '}')) => out.push(c),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::nesting_error;
    use crate::source::FileId;

    fn too_deep(text: &str) -> bool {
        nesting_error(FileId(0), text, 0).is_some()
    }

    /// What the scan counts: open brackets (a message's interpolations included) and the
    /// nesting words inside them, until they close; never strings, comments or closed items.
    #[test]
    fn the_nesting_scan_counts_only_what_can_nest() {
        let deep = super::super::MAX_SCAN_DEPTH + 1;
        // Thousands of quantifiers, each in its own policy: none is open when the next starts.
        let policies = "policy p {\n  require any f in change.files: all r in rs: true\n}\n";
        assert!(!too_deep(&policies.repeat(deep)));
        // Brackets and words in strings, comments and doc comments are text.
        let text = format!(
            "/// any {}\npolicy p {{\n  // {}\n  require \"{}\" == \"{}\"\n}}\n",
            "(".repeat(100),
            "[".repeat(100),
            "(".repeat(100),
            "any ".repeat(deep)
        );
        assert!(!too_deep(&text));
        // A message's `{...}` is code; its text is not.
        let message = |inner: &str| format!("policy p {{\n  message \"{inner}\"\n}}\n");
        assert!(too_deep(&message(&format!("{{{}1", "(".repeat(70)))));
        assert!(!too_deep(&message(&"(".repeat(70))));
        // A string that is not a message's does not interpolate.
        assert!(!too_deep(&format!(
            "policy p {{\n  require \"{{{}\" == x\n}}\n",
            "(".repeat(70)
        )));
        // Nesting words count whatever they name, as long as their bracket is open.
        assert!(too_deep(&format!(
            "let x = {}",
            "any x in xs: ".repeat(deep)
        )));
        assert!(too_deep(&format!("let x = ({}", "r.map ".repeat(deep))));
        assert!(!too_deep(&format!("let x = {}", "(r.map) ".repeat(deep))));
        // Each item starts the count again: thousands of flat definitions and policies (dashed
        // names included) are no nesting.
        let flat = "let ok_1 = all f in fs where p: p != \"x\": if f then true else false\n\
                    policy require-all-approvals { require true }\n";
        assert!(!too_deep(&flat.repeat(deep)));
        // But not where an expression goes on: `let and(...)` is `let and (...)`.
        assert!(too_deep(&format!(
            "let x = {}",
            "any x in xs: let and(y) and ".repeat(deep)
        )));
        assert!(too_deep(&format!(
            "let x = {}",
            "any x in xs: let\nwhere r: ".repeat(deep)
        )));
    }
}
