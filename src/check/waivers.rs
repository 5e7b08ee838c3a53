//! `waivers.yaml`: exceptions kept as data. Each waiver names the policy it waives, its scope
//! (change ids and/or a condition in the policy language), an owner, a reason, who approved it
//! and when it expires. This module reads the file into [`WaiverDecl`]s (shape errors with
//! their spans); the checker resolves the policy names and types the conditions like any
//! clause, into `ir::Waiver`s.

use crate::diag::{Diagnostic, suggest};
use crate::manifest::{RawKind, RawNode};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// One waiver as written, before names and types are checked.
#[derive(Clone, Debug)]
pub struct WaiverDecl {
    pub policy: (String, Span),
    /// Change ids it covers (`id` of the manifest); empty: any.
    pub ids: Vec<(String, Span)>,
    /// The condition on the manifest, parsed (spans in the waiver file).
    pub when: Option<ast::Expr>,
    pub owner: String,
    pub reason: String,
    pub approved_by: Vec<String>,
    pub expires: jiff::Timestamp,
    pub expires_span: Span,
    /// The whole entry.
    pub span: Span,
}

const KEYS: [&str; 7] = [
    "policy",
    "ids",
    "when",
    "owner",
    "reason",
    "approved_by",
    "expires",
];

fn err(span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::error("charter::waiver::invalid", message).with_label(span, label)
}

/// Reads the waivers of a parsed waiver file; every problem is reported, each at its place.
pub fn read(file: FileId, text: &str, raw: &RawNode) -> (Vec<WaiverDecl>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    let list = match (&raw.kind, raw.get("waivers")) {
        (RawKind::Map(entries), Some(list)) => {
            for (k, ks, _) in entries {
                if k != "waivers" {
                    diags.push(unknown_key(k, *ks, &["waivers"], "a waiver file"));
                }
            }
            list
        }
        (RawKind::Null, _) => return (out, diags),
        _ => {
            diags.push(
                err(raw.span, "a waiver file holds a `waivers:` list".into(), "no `waivers` here")
                    .with_help("write `waivers:` and a list of waivers, each with `policy`, `ids` or `when`, `owner`, `reason`, `approved_by` and `expires`"),
            );
            return (out, diags);
        }
    };
    let items = match &list.kind {
        RawKind::Seq(items) => items.as_slice(),
        RawKind::Null => &[],
        _ => {
            diags.push(err(list.span, "`waivers` is a list".into(), "not a list"));
            return (out, diags);
        }
    };
    for item in items {
        if let Some(w) = read_one(file, text, item, &mut diags) {
            out.push(w);
        }
    }
    (out, diags)
}

