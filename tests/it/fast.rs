//! The fast manifest route against the full one: whenever `manifest::fast::load` returns a
//! manifest, `manifest::load` must return the same manifest (values and spans) and no diagnostic.
//! Run over every manifest of the test suite and the examples, over JSON renderings of them, over
//! scalar spellings, and over many small mutations of each (a cheap fuzz of the give-up rules).

use std::path::{Path, PathBuf};

use charter::check::ir::Schema;
use charter::manifest::{self, fast};
use charter::source::{FileId, Sources};

const FILE: FileId = FileId(3);

/// Whether the fast route accepted `text`; panics when it disagrees with the full route.
fn agree(schema: &Schema, text: &str, what: &str) -> bool {
    let Some(quick) = fast::load(FILE, text, schema) else {
        return false;
    };
    let full = manifest::load(FILE, text, schema);
    assert!(
        full.diagnostics.is_empty(),
        "{what}: the fast route accepted a manifest the full route reports on:\n{text}\n{:#?}",
        full.diagnostics
    );
    let full = full.manifest.expect("no diagnostics, so a manifest");
    assert_eq!(
        format!("{:?}", quick.root),
        format!("{:?}", full.root),
        "{what}: the routes built different manifests from\n{text}"
    );
    true
}

/// Policy sets with the manifests beside them: every case folder, and the shipped examples.
fn corpora() -> Vec<(Schema, Vec<(String, String)>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut sets: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/cases"))
        .expect("tests/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let files = files_in(&d, &["yaml", "yml", "json"]);
        sets.push((d, files));
    }
    let mut shipped = files_in(&root.join("examples/changes"), &["yaml", "yml", "json"]);
    shipped.extend(files_in(
        &root.join("policies/tests/fixtures"),
        &["yaml", "yml", "json"],
    ));
    sets.push((root.join("policies"), shipped));
    let mut out = Vec::new();
    for (policy_dir, manifests) in sets {
        let mut sources = Sources::new();
        let ids: Vec<FileId> = files_in(&policy_dir, &["charter"])
            .iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(p).ok()?;
                Some(sources.add(p.display().to_string(), text))
            })
            .collect();
        let Some(program) = charter::compile(&sources, &ids).program else {
            continue;
        };
        let texts = manifests
            .iter()
            .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?)))
            .collect();
        out.push((program.schema, texts));
    }
    out
}

fn files_in(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "snapshots") {
                out.extend(files_in(&p, exts));
            }
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Runs `f` with the stack the CLI gives the full route (deep manifests recurse in serde).
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("the test thread");
}

#[test]
fn fast_route_agrees_on_every_manifest_and_mutation() {
    with_big_stack(every_manifest_and_mutation);
}

fn every_manifest_and_mutation() {
    let mut accepted = 0;
    let mut tried = 0;
    for (schema, texts) in corpora() {
        for (name, text) in texts {
            let mut variants = vec![(name.clone(), text.clone())];
            // The same document as JSON, compact and pretty, when it is one.
            if let Ok(v) = serde_saphyr::from_str::<serde_json::Value>(&text) {
                if let Ok(s) = serde_json::to_string(&v) {
                    variants.push((format!("{name} as compact JSON"), s));
                }
                if let Ok(s) = serde_json::to_string_pretty(&v) {
                    variants.push((format!("{name} as pretty JSON"), s));
                }
            }
            for (what, text) in variants {
                tried += 1;
                accepted += usize::from(agree(&schema, &text, &what));
                for (i, m) in mutations(&text).into_iter().enumerate() {
                    tried += 1;
                    accepted += usize::from(agree(&schema, &m, &format!("{what}, mutation {i}")));
                }
            }
        }
    }
    eprintln!("tried {tried}, fast {accepted}");
    assert!(tried > 10_000, "only {tried} documents tried");
    assert!(
        accepted > 1_000,
        "only {accepted} documents took the fast route"
    );
}

