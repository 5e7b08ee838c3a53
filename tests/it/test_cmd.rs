//! `charter test`: the runner's output for passing, failing and broken test files, coverage,
//! the JSON and JUnit formats, and exit codes.

use std::path::PathBuf;

use crate::cases::charter;

fn run(args: &[&str]) -> (i32, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = charter(
        &root,
        &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    (
        code,
        format!("$ charter {}\nexit: {code}\n{out}{err}", args.join(" ")),
    )
}

#[test]
fn passing_with_coverage_under_minimum() {
    let (code, out) = run(&["test", "tests/testcmd/passing", "--coverage", "--min", "80"]);
    assert_eq!(code, 1, "coverage below --min fails");
    insta::assert_snapshot!("test_passing_coverage", out);
}

#[test]
fn failing_shows_expectation_diagnostic_and_trace() {
    let (code, out) = run(&["test", "tests/testcmd/failing"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("test_failing", out);
}

#[test]
fn broken_test_file_is_reported_with_spans() {
    let (code, out) = run(&["test", "tests/testcmd/broken"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("test_broken", out);
}

#[test]
fn filter_selects_tests() {
    let (code, out) = run(&["test", "tests/testcmd/failing", "--filter", "two regions"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("test_filter", out);
}

#[test]
fn json_and_junit_formats() {
    let (_, out) = run(&[
        "test",
        "tests/testcmd/failing",
        "--format",
        "json",
        "--coverage",
    ]);
    let json = out
        .split_once('\n')
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, j)| j)
        .unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON output");
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 1);
    insta::assert_snapshot!("test_json", out);
    let (_, out) = run(&["test", "tests/testcmd/failing", "--format", "junit"]);
    assert!(out.contains("<testsuites name=\"charter test\" tests=\"2\" failures=\"1\">"));
    insta::assert_snapshot!("test_junit", out);
}

/// The shipped policy set's own suite: every test passes and every policy, clause and
/// quantifier body is covered.
#[test]
fn shipped_policies_are_fully_covered() {
    let (code, out) = run(&["test", "--coverage", "--min", "100"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("coverage: 100.0%"), "{out}");
}
