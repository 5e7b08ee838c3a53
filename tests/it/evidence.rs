//! Decisions as evidence (issue 18): keys (`charter keygen`, key loading).

use std::path::PathBuf;

use charter::evidence::key::{KeyError, PrivateKey, PublicKey};

use crate::cases::charter;
use crate::support::TempDir;

/// The example key pair of RFC 8410 (sections 10.3 and 10.1).
pub const RFC8410_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
pub const RFC8410_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The evaluation time of runs whose records are compared.
const NOW: &str = "2026-12-24T09:00:00Z";

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn rfc8410_keys_read_write_and_sign_as_openssl_does() {
    let key = PrivateKey::from_pem(RFC8410_KEY, "rfc.key").expect("RFC 8410 private key");
    assert_eq!(key.to_pem(), RFC8410_KEY, "written back byte for byte");
    assert_eq!(key.public().to_pem(), RFC8410_PUB);
    let public = PublicKey::from_pem(RFC8410_PUB, "rfc.pub").expect("RFC 8410 public key");
    assert_eq!(&public, key.public());
    // `openssl pkeyutl -sign -inkey rfc.key -rawin` of "hello" (Ed25519 is deterministic).
    let openssl =
        "etRhp5qguj1MARyAoWZnALHhJ2kHr9csLAIwo3ATPLoM+IHmnwPkhgvXGtbgveMXNRzVZnKscXcjo4qDpmaoCQ==";
    use base64::Engine as _;
    let sig = key.sign(b"hello");
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(sig),
        openssl
    );
    assert!(public.verify(b"hello", &sig));
    assert!(!public.verify(b"hellO", &sig));
    assert!(!public.verify(b"hello", &sig[..63]));
    // `openssl pkey -pubin -in rfc.pub -outform DER | sha256sum`
    assert_eq!(public.keyid().len(), 64);
    assert_eq!(
        PublicKey::from_raw(&public.raw()).as_ref(),
        Some(&public),
        "raw bytes round trip"
    );
}

#[test]
fn key_errors_name_the_origin_and_the_mixup() {
    let e = PrivateKey::from_pem(RFC8410_PUB, "ci.pub").expect_err("a public key");
    assert!(matches!(e, KeyError::PublicNotPrivate { .. }));
    assert_eq!(
        e.to_string(),
        "`ci.pub` is a public key, not a private key: sign with the `.key` file that `charter keygen` wrote"
    );
    let e = PublicKey::from_pem(RFC8410_KEY, "ci.key").expect_err("a private key");
    assert!(
        e.to_string().starts_with("`ci.key` is a private key"),
        "{e}"
    );
    let e = PrivateKey::from_pem("hello", "$CHARTER_SIGNING_KEY").expect_err("not PEM");
    assert_eq!(
        e.to_string(),
        "`$CHARTER_SIGNING_KEY` is not an Ed25519 private key in PEM form: expected a PKCS#8 PEM document starting with `-----BEGIN PRIVATE KEY-----`"
    );
    let broken = RFC8410_KEY.replace("MC4CAQAw", "MC4CAQAx");
    let e = PrivateKey::from_pem(&broken, "k.key").expect_err("broken DER");
    assert!(
        e.to_string()
            .starts_with("`k.key` is not an Ed25519 private key in PEM form: "),
        "{e}"
    );
}

