//! Decisions as evidence (issue 18): keys (`charter keygen`, key loading).

use std::path::{Path, PathBuf};

use charter::evidence::key::{KeyError, PrivateKey, PublicKey};

use crate::cases::charter;

/// The example key pair of RFC 8410 (sections 10.3 and 10.1).
pub const RFC8410_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
pub const RFC8410_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("charter-evidence-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

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
    let dir = scratch("keygen");
    let (code, out, err) = charter(&dir, &args(&["keygen", "--out", "ci"]));
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
    let (code, _, err) = charter(&dir, &args(&["keygen", "--out", "ci"]));
    assert_eq!(code, 2);
    assert!(err.contains("error: `ci.key` already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("ci.key")).expect("ci.key"),
        key_text
    );
    // --force makes a new pair.
    let (code, _, err) = charter(&dir, &args(&["keygen", "--out", "ci", "--force"]));
    assert_eq!(code, 0, "{err}");
    assert_ne!(
        std::fs::read_to_string(dir.join("ci.key")).expect("ci.key"),
        key_text
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keygen_into_a_missing_folder_names_the_file() {
    let dir = scratch("keygen-missing");
    let (code, _, err) = charter(&dir, &args(&["keygen", "--out", "no/such/ci"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot write `no/such/ci.key`: "),
        "{err}"
    );
    assert!(!Path::new(&dir.join("no")).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
