//! Running the checks over many manifests, in parallel, with the output written as results come:
//! human and JSON Lines straight to standard output; the document formats (on standard output,
//! and every `--report` file) a manifest at a time into a [`Spool`], around which their opening
//! and closing are written at the end. No run holds its results. Plus the progress bar.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::attest::{AttestFile, Attester};
use super::inputs::{Input, Inputs, read_manifest};
use super::spool::Spool;
use crate::bulk::{self, Checker};
use crate::cli::log::LogWriter;
use crate::cli::project::display;
use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::evidence::merkle::{self, Hash};
use crate::report::document::{self as doc, Document, Part, Renderer};
use crate::report::{self, ManifestRun, PolicyCounts, Run, Status, Tally};
use crate::source::{FileId, Sources};

/// What a run ends with: its status (the exit code), the counts for the closing line and the
/// `--summary` table, and whether anything was printed on standard output as it went.
pub struct Streamed {
    pub status: Status,
    pub tally: Tally,
    pub counts: PolicyCounts,
    pub printed: bool,
    /// Why the decision log could not take a record (`--log`), if it could not.
    pub log_error: Option<String>,
}

impl Streamed {
    /// A run that checked nothing (the policy set has errors).
    pub fn nothing(policies: usize) -> Streamed {
        Streamed {
            status: Status::Pass,
            tally: Tally::default(),
            counts: PolicyCounts::new(policies),
            printed: false,
            log_error: None,
        }
    }
}

/// One manifest checked and rendered by a worker. The result itself is dropped by the worker
/// (freeing memory on the thread that allocated it); only its rendered parts and what the
/// closing line and `--summary` count travel.
struct Done {
    /// For standard output, when it is written as results come (human, JSON Lines).
    piece: String,
    /// One per [`Deferred`] output, in their order.
    parts: Vec<Part>,
    status: Status,
    tally: Tally,
    /// Each policy's outcome (`None`: none was evaluated); kept for `--summary` only.
    outcomes: Option<Vec<Outcome>>,
    /// With `--log`: the record's leaf hash (computed here, on the worker), and the record
    /// when it is not `piece` (JSON Lines output is the record itself).
    logged: Option<(Hash, Option<String>)>,
    /// With `--attest`: the manifest's envelope line (`None` when it could not be read), made
    /// on the worker that checked it.
    envelope: Option<String>,
}

/// Where a deferred document goes once the run ends.
pub enum Target {
    Stdout,
    /// A `--report` file, named for messages by its format.
    File {
        path: std::path::PathBuf,
        format: &'static str,
    },
}

/// A document written at the end of the run (the document formats on standard output, and every
/// `--report` file): its parts go to a [`Spool`] as manifests are checked, in input order; its
/// opening and closing are written around them at the end.
pub struct Deferred {
    renderer: Renderer,
    body: Body,
}

/// A deferred document's state and where its body waits.
struct Body {
    doc: Option<Document>,
    spool: Spool,
    target: Target,
    /// The first problem writing the body (no temporary file could be made).
    error: Option<std::io::Error>,
}

impl Deferred {
    pub fn new(head: &Run<'_>, format: doc::Format, target: Target) -> Deferred {
        let mut spool = Spool::new();
        let (doc, error) = match Document::new(head, format, &mut spool) {
            Ok(doc) => (Some(doc), None),
            Err(e) => (None, Some(e)),
        };
        Deferred {
            renderer: Renderer::new(head, format),
            body: Body {
                doc,
                spool,
                target,
                error,
            },
        }
    }

    /// Writes the document; the error is a message for standard error (the run exits 2). A
    /// reader that went away from standard output (`| head`) is no error.
    pub fn finish(self, head: &Run<'_>, tally: &Tally) -> Result<(), String> {
        self.body.finish(head, tally)
    }
}

impl Body {
    fn add(&mut self, part: Part) {
        if let Some(doc) = &mut self.doc
            && let Err(e) = doc.add(part, &mut self.spool)
        {
            self.error = Some(e);
            self.doc = None;
        }
    }