#[test]
fn keygen_writes_a_private_key_for_its_owner_and_a_public_key() {
    let tmp = TempDir::new("keygen");
    let dir = tmp.path();
    let (code, out, err) = charter(dir, &args(&["keygen", "--out", "ci"]));
    assert_eq!(code, 0, "{err}");
    let key_text = std::fs::read_to_string(dir.join("ci.key")).expect("ci.key");
    let pub_text = std::fs::read_to_string(dir.join("ci.pub")).expect("ci.pub");
    let key = PrivateKey::from_pem(&key_text, "ci.key").expect("keygen's key reads back");
    let public = PublicKey::from_pem(&pub_text, "ci.pub").expect("keygen's public key reads back");
    assert_eq!(key.public(), &public);
    assert!(out.contains(&format!("key id {}", public.keyid())), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("ci.key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by its owner only"
        );
    }
    // A second run refuses to replace the pair, and names the file.
    let (code, _, err) = charter(dir, &args(&["keygen", "--out", "ci"]));
    assert_eq!(code, 2);
    assert!(err.contains("error: `ci.key` already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("ci.key")).expect("ci.key"),
        key_text
    );
    // --force makes a new pair.
    let (code, _, err) = charter(dir, &args(&["keygen", "--out", "ci", "--force"]));
    assert_eq!(code, 0, "{err}");
    assert_ne!(
        std::fs::read_to_string(dir.join("ci.key")).expect("ci.key"),
        key_text
    );
}

#[test]
fn keygen_into_a_missing_folder_names_the_file() {
    let tmp = TempDir::new("keygen-missing");
    let dir = tmp.path();
    let (code, _, err) = charter(dir, &args(&["keygen", "--out", "no/such/ci"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot write `no/such/ci.key`: "),
        "{err}"
    );
    assert!(!dir.join("no").exists());
}

fn sha256_hex(bytes: &[u8]) -> String {
    charter::evidence::digest::Digest::of(bytes).hex()
}

/// Copies the shipped policy set (its .charter files, in their folders) to `to`.
fn copy_policies(to: &std::path::Path) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("a folder");
        for e in std::fs::read_dir(from).expect("policies").flatten() {
            let p = e.path();
            if p.is_dir() {
                copy(&p, &to.join(e.file_name()));
            } else if p.extension().is_some_and(|x| x == "charter") {
                std::fs::copy(&p, to.join(e.file_name())).expect("a policy file");
            }
        }
    }
    copy(&root().join("policies"), to);
}

/// `charter digest` is the SHA-256 of `sha256sum`'s output over the sorted relative paths
/// (README.md's recipe), the same for a copy of the set elsewhere and in every result.
#[test]
fn the_policy_set_digest_is_what_the_readme_recipe_computes() {
    let tmp = TempDir::new("digest");
    let a = tmp.path().join("a/policies");
    let b = tmp.path().join("somewhere/else/rules");
    copy_policies(&a);
    copy_policies(&b);
    // A subfolder, so the order of paths is not only the order of names.
    std::fs::create_dir_all(a.join("extra")).expect("a folder");
    std::fs::create_dir_all(b.join("extra")).expect("a folder");
    let extra = "policy extra_note {\n  severity info\n  require true\n}\n";
    std::fs::write(a.join("extra/note.charter"), extra).expect("a policy");
    std::fs::write(b.join("extra/note.charter"), extra).expect("a policy");
    let digest = |dir: &std::path::Path| {
        let (code, out, err) = charter(
            tmp.path(),
            &args(&["digest", "--policies", &dir.display().to_string()]),
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    let (da, db) = (digest(&a), digest(&b));
    assert_eq!(da, db, "the folder's place does not enter the digest");
    // The recipe: `find . -type f -iname '*.charter' | cut -c3- | LC_ALL=C sort | xargs sha256sum | sha256sum`
    let mut names: Vec<String> = Vec::new();
    fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("a folder").flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else if name.ends_with(".charter") {
                out.push(name);
            }
        }
    }
    walk(&a, "", &mut names);
    names.sort();
    let list: String = names
        .iter()
        .map(|n| {
            let bytes = std::fs::read(a.join(n)).expect("a policy file");
            format!("{}  {n}\n", sha256_hex(&bytes))
        })
        .collect();
    assert!(list.contains("  extra/note.charter\n"), "{list}");
    assert_eq!(da, format!("sha256:{}\n", sha256_hex(list.as_bytes())));
    let (_, listed, _) = charter(
        tmp.path(),
        &args(&["digest", "--list", "--policies", &a.display().to_string()]),
    );
    assert_eq!(listed, format!("{list}{da}"));
    // Every result carries it; a changed file changes it.
    let manifest = root().join("examples/changes/chg-1041-ok.yaml");
    let (_, json, _) = charter(
        tmp.path(),
        &args(&[
            "check",
            "--format=json",
            "--policies",
            &a.display().to_string(),
            &manifest.display().to_string(),
        ]),
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["policy_set_digest"].as_str(), Some(da.trim()));
    assert_eq!(
        v["manifests"][0]["policy_set_digest"].as_str(),
        Some(da.trim())
    );
    let text = std::fs::read(&manifest).expect("manifest");
    assert_eq!(
        v["manifests"][0]["manifest_digest"].as_str(),
        Some(format!("sha256:{}", sha256_hex(&text)).as_str())
    );
    assert_eq!(
        v["manifests"][0]["engine"].as_str(),
        Some(concat!("charter/", env!("CARGO_PKG_VERSION")))
    );
    std::fs::write(
        b.join("extra/note.charter"),
        extra.replace("true", "1 == 1"),
    )
    .expect("edit");
    assert_ne!(digest(&b), da);
}

/// A run's records over many manifests, one per manifest, keyed by path.
fn records(out: &str) -> Vec<(String, String)> {
    out.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (v["path"].as_str().unwrap_or("").to_string(), l.to_string())
        })
        .collect()
}

