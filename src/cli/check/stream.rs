//! Running the checks over many manifests, in parallel: streaming the output as results come
//! (human and JSON Lines on standard output), or collecting a whole run (the document formats,
//! and whenever `--report` files are written). Plus the progress bar.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::attest::{AttestFile, Attester};
use super::inputs::{Input, Inputs, read_manifest};
use crate::bulk::{self, Checker};
use crate::cli::Format;
use crate::cli::project::display;
use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::report::{self, ManifestRun, PolicyCounts, Run, Status, Tally};
use crate::source::{FileId, Sources};

/// What a streaming run ends with: its status (the exit code), the counts for the closing line
/// and the `--summary` table, and whether anything was printed.
pub struct Streamed {
    pub status: Status,
    pub tally: Tally,
    pub counts: PolicyCounts,
    pub printed: bool,
}

/// One manifest checked and rendered by a worker. The result itself is dropped by the worker
/// (freeing memory on the thread that allocated it); only what the closing line and `--summary`
/// count travels.
struct Done {
    piece: String,
    status: Status,
    tally: Tally,
    /// Each policy's outcome (`None`: none was evaluated); kept for `--summary` only.
    outcomes: Option<Vec<Outcome>>,
    /// With `--attest`: the manifest's envelope line (`None` when it could not be read).
    envelope: Option<String>,
}

/// Checks every input and prints each manifest's part of the output as soon as it and every
/// input before it are done. `head` is the run without manifests (policy set, options).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the parts of a run"
)]
pub fn stream(
    head: &Run<'_>,
    checker: Checker<'_>,
    inputs: Inputs,
    format: Format,
    style: report::human::Style,
    summary: bool,
    progress: &mut Progress,
    mut attest: Option<(&Attester<'_>, &mut AttestFile)>,
) -> Streamed {
    let program = checker.program;
    let attester = attest.as_ref().map(|(a, _)| *a);
    // JSON Lines fragments are worked out once, and only for that format.
    let lines = matches!(format, Format::Jsonl).then(|| report::json::Lines::new(head));
    // Each manifest is rendered with the policy files plus its own text, as the next file; the
    // workers keep a copy of the policy files to add it to for a while.
    let policies = head.sources.len();
    let file = FileId(policies as u32);
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
            sources: if with_text { sources } else { head.sources },
            provenance: head.provenance,
            now: head.now,
            program: Some(program),
            policy_diagnostics: Vec::new(),
            manifests: Vec::new(),
            deny_warnings: head.deny_warnings,
        };
        let piece = match &lines {
            Some(lines) => lines.render(&one, &run),
            None => report::human::render_manifest(&one, &run, style),
        };
        let mut tally = Tally::default();
        tally.add(&run);
        let outcomes = match &run.decision {
            Some(d) if summary => Some(d.results.iter().map(|r| r.outcome).collect()),
            _ => None,
        };
        Done {
            piece,
            status: report::manifest_status(&one, &run),
            tally,
            outcomes,
            envelope: attester.and_then(|a| a.envelope(&run)),
        }
    };
    let mut out = Output::new(std::io::stdout(), std::io::stdout().is_terminal());
    let mut done = Streamed {
        status: Status::Pass,
        tally: Tally::default(),
        counts: PolicyCounts::new(program.policies.len()),
        printed: false,
    };
    let init = || head.sources.clone();
    bulk::ordered(inputs.into_iter(), bulk::WINDOW, init, work, |d: Done| {
        if !d.piece.is_empty() {
            out.write(&d.piece, progress);
            done.printed = true;
        }
        done.status = done.status.max(d.status);
        done.tally.merge(&d.tally);
        if summary {
            done.counts.add_outcomes(d.outcomes);
        }
        if let Some((_, file)) = attest.as_mut() {
            file.write(d.envelope.as_deref());
        }
        progress.inc();
    });
    out.flush(progress);
    done
}

/// Checks every input and keeps every result with its text, in order. Input `i` is checked as
/// file `first + i`: the caller adds the texts to its sources in this order (an input without
/// text as an empty placeholder, so the numbering holds). With an attester, each manifest's
/// envelope is made by the worker that checked it and written to `attest` in order.
pub fn collect(
    checker: Checker<'_>,
    first: usize,
    inputs: Inputs,
    progress: &mut Progress,
    mut attest: Option<(&Attester<'_>, &mut AttestFile)>,
) -> Vec<(ManifestRun, Option<String>)> {
    let attester = attest.as_ref().map(|(a, _)| *a);
    let mut out = Vec::new();
    bulk::ordered(
        inputs.into_iter().enumerate(),
        bulk::WINDOW,
        || (),
        |(), (i, input)| {
            let (run, text) = check(checker, FileId((first + i) as u32), input);
            let envelope = attester.and_then(|a| a.envelope(&run));
            (run, text, envelope)
        },
        |(run, text, envelope)| {
            if let Some((_, file)) = attest.as_mut() {
                file.write(envelope.as_deref());
            }
            out.push((run, text));
            progress.inc();
        },
    );
    out
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
                .any(|r| report::is_failure(r) || r.overridden.is_some() || r.waived.is_some())
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
