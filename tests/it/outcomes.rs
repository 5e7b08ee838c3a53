//! Exit codes and `--quiet` for every combination of outcomes, with and without
//! `--deny-warnings`. `tests/fixtures/outcomes/` has one manifest per outcome.

use std::path::PathBuf;

use crate::cases::charter;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Each manifest of the fixture, named by the outcome it produces.
const MANIFESTS: [&str; 6] = [
    "allow.yaml",         // every policy passes
    "info.yaml",          // an info policy fails: still allowed
    "warn.yaml",          // a warn policy fails: warned
    "deny.yaml",          // a deny policy fails: denied
    "unknown_field.yaml", // allowed, with a warning about the manifest
    "broken.yaml",        // invalid: no policy evaluated
];

/// The exit code README.md promises.
fn expected(manifests: &[&str], deny_warnings: bool) -> i32 {
    let has = |m: &str| manifests.contains(&m);
    if has("broken.yaml") {
        2
    } else if has("deny.yaml") || (deny_warnings && (has("warn.yaml") || has("unknown_field.yaml")))
    {
        1
    } else {
        0
    }
}

fn args(policies: &str, manifests: &[&str], extra: &[&str]) -> Vec<String> {
    let mut a = vec!["check".to_string(), "--policies".into(), policies.into()];
    a.extend(extra.iter().map(|s| s.to_string()));
    a.extend(manifests.iter().map(|m| format!("outcomes/{m}")));
    a
}

#[test]
fn exit_codes_for_every_combination() {
    let dir = fixtures();
    for mask in 1..(1u32 << MANIFESTS.len()) {
        let set: Vec<&str> = (0..MANIFESTS.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| MANIFESTS[i])
            .collect();
        for deny_warnings in [false, true] {
            let want = expected(&set, deny_warnings);
            let flags: &[&str] = if deny_warnings {
                &["--deny-warnings"]
            } else {
                &[]
            };
            let (code, _, _) = charter(&dir, &args("outcomes", &set, flags));
            assert_eq!(code, want, "{set:?}, deny_warnings: {deny_warnings}");
            // --quiet prints exactly when the run fails, and never a manifest that passes.
            let quiet = [flags, &["--quiet"]].concat();
            let (code, out, _) = charter(&dir, &args("outcomes", &set, &quiet));
            assert_eq!(code, want, "{set:?} --quiet");
            assert_eq!(out.is_empty(), want == 0, "{set:?} --quiet printed:\n{out}");
            for passing in ["outcomes/allow.yaml", "outcomes/info.yaml"] {
                assert!(!out.contains(passing), "{set:?} --quiet printed:\n{out}");
            }
            let github = [&quiet[..], &["--format", "github"]].concat();
            let (code, out, _) = charter(&dir, &args("outcomes", &set, &github));
            assert_eq!(code, want, "{set:?} --quiet --format github");
            assert_eq!(out.is_empty(), want == 0, "{set:?} github --quiet:\n{out}");
            assert!(!out.contains("::notice"), "{set:?} github --quiet:\n{out}");
        }
    }
}

#[test]
fn exit_codes_for_the_policy_set_alone() {
    let dir = fixtures();
    for (policies, plain, deny_warnings) in [
        ("outcomes", 0, 0),
        // An unused definition is a warning.
        ("unused_definition", 0, 1),
        ("broken_set", 2, 2),
    ] {
        let (code, _, _) = charter(&dir, &args(policies, &[], &[]));
        assert_eq!(code, plain, "{policies}");
        let (code, _, _) = charter(&dir, &args(policies, &[], &["--deny-warnings"]));
        assert_eq!(code, deny_warnings, "{policies} --deny-warnings");
        // A broken policy set evaluates nothing, with manifests too.
        if policies == "broken_set" {
            let (code, _, _) = charter(&dir, &args(policies, &MANIFESTS, &[]));
            assert_eq!(code, 2);
        }
    }
}

#[test]
fn quiet_output() {
    let dir = fixtures();
    let all = &MANIFESTS[..5];
    let mut out = String::new();
    for flags in [
        &["--quiet"][..],
        &["--quiet", "--deny-warnings"],
        &["--quiet", "--format", "github"],
        &["--quiet", "--deny-warnings", "--format", "github"],
    ] {
        let (code, stdout, stderr) = charter(&dir, &args("outcomes", all, flags));
        out.push_str(&format!(
            "$ charter {}\nexit: {code}\n{stdout}{stderr}\n",
            args("outcomes", all, flags).join(" ")
        ));
    }
    insta::assert_snapshot!("quiet_output", out);
}