/// Same policy set, manifests and `--now`: byte-identical decision records, whatever the
/// number of threads or the order the inputs come in.
#[test]
fn decision_records_do_not_depend_on_threads_or_input_order() {
    let tmp = TempDir::new("reproducible");
    let examples = [
        "chg-1041-ok.yaml",
        "chg-1042-ai-unreviewed.yaml",
        "chg-1043-large.yaml",
    ];
    let texts: Vec<String> = examples
        .iter()
        .map(|e| std::fs::read_to_string(root().join("examples/changes").join(e)).expect("example"))
        .collect();
    // 150 manifest files, and a JSON Lines stream of 150 documents.
    let mut names = Vec::new();
    let mut lines = Vec::new();
    for i in 0..150 {
        let text = texts[i % 3].replace("CHG-10", &format!("CHG-{i:04}-"));
        let name = format!("m{:03}.yaml", (i * 7) % 150);
        std::fs::write(tmp.path().join(&name), &text).expect("a manifest");
        names.push(name);
        let mut doc: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
        doc["id"] = serde_json::Value::String(format!("CHG-J{i}"));
        lines.push(doc.to_string());
    }
    let policies = root().join("policies").display().to_string();
    rfc_keys(tmp.path());
    // Each run's attestation file, in order.
    let attestations = std::cell::RefCell::new(Vec::<String>::new());
    let run = |jobs: &str, inputs: &[String]| {
        let mut a = args(&[
            "check",
            "--format=jsonl",
            "--now",
            NOW,
            "-j",
            jobs,
            "--attest",
            "att.jsonl",
            "--key-file",
            "ci.key",
            "--policies",
            &policies,
        ]);
        a.extend(inputs.iter().cloned());
        let (code, out, err) = charter(tmp.path(), &a);
        attestations
            .borrow_mut()
            .push(std::fs::read_to_string(tmp.path().join("att.jsonl")).expect("attestations"));
        assert_eq!(code, 1, "{err}");
        out
    };
    let mut reversed = names.clone();
    reversed.reverse();
    let base = run("1", &names);
    assert_eq!(records(&base).len(), 150);
    for (jobs, inputs) in [
        ("2", &names),
        ("3", &names),
        ("1", &reversed),
        ("2", &reversed),
    ] {
        let mut got = records(&run(jobs, inputs));
        let mut want = records(&base);
        got.sort();
        want.sort();
        assert_eq!(got, want, "-j {jobs}, {} first", inputs[0]);
    }
    // The signed envelopes too: the same file at 1, 2 and 3 threads (runs 1 to 3), and each
    // manifest's envelope the same in either order.
    {
        let files = attestations.borrow();
        assert_eq!(files[0].lines().count(), 150);
        assert!(
            files[0] == files[1] && files[0] == files[2],
            "thread counts differ"
        );
        let sorted = |t: &str| {
            let mut l: Vec<String> = t.lines().map(String::from).collect();
            l.sort();
            l
        };
        assert!(
            sorted(&files[0]) == sorted(&files[3]),
            "input orders differ"
        );
    }
    // A stream: each document's record is the same in any order and at any thread count, but
    // for the name of its place in the stream (`FILE:N`, in `path` and in locations).
    let place = regex::Regex::new(r"(forward|backward)\.jsonl:\d+").expect("a pattern");
    let without_path = |out: &str| {
        let mut r: Vec<String> = out
            .lines()
            .map(|l| place.replace_all(l, "DOC").into_owned())
            .collect();
        r.sort();
        r
    };
    std::fs::write(tmp.path().join("forward.jsonl"), lines.join("\n") + "\n").expect("stream");
    let mut backward = lines.clone();
    backward.reverse();
    std::fs::write(
        tmp.path().join("backward.jsonl"),
        backward.join("\n") + "\n",
    )
    .expect("stream");
    let forward = run("1", &["forward.jsonl".to_string()]);
    let first: serde_json::Value =
        serde_json::from_str(forward.lines().next().expect("a line")).expect("JSON");
    assert_eq!(
        first["manifest_digest"].as_str(),
        Some(format!("sha256:{}", sha256_hex(lines[0].as_bytes())).as_str()),
        "a stream document's digest is of its own bytes"
    );
    let (f, b) = (
        without_path(&forward),
        without_path(&run("2", &["backward.jsonl".to_string()])),
    );
    assert_eq!(f.len(), 150);
    assert!(f == b, "a record differs with the stream reversed");
    assert_eq!(forward, run("3", &["forward.jsonl".to_string()]));
}

