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
