//! Every format written a manifest at a time, so a run of any length holds one manifest's part
//! at a time rather than the document. [`Renderer::part`] renders one manifest's part (on the
//! worker that checked it, with that manifest's text); [`Document::add`] appends parts to the
//! document's body in input order; once every manifest is in, [`Document::finish`] gives the
//! opening and the closing, which hold what depends on the whole run: the JSON and SARIF
//! decision, SARIF's rules for the diagnostic codes used, JUnit's totals, the human and GitHub
//! summary line. The body goes to a writer the caller chooses (the CLI keeps it in memory up to a
//! point, then in a temporary file); the document is the opening, the body, the closing, byte for
//! byte what rendering the whole run at once gave. [`render`] is that, for a whole [`Run`].

use std::io::Write;

use super::{ManifestRun, Run, Tally, github, human, json, junit, sarif};

/// A format, with what shapes its output.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    Human(human::Style),
    Json,
    Jsonl,
    Sarif,
    Junit,
    Github { quiet: bool },
}

/// Renders manifests' parts; shared by the workers.
pub struct Renderer {
    format: Format,
    /// JSON Lines' fragments, worked out once.
    lines: Option<json::Lines>,
}

/// What one manifest adds to a document.
pub struct Part(Inner);

enum Inner {
    Text(String),
    Sarif(sarif::Part),
    Junit(junit::Part),
}

impl Renderer {
    /// `head` is the run without manifests (policy set, options).
    pub fn new(head: &Run<'_>, format: Format) -> Renderer {
        Renderer {
            format,
            lines: matches!(format, Format::Jsonl).then(|| json::Lines::new(head)),
        }
    }

    /// One manifest's part. `run.sources` must hold the manifest's text when its rendering
    /// shows it (a diagnostic, a failed policy); `run.manifests` is not read.
    pub fn part(&self, run: &Run<'_>, m: &ManifestRun) -> Part {
        Part(match self.format {
            Format::Human(style) => Inner::Text(human::render_manifest(run, m, style)),
            Format::Json => Inner::Text(json::part(run, m)),
            Format::Jsonl => Inner::Text(match &self.lines {
                Some(lines) => lines.render(run, m),
                None => json::Lines::new(run).render(run, m),
            }),
            Format::Sarif => Inner::Sarif(sarif::part(run, m)),
            Format::Junit => Inner::Junit(junit::part(run, m)),
            Format::Github { quiet } => Inner::Text(github::part(run, m, quiet)),
        })
    }
}

impl Part {
    /// Whether the part is plain text that is written as it comes (human, JSON Lines, GitHub):
    /// then the text, for a caller that writes it elsewhere than through a [`Document`].
    pub fn into_text(self) -> Option<String> {
        match self.0 {
            Inner::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A document being written: what its opening and closing will need.
pub struct Document {
    format: Format,
    state: State,
}

enum State {
    /// Human output: whether anything was written (a quiet run that printed nothing stays
    /// silent).
    Human {
        printed: bool,
    },
    /// JSON: how many manifests are in the body (they are joined by `,\n`).
    Json {
        manifests: usize,
    },
    Text,
    Sarif(sarif::Doc),
    Junit(junit::Doc),
}

impl Document {
    /// Starts a document; what comes before the manifests and is known already (the policy
    /// set's problems) goes into `body`.
    pub fn new(head: &Run<'_>, format: Format, body: &mut dyn Write) -> std::io::Result<Document> {
        let state = match format {
            Format::Human(style) => {
                let text = human::render_head(head, style);
                body.write_all(text.as_bytes())?;
                State::Human {
                    printed: !text.is_empty(),
                }
            }
            Format::Json => State::Json { manifests: 0 },
            Format::Jsonl => State::Text,
            Format::Github { quiet } => {
                body.write_all(github::head(head, quiet).as_bytes())?;
                State::Text
            }
            Format::Sarif => State::Sarif(sarif::Doc::new(head, body)?),
            Format::Junit => State::Junit(junit::Doc::new(head, body)?),
        };
        Ok(Document { format, state })
    }

    /// Appends the next manifest's part.
    pub fn add(&mut self, part: Part, body: &mut dyn Write) -> std::io::Result<()> {
        match (&mut self.state, part.0) {
            (State::Human { printed }, Inner::Text(t)) => {
                *printed |= !t.is_empty();
                body.write_all(t.as_bytes())
            }
            (State::Json { manifests }, Inner::Text(t)) => {
                if *manifests > 0 {
                    body.write_all(b",\n")?;
                }
                *manifests += 1;
                body.write_all(t.as_bytes())
            }
            (State::Text, Inner::Text(t)) => body.write_all(t.as_bytes()),
            (State::Sarif(doc), Inner::Sarif(p)) => doc.add(p, body),
            (State::Junit(doc), Inner::Junit(p)) => doc.add(p, body),
            // A part of another format: a bug in the caller, said in the output.
            _ => body.write_all(b"\n(internal error: a part of another format)\n"),
        }
    }

    /// The opening and the closing around the body. `head` is the run without manifests;
    /// `tally` counts every manifest added.
    pub fn finish(self, head: &Run<'_>, tally: &Tally) -> (String, String) {
        let decision = super::decision_of(head, tally);
        match (self.state, self.format) {
            (State::Human { printed }, Format::Human(style)) => (
                String::new(),
                human::render_tail(head, tally, printed, style),
            ),
            (State::Json { manifests }, _) => json::frame(head, decision, manifests),
            (State::Sarif(doc), _) => doc.finish(head, decision),
            (State::Junit(doc), _) => doc.finish(),
            (_, Format::Github { quiet }) => (String::new(), github::tail(head, tally, quiet)),
            _ => (String::new(), String::new()),
        }
    }
}

/// A whole run in one format, as one string.
pub fn render(run: &Run<'_>, format: Format) -> String {
    let renderer = Renderer::new(run, format);
    let mut body = Vec::new();
    let mut tally = Tally::default();
    // Writing to a Vec cannot fail.
    let Ok(mut doc) = Document::new(run, format, &mut body) else {
        return String::new();
    };
    // Human output reads no manifest when the policy set has errors (nothing was evaluated).
    let manifests = match (format, run.program) {
        (Format::Human(_), None) => &[][..],
        _ => &run.manifests[..],
    };
    for m in manifests {
        tally.add(m);
        let _ = doc.add(renderer.part(run, m), &mut body);
    }
    let (open, close) = doc.finish(run, &tally);
    let mut out = open;
    out.push_str(&String::from_utf8_lossy(&body));
    out.push_str(&close);
    out
}