/// A key pair in `dir` (`ci.key`, `ci.pub`) from the RFC 8410 example.
fn rfc_keys(dir: &std::path::Path) -> PrivateKey {
    std::fs::write(dir.join("ci.key"), RFC8410_KEY).expect("key");
    std::fs::write(dir.join("ci.pub"), RFC8410_PUB).expect("public key");
    PrivateKey::from_pem(RFC8410_KEY, "ci.key").expect("key")
}

/// `charter check --attest` on the shipped examples, in `dir`: the attestation file's text.
fn attest_examples(dir: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let mut a = args(&[
        "check",
        "--now",
        NOW,
        "-q",
        "--attest",
        "att.jsonl",
        "--policies",
    ]);
    a.push(root().join("policies").display().to_string());
    a.push(root().join("examples/changes").display().to_string());
    a.extend(args(extra));
    let (code, _, err) = charter(dir, &a);
    let text = std::fs::read_to_string(dir.join("att.jsonl")).unwrap_or_default();
    (code, text, err)
}

fn verify(dir: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let mut a = args(&["verify", "att.jsonl", "--key", "ci.pub"]);
    a.extend(args(extra));
    charter(dir, &a)
}

fn example(name: &str) -> String {
    root()
        .join("examples/changes")
        .join(name)
        .display()
        .to_string()
}

/// The statement inside an envelope line.
fn payload_of(line: &str) -> serde_json::Value {
    let env = charter::evidence::dsse::Envelope::parse(line).expect("an envelope");
    serde_json::from_slice(&env.payload).expect("a statement")
}

