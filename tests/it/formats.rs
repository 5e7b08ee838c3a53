//! The machine formats: JSON and SARIF against their schemas (read from `schemas/`, never
//! fetched), JUnit XML parsed and counted, and the three cross-checked against each other. The
//! `check_*` functions also run on every case in `cases.rs`.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde_json::Value;

use crate::cases::charter;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema(name: &str) -> Value {
    let path = root().join("schemas").join(name);
    let text = std::fs::read_to_string(&path).expect("the schema file is in the repository");
    serde_json::from_str(&text).expect("the schema is JSON")
}

static SARIF: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::validator_for(&schema("sarif-schema-2.1.0.json"))
        .expect("the SARIF 2.1.0 schema compiles without fetching anything")
});

static REPORT: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::validator_for(&schema("charter-report.schema.json"))
        .expect("the report schema compiles")
});

static DECISION: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::validator_for(&schema("charter-decision-v1.schema.json"))
        .expect("the decision predicate schema compiles")
});

/// An in-toto statement of `charter check --attest`: Statement v1, and its predicate valid
/// against `schemas/charter-decision-v1.schema.json`.
pub fn check_decision_statement(statement: &Value) -> Result<(), String> {
    if statement["_type"] != "https://in-toto.io/Statement/v1" {
        return Err(format!(
            "not an in-toto Statement v1: {}",
            statement["_type"]
        ));
    }
    if statement["predicateType"] != "https://charter.dev/decision/v1" {
        return Err(format!("predicate type {}", statement["predicateType"]));
    }
    let subjects = statement["subject"].as_array().cloned().unwrap_or_default();
    if subjects.is_empty()
        || subjects
            .iter()
            .any(|s| !s["name"].is_string() || !s["digest"].is_object())
    {
        return Err(format!("subjects: {}", statement["subject"]));
    }
    validate(
        &DECISION,
        "the decision predicate",
        &statement["predicate"].to_string(),
    )
    .map(|_| ())
}

fn validate(validator: &jsonschema::Validator, what: &str, text: &str) -> Result<Value, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("{what} is not JSON: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(doc)
    } else {
        Err(format!(
            "{what} does not match its schema:\n{}",
            errors.join("\n")
        ))
    }
}

/// The `--format json` document, valid against `schemas/charter-report.schema.json`.
pub fn check_json(text: &str) -> Result<Value, String> {
    validate(&REPORT, "the JSON report", text)
}

/// A SARIF log, valid against the official schema, whose every `ruleIndex` names its rule.
pub fn check_sarif(text: &str) -> Result<Value, String> {
    let doc = validate(&SARIF, "the SARIF log", text)?;
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for r in run["results"].as_array().into_iter().flatten() {
        let i = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        if rules.get(i).map(|rule| &rule["id"]) != Some(&r["ruleId"]) {
            return Err(format!("result {r} does not point at its rule"));
        }
    }
    Ok(doc)
}

/// Counts of a JUnit report, per `<testsuites>`.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Junit {
    pub tests: usize,
    pub failures: usize,
    pub errors: usize,
    pub skipped: usize,
}

/// Parses a JUnit report and checks that every count attribute matches the elements it counts.
pub fn check_junit(text: &str) -> Result<Junit, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("invalid XML: {e}"))?;
    let top = doc.root_element();
    if top.tag_name().name() != "testsuites" {
        return Err(format!("root element is <{}>", top.tag_name().name()));
    }
    let count = |n: roxmltree::Node<'_, '_>| {
        let cases = n
            .descendants()
            .filter(|c| c.has_tag_name("testcase"))
            .collect::<Vec<_>>();
        let with = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|x| x.has_tag_name(tag)))
                .count()
        };
        Junit {
            tests: cases.len(),
            failures: with("failure"),
            errors: with("error"),
            skipped: with("skipped"),
        }
    };
    let declared = |n: roxmltree::Node<'_, '_>| -> Result<Junit, String> {
        let attr = |name: &str| {
            n.attribute(name)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("<{}> has no numeric `{name}`", n.tag_name().name()))
        };
        Ok(Junit {
            tests: attr("tests")?,
            failures: attr("failures")?,
            errors: attr("errors")?,
            skipped: attr("skipped")?,
        })
    };
    for suite in top.children().filter(|c| c.has_tag_name("testsuite")) {
        if declared(suite)? != count(suite) {
            return Err(format!(
                "suite {:?} declares {:?} but holds {:?}",
                suite.attribute("name"),
                declared(suite)?,
                count(suite)
            ));
        }
    }
    let total = count(top);
    if declared(top)? != total {
        return Err(format!(
            "<testsuites> declares {:?} but holds {total:?}",
            declared(top)?
        ));
    }
    Ok(total)
}

