//! Command-line behaviour that is not a policy case: defaults, the project file, the shipped
//! examples.

use std::path::PathBuf;

use crate::cases::charter;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_examples() {
    let (code, out, err) = charter(&root(), &["check".into(), "examples/changes".into()]);
    insta::assert_snapshot!("shipped_examples", format!("exit: {code}\n{out}{err}"));
}

#[test]
fn explain_human_and_json() {
    let manifest = "examples/changes/chg-1042-ai-unreviewed.yaml";
    let (code, out, err) = charter(&root(), &["explain".into(), manifest.into()]);
    insta::assert_snapshot!("explain_human", format!("exit: {code}\n{out}{err}"));
    let args = [
        "explain",
        "--format",
        "json",
        "--policy",
        "prod_region_limit",
        manifest,
    ];
    let (code, out, _) = charter(&root(), &args.map(String::from));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("explain JSON parses");
    insta::assert_json_snapshot!("explain_json", v);
}

#[test]
fn explain_unknown_policy_suggests() {
    let args = [
        "explain",
        "--policy",
        "prod_region_limt",
        "examples/changes/chg-1041-ok.yaml",
    ];
    let (code, out, err) = charter(&root(), &args.map(String::from));
    insta::assert_snapshot!(
        "explain_unknown_policy",
        format!("exit: {code}\n{out}{err}")
    );
}

#[test]
fn project_file_names_the_policy_folder() {
    let dir = std::env::temp_dir().join(format!("charter-toml-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("ops/rules")).expect("temp dir");
    std::fs::create_dir_all(dir.join("sub")).expect("temp dir");
    std::fs::write(
        dir.join("charter.toml"),
        "policies = \"ops/rules\"\nformat = \"json\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("ops/rules/p.charter"),
        "manifest change { n: int }\npolicy small { require change.n < 10 }\n",
    )
    .expect("write");
    std::fs::write(dir.join("sub/m.yaml"), "n: 12\n").expect("write");
    // Run from a subfolder: charter.toml is found by walking up, and paths stay relative.
    let (code, out, err) = charter(&dir.join("sub"), &["check".into(), "m.yaml".into()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("format = json from charter.toml");
    assert_eq!(v["manifests"][0]["results"][0]["outcome"], "fail");
    assert_eq!(
        v["manifests"][0]["results"][0]["location"]["file"],
        "../ops/rules/p.charter"
    );
}

#[test]
fn config_names_the_format() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("config_format");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let policies = root().join("policies");
    let config = |format: &str| {
        std::fs::write(
            dir.join("charter.toml"),
            format!(
                "policies = {:?}\nformat = \"{format}\"\n",
                policies.display()
            ),
        )
        .expect("charter.toml");
    };
    config("junit");
    let (code, out, _) = charter(&dir, &["check".into()]);
    assert_eq!(code, 0);
    assert!(out.starts_with("<?xml"), "{out}");
    // The command line wins over the file.
    let (_, out, _) = charter(&dir, &["check".into(), "--format=github".into()]);
    assert_eq!(out, "policy set ok: 5 policies, no manifests given\n");
    config("xml");
    let (code, _, err) = charter(&dir, &["check".into()]);
    assert_eq!(code, 2);
    assert!(err.contains("(or json, sarif, junit, github)"), "{err}");
}
