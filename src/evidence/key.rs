//! Ed25519 keys as PEM text -> keys that sign and verify; keys -> PEM text.
//!
//! A private key is PKCS#8 (RFC 5208 / RFC 8410, `-----BEGIN PRIVATE KEY-----`), written as the
//! 48-byte version-1 document that `openssl genpkey -algorithm ed25519` writes; version 2 (with the
//! public key inside) is read too. A public key is an X.509 SubjectPublicKeyInfo
//! (`-----BEGIN PUBLIC KEY-----`, what `openssl pkey -pubout` writes). A key's id is the hex
//! SHA-256 of its SubjectPublicKeyInfo DER, so `openssl pkey -pubin -outform DER | sha256sum`
//! recomputes it.
//!
//! Invariant: no I/O. `origin` names where the text came from (a file, an environment variable)
//! and every error says it.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{Signature, Signer};
use sha2::{Digest, Sha256};

/// A key that could not be used: what was wrong, and where the key came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text is a public key where a private key is needed.
    #[error(
        "`{origin}` is a public key, not a private key: sign with the `.key` file that `charter keygen` wrote"
    )]
    PublicNotPrivate { origin: String },
    /// The text is a private key where a public key is needed.
    #[error(
        "`{origin}` is a private key: give the public key (the `.pub` file that `charter keygen` wrote) and keep the private key secret"
    )]
    PrivateNotPublic { origin: String },
    /// The text is not the PEM document expected (or not Ed25519).
    #[error("`{origin}` is not an Ed25519 {expected} in PEM form: {detail}")]
    Malformed {
        origin: String,
        expected: &'static str,
        detail: String,
    },
}

/// An Ed25519 private key (a signer).
pub struct PrivateKey {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

/// An Ed25519 public key (a verifier) with its key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: ed25519_dalek::VerifyingKey,
    keyid: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("keyid", &self.public.keyid)
            .finish_non_exhaustive()
    }
}

const PRIVATE_LABEL: &str = "-----BEGIN PRIVATE KEY-----";
const PUBLIC_LABEL: &str = "-----BEGIN PUBLIC KEY-----";

impl PrivateKey {
    /// The key of a 32-byte seed (RFC 8032's private key).
    pub fn from_seed(seed: &[u8; 32]) -> PrivateKey {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let public = PublicKey::new(key.verifying_key());
        PrivateKey { key, public }
    }

    /// Reads a PKCS#8 PEM private key; `origin` names its file or environment variable.
    pub fn from_pem(text: &str, origin: &str) -> Result<PrivateKey, KeyError> {
        let text = text.trim();
        if text.starts_with(PUBLIC_LABEL) {
            return Err(KeyError::PublicNotPrivate {
                origin: origin.to_owned(),
            });
        }
        if !text.starts_with(PRIVATE_LABEL) {
            return Err(malformed(
                origin,
                "private key",
                format!("expected a PKCS#8 PEM document starting with `{PRIVATE_LABEL}`"),
            ));
        }
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(text)
            .map_err(|e| malformed(origin, "private key", describe(&e.to_string())))?;
        let public = PublicKey::new(key.verifying_key());
        Ok(PrivateKey { key, public })
    }

    /// The key as a PKCS#8 version 1 PEM document (ends with a newline).
    pub fn to_pem(&self) -> String {
        let doc = KeypairBytes {
            secret_key: self.key.to_bytes(),
            public_key: None,
        };
        // Encoding 32 bytes into a fixed DER structure cannot fail.
        match doc.to_pkcs8_pem(LineEnding::LF) {
            Ok(pem) => pem.to_string(),
            Err(e) => unreachable!("PKCS#8 encoding of an Ed25519 key: {e}"),
        }
    }

    /// This key's public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The Ed25519 signature (64 bytes) of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl PublicKey {
    fn new(key: ed25519_dalek::VerifyingKey) -> PublicKey {
        let der = match key.to_public_key_der() {
            Ok(der) => der,
            Err(e) => unreachable!("SPKI encoding of an Ed25519 key: {e}"),
        };
        let keyid = hex(&Sha256::digest(der.as_bytes()));
        PublicKey { key, keyid }
    }

    /// Reads an SPKI PEM public key; `origin` names its file.
    pub fn from_pem(text: &str, origin: &str) -> Result<PublicKey, KeyError> {
        let text = text.trim();
        if text.starts_with(PRIVATE_LABEL) {
            return Err(KeyError::PrivateNotPublic {
                origin: origin.to_owned(),
            });
        }
        if !text.starts_with(PUBLIC_LABEL) {
            return Err(malformed(
                origin,
                "public key",
                format!("expected a PEM document starting with `{PUBLIC_LABEL}`"),
            ));
        }
        let key = ed25519_dalek::VerifyingKey::from_public_key_pem(text)
            .map_err(|e| malformed(origin, "public key", describe(&e.to_string())))?;
        Ok(PublicKey::new(key))
    }

    /// The public key from its 32 raw bytes (RFC 8032 encoding).
    pub fn from_raw(bytes: &[u8; 32]) -> Option<PublicKey> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .ok()
            .map(PublicKey::new)
    }

    /// The key as an SPKI PEM document (ends with a newline).
    pub fn to_pem(&self) -> String {
        match self.key.to_public_key_pem(LineEnding::LF) {
            Ok(pem) => pem,
            Err(e) => unreachable!("SPKI encoding of an Ed25519 key: {e}"),
        }
    }

    /// The 32 raw bytes of the key (RFC 8032), as signed notes and other formats embed it.
    pub fn raw(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// Whether `signature` is this key's Ed25519 signature of `message` (strict RFC 8032
    /// verification: no malleable or small-order encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &sig).is_ok()
    }
}

fn malformed(origin: &str, expected: &'static str, detail: String) -> KeyError {
    KeyError::Malformed {
        origin: origin.to_owned(),
        expected,
        detail,
    }
}

/// The pkcs8/spki crates' error texts, in the house style (lowercase, no final period).
fn describe(detail: &str) -> String {
    let d = detail.trim_end_matches('.');
    let mut chars = d.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "unreadable key".to_owned(),
    }
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
