//! What a decision is reproduced from, as SHA-256 digests: the policy set and each manifest.
//!
//! The **policy-set digest** is the SHA-256 of this text, written `sha256:<hex>`:
//!
//! ```text
//! <sha256 hex of the file's bytes>  <path>\n        one line per .charter file of the set
//! ```
//!
//! `<path>` is the file's path relative to the policy folder, with `/` between folders; the
//! lines are sorted by the bytes of `<path>` (UTF-8, `LC_ALL=C sort` order). It is the output
//! of `sha256sum` over the sorted file list, so (for names without a backslash or a line break,
//! which `sha256sum` would escape) this recomputes it:
//!
//! ```text
//! cd policies && find . -type f -iname '*.charter' | cut -c3- | LC_ALL=C sort \
//!   | xargs -d '\n' sha256sum | sha256sum
//! ```
//!
//! Neither the folder's absolute path nor the order of files on disk enters it. The **manifest
//! digest** is the SHA-256 of the manifest's bytes as read (for a stream, of the document's
//! bytes as the stream was split).

use sha2::{Digest as _, Sha256};

use super::key::hex;

/// A SHA-256 digest; shown as `sha256:<lowercase hex>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The lowercase hex of the digest (64 characters).
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The first `n` hex digits (the human summary line shows 12).
    pub fn short(&self, n: usize) -> String {
        let mut h = self.hex();
        h.truncate(n);
        h
    }

    /// Reads `sha256:<64 hex digits>` (lowercase or uppercase).
    pub fn parse(text: &str) -> Option<Digest> {
        let h = text.strip_prefix("sha256:")?;
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Digest(out))
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

/// The canonical list of a policy set (the text [`policy_set`] hashes): `files` are each file's
/// path relative to the policy folder (any separator; `\` becomes `/`) and its bytes, in any
/// order.
pub fn policy_set_list(files: &[(String, &[u8])]) -> String {
    let mut lines: Vec<(String, String)> = files
        .iter()
        .map(|(path, bytes)| (path.replace('\\', "/"), Digest::of(bytes).hex()))
        .collect();
    lines.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(lines.len() * 100);
    for (path, hex) in lines {
        out.push_str(&hex);
        out.push_str("  ");
        out.push_str(&path);
        out.push('\n');
    }
    out
}

/// The policy-set digest of `files` (see the module's documentation).
pub fn policy_set(files: &[(String, &[u8])]) -> Digest {
    Digest::of(policy_set_list(files).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_by_path_bytes_whatever_the_order_given() {
        let a: &[u8] = b"policy a\n";
        let b: &[u8] = b"policy b\n";
        let one = [("b.charter".to_string(), b), ("a/x.charter".to_string(), a)];
        let two = [
            ("a\\x.charter".to_string(), a),
            ("b.charter".to_string(), b),
        ];
        assert_eq!(policy_set(&one), policy_set(&two));
        let list = policy_set_list(&one);
        assert_eq!(
            list,
            format!(
                "{}  a/x.charter\n{}  b.charter\n",
                Digest::of(a).hex(),
                Digest::of(b).hex()
            )
        );
        // Content matters, and so does the name.
        let renamed = [("c.charter".to_string(), b), ("a/x.charter".to_string(), a)];
        assert_ne!(policy_set(&one), policy_set(&renamed));
    }

    #[test]
    fn digests_print_and_parse() {
        let d = Digest::of(b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(&d.to_string()), Some(d));
        assert_eq!(Digest::parse("sha256:e3b0"), None);
        assert_eq!(Digest::parse(&d.hex()), None);
        assert_eq!(d.short(12), "e3b0c44298fc");
    }
}
