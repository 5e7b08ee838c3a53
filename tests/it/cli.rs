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
