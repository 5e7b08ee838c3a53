//! Signed notes and transparency log checkpoints, as C2SP specifies them (`signed-note`,
//! `tlog-checkpoint`), with Ed25519 keys: the formats Go's `golang.org/x/mod/sumdb/note` reads.
//!
//! ```text
//! <origin>\n                       the checkpoint: the note's text
//! <tree size>\n
//! <base64 root hash>\n
//! \n
//! — <key name> <base64(key ID (4 bytes) || Ed25519 signature (64 bytes))>\n
//! ```
//!
//! The signature is over the text (every line before the blank one, each with its newline). The
//! key ID is the first 4 bytes of `SHA-256(key name || 0x0A || 0x01 || public key)` (0x01: the
//! Ed25519 signature type), and the verifier key is written `<name>+<key ID, hex>+<base64(0x01
//! || public key)>`. Charter signs a log's checkpoints with the key name equal to the origin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use super::key::{PrivateKey, PublicKey};
use super::merkle::Hash;

/// The signed-note signature type of Ed25519.
const ED25519: u8 = 0x01;

/// The start of a signature line: an em dash (U+2014) and a space.
const DASH: &str = "\u{2014} ";

/// A tree head: what a checkpoint says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: origin, size and root hash, one line each.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Reads a checkpoint from a note's text (extension lines after the root hash are allowed
    /// and ignored, as the specification says).
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err("the checkpoint has no origin line".into());
        }
        let size = lines.next().unwrap_or_default();
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = match size.parse() {
            Ok(n) if size_ok => n,
            _ => return Err(format!("the tree size `{size}` is not a decimal number")),
        };
        let root = lines.next().unwrap_or_default();
        let root = decode_hash(root)
            .ok_or_else(|| format!("the root hash `{root}` is not 32 bytes in base64"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

/// A hash in standard base64 (44 characters).
pub fn decode_hash(text: &str) -> Option<Hash> {
    B64.decode(text).ok()?.try_into().ok()
}

pub fn encode_hash(hash: &Hash) -> String {
    B64.encode(hash)
}

/// The 4-byte key ID of an Ed25519 key with this name.
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ED25519])
        .chain_update(key.raw())
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key in note format: `<name>+<hex key ID>+<base64(0x01 || public key)>`.
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    let id = key_id(name, key);
    let mut typed = vec![ED25519];
    typed.extend_from_slice(&key.raw());
    format!(
        "{name}+{:02x}{:02x}{:02x}{:02x}+{}",
        id[0],
        id[1],
        id[2],
        id[3],
        B64.encode(typed)
    )
}

/// `<name>+<hex key ID>`: how a key is named in messages.
pub fn verifier_key_id(name: &str, key: &PublicKey) -> String {
    format!("{name}+{}", hex(&key_id(name, key)))
}

/// Reads a verifier key in note format (as [`verifier_key`] writes it): its name and key.
pub fn parse_verifier_key(text: &str) -> Result<(String, PublicKey), String> {
    let mut parts = text.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("a verifier key is `<name>+<key ID>+<base64 key>`".into());
    };
    let bytes = B64
        .decode(key)
        .map_err(|_| "the key part of the verifier key is not base64".to_string())?;
    let key = match bytes.split_first() {
        Some((&ED25519, rest)) => <[u8; 32]>::try_from(rest)
            .ok()
            .and_then(|k| PublicKey::from_raw(&k))
            .ok_or_else(|| "the verifier key is not a valid Ed25519 public key".to_string())?,
        _ => return Err("the verifier key is not an Ed25519 key (type 0x01)".into()),
    };
    let want = key_id(name, &key);
    if !valid_name(name) || id.len() != 8 || hex(&want) != id {
        return Err(format!(
            "the verifier key's name and ID do not match its key (expected `{name}+{}`)",
            hex(&want)
        ));
    }
    Ok((name.to_string(), key))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key name: not empty, no space (of any kind) and no `+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Signs `text` (complete lines) with `key` under `name`: the whole signed note.
pub fn sign(text: &str, name: &str, key: &PrivateKey) -> String {
    let signature = key.sign(text.as_bytes());
    let mut blob = key_id(name, key.public()).to_vec();
    blob.extend_from_slice(&signature);
    format!("{text}\n{DASH}{name} {}\n", B64.encode(blob))
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// `<name>+<hex key ID>`, how a signer is named in messages.
    pub fn signer(&self) -> String {
        format!("{}+{}", self.name, hex(&self.key_id))
    }
}

/// A signed note, split into its text and its signature lines (nothing verified yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

/// Splits a signed note: the text ends at the last blank line; every line after it is a
/// signature line. The same checks as Go's `note.Open`: UTF-8 without control characters but
/// newlines, a final newline, at most 100 signatures.
pub fn parse(note: &str) -> Result<Note, String> {
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err("the note has control characters".into());
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err("the note has no blank line before its signatures".into());
    };
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    let Some(sigs) = sigs.strip_suffix('\n') else {
        return Err("the note does not end with a newline".into());
    };
    let mut signatures = Vec::new();
    for line in sigs.split('\n') {
        let Some(rest) = line.strip_prefix(DASH) else {
            return Err(format!(
                "`{line}` is not a signature line (`— <name> <signature>`)"
            ));
        };
        let Some((name, blob)) = rest.split_once(' ') else {
            return Err(format!("the signature line `{line}` has no signature"));
        };
        let blob = B64.decode(blob).ok().filter(|b| b.len() >= 5);
        let (true, Some(blob)) = (valid_name(name), blob) else {
            return Err(format!("the signature line `{line}` is malformed"));
        };
        signatures.push(NoteSignature {
            name: name.to_string(),
            key_id: [blob[0], blob[1], blob[2], blob[3]],
            signature: blob[4..].to_vec(),
        });
    }
    if signatures.len() > 100 {
        return Err("the note has more than 100 signatures".into());
    }
    Ok(Note {
        text: text.to_string(),
        signatures,
    })
}

/// Why a note's signature does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature line has the key's name and ID: signed by another key (the signers found).
    NotSignedBy { signers: Vec<String> },
    /// The key's line is there, but its signature is not that key's over this text.
    Invalid,
}

/// Verifies that `note` carries a valid signature by `key` under `name`.
pub fn verify(note: &Note, name: &str, key: &PublicKey) -> Result<(), SignatureError> {
    let id = key_id(name, key);
    let Some(line) = note
        .signatures
        .iter()
        .find(|s| s.name == name && s.key_id == id)
    else {
        return Err(SignatureError::NotSignedBy {
            signers: note.signatures.iter().map(NoteSignature::signer).collect(),
        });
    };
    if key.verify(note.text.as_bytes(), &line.signature) {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}