/// Small edits: a byte dropped, a line repeated or dropped, a scalar replaced by tricky spellings.
fn mutations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let step = (text.len() / 60).max(1);
    for i in (0..text.len()).step_by(step) {
        if text.is_char_boundary(i) && text.is_char_boundary(i + 1) {
            out.push(format!("{}{}", &text[..i], &text[i + 1..]));
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    for i in 0..lines.len() {
        let mut dropped = lines.clone();
        dropped.remove(i);
        out.push(dropped.join("\n"));
        let mut doubled = lines.clone();
        doubled.insert(i, lines[i]);
        out.push(doubled.join("\n"));
    }
    // Replace each scalar after `: ` with spellings whose YAML type is easy to get wrong.
    for (i, line) in lines.iter().enumerate() {
        let Some(colon) = line.find(": ") else {
            continue;
        };
        for v in SPELLINGS {
            let mut changed = lines.clone();
            let edited = format!("{}: {v}", &line[..colon]);
            changed[i] = &edited;
            out.push(changed.join("\n"));
        }
    }
    out
}

const SPELLINGS: &[&str] = &[
    "yes",
    "No",
    "ON",
    "y",
    "true",
    "False",
    "null",
    "~",
    "Null",
    "",
    "0",
    "-0",
    "007",
    "+5",
    "0x1F",
    "0o17",
    "1_000",
    "1e3",
    "1.5",
    "-2.25",
    ".5",
    "1.",
    ".inf",
    "-.INF",
    ".nan",
    "nan",
    "inf",
    "9223372036854775807",
    "9223372036854775808",
    "123456789012345678",
    "1234567890123456789",
    "12:30",
    "1:30:00",
    "2026-11-25",
    "2026-11-25T14:30:00Z",
    "2026-11-25 14:30:00",
    "48h",
    "1h30m",
    "7d",
    "\"quoted\"",
    "'single'",
    "\"esc\\tape\"",
    "\"\\u00e9\"",
    "\"\\ud83d\\ude00\"",
    "\"a\\/b\"",
    "&a x",
    "*a",
    "!!str 5",
    "!custom x",
    "[a, b]",
    "{a: 1}",
    "[]",
    "{}",
    "|\n  block",
    ">\n  folded",
    "a # comment",
    "a#b",
    "a: b",
    "@x",
    "`x",
    "%x",
    "-",
    "- x",
    "? x",
    "\"\u{85}\"",
    "\"\u{2028}\"",
    "é",
    "x\u{a0}y",
];

#[test]
fn fast_route_agrees_on_scalar_spellings() {
    let schema_src = "levels level { low, high }\n\
        manifest m { s: string?, i: int?, f: float?, b: bool?, t: timestamp?, d: duration?, \
        day: date?, tod: time?, l: level?, xs: [string]?, m: map<int>? }";
    let mut sources = Sources::new();
    let id = sources.add("schema.charter", schema_src);
    let program = charter::compile(&sources, &[id])
        .program
        .expect("the test schema checks");
    let schema = program.schema;
    let mut accepted = 0;
    for field in ["s", "i", "f", "b", "t", "d", "day", "tod", "l", "xs", "m"] {
        for v in SPELLINGS {
            let yaml = format!("{field}: {v}\n");
            accepted += usize::from(agree(&schema, &yaml, &format!("YAML {field}: {v}")));
            let json = format!("{{\"{field}\": {v}}}");
            accepted += usize::from(agree(&schema, &json, &format!("JSON {field}: {v}")));
            let json = format!("{{\"{field}\":{v} }}");
            accepted += usize::from(agree(&schema, &json, &format!("JSON {field}:{v}")));
        }
    }
    eprintln!("spellings fast {accepted}");
    assert!(
        accepted > 30,
        "only {accepted} spellings took the fast route"
    );
}

/// Keys the JSON reader recognises at a glance (the schema's next field, spelled plainly) and
/// every near miss: the two routes still agree, and the clean ones take the fast route.
#[test]
fn fast_route_agrees_on_json_key_spellings() {
    let mut sources = Sources::new();
    let id = sources.add(
        "schema.charter",
        "manifest m { id: string, ids: [string]?, n: int? }",
    );
    let program = charter::compile(&sources, &[id])
        .program
        .expect("the test schema checks");
    let clean = [
        r#"{"id": "a", "ids": ["x"], "n": 1}"#,
        r#"{"ids": ["x"], "id": "a"}"#,
        r#"{"n": 1, "id": "a"}"#,
        r#"{"\u0069d": "a"}"#,
        r#"{"id" : "a"}"#,
        r#"{ "id":"a","n":1}"#,
        "{\"id\": \"a\",\n  \"n\": 1\n}",
        r#"{"id": "a" , "n": 1}"#,
    ];
    let broken = [
        r#"{"id": "a", "n": 1,}"#,
        r#"{"id": "a", "id": "b"}"#,
        r#"{"i": "a"}"#,
        r#"{"idx": "a", "id": "b"}"#,
        r#"{"id": "a",, "n": 1}"#,
        r#"{"id": "a" "n": 1}"#,
        r#"{,"id": "a"}"#,
        "{\"id\"\n: \"a\"}",
        r#"{"id" "a"}"#,
        r#"{"id"#,
        r#"{"ID": "a"}"#,
    ];
    for text in clean {
        assert!(
            agree(&program.schema, text, text),
            "the fast route gave up on {text}"
        );
    }
    for text in broken {
        agree(&program.schema, text, text);
    }
}

/// The same contract over a folder of manifests for the shipped policy set, e.g. the output of
/// `benches/gen_manifests.py`: `CHARTER_CORPUS=/tmp/data cargo test --release -- --ignored`.
#[test]
#[ignore = "needs CHARTER_CORPUS, a folder of manifests"]
fn fast_route_agrees_on_a_corpus() {
    let Some(dir) = std::env::var_os("CHARTER_CORPUS") else {
        return;
    };
    with_big_stack(move || {
        let (schema, _) = corpora().pop().expect("the shipped policy set");
        let mut accepted = 0;
        let mut files = files_in(Path::new(&dir), &["yaml", "yml", "json"]);
        // The generator's array form is not a manifest.
        files.retain(|p| !p.ends_with("manifests.json"));
        for p in &files {
            let text = std::fs::read_to_string(p).expect("a manifest");
            accepted += usize::from(agree(&schema, &text, &p.display().to_string()));
        }
        eprintln!("{} manifests, {accepted} took the fast route", files.len());
        assert_eq!(
            accepted,
            files.len(),
            "clean manifests all take the fast route"
        );
    });
}
