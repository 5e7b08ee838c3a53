//! A small Wadler/prettier-style layout language: the printer describes where a line *may* break
//! (`Line`, `SoftLine`) inside `Group`s, and the renderer puts each group on one line when it fits
//! in the width, else breaks every line of that group.
//!
//! Two rules keep comment placement stable: a `LineSuffix` (a trailing `// comment`) is held back
//! until the end of its output line, and line breaks are idempotent (breaking a line that is
//! already empty does nothing), so a comment may ask for "a line of its own" without producing
//! empty lines. Only `BlankLine` makes an empty line, and at most one in a row.

#[derive(Clone, Debug)]
pub enum Doc {
    Text(String),
    Concat(Vec<Doc>),
    /// A space when the group is flat, a line break when it is broken.
    Line,
    /// Nothing when the group is flat, a line break when it is broken.
    SoftLine,
    /// Always a line break; breaks every enclosing group.
    HardLine,
    /// A line break and one empty line; breaks every enclosing group.
    BlankLine,
    /// Lines broken inside are indented one level more.
    Indent(Box<Doc>),
    /// `true`: the group contains a hard break and can never be flat.
    Group(Box<Doc>, bool),
    /// (broken, flat): text that depends on the enclosing group's mode (trailing commas).
    IfBreak(&'static str, &'static str),
    /// Text put at the end of the current output line (a trailing comment); breaks every
    /// enclosing group, so the line ends soon.
    LineSuffix(String),
}

pub const INDENT: usize = 2;

pub fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub fn concat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}

pub fn indent(d: Doc) -> Doc {
    Doc::Indent(Box::new(d))
}

pub fn group(d: Doc) -> Doc {
    let hard = forces_break(&d);
    Doc::Group(Box::new(d), hard)
}

/// A group that is always broken.
pub fn broken(d: Doc) -> Doc {
    Doc::Group(Box::new(d), true)
}

fn forces_break(d: &Doc) -> bool {
    match d {
        Doc::HardLine | Doc::BlankLine | Doc::LineSuffix(_) => true,
        Doc::Concat(v) => v.iter().any(forces_break),
        Doc::Indent(d) => forces_break(d),
        Doc::Group(_, hard) => *hard,
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// Lays `doc` out in `width` columns. The result ends with a newline unless it is empty.
pub fn render(doc: &Doc, width: usize) -> String {
    let mut r = Renderer {
        out: String::new(),
        col: 0,
        pending_indent: 0,
        suffix: Vec::new(),
    };
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    while let Some((ind, mode, d)) = stack.pop() {
        match d {
            Doc::Text(s) => r.write(s),
            Doc::Concat(v) => stack.extend(v.iter().rev().map(|d| (ind, mode, d))),
            Doc::Indent(d) => stack.push((ind + INDENT, mode, d)),
            Doc::Group(d, hard) => {
                let flat = !hard
                    && (mode == Mode::Flat
                        || fits(
                            d,
                            &stack,
                            width.saturating_sub(r.col).min(isize::MAX as usize) as isize,
                        ));
                stack.push((ind, if flat { Mode::Flat } else { Mode::Break }, d));
            }
            Doc::Line if mode == Mode::Flat => r.write(" "),
            Doc::SoftLine if mode == Mode::Flat => {}
            Doc::Line | Doc::SoftLine | Doc::HardLine => r.newline(ind),
            Doc::BlankLine => r.blank(ind),
            Doc::IfBreak(b, f) => r.write(if mode == Mode::Break { b } else { f }),
            Doc::LineSuffix(s) => {
                // Two trailing comments never share a line (they would read as one comment):
                // the second goes on a line of its own.
                if !r.suffix.is_empty() {
                    r.newline(ind);
                }
                if r.at_line_start() {
                    r.write(s);
                    r.newline(ind);
                } else {
                    r.suffix.push(s.clone());
                }
            }
        }
    }
    r.flush_suffix();
    if !r.out.is_empty() && !r.out.ends_with('\n') {
        r.out.push('\n');
    }
    r.out
}

/// Whether `d` laid out flat, followed by the rest of the line, fits in `width` columns.
fn fits(d: &Doc, rest: &[(usize, Mode, &Doc)], mut width: isize) -> bool {
    let mut todo: Vec<(Mode, &Doc)> = vec![(Mode::Flat, d)];
    let mut rest = rest.iter().rev();
    loop {
        let Some((mode, d)) = todo.pop().or_else(|| rest.next().map(|&(_, m, d)| (m, d))) else {
            return true;
        };
        match d {
            Doc::Text(s) => width -= s.chars().count() as isize,
            Doc::Concat(v) => todo.extend(v.iter().rev().map(|d| (mode, d))),
            Doc::Indent(d) => todo.push((mode, d)),
            Doc::Group(d, hard) => todo.push((if *hard { Mode::Break } else { mode }, d)),
            Doc::Line | Doc::SoftLine if mode == Mode::Flat => {
                if matches!(d, Doc::Line) {
                    width -= 1;
                }
            }
            Doc::Line | Doc::SoftLine | Doc::HardLine | Doc::BlankLine => return true,
            Doc::IfBreak(b, f) => {
                width -= if mode == Mode::Break {
                    b.len()
                } else {
                    f.len()
                } as isize
            }
            Doc::LineSuffix(_) => {}
        }
        if width < 0 {
            return false;
        }
    }
}

struct Renderer {
    out: String,
    col: usize,
    pending_indent: usize,
    suffix: Vec<String>,
}

impl Renderer {
    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn write(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.at_line_start() {
            self.out
                .extend(std::iter::repeat_n(' ', self.pending_indent));
            self.col = self.pending_indent;
        }
        self.out.push_str(s);
        self.col += s.chars().count();
    }

    fn flush_suffix(&mut self) {
        if !self.suffix.is_empty() {
            self.trim_line();
        }
        for s in std::mem::take(&mut self.suffix) {
            self.out.push(' ');
            self.out.push_str(&s);
        }
    }

    fn trim_line(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
    }

    fn newline(&mut self, ind: usize) {
        self.flush_suffix();
        self.trim_line();
        if !self.at_line_start() {
            self.out.push('\n');
        }
        self.pending_indent = ind;
        self.col = ind;
    }

    fn blank(&mut self, ind: usize) {
        self.newline(ind);
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }
}