    fn finish(self, head: &Run<'_>, tally: &Tally) -> Result<(), String> {
        let what = match &self.target {
            Target::Stdout => "the output".to_string(),
            Target::File { path, format } => format!("the {format} report `{}`", display(path)),
        };
        let doc = match (self.doc, self.error) {
            (Some(doc), None) => doc,
            (_, Some(e)) => return Err(format!("cannot write {what}: {e}")),
            (None, None) => return Ok(()),
        };
        let (open, close) = doc.finish(head, tally);
        let write = |out: &mut dyn Write| -> std::io::Result<()> {
            out.write_all(open.as_bytes())?;
            self.spool.copy_to(out)?;
            out.write_all(close.as_bytes())?;
            out.flush()
        };
        match &self.target {
            Target::Stdout => {
                let mut out =
                    std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
                match write(&mut out) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        Err(format!("cannot write {what}: {e}"))
                    }
                    _ => Ok(()),
                }
            }
            Target::File { path, .. } => {
                let file = || -> std::io::Result<()> {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir)?;
                    }
                    let mut out =
                        std::io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(path)?);
                    write(&mut out)
                };
                file().map_err(|e| format!("cannot write {what}: {e}"))
            }
        }
    }
}

/// Checks every input; prints each manifest's part of `live` (standard output, for human and
/// JSON Lines) as soon as it and every input before it are done, and adds its part to each
/// deferred document in the same order. `head` is the run without manifests (policy set,
/// options).
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one run, each passed on once"
)]
pub fn stream(
    head: &Run<'_>,
    checker: Checker<'_>,
    inputs: Inputs,
    live: Option<&Renderer>,
    deferred: &mut [Deferred],
    summary: bool,
    progress: &mut Progress,
    mut log: Option<&mut LogWriter>,
    mut attest: Option<(&Attester<'_>, &mut AttestFile)>,
) -> Streamed {
    let program = checker.program;
    let attester = attest.as_ref().map(|(a, _)| *a);
    // With `--log`, each manifest's record is its JSON Lines line: its fragments worked out once.
    let lines = log.is_some().then(|| report::json::Lines::new(head));
    let live_lines = live.is_some_and(|r| matches!(r.format(), doc::Format::Jsonl));
    // Each manifest is rendered with the policy files plus its own text, as the next file; the
    // workers keep a copy of the policy files to add it to for a while.
    let policies = head.sources.len();
    let file = FileId(policies as u32);
    let (renderers, mut bodies): (Vec<&Renderer>, Vec<&mut Body>) = deferred
        .iter_mut()
        .map(|d| (&d.renderer, &mut d.body))
        .unzip();
    let work = |sources: &mut Sources, input: Input| -> Done {
        let (run, text) = check(checker, file, input);
        let with_text = match text {
            Some(text) if needs_text(&run) => {
                sources.truncate(policies);
                sources.add(run.name.clone(), text);
                true
            }
            _ => false,
        };
        let one = Run {
            provenance: head.provenance,
            sources: if with_text { sources } else { head.sources },
            now: head.now,
            program: Some(program),
            policy_diagnostics: Vec::new(),
            manifests: Vec::new(),
            deny_warnings: head.deny_warnings,
        };
        let piece = live
            .and_then(|r| r.part(&one, &run).into_text())
            .unwrap_or_default();
        let parts = renderers.iter().map(|r| r.part(&one, &run)).collect();
        // JSON Lines output is the record itself.
        let logged = match &lines {
            Some(_) if live_lines => Some((record_hash(&piece), None)),
            Some(lines) => {
                let record = lines.render(&one, &run);
                Some((record_hash(&record), Some(record)))
            }
            None => None,
        };
        let mut tally = Tally::default();
        tally.add(&run);
        let outcomes = match &run.decision {
            Some(d) if summary => Some(d.results.iter().map(|r| r.outcome).collect()),
            _ => None,
        };
        Done {
            piece,
            parts,
            status: report::manifest_status(&one, &run),
            tally,
            outcomes,
            logged,
            envelope: attester.and_then(|a| a.envelope(&run)),
        }
    };
    let mut out = Output::new(std::io::stdout(), std::io::stdout().is_terminal());
    let mut done = Streamed::nothing(program.policies.len());
    let init = || head.sources.clone();
    bulk::ordered(inputs.into_iter(), bulk::WINDOW, init, work, |d: Done| {
        if let (Some(log), Some((leaf, record)), None) = (&mut log, &d.logged, &done.log_error) {
            let record = record.as_deref().unwrap_or(&d.piece);
            if let Err(e) = log.add(leaf, record.as_bytes()) {
                done.log_error = Some(e);
            }
        }
        if let Some((_, file)) = attest.as_mut() {
            file.write(d.envelope.as_deref());
        }
        if !d.piece.is_empty() {
            out.write(&d.piece, progress);
            done.printed = true;
        }
        for (body, part) in bodies.iter_mut().zip(d.parts) {
            body.add(part);
        }
        done.status = done.status.max(d.status);
        done.tally.merge(&d.tally);
        if summary {
            done.counts.add_outcomes(d.outcomes);
        }
        progress.inc();
    });
    out.flush(progress);
    done
}

/// The leaf hash of a decision record (a JSON Lines line, without its newline).
pub fn record_hash(record: &str) -> Hash {
    merkle::leaf_hash(record.strip_suffix('\n').unwrap_or(record).as_bytes())
}

/// Reads (for a file) and checks one input: the result, and the text when there is one.
fn check(checker: Checker<'_>, file: FileId, input: Input) -> (ManifestRun, Option<String>) {
    let (name, text) = match input {
        Input::File(path) => {
            let name = display(&path);
            match read_manifest(&path) {
                Ok(text) => (name, text),
                Err(message) => return (problem(name, message), None),
            }
        }
        Input::Doc { name, text } => (name, text),
        Input::Problem { name, message } => return (problem(name, message), None),
    };
    (checker.check(name, file, &text), Some(text))
}

fn problem(name: String, message: String) -> ManifestRun {
    ManifestRun {
        name,
        file: None,
        digest: None,
        commit: None,
        diagnostics: vec![Diagnostic::error("charter::manifest::io", message)],
        decision: None,
    }
}

/// Whether rendering a manifest shows its text (a diagnostic, a failed policy's evidence or an
/// override's).
fn needs_text(run: &ManifestRun) -> bool {
    !run.diagnostics.is_empty()
        || run.decision.as_ref().is_some_and(|d| {
            d.results
                .iter()
                .any(|r| report::is_failure(r) || report::is_excused(r))
        })
}

/// Standard output for streamed results: buffered when it is a file or a pipe, written line by
/// line on a terminal (every [`HOLD`] while the progress bar shows there too); once the reader
/// has gone (`| head`), nothing more is written.
struct Output<W: Write + Send + 'static> {
    shared: Arc<Mutex<Shared<W>>>,
    terminal: bool,
    /// While the progress bar shows and standard output is the terminal too: the thread that
    /// writes what is held every [`HOLD`], and the flag that stops it.
    releaser: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

struct Shared<W: Write> {
    out: std::io::BufWriter<W>,
    closed: bool,
    /// Text waiting for the next time the bar is moved out of the way.
    held: String,
}

impl<W: Write> Shared<W> {
    /// Writes what is held, with the bar out of the way.
    fn release(&mut self, bar: &ProgressBar) {
        if self.held.is_empty() || self.closed {
            return;
        }
        let (out, held) = (&mut self.out, &self.held);
        let ok = bar.suspend(|| out.write_all(held.as_bytes()).and_then(|()| out.flush()));
        self.closed |= ok.is_err();
        self.held.clear();
    }
}

/// How long standard output on a terminal is held while the progress bar shows. Moving the bar
/// out of the way for each manifest redraws it each time: a run went ten times slower.
const HOLD: Duration = Duration::from_millis(50);

fn lock<W: Write>(shared: &Mutex<Shared<W>>) -> std::sync::MutexGuard<'_, Shared<W>> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl<W: Write + Send + 'static> Output<W> {
    /// `terminal`: `out` is the terminal (the one the progress bar is on).
    fn new(out: W, terminal: bool) -> Output<W> {
        Output {
            shared: Arc::new(Mutex::new(Shared {
                out: std::io::BufWriter::with_capacity(256 * 1024, out),
                closed: false,
                held: String::new(),
            })),
            terminal,
            releaser: None,
        }
    }

    /// Writes `s`; around the progress bar only when both are on the terminal, and then held
    /// until the releasing thread next writes it (at most [`HOLD`] later, results or not).
    fn write(&mut self, s: &str, progress: &Progress) {
        let mut shared = lock(&self.shared);
        if shared.closed {
            return;
        }
        if self.terminal && progress.shown {
            shared.held.push_str(s);
            drop(shared);
            if self.releaser.is_none() {
                let stop = Arc::new(AtomicBool::new(false));
                let (flag, shared, bar) = (stop.clone(), self.shared.clone(), progress.bar.clone());
                let thread = std::thread::spawn(move || {
                    while !flag.load(Ordering::Relaxed) {
                        std::thread::park_timeout(HOLD);
                        lock(&shared).release(&bar);
                    }
                });
                self.releaser = Some((stop, thread));
            }
            return;
        }
        let mut ok = shared.out.write_all(s.as_bytes()).is_ok();
        if self.terminal {
            ok &= shared.out.flush().is_ok();
        }
        shared.closed = !ok;
    }

    fn flush(&mut self, progress: &Progress) {
        if let Some((stop, thread)) = self.releaser.take() {
            stop.store(true, Ordering::Relaxed);
            thread.thread().unpark();
            let _ = thread.join();
        }
        let mut shared = lock(&self.shared);
        shared.release(&progress.bar);
        if !shared.closed {
            shared.closed = shared.out.flush().is_err();
        }
    }
}

/// A progress bar on standard error, shown only when standard error is a terminal, the run is
/// not in CI (`CI` is set) nor `--quiet`, and only once the run has taken more than a second.
pub struct Progress {
    bar: ProgressBar,
    enabled: bool,
    shown: bool,
    start: Instant,
}

impl Progress {
    /// `total` is the number of manifests when known (not for standard input).
    pub fn new(total: Option<usize>, quiet: bool) -> Progress {
        let enabled = !quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none_or(|v| v.is_empty());
        let bar =
            ProgressBar::with_draw_target(total.map(|n| n as u64), ProgressDrawTarget::hidden());
        let template = if total.is_some() {
            "{wide_bar} {pos}/{len} manifests, {per_sec:0}, {eta} left"
        } else {
            "{spinner} {pos} manifests, {per_sec:0}"
        };
        if let Ok(s) = ProgressStyle::with_template(template) {
            bar.set_style(s);
        }
        Progress {
            bar,
            enabled,
            shown: false,
            start: Instant::now(),
        }
    }

    pub fn inc(&mut self) {
        // Off (CI, a pipe, `--quiet`): not even a clock read per manifest.
        if !self.enabled {
            return;
        }
        self.bar.inc(1);
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    pub fn finish(&self) {
        if self.shown {
            self.bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{HOLD, Output, Progress};

    /// Standard output on the terminal the progress bar shows on is held, and written in order
    /// by the releasing thread (no later write needed) and at the end; anywhere else it goes
    /// straight out.
    #[test]
    fn output_beside_the_progress_bar_is_held_then_written_in_order() {
        let mut progress = Progress::new(None, true);
        progress.shown = true; // drawn nowhere: its target is hidden
        let written = |out: &Output<Vec<u8>>| super::lock(&out.shared).out.get_ref().clone();
        let mut out = Output::new(Vec::new(), true);
        out.write("a\n", &progress);
        out.write("b\n", &progress);
        // Nothing else is written: the releasing thread writes what is held within HOLD.
        let start = std::time::Instant::now();
        while written(&out).is_empty() && start.elapsed() < 100 * HOLD {
            std::thread::sleep(HOLD / 5);
        }
        assert_eq!(written(&out), b"a\nb\n");
        out.write("c\n", &progress);
        out.write("d\n", &progress);
        out.flush(&progress);
        assert_eq!(written(&out), b"a\nb\nc\nd\n");

        // Standard output elsewhere (a file, a pipe): never held, the bar left alone.
        let mut out = Output::new(Vec::new(), false);
        out.write("x\n", &progress);
        assert!(super::lock(&out.shared).held.is_empty());
        assert!(out.releaser.is_none());
        out.flush(&progress);
        assert_eq!(written(&out), b"x\n");

        // No bar shown: written (and flushed, on a terminal) at once.
        progress.shown = false;
        let mut out = Output::new(Vec::new(), true);
        out.write("y\n", &progress);
        assert_eq!(written(&out), b"y\n");
    }
}