/// The same run in three formats tells the same story: one SARIF result per failed or errored
/// policy and manifest, and one JUnit failure or error per failed or errored deny or warn policy.
pub fn cross_check(json: &Value, sarif: &Value, junit: &Junit) -> Result<(), String> {
    let results: Vec<&Value> = json["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["results"].as_array().into_iter().flatten())
        .filter(|r| r["outcome"] == "fail" || r["outcome"] == "error")
        .collect();
    // An overridden or waived failure is a SARIF note, and a passed JUnit case.
    let overridden = json["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["results"].as_array().into_iter().flatten())
        .filter(|r| r["outcome"] == "overridden" || r["outcome"] == "waived")
        .count();
    let sarif_notes = sarif["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            (r["properties"]["outcome"] == "overridden" || r["properties"]["outcome"] == "waived")
                && r["level"] == "note"
        })
        .count();
    if sarif_notes != overridden {
        return Err(format!(
            "JSON has {overridden} overridden or waived results, SARIF {sarif_notes} notes for them"
        ));
    }
    let sarif_policy_results = sarif["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["properties"]["policy"].is_string())
        .count()
        - sarif_notes;
    if sarif_policy_results != results.len() {
        return Err(format!(
            "JSON has {} failed or errored results, SARIF {sarif_policy_results}",
            results.len()
        ));
    }
    let failing = results.iter().filter(|r| r["severity"] != "info");
    let fails = failing.clone().filter(|r| r["outcome"] == "fail").count();
    let unreadable = json["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["decision"] == "error")
        .count();
    let policy_errors = usize::from(
        json["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["level"] == "error"),
    );
    let errors = failing.filter(|r| r["outcome"] == "error").count() + unreadable + policy_errors;
    if (junit.failures, junit.errors) != (fails, errors) {
        return Err(format!(
            "JUnit has {} failures and {} errors, JSON says {fails} and {errors}",
            junit.failures, junit.errors
        ));
    }
    Ok(())
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    charter(dir, &args)
}

#[test]
fn report_schema_is_a_valid_schema() {
    for name in [
        "charter-report.schema.json",
        "charter-decision-v1.schema.json",
    ] {
        let s = schema(name);
        assert!(
            jsonschema::meta::is_valid(&s),
            "{name}: {:?}",
            jsonschema::meta::validate(&s)
        );
    }
}

#[test]
fn schemas_reject_what_they_should() {
    // A validator that accepted anything would pass every case.
    let (_, out, _) = run_in(&root(), &["check", "--format", "json", "examples/changes"]);
    let mut doc: Value = serde_json::from_str(&out).expect("JSON");
    doc["version"] = 2.into();
    assert!(check_json(&doc.to_string()).is_err());
    let (_, out, _) = run_in(&root(), &["check", "--format", "sarif", "examples/changes"]);
    let mut doc: Value = serde_json::from_str(&out).expect("SARIF");
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(check_sarif(&doc.to_string()).is_err());
    doc["runs"][0]["results"][0]["level"] = "error".into();
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(check_sarif(&doc.to_string()).is_err());
}

#[test]
fn sarif_shipped_examples() {
    let (code, out, err) = run_in(&root(), &["check", "--format", "sarif", "examples/changes"]);
    assert_eq!((code, err.as_str()), (1, ""));
    let doc = check_sarif(&out).unwrap_or_else(|e| panic!("{e}"));
    let run = &doc["runs"][0];
    let results = run["results"].as_array().expect("results");
    // One result per failed policy: four for CHG-1042, one for CHG-1043.
    assert_eq!(results.len(), 5);
    for r in results {
        let manifest = r["properties"]["manifest"].as_str().expect("manifest");
        let here = &r["locations"][0]["physicalLocation"];
        assert_eq!(here["artifactLocation"]["uri"], manifest, "{r}");
        assert!(here["region"]["startLine"].as_u64() > Some(1), "{r}");
        let related: Vec<&str> = r["relatedLocations"]
            .as_array()
            .expect("related locations")
            .iter()
            .filter_map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str())
            .collect();
        assert!(related.iter().any(|u| u.starts_with("policies/")), "{r}");
        assert_eq!(r["level"], "error");
    }
    // The rule carries the doc comment and the level of its severity.
    let rule =
        &run["tool"]["driver"]["rules"][results[4]["ruleIndex"].as_u64().expect("index") as usize];
    assert_eq!(rule["id"], "large_change_two_approvals");
    assert_eq!(
        rule["fullDescription"]["text"],
        "Large changes need a second pair of eyes."
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    // CHG-1043's refusal is shown on its reviewers line, what the failed clause counted.
    let loc = &results[4]["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "examples/changes/chg-1043-large.yaml"
    );
    assert_eq!(loc["region"]["startLine"], 8);
}

#[test]
fn junit_counts_the_right_failures() {
    let (code, out, _) = run_in(&root(), &["check", "--format", "junit", "examples/changes"]);
    assert_eq!(code, 1);
    let counts = check_junit(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    // 3 manifests x 6 policies; CHG-1042 fails 4, CHG-1043 fails 1; 8 `when`s are false.
    assert_eq!(
        counts,
        Junit {
            tests: 18,
            failures: 5,
            errors: 0,
            skipped: 8
        }
    );
    let doc = roxmltree::Document::parse(&out).expect("XML");
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    assert_eq!(failure.attribute("type"), Some("deny"));
    assert_eq!(
        failure.attribute("message"),
        Some("AI-assisted change CHG-1042 needs approval from a senior engineer or above")
    );
    let case = failure.parent().expect("testcase");
    assert_eq!(case.attribute("name"), Some("ai_needs_senior_signoff"));
    assert_eq!(
        case.attribute("classname"),
        Some("examples/changes/chg-1042-ai-unreviewed.yaml")
    );
}

#[test]
fn junit_escapes_what_xml_cannot_hold() {
    let _redact = crate::support::redact_provenance();
    // Quotes, ampersands, angle brackets, tabs and control characters from a manifest's values.
    let dir = root().join("tests/fixtures/escapes");
    let (code, out, _) = run_in(
        &dir,
        &[
            "check",
            "--format",
            "junit",
            "--policies",
            ".",
            "change.yaml",
        ],
    );
    assert_eq!(code, 1);
    check_junit(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let doc = roxmltree::Document::parse(&out).expect("XML");
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    assert_eq!(
        failure.attribute("message"),
        // The value is interpolated into the message with its control characters escaped.
        Some(r#"title <b>"A & B"</b>\u{9}tab\u{a}line\u{7}bell: 50%, done"#)
    );
    let (_, gh, _) = run_in(
        &dir,
        &[
            "check",
            "--format",
            "github",
            "--policies",
            ".",
            "change.yaml",
        ],
    );
    insta::assert_snapshot!("github_escapes", gh);
}

#[test]
fn report_files_match_standard_output() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_files");
    let _ = std::fs::remove_dir_all(&tmp);
    let formats = ["human", "json", "sarif", "junit", "github"];
    // One evaluation time for every run compared: it is part of every format's output.
    let now = "--now=2026-12-24T09:00:00Z";
    let mut args: Vec<String> = vec!["check".into(), now.into(), "examples/changes".into()];
    for f in formats {
        // A folder that does not exist yet is made.
        args.push(format!(
            "--report={f}={}",
            tmp.join("out").join(f).display()
        ));
    }
    let (code, human, err) = charter(&root(), &args);
    assert_eq!((code, err.as_str()), (1, ""));
    for f in formats {
        let (c, stdout, _) = run_in(&root(), &["check", now, "--format", f, "examples/changes"]);
        assert_eq!(c, 1);
        let file = std::fs::read_to_string(tmp.join("out").join(f)).expect("report written");
        assert_eq!(file, stdout, "--report {f}=FILE differs from --format {f}");
    }
    let file = std::fs::read_to_string(tmp.join("out/human")).expect("human report");
    assert_eq!(human, file);
}

#[test]
fn report_argument_errors() {
    let (code, _, err) = run_in(&root(), &["check", "--report", "sarif"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected FORMAT=PATH"), "{err}");
    let (code, _, err) = run_in(&root(), &["check", "--report", "xml=out.xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown report format `xml`"), "{err}");
    // A file that cannot be written is an input error, and the run still reports on stdout.
    let (code, out, err) = run_in(
        &root(),
        &[
            "check",
            "--report",
            "sarif=Cargo.toml/x.sarif",
            "examples/changes",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot write the sarif report `Cargo.toml/x.sarif`"),
        "{err}"
    );
    assert!(out.contains("3 manifests: 2 denied"), "{out}");
}
