//! DSSE envelopes (Dead Simple Signing Envelope, v1.0.2): a payload, its type, and Ed25519
//! signatures over the pre-authentication encoding (PAE) of both.
//!
//! ```text
//! PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//! { "payloadType": type, "payload": base64(body),
//!   "signatures": [ { "keyid": <hex SHA-256 of the SPKI DER>, "sig": base64(Ed25519(PAE)) } ] }
//! ```
//!
//! LEN is the byte length in ASCII decimal without leading zeros, SP one space; base64 is the
//! standard alphabet with padding (RFC 4648 §4). An unsigned envelope has `"signatures": []`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::key::{PrivateKey, PublicKey};

/// The payload type of an in-toto statement.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// The bytes DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(itoa::Buffer::new().format(payload_type.len()).as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(itoa::Buffer::new().format(payload.len()).as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// The envelope of `payload` as one line of compact JSON (no line end), signed with `key`, or
/// unsigned without one.
pub fn envelope(payload_type: &str, payload: &[u8], key: Option<&PrivateKey>) -> String {
    let encoded_len = payload.len().div_ceil(3) * 4;
    let mut out = String::with_capacity(encoded_len + 256);
    out.push_str("{\"payloadType\":");
    // A payload type is a media type: no character JSON must escape.
    out.push_str(&serde_json::to_string(payload_type).unwrap_or_default());
    out.push_str(",\"payload\":\"");
    STANDARD.encode_string(payload, &mut out);
    out.push_str("\",\"signatures\":[");
    if let Some(key) = key {
        let sig = key.sign(&pae(payload_type, payload));
        out.push_str("{\"keyid\":\"");
        out.push_str(key.public().keyid());
        out.push_str("\",\"sig\":\"");
        STANDARD.encode_string(sig, &mut out);
        out.push_str("\"}");
    }
    out.push_str("]}");
    out
}

/// An envelope as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub keyid: Option<String>,
    pub sig: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    payload_type: String,
    payload: String,
    signatures: Vec<WireSignature>,
}

#[derive(Deserialize)]
struct WireSignature {
    #[serde(default)]
    keyid: Option<String>,
    sig: String,
}

impl Envelope {
    /// Reads an envelope from JSON; the error says what is wrong with it.
    pub fn parse(json: &str) -> Result<Envelope, String> {
        let wire: Wire = serde_json::from_str(json)
            .map_err(|e| format!("not a DSSE envelope: {}", lowercase_first(&e.to_string())))?;
        let payload = STANDARD
            .decode(wire.payload.as_bytes())
            .map_err(|e| format!("the payload is not base64: {e}"))?;
        let mut signatures = Vec::with_capacity(wire.signatures.len());
        for (i, s) in wire.signatures.into_iter().enumerate() {
            let sig = STANDARD
                .decode(s.sig.as_bytes())
                .map_err(|e| format!("signature {} is not base64: {e}", i + 1))?;
            signatures.push(Signature {
                keyid: s.keyid.filter(|k| !k.is_empty()),
                sig,
            });
        }
        Ok(Envelope {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Whether one of the signatures is `key`'s over the PAE of this payload. A signature whose
    /// key id names another key is not tried (DSSE's key id is a hint; ours is always set).
    pub fn signed_by(&self, key: &PublicKey) -> bool {
        let message = pae(&self.payload_type, &self.payload);
        self.signatures.iter().any(|s| {
            s.keyid.as_deref().is_none_or(|k| k == key.keyid()) && key.verify(&message, &s.sig)
        })
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PAE example of the DSSE specification (protocol.md, "Test Vectors").
    #[test]
    fn pae_is_the_specification_s() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn an_envelope_reads_back_and_verifies() {
        let key = PrivateKey::from_seed(&[7; 32]);
        let other = PrivateKey::from_seed(&[8; 32]);
        let line = envelope(IN_TOTO, b"{\"a\":1}", Some(&key));
        let env = Envelope::parse(&line).expect("an envelope");
        assert_eq!(env.payload, b"{\"a\":1}");
        assert_eq!(env.payload_type, IN_TOTO);
        assert!(env.signed_by(key.public()));
        assert!(!env.signed_by(other.public()));
        let mut forged = env.clone();
        forged.payload = b"{\"a\":2}".to_vec();
        assert!(!forged.signed_by(key.public()));
        let unsigned = Envelope::parse(&envelope(IN_TOTO, b"x", None)).expect("an envelope");
        assert!(unsigned.signatures.is_empty());
        assert!(!unsigned.signed_by(key.public()));
        assert!(
            Envelope::parse("{\"payload\":\"!!\",\"payloadType\":\"x\",\"signatures\":[]}")
                .is_err()
        );
    }
}
