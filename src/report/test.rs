//! `charter test` output: a line per test, details for failures, the closing `N passed, N failed`
//! line, and coverage (a table for people; JSON for tools; JUnit XML for CI test reports).

use serde::Serialize;

use super::human::{Style, render_diagnostic};
use super::locate;
use crate::check::ir::Program;
use crate::cli::Exit;
use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::source::{Sources, Span};
use crate::testing::PolicyCoverage;

/// A test file that could not be read or has mistakes (the run exits 2).
pub struct Broken {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// One test case's result.
pub struct CaseRun {
    pub file: String,
    pub name: String,
    /// Expectations that did not hold; empty when the test passed.
    pub problems: Vec<String>,
    /// The case's manifest did not validate (the test is broken).
    pub manifest_errors: Vec<Diagnostic>,
    /// For a failure: the policies' diagnostics and explanations.
    pub details: String,
}

impl CaseRun {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.manifest_errors.is_empty()
    }
}

pub struct TestReport<'a> {
    pub sources: &'a Sources,
    pub program: &'a Program,
    pub runs: Vec<CaseRun>,
    pub broken: Vec<Broken>,
    pub coverage: Option<Vec<PolicyCoverage>>,
    pub min: Option<f64>,
}

impl TestReport<'_> {
    fn counts(&self) -> (usize, usize) {
        let passed = self.runs.iter().filter(|r| r.passed()).count();
        (passed, self.runs.len() - passed)
    }

    fn percent(&self) -> Option<(f64, usize, usize)> {
        let cov = self.coverage.as_ref()?;
        let (hit, total) = cov
            .iter()
            .map(PolicyCoverage::items)
            .fold((0, 0), |(a, b), (h, t)| (a + h, b + t));
        Some((
            if total == 0 {
                100.0
            } else {
                100.0 * hit as f64 / total as f64
            },
            hit,
            total,
        ))
    }

    /// 2 for a broken test file or manifest, else 1 for a failed test or coverage under `--min`.
    pub fn exit_code(&self) -> Exit {
        if !self.broken.is_empty() || self.runs.iter().any(|r| !r.manifest_errors.is_empty()) {
            return Exit::BadInput;
        }
        let (_, failed) = self.counts();
        let under =
            matches!((self.min, self.percent()), (Some(min), Some((p, _, _))) if p + 1e-9 < min);
        if failed > 0 || under {
            Exit::Denied
        } else {
            Exit::Ok
        }
    }

    fn at(&self, span: Span) -> String {
        let l = locate(self.sources, span);
        format!("{}:{}:{}", l.file, l.line, l.column)
    }

    pub fn human(&self, style: Style) -> String {
        let mut out = String::new();
        for b in &self.broken {
            out.push_str(&format!("error {}: the test file has mistakes\n", b.file));
            for d in &b.diagnostics {
                out.push_str(&render_diagnostic(self.sources, d, style));
            }
        }
        for r in &self.runs {
            let status = if r.passed() { "ok  " } else { "FAIL" };
            out.push_str(&format!("{status} {}::{}\n", r.file, r.name));
            for p in &r.problems {
                out.push_str(&format!("     {p}\n"));
            }
            if !r.manifest_errors.is_empty() {
                out.push_str("     the test's manifest is not valid:\n");
                for d in &r.manifest_errors {
                    out.push_str(&render_diagnostic(self.sources, d, style));
                }
            }
            if !r.details.is_empty() {
                for line in r.details.lines() {
                    out.push_str(format!("     {line}").trim_end());
                    out.push('\n');
                }
            }
        }
        if let Some(cov) = &self.coverage {
            out.push_str(&self.coverage_table(cov));
        }
        if !self.broken.is_empty() {
            let n = self.broken.len();
            out.push_str(&format!(
                "{n} test file{} could not be used\n",
                if n == 1 { "" } else { "s" }
            ));
        }
        let (passed, failed) = self.counts();
        out.push_str(&format!("{passed} passed, {failed} failed\n"));
        out
    }

    fn coverage_table(&self, cov: &[PolicyCoverage]) -> String {
        let width = cov
            .iter()
            .map(|c| self.program.policies[c.policy].name.len())
            .max()
            .unwrap_or(6)
            .max(6);
        // The `override` column only where a policy can be overridden.
        let overridable = cov.iter().any(|c| c.can_override);
        let mut out = format!(
            "\ncoverage\n{:<width$}  pass  fail  skip  {}clauses  bodies\n",
            "policy",
            if overridable { "override  " } else { "" }
        );
        let mut gaps = Vec::new();
        for c in cov {
            let p = &self.program.policies[c.policy];
            let mark = |o: Outcome| {
                if c.outcomes_seen.contains(&o) {
                    "yes"
                } else {
                    "no"
                }
            };
            let skip = if c.can_skip { mark(Outcome::Skip) } else { "-" };
            let ratio = |xs: &[(Span, bool)]| {
                format!("{}/{}", xs.iter().filter(|(_, hit)| *hit).count(), xs.len())
            };
            let over = match (overridable, c.can_override) {
                (false, _) => String::new(),
                (true, false) => format!("{:<8}  ", "-"),
                (true, true) => format!("{:<8}  ", mark(Outcome::Overridden)),
            };
            out.push_str(&format!(
                "{:<width$}  {:<4}  {:<4}  {:<4}  {over}{:<7}  {}\n",
                p.name,
                mark(Outcome::Pass),
                mark(Outcome::Fail),
                skip,
                ratio(&c.clauses),
                ratio(&c.bodies)
            ));
            for (o, name) in [(Outcome::Pass, "passing"), (Outcome::Fail, "failing")] {
                if !c.outcomes_seen.contains(&o) {
                    gaps.push(format!("{}: no test sees it {name}", p.name));
                }
            }
            if c.can_override && !c.outcomes_seen.contains(&Outcome::Overridden) {
                gaps.push(format!(
                    "{}: no test sees it overridden (its `override when` holding)",
                    p.name
                ));
            }
            if c.can_skip && !c.outcomes_seen.contains(&Outcome::Skip) {
                gaps.push(format!(
                    "{}: no test sees it skipped (its `when` false)",
                    p.name
                ));
            }
            for (span, hit) in &c.clauses {
                if !hit {
                    gaps.push(format!(
                        "{}: clause never evaluated at {}",
                        p.name,
                        self.at(*span)
                    ));
                }
            }
            for (span, hit) in &c.bodies {
                if !hit {
                    gaps.push(format!(
                        "{}: quantifier body never evaluated at {}",
                        p.name,
                        self.at(*span)
                    ));
                }
            }
        }
        if let Some((pct, hit, total)) = self.percent() {
            out.push_str(&format!("coverage: {pct:.1}% ({hit} of {total} items)"));
            if let Some(min) = self.min {
                out.push_str(&format!(
                    ", minimum {min}%{}",
                    if pct + 1e-9 < min { ": too low" } else { "" }
                ));
            }
            out.push('\n');
        }
        for g in gaps {
            out.push_str(&format!("  not covered: {g}\n"));
        }
        out
    }

    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct J<'a> {
            version: u32,
            passed: usize,
            failed: usize,
            tests: Vec<JTest<'a>>,
            broken: Vec<JBroken<'a>>,
            coverage: Option<JCoverage>,
        }
        #[derive(Serialize)]
        struct JTest<'a> {
            file: &'a str,
            name: &'a str,
            passed: bool,
            problems: &'a [String],
            manifest_errors: Vec<String>,
        }
        #[derive(Serialize)]
        struct JBroken<'a> {
            file: &'a str,
            errors: Vec<String>,
        }
        #[derive(Serialize)]
        struct JCoverage {
            percent: f64,
            covered: usize,
            total: usize,
            policies: Vec<JPolicy>,
        }
        #[derive(Serialize)]
        struct JPolicy {
            policy: String,
            outcomes_seen: Vec<&'static str>,
            uncovered_clauses: Vec<String>,
            uncovered_bodies: Vec<String>,
        }
        let (passed, failed) = self.counts();
        let message = |d: &Diagnostic| match d.primary_span() {
            Some(s) => format!("{}: {}", self.at(s), d.message),
            None => d.message.clone(),
        };
        let doc = J {
            version: 1,
            passed,
            failed,
            tests: self
                .runs
                .iter()
                .map(|r| JTest {
                    file: &r.file,
                    name: &r.name,
                    passed: r.passed(),
                    problems: &r.problems,
                    manifest_errors: r.manifest_errors.iter().map(message).collect(),
                })
                .collect(),
            broken: self
                .broken
                .iter()
                .map(|b| JBroken {
                    file: &b.file,
                    errors: b.diagnostics.iter().map(message).collect(),
                })
                .collect(),
            coverage: self.coverage.as_ref().zip(self.percent()).map(
                |(cov, (percent, covered, total))| JCoverage {
                    percent: (percent * 10.0).round() / 10.0,
                    covered,
                    total,
                    policies: cov
                        .iter()
                        .map(|c| JPolicy {
                            policy: self.program.policies[c.policy].name.clone(),
                            outcomes_seen: c.outcomes_seen.iter().map(|o| o.as_str()).collect(),
                            uncovered_clauses: c
                                .clauses
                                .iter()
                                .filter(|(_, h)| !h)
                                .map(|(s, _)| self.at(*s))
                                .collect(),
                            uncovered_bodies: c
                                .bodies
                                .iter()
                                .filter(|(_, h)| !h)
                                .map(|(s, _)| self.at(*s))
                                .collect(),
                        })
                        .collect(),
                },
            ),
        };
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    /// JUnit XML: one test suite per test file, one test case per test.
    pub fn junit(&self) -> String {
        let (passed, failed) = self.counts();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<testsuites name=\"charter test\" tests=\"{}\" failures=\"{failed}\">\n",
            passed + failed
        ));
        let mut files: Vec<&str> = self.runs.iter().map(|r| r.file.as_str()).collect();
        files.dedup();
        for f in files {
            let runs: Vec<&CaseRun> = self.runs.iter().filter(|r| r.file == f).collect();
            let fails = runs.iter().filter(|r| !r.passed()).count();
            out.push_str(&format!(
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">\n",
                xml(f),
                runs.len()
            ));
            for r in runs {
                out.push_str(&format!(
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(f),
                    xml(&r.name)
                ));
                if r.passed() {
                    out.push_str("/>\n");
                } else {
                    let mut text = r.problems.join("\n");
                    for d in &r.manifest_errors {
                        text.push_str(&format!("\nmanifest: {}", d.message));
                    }
                    let first = text.lines().next().unwrap_or("failed").to_string();
                    out.push_str(&format!(
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(&first),
                        xml(&text)
                    ));
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn xml(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {
                format!("&#{};", c as u32)
            }
            c => c.to_string(),
        })
        .collect()
}