#[test]
fn attestations_are_signed_statements_that_verify_and_reproduce() {
    let tmp = TempDir::new("attest");
    let dir = tmp.path();
    let key = rfc_keys(dir);
    let (code, text, err) = attest_examples(dir, &["--key-file", "ci.key"]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one envelope per manifest");
    // The envelope: DSSE with our key id, the payload an in-toto statement of the decision.
    let env: serde_json::Value = serde_json::from_str(lines[1]).expect("JSON");
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(env["signatures"][0]["keyid"], key.public().keyid());
    let st = payload_of(lines[1]);
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["predicateType"], "https://charter.dev/decision/v1");
    let manifest = std::fs::read(example("chg-1042-ai-unreviewed.yaml")).expect("manifest");
    assert_eq!(st["subject"][0]["digest"]["sha256"], sha256_hex(&manifest));
    let p = &st["predicate"];
    assert_eq!(p["decision"], "deny");
    assert_eq!(p["verificationResult"], "FAILED");
    assert_eq!(p["evaluatedAt"], NOW);
    assert_eq!(p["timeVerified"], NOW);
    assert_eq!(p["verifier"]["id"], "https://charter.dev/charter");
    assert_eq!(p["policy"]["digest"], p["policySet"]["digest"]);
    let failed = p["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["policy"] == "ai_needs_senior_signoff"))
        .expect("the policy's result");
    assert_eq!(failed["outcome"], "fail");
    assert!(
        failed["message"]
            .as_str()
            .is_some_and(|m| m.contains("CHG-1042"))
    );
    assert_eq!(failed["evidence"][0]["path"], "change.ai_assisted");
    assert_eq!(
        payload_of(lines[0])["predicate"]["verificationResult"],
        "PASSED"
    );
    // The statement validates against the predicate's schema.
    crate::formats::check_decision_statement(&st).expect("valid against the schema");

    // The key from the environment signs the same bytes (Ed25519 is deterministic), at any
    // thread count.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_charter"));
    cmd.current_dir(dir)
        .env("CHARTER_SIGNING_KEY", RFC8410_KEY)
        .env_remove("CHARTER_CONFIG")
        .args([
            "check",
            "--now",
            NOW,
            "-q",
            "-j",
            "2",
            "--attest",
            "env.jsonl",
            "--policies",
        ])
        .arg(root().join("policies"))
        .arg(root().join("examples/changes"));
    let out = cmd.output().expect("charter runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.join("env.jsonl")).expect("written"),
        text
    );

    // Signatures only, then each manifest evaluated again.
    let (code, out, err) = verify(dir, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("3 attestations: all verified\n"), "{out}");
    let policies = root().join("policies").display().to_string();
    let (code, out, err) = verify(
        dir,
        &[
            "--policies",
            &policies,
            &example("chg-1041-ok.yaml"),
            &example("chg-1043-large.yaml"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("re-evaluated: `").count(), 2, "{out}");
}

/// A forged "allow": the body is a valid statement, but it is not what was signed.
#[test]
fn a_forged_decision_with_the_old_signature_fails() {
    let tmp = TempDir::new("forged");
    let dir = tmp.path();
    rfc_keys(dir);
    let (_, text, err) = attest_examples(dir, &["--key-file", "ci.key"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    let mut st = payload_of(lines[1]);
    st["predicate"]["decision"] = "allow".into();
    st["predicate"]["verificationResult"] = "PASSED".into();
    let mut env: serde_json::Value = serde_json::from_str(lines[1]).expect("JSON");
    use base64::Engine as _;
    env["payload"] = base64::engine::general_purpose::STANDARD
        .encode(st.to_string())
        .into();
    let forged = [lines[0].to_string(), env.to_string(), lines[2].to_string()].join("\n");
    std::fs::write(dir.join("att.jsonl"), forged + "\n").expect("forged file");
    let (code, out, _) = verify(dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED    att.jsonl:2: no signature verifies with the key given"),
        "{out}"
    );
    assert!(
        out.ends_with("3 attestations: 1 failed verification\n"),
        "{out}"
    );
    // Another key's public key verifies none.
    let other = PrivateKey::from_seed(&[9; 32]);
    std::fs::write(dir.join("other.pub"), other.public().to_pem()).expect("a key");
    let (code, out, _) = charter(dir, &args(&["verify", "att.jsonl", "--key", "other.pub"]));
    assert_eq!(code, 1);
    assert_eq!(out.matches("FAILED").count(), 3, "{out}");
}

/// A validly signed record whose decision is not what the policy set decides: caught when the
/// manifest is evaluated again.
#[test]
fn a_signed_record_the_policy_set_does_not_reproduce_fails() {
    let tmp = TempDir::new("resigned");
    let dir = tmp.path();
    let key = rfc_keys(dir);
    let (_, text, err) = attest_examples(dir, &["--key-file", "ci.key"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    let mut st = payload_of(lines[1]);
    st["predicate"]["decision"] = "allow".into();
    let resigned = charter::evidence::dsse::envelope(
        charter::evidence::dsse::IN_TOTO,
        st.to_string().as_bytes(),
        Some(&key),
    );
    std::fs::write(dir.join("att.jsonl"), resigned + "\n").expect("file");
    // The signature is good ...
    let (code, out, _) = verify(dir, &[]);
    assert_eq!(code, 0, "{out}");
    // ... but the policy set denies the manifest.
    let policies = root().join("policies").display().to_string();
    let manifest = example("chg-1042-ai-unreviewed.yaml");
    let (code, out, _) = verify(dir, &["--policies", &policies, &manifest]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "recorded decision `allow`, but the policy set decides `deny` for this manifest"
        ),
        "{out}"
    );
    // A manifest with no attestation, and a policy set that is not the recorded one.
    let (code, out, _) = verify(
        dir,
        &["--policies", &policies, &example("chg-1041-ok.yaml")],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("no verified attestation in `att.jsonl` is of this manifest"),
        "{out}"
    );
    let other = dir.join("other-policies");
    copy_policies(&other);
    std::fs::write(
        other.join("extra.charter"),
        "policy extra {\n  severity info\n  require true\n}\n",
    )
    .expect("a policy");
    let (code, out, _) = verify(
        dir,
        &["--policies", &other.display().to_string(), &manifest],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("made with another policy set: recorded sha256:"),
        "{out}"
    );
}

#[test]
fn unsigned_attestations_need_the_flag_and_do_not_verify() {
    let tmp = TempDir::new("unsigned");
    let dir = tmp.path();
    rfc_keys(dir);
    // No key anywhere: an error before anything is written.
    let mut a = args(&["check", "--attest", "att.jsonl", "--policies"]);
    a.push(root().join("policies").display().to_string());
    a.push(example("chg-1041-ok.yaml"));
    let (code, _, err) = charter(dir, &a);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: no signing key: pass --key-file PATH or set the environment variable `CHARTER_SIGNING_KEY`"), "{err}");
    assert!(!dir.join("att.jsonl").exists());
    let (code, _, err) = attest_examples(dir, &["--key-file", "ci.pub"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`ci.pub` is a public key, not a private key"),
        "{err}"
    );
    let (code, text, err) = attest_examples(dir, &["--attest-unsigned"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        text.lines().all(|l| l.ends_with("\"signatures\":[]}")),
        "{text}"
    );
    let (code, out, _) = verify(dir, &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("the envelope is unsigned (written with --attest-unsigned)"),
        "{out}"
    );
    // Not an attestation file at all: bad input.
    std::fs::write(dir.join("att.jsonl"), "hello\n").expect("file");
    let (code, _, err) = verify(dir, &[]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: `att.jsonl:1` is not a DSSE envelope"),
        "{err}"
    );
}

/// `source.commit` (the standard schema's head commit) becomes a `gitCommit` subject.
#[test]
fn a_manifest_with_a_commit_has_a_git_commit_subject() {
    let tmp = TempDir::new("commit");
    let dir = tmp.path();
    let init = root().join("examples/init/policies");
    let manifest = init.join("tests/allow/reviewed.yaml");
    let (code, _, err) = charter(
        dir,
        &args(&[
            "check",
            "--attest-unsigned",
            "--attest",
            "att.jsonl",
            "--policies",
            &init.display().to_string(),
            &manifest.display().to_string(),
        ]),
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.join("att.jsonl")).expect("written");
    let st = payload_of(text.trim_end());
    assert_eq!(
        st["subject"][1],
        serde_json::json!({
            "name": "commit:3f2a9c1e0b7d4a5f6e8c9b0a1d2e3f4a5b6c7d8e",
            "digest": { "gitCommit": "3f2a9c1e0b7d4a5f6e8c9b0a1d2e3f4a5b6c7d8e" }
        })
    );
}

/// Where `.ci/python-verifier.sh` installs securesystemslib: `python-verifier` in the target
/// folder.
fn python_verifier_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("python-verifier")
}

/// An independent verifier accepts our envelopes: Python's securesystemslib (the DSSE code of
/// the in-toto project), installed from PyPI by `.ci/python-verifier.sh`, checks every
/// signature with the public key and each subject against the manifest's bytes (and rejects an
/// altered payload). Without the package (a fresh clone, offline) the test says why and stops;
/// CI installs it and sets CHARTER_REQUIRE_PY_VERIFIER, so there it must run.
#[test]
fn independent_python_verifier_accepts_our_envelopes() {
    let site = python_verifier_dir();
    let required = std::env::var_os("CHARTER_REQUIRE_PY_VERIFIER").is_some_and(|v| !v.is_empty());
    let probe = std::process::Command::new("python3")
        .env("PYTHONPATH", &site)
        .args(["-c", "import securesystemslib.dsse, cryptography"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        let why = match &probe {
            Err(e) => format!("python3 does not run: {e}"),
            // The last line of the traceback: `ModuleNotFoundError: No module named ...`.
            Ok(o) => String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_string(),
        };
        assert!(
            !required,
            "the Python verifier is required but missing: {why}"
        );
        println!(
            "skipped: securesystemslib is not installed in {} ({why}); run .ci/python-verifier.sh",
            site.display()
        );
        return;
    }
    let tmp = TempDir::new("python");
    let dir = tmp.path();
    rfc_keys(dir);
    let (code, text, err) = attest_examples(dir, &["--key-file", "ci.key"]);
    assert_eq!((code, text.lines().count()), (1, 3), "{err}");
    let script = root().join("tests/python/verify_dsse.py");
    let python = |attestation: &str, key: &str| {
        let out = std::process::Command::new("python3")
            .env("PYTHONPATH", &site)
            .current_dir(dir)
            .arg(&script)
            .args([attestation, key])
            .args(
                [
                    "chg-1041-ok.yaml",
                    "chg-1042-ai-unreviewed.yaml",
                    "chg-1043-large.yaml",
                ]
                .map(example),
            )
            .output()
            .expect("python3 runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = python("att.jsonl", "ci.pub");
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "verified 3 envelopes\n");
    // It is not accepting anything: another key fails.
    let other = PrivateKey::from_seed(&[3; 32]);
    std::fs::write(dir.join("other.pub"), other.public().to_pem()).expect("a key");
    let (code, out) = python("att.jsonl", "other.pub");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("signature does not verify"), "{out}");
}

/// The workflow `charter init` writes: its check step, run as written, attests when the secret
/// `CHARTER_SIGNING_KEY` is set (the envelope verifies with the public key) and runs as before
/// without it; the artifact step keeps the attestation file.
#[test]
fn the_init_workflow_attests_when_the_signing_key_secret_is_set() {
    let tmp = TempDir::new("init-workflow");
    let dir = tmp.path();
    let (code, _, err) = charter(dir, &args(&["init"]));
    assert_eq!(code, 0, "{err}");
    let text =
        std::fs::read_to_string(dir.join(".github/workflows/charter.yml")).expect("workflow");
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    let steps = workflow["jobs"]["charter"]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("a step `{name}`"))
    };
    let check = step("Check");
    assert_eq!(
        check["env"]["CHARTER_SIGNING_KEY"],
        "${{ secrets.CHARTER_SIGNING_KEY }}"
    );
    let script = check["run"].as_str().expect("a run script").to_string();
    let kept = step("Keep the manifest and the evidence");
    assert!(
        kept["with"]["path"]
            .as_str()
            .is_some_and(|p| p.contains("charter.attest.jsonl")),
        "{kept}"
    );
    std::fs::copy(
        dir.join("policies/tests/allow/reviewed.yaml"),
        dir.join("charter-change.yaml"),
    )
    .expect("a manifest");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_charter"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("a folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |secret: &str| {
        let _ = std::fs::remove_file(dir.join("charter.attest.jsonl"));
        let _ = std::fs::remove_file(dir.join("charter.log"));
        let out = std::process::Command::new("bash")
            .args(["-eo", "pipefail", "-c", &script])
            .current_dir(dir)
            .env("PATH", &path)
            .env("CHARTER_SIGNING_KEY", secret)
            .env_remove("CHARTER_CONFIG")
            .output()
            .expect("bash runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No secret (a fork's pull request): the check as before, no attestation.
    let (code, err) = run("");
    assert_eq!(code, Some(0), "{err}");
    assert!(dir.join("charter.sarif").exists());
    assert!(!dir.join("charter.attest.jsonl").exists());
    assert!(!dir.join("charter.log").exists());
    // The secret set: one signed envelope that verifies with the committed public key.
    rfc_keys(dir);
    let (code, err) = run(RFC8410_KEY);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = charter(
        dir,
        &args(&[
            "verify",
            "charter.attest.jsonl",
            "--key",
            "ci.pub",
            "charter-change.yaml",
        ]),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("re-evaluated: `allow` again"), "{out}");
    // And the decision log kept beside it verifies with the same key.
    assert!(
        kept["with"]["path"]
            .as_str()
            .is_some_and(|p| p.contains("charter.log")),
        "{kept}"
    );
    let (code, out, err) = charter(
        dir,
        &args(&["log", "verify", "charter.log", "--key", "ci.pub"]),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verified: 1 entr"), "{out}");
}

/// An overridden or waived failure is attested with what excused it: the override's message
/// and values, the waiver's owner, reason, approvers and expiry.
#[test]
fn overrides_and_waivers_are_in_the_attestation() {
    let tmp = TempDir::new("excused");
    let dir = tmp.path();
    let statements = |case: &str, extra: &[&str]| {
        let case = root().join("tests/cases").join(case);
        let mut a = args(&["check", "--attest-unsigned", "--attest"]);
        a.push(dir.join("att.jsonl").display().to_string());
        a.extend(args(&["--policies", "."]));
        a.extend(args(extra));
        a.extend(crate::cases::case_manifests(&case));
        // Some manifests of these cases are refused or invalid: the exit code is theirs.
        let (_, _, err) = charter(&case, &a);
        let text = std::fs::read_to_string(dir.join("att.jsonl")).expect(&err);
        text.lines().map(payload_of).collect::<Vec<_>>()
    };
    let results = |st: &[serde_json::Value], outcome: &str| -> Vec<serde_json::Value> {
        st.iter()
            .flat_map(|s| {
                s["predicate"]["results"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|r| r["outcome"] == outcome)
            .collect()
    };
    let overridden = statements(
        "eval_override_break_glass",
        &["--now", "2026-12-24T09:00:00Z"],
    );
    for s in &overridden {
        crate::formats::check_decision_statement(s).expect("valid against the schema");
    }
    let o = results(&overridden, "overridden");
    assert!(!o.is_empty(), "{overridden:?}");
    assert!(o[0]["override"]["message"].is_string(), "{}", o[0]);
    assert!(
        o[0]["override"]["evidence"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{}",
        o[0]
    );
    let waived = statements("eval_waivers", &["--now", "2026-12-20T12:00:00Z"]);
    for s in &waived {
        crate::formats::check_decision_statement(s).expect("valid against the schema");
    }
    let w = results(&waived, "waived");
    assert!(!w.is_empty(), "{waived:?}");
    assert!(
        w[0]["waiver"]["owner"].is_string() && w[0]["waiver"]["expires"].is_string(),
        "{}",
        w[0]
    );
}
