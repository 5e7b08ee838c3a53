//! The formatter: a snapshot per file of `tests/fmt/` (every construct, comments, long lines),
//! and its two properties, checked on every policy file in the repository and on generated ones:
//! formatting never changes meaning (same syntax tree, spans aside, and the same comments in the
//! same order) and formatting is idempotent (fmt of fmt = fmt).

use std::path::{Path, PathBuf};

use charter::fmt;
use charter::source::FileId;
use charter::syntax;
use proptest::prelude::*;

use crate::cases::charter;

fn format(text: &str) -> String {
    fmt::format(FileId(0), text).unwrap_or_else(|e| panic!("not formatted: {e:?}\n{text}"))
}

fn comment_texts(text: &str) -> Vec<String> {
    let parsed = syntax::parse(FileId(0), text);
    fmt::comments::scan(text, &parsed.file)
        .into_iter()
        .map(|c| c.text)
        .collect()
}

/// Checks both properties on `text`; `false` when `text` does not parse (nothing to check).
fn check_properties(name: &str, text: &str) -> bool {
    let parsed = syntax::parse(FileId(0), text);
    if !parsed.errors.is_empty() {
        return false;
    }
    let out = format(text);
    let again = syntax::parse(FileId(0), &out);
    assert!(
        again.errors.is_empty(),
        "{name}: the output does not parse: {:?}\n{out}",
        again.errors
    );
    assert!(
        fmt::same_shape(&parsed.file, &again.file),
        "{name}: formatting changed the syntax tree\n--- input\n{text}\n--- output\n{out}"
    );
    assert_eq!(
        comment_texts(text),
        comment_texts(&out),
        "{name}: comments changed\n{out}"
    );
    assert_eq!(
        format(&out),
        out,
        "{name}: formatting twice changes the text"
    );
    true
}

#[test]
fn snapshots() {
    insta::glob!("../fmt", "*.charter", |path| {
        let text = std::fs::read_to_string(path).expect("test file");
        insta::assert_snapshot!(format(&text));
    });
}

fn charter_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            charter_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "charter") {
            out.push(p);
        }
    }
}

/// Runs `f` on a thread with the stack the CLI gives the formatter: the deep-nesting cases
/// (64 brackets, 256 operators) need more than a test thread's 2 MiB in a debug build.
fn with_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(f)
        .expect("thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[test]
fn every_policy_in_the_repository() {
    with_big_stack(every_policy_in_the_repository_inner);
}

fn every_policy_in_the_repository_inner() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["policies", "tests/cases", "tests/fmt"] {
        charter_files(&root.join(dir), &mut files);
    }
    let checked = files
        .iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).expect("policy file");
            check_properties(&p.display().to_string(), &text)
        })
        .count();
    // Most cases parse; the syntax-error cases are the only ones skipped.
    assert!(
        checked > 150,
        "only {checked} of {} files checked",
        files.len()
    );
}

#[test]
fn the_shipped_policies_are_formatted() {
    let mut files = Vec::new();
    charter_files(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies"),
        &mut files,
    );
    for p in files {
        let text = std::fs::read_to_string(&p).expect("policy file");
        assert_eq!(format(&text), text, "{} is not formatted", p.display());
    }
}

// ---------------------------------------------------------------- generated inputs

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(items).prop_map(str::to_string)
}

/// Maybe in parentheses, so both the bare and the grouped shapes are generated.
fn wrap(s: String, paren: bool) -> String {
    if paren { format!("({s})") } else { s }
}