fn read_one(
    file: FileId,
    text: &str,
    item: &RawNode,
    diags: &mut Vec<Diagnostic>,
) -> Option<WaiverDecl> {
    let RawKind::Map(entries) = &item.kind else {
        diags.push(err(
            item.span,
            "a waiver is a mapping".into(),
            "expected `policy:`, `owner:`, `reason:`, `expires:`, ...",
        ));
        return None;
    };
    let before = diags.len();
    for (k, ks, _) in entries {
        if !KEYS.contains(&k.as_str()) {
            diags.push(unknown_key(k, *ks, &KEYS, "a waiver"));
        }
    }
    let string = |key: &str, diags: &mut Vec<Diagnostic>| -> Option<(String, Span)> {
        match item.get(key) {
            Some(v) => match v.as_str().map(str::trim) {
                Some(s) if !s.is_empty() => Some((s.to_string(), v.span)),
                _ => {
                    diags.push(err(
                        v.span,
                        format!("a waiver's `{key}` is a text that is not empty"),
                        "not a text",
                    ));
                    None
                }
            },
            None => {
                diags.push(
                    err(
                        item.span,
                        format!("this waiver has no `{key}`"),
                        &format!("`{key}` is missing"),
                    )
                    .with_help(match key {
                        "expires" => "every waiver ends: add e.g. `expires: 2027-01-31T00:00:00Z`",
                        "owner" => "name who answers for it, e.g. `owner: platform-team`",
                        "reason" => "say why the rule does not apply here",
                        _ => "name the policy it waives, e.g. `policy: large_change_two_approvals`",
                    }),
                );
                None
            }
        }
    };
    let policy = string("policy", diags);
    let owner = string("owner", diags);
    let reason = string("reason", diags);
    let expires =
        string("expires", diags).and_then(|(s, span)| match crate::literal::timestamp(&s) {
            Ok(t) => Some((t, span)),
            Err(why) => {
                diags.push(
                    err(
                        span,
                        format!("`{s}` is not a timestamp: {why}"),
                        "not RFC 3339",
                    )
                    .with_help(
                        "write an RFC 3339 time with its offset, e.g. `2027-01-31T00:00:00Z`",
                    ),
                );
                None
            }
        });
    let list = |key: &str, diags: &mut Vec<Diagnostic>| -> Vec<(String, Span)> {
        match item.get(key).map(|v| (&v.kind, v)) {
            None => Vec::new(),
            Some((RawKind::Seq(xs), _)) => xs
                .iter()
                .filter_map(|x| match x.as_str() {
                    Some(s) => Some((s.to_string(), x.span)),
                    None => {
                        diags.push(err(x.span, format!("`{key}` lists texts"), "not a text"));
                        None
                    }
                })
                .collect(),
            Some((RawKind::Str(s), v)) => vec![(s.clone(), v.span)],
            Some((_, v)) => {
                diags.push(err(
                    v.span,
                    format!("`{key}` is a list of texts"),
                    "not a list",
                ));
                Vec::new()
            }
        }
    };
    let ids = list("ids", diags);
    let approved_by: Vec<String> = list("approved_by", diags)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    if approved_by.is_empty() && item.get("approved_by").is_none() {
        diags.push(
            err(
                item.span,
                "this waiver has no `approved_by`".into(),
                "`approved_by` is missing",
            )
            .with_help("name who approved the exception, e.g. `approved_by: [dana]`"),
        );
    }
    let when = match item.get("when") {
        None => None,
        Some(v) => match v.as_str() {
            Some(cond) => {
                // Where the condition's text starts in the file: inside the quotes, if any.
                let written = text.get(v.span.range()).unwrap_or("");
                let base = v.span.start as usize + written.find(cond).unwrap_or(0);
                match crate::syntax::parse_condition(file, cond, base) {
                    Ok(e) => Some(e),
                    Err(d) => {
                        diags.push(*d);
                        None
                    }
                }
            }
            None => {
                diags.push(err(
                    v.span,
                    "a waiver's `when` is a condition written as a text".into(),
                    "not a text",
                ));
                None
            }
        },
    };
    if ids.is_empty() && item.get("when").is_none() {
        diags.push(
            err(item.span, "this waiver has no scope: it would waive the policy for every change".into(), "no `ids` or `when`")
                .with_help("say which changes it covers: `ids: [CHG-1043]`, or a condition such as `when: 'all f in change.files: f matches \"vendor/**\"'`"),
        );
    }
    if diags.len() > before {
        return None;
    }
    let (policy, owner, reason, (expires, expires_span)) = (policy?, owner?, reason?, expires?);
    Some(WaiverDecl {
        policy,
        ids,
        when,
        owner: owner.0,
        reason: reason.0,
        approved_by,
        expires,
        expires_span,
        span: item.span,
    })
}

fn unknown_key(k: &str, span: Span, known: &[&str], what: &str) -> Diagnostic {
    let help = suggest(k, known.iter().copied())
        .unwrap_or_else(|| format!("{what} takes: {}", known.join(", ")));
    err(
        span,
        format!("unknown key `{k}` in {what}"),
        "not understood",
    )
    .with_help(help)
}
