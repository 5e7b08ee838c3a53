//! `charter explain`: how each policy's outcome was reached, as a tree of the expressions it
//! evaluated with their values (human) or the same tree as data (JSON).

use serde::Serialize;

use super::{Location, locate};
use crate::check::ir::Program;
use crate::eval::{Outcome, PolicyTrace, TraceNode};
use crate::source::Sources;

/// Everything `charter explain` shows for one manifest.
pub struct Explanation<'a> {
    pub sources: &'a Sources,
    pub program: &'a Program,
    pub manifest: &'a str,
    pub now: Option<jiff::Timestamp>,
    pub traces: Vec<PolicyTrace>,
}

fn at(sources: &Sources, span: crate::source::Span) -> String {
    let Location {
        file, line, column, ..
    } = locate(sources, span);
    format!("{file}:{line}:{column}")
}

/// One line of source, whitespace collapsed and cut to a readable width.
fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(89).collect::<String>())
    } else {
        s
    }
}

pub fn render(e: &Explanation<'_>) -> String {
    let mut out = format!("{}\n", e.manifest);
    if let Some(now) = e.now {
        out.push_str(&format!("now = {now}\n"));
    }
    for t in &e.traces {
        out.push('\n');
        out.push_str(&render_policy(e.sources, e.program, t));
    }
    // Values and messages from the manifest cannot drive the terminal (lines are ours).
    crate::diag::escape_controls(&out, true).into_owned()
}

/// One policy's trace: its outcome, message, hint, `when` and `require` trees.
pub fn render_policy(sources: &Sources, program: &Program, t: &PolicyTrace) -> String {
    let mut out = String::new();
    let p = &program.policies[t.result.policy];
    out.push_str(&format!(
        "policy {} ({}): {}    {}\n",
        p.name,
        p.severity.as_str(),
        t.result.outcome.as_str(),
        at(sources, p.name_span)
    ));
    if let Some(m) = &t.result.message {
        out.push_str(&format!("  message: {m}\n"));
    }
    if let Some(r) = &t.result.remediation {
        out.push_str(&format!("  to pass: {r}\n"));
    }
    if let Some(w) = &t.when {
        out.push_str("  when ");
        node(sources, w, "  ", &mut out);
    }
    if t.result.outcome == Outcome::Skip {
        out.push_str("  (skipped: the requirements were not evaluated)\n");
    }
    for r in &t.requires {
        out.push_str("  require ");
        node(sources, r, "  ", &mut out);
    }
    if let Some(o) = &t.override_when {
        out.push_str("  override when ");
        node(sources, o, "  ", &mut out);
    }
    if let Some(o) = &t.result.overridden {
        out.push_str(&format!("  overridden: {}\n", o.message));
    }
    if let Some(w) = t.result.waived.map(|w| &program.waivers[w]) {
        out.push_str(&format!(
            "  waived: until {} by {} (approved by {}): {}    {}\n",
            w.expires,
            w.owner,
            w.approved_by.join(", "),
            w.reason,
            at(sources, w.span)
        ));
    }
    out
}

/// A node on the current line, then its children as a tree below it.
fn node(sources: &Sources, n: &TraceNode, indent: &str, out: &mut String) {
    out.push_str(&format!("{} → {}", one_line(&n.label), n.value));
    if let Some(r) = n.read {
        out.push_str(&format!("    @ {}", at(sources, r)));
    }
    if let Some(note) = n.note.as_deref().filter(|n| *n != "element") {
        out.push_str(&format!("    ({note})"));
    }
    out.push('\n');
    for (i, c) in n.children.iter().enumerate() {
        let last = i + 1 == n.children.len();
        out.push_str(indent);
        out.push_str(if last { "└─ " } else { "├─ " });
        let child_indent = format!("{indent}{}", if last { "   " } else { "│  " });
        node(sources, c, &child_indent, out);
    }
}

#[derive(Serialize)]
struct JsonExplanation<'a> {
    version: u32,
    manifest: &'a str,
    now: Option<String>,
    policies: Vec<JsonPolicy<'a>>,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    policy: &'a str,
    severity: &'a str,
    outcome: &'a str,
    message: Option<&'a str>,
    remediation: Option<&'a str>,
    when: Option<JsonNode>,
    requires: Vec<JsonNode>,
    /// The `override when` tree, when a `require` failed and the policy has one.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    override_when: Option<JsonNode>,
    /// The override's message, when it held.
    #[serde(skip_serializing_if = "Option::is_none")]
    override_message: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonNode {
    expr: String,
    value: String,
    location: Option<String>,
    read: Option<String>,
    note: Option<String>,
    children: Vec<JsonNode>,
}

fn json_node(sources: &Sources, n: &TraceNode) -> JsonNode {
    JsonNode {
        expr: n.label.clone(),
        value: n.value.clone(),
        location: n.span.map(|s| at(sources, s)),
        read: n.read.map(|s| at(sources, s)),
        note: n.note.clone(),
        children: n.children.iter().map(|c| json_node(sources, c)).collect(),
    }
}

pub fn render_json(e: &Explanation<'_>) -> String {
    let doc = JsonExplanation {
        version: 1,
        manifest: e.manifest,
        now: e.now.map(|t| t.to_string()),
        policies: e
            .traces
            .iter()
            .map(|t| {
                let p = &e.program.policies[t.result.policy];
                JsonPolicy {
                    policy: &p.name,
                    severity: p.severity.as_str(),
                    outcome: t.result.outcome.as_str(),
                    message: t.result.message.as_deref(),
                    remediation: t.result.remediation.as_deref(),
                    when: t.when.as_ref().map(|w| json_node(e.sources, w)),
                    requires: t.requires.iter().map(|r| json_node(e.sources, r)).collect(),
                    override_when: t.override_when.as_ref().map(|o| json_node(e.sources, o)),
                    override_message: t.result.overridden.as_ref().map(|o| o.message.as_str()),
                }
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