/// Expression text, tokens separated by single spaces (see [`spread`]).
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        pick(&["a", "b", "xs", "r", "change", "senior"]),
        pick(&["0", "42", "1_000", "0.5", "48h", "1h30m", "true", "false"]),
        pick(&[
            r#""s""#,
            r#""a\"b""#,
            "2026-12-24",
            "16:30",
            "2026-12-20T17:00:00Z"
        ]),
    ];
    leaf.prop_recursive(5, 64, 4, |inner| {
        let op = pick(&[
            "or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "matches", "=~", "??", "+", "-",
            "*", "/",
        ]);
        let postfix = pick(&["where", "map", "max_by", "min_by", "distinct by"]);
        prop_oneof![
            (inner.clone(), op, inner.clone(), any::<(bool, bool)>())
                .prop_map(|(a, op, b, (pa, pb))| format!("{} {op} {}", wrap(a, pa), wrap(b, pb))),
            (pick(&["not ", "-"]), inner.clone(), any::<bool>())
                .prop_map(|(op, x, p)| format!("{op}{}", wrap(x, p))),
            (
                inner.clone(),
                pick(&["x", "name", "in", "map"]),
                any::<bool>()
            )
                .prop_map(|(x, f, p)| format!("{}.{f}", wrap(x, p))),
            (inner.clone(), inner.clone(), any::<bool>())
                .prop_map(|(x, k, p)| format!("{}[{k}]", wrap(x, p))),
            (inner.clone(), postfix, inner.clone(), any::<(bool, bool)>()).prop_map(
                |(x, kw, b, (px, pb))| format!("{} {kw} r: {}", wrap(x, px), wrap(b, pb))
            ),
            (
                pick(&["any", "all"]),
                any::<bool>(),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(q, two, c, b)| {
                    let vars = if two { "k, v" } else { "r" };
                    format!("{q} {vars} in {c}: {b}")
                }),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("if {c} then {a} else {b}")),
            (
                pick(&["count", "f", "max"]),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|xs| format!("[{}]", xs.join(", "))),
            prop::collection::vec((pick(&["name", r#""dev""#]), inner.clone()), 0..3).prop_map(
                |kvs| {
                    let entries: Vec<String> =
                        kvs.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    format!("{{{}}}", entries.join(", "))
                }
            ),
        ]
    })
}

fn field_type() -> impl Strategy<Value = String> {
    pick(&[
        "string",
        "int >= 0",
        "float > -1.5 < 10",
        "[string]",
        "map(ignore_case)<[string]>",
        "map<int>",
        "{ a: int, b: string? }",
        "enum(open) { x, y }",
        "levels { lo, hi }?",
        "[{ w: bool }]",
        "[string] = []",
        "int = 1",
        "timestamp?",
    ])
}

/// A whole file with every kind of item; `///` docs written without spaces so that [`spread`]
/// can put line breaks and comments at any space.
fn file() -> impl Strategy<Value = (String, Vec<String>)> {
    (
        prop::collection::vec((pick(&["f1", "f2", "in", "when"]), field_type(), any::<bool>()), 1..4),
        prop::collection::vec(expr(), 4..6),
        expr(),
    )
        .prop_map(|(fields, exprs, interp)| {
            let mut text = String::from("///Levels.\nlevels seniority(ignore_case, open) { junior, ///Mid.\nmid, senior, }\n");
            text.push_str("manifest change {\n");
            for (i, (name, ty, doc)) in fields.iter().enumerate() {
                if *doc {
                    text.push_str("///A_field.\n");
                }
                text.push_str(&format!("{name}{i}: {ty}\n"));
            }
            text.push_str("}\n");
            text.push_str(&format!("let v0 = {}\n", exprs[0]));
            text.push_str(&format!("///Doc.\nlet f(p, q: int) = {}\n", exprs[1]));
            text.push_str(&format!(
                "policy p0 {{ severity warn when {} require {} require {} message \"TEMPLATE\" }}\n",
                exprs[2], exprs[3], exprs[exprs.len() - 1]
            ));
            (text, vec![format!("t \\{{x\\}} {{{interp}}} \\\"q\\\"")])
        })
}

/// Replaces each space of `text` by a separator chosen by `seeds`: spaces, line breaks,
/// trailing comments, comments on their own line.
fn spread(text: &str, seeds: &[u8]) -> String {
    const SEPS: [&str; 8] = [
        " ",
        " ",
        " ",
        "  ",
        "\n",
        "\n    ",
        " // c\n",
        "\n// own line\n",
    ];
    let mut out = String::new();
    let mut n = 0;
    for c in text.chars() {
        if c == ' ' {
            out.push_str(
                SEPS[seeds.get(n % seeds.len().max(1)).copied().unwrap_or(0) as usize % SEPS.len()],
            );
            n += 1;
        } else {
            out.push(c);
        }
    }
    out
}

proptest! {
    // 128 cases keep `cargo test` quick; `PROPTEST_CASES=5000 cargo test generated` digs deeper.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(128),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_files_keep_their_meaning_and_are_stable(
        (text, templates) in file(),
        seeds in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let spread_text = spread(&text, &seeds).replace("TEMPLATE", &templates[0]);
        let parsed = syntax::parse(FileId(0), &spread_text);
        // Generated text is almost always valid; the rare invalid one says nothing.
        prop_assume!(parsed.errors.is_empty());
        prop_assert!(check_properties("generated", &spread_text));
    }
}

// ---------------------------------------------------------------- the command line

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("charter-fmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn check_prints_a_diff_and_exits_1_without_writing() {
    let dir = temp_dir("check");
    let messy = "policy p {\n    require   a and b\n}\n";
    std::fs::write(dir.join("a.charter"), messy).expect("write");
    std::fs::write(dir.join("b.charter"), "let x = 1\n").expect("write");
    let (code, out, err) = charter(&dir, &["fmt".into(), "--check".into(), ".".into()]);
    insta::assert_snapshot!(format!("exit: {code}\n{out}{err}"), @r"
    exit: 1
    --- a.charter
    +++ a.charter (formatted)
    @@ -1,3 +1,3 @@
     policy p {
    -    require   a and b
    +  require a and b
     }
    ");
    assert_eq!(
        std::fs::read_to_string(dir.join("a.charter")).expect("read"),
        messy
    );

    let (code, out, _) = charter(&dir, &["fmt".into(), ".".into()]);
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, _, _) = charter(&dir, &["fmt".into(), "--check".into(), ".".into()]);
    assert_eq!(code, 0, "formatted files pass --check");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_not_touched() {
    let dir = temp_dir("broken");
    let broken = "policy p {\n  require a &&   b\n}\nlet   ok = 1\n";
    std::fs::write(dir.join("broken.charter"), broken).expect("write");
    std::fs::write(dir.join("fine.charter"), "let   y = 2\n").expect("write");
    let (code, out, err) = charter(&dir, &["fmt".into(), ".".into()]);
    insta::assert_snapshot!(format!("exit: {code}\n{out}{err}"), @r"
    exit: 2
    charter::syntax::unexpected

      × unexpected `&&`: expected an operator or `}`
       ╭─[broken.charter:2:13]
     1 │ policy p {
     2 │   require a &&   b
       ·             ┬
       ·             ╰── expected an operator or `}`
     3 │ }
       ╰────
      help: write `and` instead of `&&`
    error: `broken.charter` was not formatted: fix the errors above first
    ");
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.charter")).expect("read"),
        broken
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("fine.charter")).expect("read"),
        "let y = 2\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_is_formatted_to_stdout() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["fmt", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("charter runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"let   x=1+2 // sum\n")
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "let x = 1 + 2 // sum\n"
    );
}

// Issue 21, broken 7: a CRLF file was rewritten with `\n` line ends, so a formatted CRLF buffer
// never formatted to a no-op. A file keeps its line ending style.
#[test]
fn a_crlf_file_keeps_its_line_ends() {
    let formatted = "// top\r\nlet x = 1 // c\r\n\r\npolicy p {\r\n  require x == 1\r\n}\r\n";
    assert_eq!(format(formatted), formatted);
    assert_eq!(format(&formatted.replace("x = 1", "x=1")), formatted);
    let lf = formatted.replace("\r\n", "\n");
    assert_eq!(format(&lf), lf);
}
