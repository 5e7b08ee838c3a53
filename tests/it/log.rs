//! The decision log (issue 18, section 3): RFC 9162 hashing and proofs against published test
//! vectors, signed notes against Go's, and the log through the real binary: appends, proofs,
//! every kind of tampering, a torn last line, concurrent writers.

use std::path::PathBuf;
use std::process::Command;

use charter::evidence::key::{PrivateKey, PublicKey};
use charter::evidence::merkle::{
    self, Frontier, Hash, ProofError, consistency_ranges, inclusion_ranges, leaf_hash,
    subtree_hashes, verify_consistency, verify_inclusion,
};
use charter::evidence::note;

use crate::cases::charter;

// ---------------------------------------------------------------- RFC 6962 / 9162 test vectors

/// Test vectors of transparency-dev/merkle, `proof/verify_test.go` (commit 02194e9a, the
/// vectors certificate-transparency-go has used since RFC 6962): the leaf inputs, the root of
/// each tree size 1 to 8 over them, and proofs. Their leaf numbers are 1-based; ours 0-based.
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const EMPTY_ROOT: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// (leaf, 1-based; tree size; proof)
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        3,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        2,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (1, 1, &[]),
];
/// (old size, new size, proof)
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hash(s: &str) -> Hash {
    unhex(s).try_into().expect("32 bytes")
}

fn leaf_hashes() -> Vec<Hash> {
    LEAVES.iter().map(|l| leaf_hash(&unhex(l))).collect()
}

fn root_of(leaves: &[Hash]) -> Hash {
    let mut f = Frontier::new();
    leaves.iter().for_each(|l| f.push(*l));
    f.root()
}

/// The recursive definition of RFC 9162 2.1.1, to hold the frontier to.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => merkle::empty_root(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            merkle::node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

#[test]
fn roots_match_the_rfc_6962_vectors() {
    let leaves = leaf_hashes();
    assert_eq!(Frontier::new().root(), hash(EMPTY_ROOT));
    for (n, root) in ROOTS.iter().enumerate() {
        assert_eq!(root_of(&leaves[..=n]), hash(root), "tree size {}", n + 1);
    }
    // Beyond the vectors: the frontier agrees with the recursive definition.
    let many: Vec<Hash> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    for n in 0..many.len() {
        assert_eq!(root_of(&many[..n]), mth(&many[..n]), "tree size {n}");
    }
}

#[test]
fn inclusion_proofs_match_the_vectors_and_verify() {
    let leaves = leaf_hashes();
    for (leaf, size, proof) in INCLUSION {
        let index = leaf - 1;
        let want: Vec<Hash> = proof.iter().map(|h| hash(h)).collect();
        let got = subtree_hashes(&inclusion_ranges(index, size), leaves.iter().copied())
            .expect("enough leaves");
        assert_eq!(got, want, "inclusion of {index} in {size}");
        let root = hash(ROOTS[size as usize - 1]);
        assert_eq!(
            verify_inclusion(index, size, &leaves[index as usize], &want, &root),
            Ok(())
        );
        // The corruptions of verify_test.go: each must fail.
        let bad = |i: u64, n: u64, l: &Hash, p: &[Hash], r: &Hash| {
            assert!(
                verify_inclusion(i, n, l, p, r).is_err(),
                "{i} in {n} verified with a corrupt input"
            );
        };
        let l = leaves[index as usize];
        bad(index.wrapping_sub(1), size, &l, &want, &root);
        bad(index + 1, size, &l, &want, &root);
        bad(index ^ 2, size, &l, &want, &root);
        bad(index, size * 2, &l, &want, &root);
        bad(index, size / 2, &l, &want, &root);
        bad(index, size, &leaf_hash(b"WrongLeaf"), &want, &root);
        bad(index, size, &l, &want, &hash(EMPTY_ROOT));
        let mut longer = want.clone();
        longer.push(root);
        bad(index, size, &l, &longer, &root);
        let mut front = vec![root];
        front.extend_from_slice(&want);
        bad(index, size, &l, &front, &root);
        for i in 0..want.len() {
            let mut flipped = want.clone();
            flipped[i][0] ^= 8;
            bad(index, size, &l, &flipped, &root);
        }
        if !want.is_empty() {
            bad(index, size, &l, &want[..want.len() - 1], &root);
        }
    }
}

#[test]
fn consistency_proofs_match_the_vectors_and_verify() {
    let leaves = leaf_hashes();
    for (old, size, proof) in CONSISTENCY {
        let want: Vec<Hash> = proof.iter().map(|h| hash(h)).collect();
        let got = subtree_hashes(&consistency_ranges(old, size), leaves.iter().copied())
            .expect("enough leaves");
        assert_eq!(got, want, "consistency of {old} with {size}");
        let (r1, r2) = (
            hash(ROOTS[old as usize - 1]),
            hash(ROOTS[size as usize - 1]),
        );
        assert_eq!(verify_consistency(old, size, &r1, &r2, &want), Ok(()));
        if want.is_empty() {
            continue;
        }
        let bad = |m: u64, n: u64, a: &Hash, b: &Hash, p: &[Hash]| {
            assert!(
                verify_consistency(m, n, a, b, p).is_err(),
                "{m} -> {n} verified with a corrupt input"
            );
        };
        bad(old - 1, size, &r1, &r2, &want);
        bad(old + 1, size, &r1, &r2, &want);
        bad(old ^ 2, size, &r1, &r2, &want);
        bad(old, size * 2, &r1, &r2, &want);
        bad(old, size / 2, &r1, &r2, &want);
        bad(old, size, &r2, &r1, &want);
        bad(old, size, &r1, &r2, &[]);
        let mut longer = want.clone();
        longer.push(r1);
        bad(old, size, &r1, &r2, &longer);
        let mut front = vec![want[0]];
        front.extend_from_slice(&want);
        bad(old, size, &r1, &r2, &front);
        bad(old, size, &r1, &r2, &want[..want.len() - 1]);
        for i in 0..want.len() {
            let mut flipped = want.clone();
            flipped[i][0] ^= 16;
            bad(old, size, &r1, &r2, &flipped);
        }
    }
    // The sizes outside the algorithm, as verify_test.go has them.
    let (a, b) = (leaf_hash(b"don't care 1"), leaf_hash(b"don't care 2"));
    assert_eq!(verify_consistency(0, 0, &a, &a, &[]), Ok(()));
    assert_eq!(verify_consistency(0, 1, &a, &b, &[]), Ok(()));
    assert_eq!(verify_consistency(1, 1, &b, &b, &[]), Ok(()));
    assert_eq!(
        verify_consistency(1, 1, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(2, 1, &a, &b, &[]),
        Err(ProofError::Backwards)
    );
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 1, &a, &a, &[a]).is_err());
}

/// Every proof of every tree up to 70 leaves verifies, and fails against the next tree.
#[test]
fn every_small_proof_verifies() {
    let leaves: Vec<Hash> = (0u32..71).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    for n in 1..leaves.len() as u64 {
        let root = mth(&leaves[..n as usize]);
        for i in 0..n {
            let p = subtree_hashes(&inclusion_ranges(i, n), leaves.iter().copied())
                .expect("enough leaves");
            assert_eq!(
                verify_inclusion(i, n, &leaves[i as usize], &p, &root),
                Ok(())
            );
            let other = mth(&leaves[..n as usize + 1]);
            assert!(verify_inclusion(i, n, &leaves[i as usize], &p, &other).is_err());
        }
        for m in 1..=n {
            let p = subtree_hashes(&consistency_ranges(m, n), leaves.iter().copied())
                .expect("enough leaves");
            let old = mth(&leaves[..m as usize]);
            assert_eq!(
                verify_consistency(m, n, &old, &root, &p),
                Ok(()),
                "{m} -> {n}"
            );
            if m < n {
                let wrong = mth(&leaves[1..m as usize + 1]);
                assert!(verify_consistency(m, n, &wrong, &root, &p).is_err());
            }
        }
    }
}

// ---------------------------------------------------------------- signed notes (Go's vectors)

/// The key of golang.org/x/mod `sumdb/note/note_test.go` (commit 02c99138): the signer
/// `PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz` (0x01, then
/// the seed), as PKCS#8 and SPKI PEM.
const PETER_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n-----END PRIVATE KEY-----\n";
const PETER_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGlzZBxQ8OExB6DDFvOEqqIF+xWSaqr8sMTiLNbLXRNY=\n-----END PUBLIC KEY-----\n";
/// Another key: RFC 8032's first Ed25519 test vector (section 7.1, TEST 1).
const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
const OTHER_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";

#[test]
fn notes_are_what_go_sumdb_note_signs() {
    let key = PrivateKey::from_pem(PETER_KEY, "test").expect("key");
    let public = PublicKey::from_pem(PETER_PUB, "test").expect("public key");
    assert_eq!(key.public(), &public);
    // TestNewVerifier / TestGenerateKey: the verifier key and its key ID.
    assert_eq!(
        note::verifier_key("PeterNeumann", &public),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    );
    let (name, parsed) = note::parse_verifier_key(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    )
    .expect("verifier key");
    assert_eq!((name.as_str(), &parsed), ("PeterNeumann", &public));
    assert!(
        note::parse_verifier_key(
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )
        .is_err()
    );
    assert!(
        note::parse_verifier_key(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )
        .is_err()
    );
    // TestSign: Ed25519 is deterministic, so the whole signed note is.
    let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    let signed = note::sign(text, "PeterNeumann", &key);
    assert_eq!(
        signed,
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    // TestOpen: one signature verifies, the other is by a key we were not given.
    let enoch = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    let both = note::parse(&format!("{signed}{enoch}")).expect("note");
    assert_eq!(both.text, text);
    assert_eq!(both.signatures.len(), 2);
    assert_eq!(note::verify(&both, "PeterNeumann", &public), Ok(()));
    let other = PublicKey::from_pem(OTHER_PUB, "test").expect("public key");
    assert!(matches!(
        note::verify(&both, "PeterNeumann", &other),
        Err(note::SignatureError::NotSignedBy { .. })
    ));
    let forged = signed.replace("x08go/ZJkuBS9", "x08go/ZJkuBS8");
    assert_eq!(
        note::verify(
            &note::parse(&forged).expect("note"),
            "PeterNeumann",
            &public
        ),
        Err(note::SignatureError::Invalid)
    );
    // Malformed notes, as in TestOpen.
    let sig = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    for bad in [
        text.to_string(),
        format!("{text}\n"),
        format!("{text}\n{}", &sig[..sig.len() - 1]),
        format!("\u{1}{text}\n{sig}"),
        format!(
            "{text}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{text}\n{sig}Unexpected line.\n"),
    ] {
        assert!(note::parse(&bad).is_err(), "{bad:?} parsed");
    }
    // A checkpoint's text (C2SP tlog-checkpoint's example).
    let cp = note::Checkpoint::parse(
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    )
    .expect("checkpoint");
    assert_eq!(
        (cp.origin.as_str(), cp.size),
        ("example.com/behind-the-sofa", 20852163)
    );
    assert_eq!(
        cp.text(),
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
    assert!(
        note::Checkpoint::parse("o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").is_err()
    );
}

// ---------------------------------------------------------------- the log through the binary

/// A scratch folder with a policy set, keys and manifests; removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const NOW: &str = "2026-12-01T10:00:00Z";

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("charter-log-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("policies")).expect("temp dir");
        let write = |p: &str, t: &str| std::fs::write(dir.join(p), t).expect("write");
        write(
            "policies/p.charter",
            "manifest change { id: string, n: int }\npolicy small { require change.n < 10 }\n",
        );
        write("ci.key", PETER_KEY);
        write("ci.pub", PETER_PUB);
        write("other.key", OTHER_KEY);
        write("other.pub", OTHER_PUB);
        Scratch { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    /// A JSON Lines file of manifests `from..to` (every seventh one fails).
    fn manifests(&self, name: &str, from: u32, to: u32) -> String {
        let text: String = (from..to)
            .map(|i| {
                format!(
                    "{{\"id\":\"chg-{i}\",\"n\":{}}}\n",
                    if i % 7 == 3 { 12 } else { i % 10 }
                )
            })
            .collect();
        std::fs::write(self.path(name), text).expect("write");
        name.to_string()
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        charter(
            &self.dir,
            &args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        )
    }

    /// `charter check --log decisions.log` over `manifests`.
    fn check(&self, manifests: &str, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec![
            "check",
            "--now",
            NOW,
            "--format",
            "jsonl",
            "--key-file",
            "ci.key",
            "--log",
            "decisions.log",
            "--log-origin",
            "example.com/charter",
        ];
        args.extend_from_slice(extra);
        args.push(manifests);
        self.run(&args)
    }

    fn verify(&self, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["log", "verify", "decisions.log", "--key", "ci.pub"];
        args.extend_from_slice(extra);
        let (code, out, err) = self.run(&args);
        (code, format!("exit: {code}\n{out}{err}"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("decisions.log")).expect("log")
    }

    fn set_log(&self, text: &str) {
        std::fs::write(self.path("decisions.log"), text).expect("write");
    }

    /// A log of two runs: entries 0-9 and 10-19, a checkpoint after each.
    fn two_runs(&self) {
        let a = self.manifests("a.jsonl", 0, 10);
        let b = self.manifests("b.jsonl", 10, 20);
        assert_eq!(self.check(&a, &[]).0, 1);
        assert_eq!(self.check(&b, &[]).0, 1);
    }
}

/// A snapshot with hashes, signatures (base64 of 32 or 68 bytes) and notes shown by their
/// place: they vary with the records' content (the engine version is in each).
macro_rules! snap {
    ($name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"(?m)^checkpoint [A-Za-z0-9+/]{40,}=*", "checkpoint [note]");
        settings.add_filter(r"[A-Za-z0-9+/]{91}=", "[signature]");
        settings.add_filter(r"[A-Za-z0-9+/]{43}=", "[hash]");
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}

fn lines(log: &str) -> Vec<String> {
    log.lines().map(String::from).collect()
}

#[test]
fn a_log_grows_verifies_and_proves() {
    let s = Scratch::new("grows");
    let a = s.manifests("a.jsonl", 0, 10);
    let (code, out, err) = s.check(&a, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err,
        "log: 10 decision records appended; checkpoint signed at tree size 10\n"
    );
    // Each leaf is the JSON Lines record the run printed.
    let log = s.log();
    let entries: Vec<&str> = log
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("checkpoint "))
        .collect();
    let printed: Vec<&str> = out.lines().collect();
    assert_eq!(entries.len(), 10);
    for (i, (entry, record)) in entries.iter().zip(&printed).enumerate() {
        let mut parts = entry.splitn(3, ' ');
        assert_eq!(parts.next(), Some(i.to_string().as_str()));
        let leaf = note::decode_hash(parts.next().unwrap_or_default()).expect("hash");
        assert_eq!(parts.next(), Some(*record));
        assert_eq!(leaf, leaf_hash(record.as_bytes()));
    }
    // A second run, in human format, appends the same kind of records.
    let b = s.manifests("b.jsonl", 10, 20);
    let (code, _, err) = s.run(&[
        "check",
        "--now",
        NOW,
        "--key-file",
        "ci.key",
        "--log",
        "decisions.log",
        &b,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("checkpoint signed at tree size 20"), "{err}");
    let (code, text) = s.verify(&[]);
    assert_eq!(code, 0, "{text}");
    snap!("log_verified", text);
    snap!("log_file", s.log());

    // Inclusion: prove, then check without the log.
    let (code, proof, err) = s.run(&["log", "prove", "decisions.log", "--entry", "13"]);
    assert_eq!(code, 0, "{err}");
    snap!("log_inclusion_proof", proof.clone());
    std::fs::write(s.path("proof.json"), &proof).expect("write");
    let (code, out, err) = s.run(&["log", "check-proof", "proof.json", "--key", "ci.pub"]);
    assert_eq!(code, 0, "{err}");
    snap!("log_inclusion_checked", out);
    // The auditor's own record and checkpoint.
    let (_, checkpoint, _) = s.run(&["log", "checkpoint", "decisions.log"]);
    std::fs::write(s.path("checkpoint.txt"), &checkpoint).expect("write");
    let record = format!("{}\n", entries_of(&s.log())[13]);
    std::fs::write(s.path("record.json"), &record).expect("write");
    let (code, _, err) = s.run(&[
        "log",
        "check-proof",
        "proof.json",
        "--key",
        "ci.pub",
        "--checkpoint",
        "checkpoint.txt",
        "--record",
        "record.json",
    ]);
    assert_eq!(code, 0, "{err}");
    // Or only its leaf hash.
    let leaf = note::encode_hash(&leaf_hash(entries_of(&s.log())[13].as_bytes()));
    let (code, _, err) = s.run(&[
        "log",
        "check-proof",
        "proof.json",
        "--key",
        "ci.pub",
        "--leaf-hash",
        &leaf,
    ]);
    assert_eq!(code, 0, "{err}");
    // Another record does not verify with this proof.
    std::fs::write(s.path("record.json"), entries_of(&s.log())[12].clone()).expect("write");
    let (code, _, err) = s.run(&[
        "log",
        "check-proof",
        "proof.json",
        "--key",
        "ci.pub",
        "--record",
        "record.json",
    ]);
    assert_eq!(code, 1);
    snap!("log_inclusion_wrong_record", err);

    // Consistency from the first checkpoint to the latest.
    let (code, proof, err) = s.run(&["log", "prove", "decisions.log", "--from", "10"]);
    assert_eq!(code, 0, "{err}");
    snap!("log_consistency_proof", proof.clone());
    std::fs::write(s.path("proof.json"), &proof).expect("write");
    let (code, out, err) = s.run(&["log", "check-proof", "proof.json", "--key", "ci.pub"]);
    assert_eq!(code, 0, "{err}");
    snap!("log_consistency_checked", out);
    // The earlier checkpoint from the auditor: the one of size 10 is accepted, the latest is not.
    let first_note = s
        .log()
        .lines()
        .find(|l| l.starts_with("checkpoint "))
        .and_then(|l| l.split(' ').nth(1))
        .map(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .expect("base64")
        })
        .expect("a checkpoint");
    std::fs::write(s.path("first.txt"), first_note).expect("write");
    let (code, _, err) = s.run(&[
        "log",
        "check-proof",
        "proof.json",
        "--key",
        "ci.pub",
        "--from-checkpoint",
        "first.txt",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = s.run(&[
        "log",
        "check-proof",
        "proof.json",
        "--key",
        "ci.pub",
        "--from-checkpoint",
        "checkpoint.txt",
    ]);
    assert_eq!(code, 1);
    let (code, _, err) = s.run(&["log", "prove", "decisions.log", "--from", "7"]);
    assert_eq!(code, 2);
    snap!("log_prove_no_such_checkpoint", err);

    // The verifier key in note format.
    let (code, out, _) = s.run(&["log", "key", "decisions.log", "--key", "ci.pub"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{}\n",
            note::verifier_key(
                "example.com/charter",
                &PublicKey::from_pem(PETER_PUB, "t").expect("key")
            )
        )
    );
    // ...which `log verify` also takes as the key.
    std::fs::write(s.path("ci.vkey"), &out).expect("write");
    let (code, _, err) = s.run(&["log", "verify", "decisions.log", "--key", "ci.vkey"]);
    assert_eq!(code, 0, "{err}");
}

/// The entry lines' records.
fn entries_of(log: &str) -> Vec<String> {
    log.lines()
        .skip(1)
        .filter(|l| !l.starts_with("checkpoint "))
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_string())
        .collect()
}

/// Replaces line `n` (from 1) of the log.
fn with_line(log: &str, n: usize, f: impl FnOnce(&str) -> Option<String>) -> String {
    let mut out: Vec<String> = log.lines().map(String::from).collect();
    let changed = f(&out[n - 1]);
    match changed {
        Some(l) => out[n - 1] = l,
        None => {
            out.remove(n - 1);
        }
    }
    out.join("\n") + "\n"
}

/// One tampered log: verify must fail with `code`, and the message is snapshotted.
fn tampered(name: &str, code: i32, tamper: impl FnOnce(&Scratch, &str) -> String, extra: &[&str]) {
    let s = Scratch::new(name);
    s.two_runs();
    let (_, saved, _) = s.run(&["log", "checkpoint", "decisions.log"]);
    std::fs::write(s.path("saved.txt"), saved).expect("write");
    let log = s.log();
    s.set_log(&tamper(&s, &log));
    let (got, text) = s.verify(extra);
    assert_eq!(got, code, "{text}");
    snap!(format!("log_tampered_{name}"), text);
}

// Line numbers in the two-run log: 1 the first line, 2-11 entries 0-9, 12 a checkpoint,
// 13-22 entries 10-19, 23 the last checkpoint.

#[test]
fn tampered_modified_record() {
    // Entry 4 (line 6): allowed, now said to be denied.
    tampered(
        "modified",
        1,
        |_, log| with_line(log, 6, |l| Some(l.replacen("\"allow\"", "\"deny\"", 1))),
        &[],
    );
}

#[test]
fn tampered_modified_record_with_its_hash_rewritten() {
    // Entry 14's record changed and its hash recomputed: the signed frontier locates it.
    tampered(
        "rehashed",
        1,
        |_, log| {
            with_line(log, 17, |l| {
                let record = l.splitn(3, ' ').nth(2)?.replace("allow", "deny");
                Some(format!(
                    "14 {} {record}",
                    note::encode_hash(&leaf_hash(record.as_bytes()))
                ))
            })
        },
        &[],
    );
}

#[test]
fn tampered_deleted_record() {
    tampered("deleted", 1, |_, log| with_line(log, 6, |_| None), &[]);
}

#[test]
fn tampered_inserted_record() {
    // A copy of entry 3 after it.
    tampered(
        "inserted",
        1,
        |_, log| {
            let copy = lines(log)[4].clone();
            with_line(log, 5, |l| Some(format!("{l}\n{copy}")))
        },
        &[],
    );
}

#[test]
fn tampered_inserted_bare_record() {
    tampered(
        "inserted_bare",
        1,
        |_, log| {
            let record = entries_of(log)[2].clone();
            with_line(log, 15, |l| Some(format!("{l}\n{record}")))
        },
        &[],
    );
}

#[test]
fn tampered_reordered_records() {
    tampered(
        "reordered",
        1,
        |_, log| {
            let mut l = lines(log);
            l.swap(7, 8);
            l.join("\n") + "\n"
        },
        &[],
    );
}

#[test]
fn tampered_truncated_record() {
    // A record cut short in the middle of the log.
    tampered(
        "truncated_record",
        1,
        |_, log| with_line(log, 9, |l| Some(l[..l.len() - 20].to_string())),
        &[],
    );
}

#[test]
fn tampered_truncated_log() {
    // The last run cut off whole: only a checkpoint kept elsewhere can tell.
    tampered(
        "truncated_log",
        1,
        |_, log| lines(log)[..12].join("\n") + "\n",
        &["--checkpoint", "saved.txt"],
    );
}

#[test]
fn tampered_truncated_last_checkpoint() {
    // The last checkpoint cut off: its entries are left unsigned.
    tampered(
        "unsigned",
        1,
        |_, log| lines(log)[..22].join("\n") + "\n",
        &[],
    );
}

#[test]
fn tampered_checkpoint() {
    // The first checkpoint's note claims 11 entries: its signature no longer verifies.
    tampered(
        "checkpoint",
        1,
        |_, log| {
            with_line(log, 12, |l| {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD;
                let mut parts: Vec<String> = l.split(' ').map(String::from).collect();
                let note = String::from_utf8(b64.decode(&parts[1]).ok()?).ok()?;
                parts[1] = b64.encode(note.replacen("\n10\n", "\n11\n", 1));
                Some(parts.join(" "))
            })
        },
        &[],
    );
}

#[test]
fn corrupt_checkpoint_is_bad_input() {
    tampered(
        "corrupt_checkpoint",
        2,
        |_, log| {
            with_line(log, 23, |l| {
                Some(l.replacen("checkpoint ", "checkpoint @@", 1))
            })
        },
        &[],
    );
}

#[test]
fn wrong_key_is_bad_input() {
    let s = Scratch::new("wrongkey");
    s.two_runs();
    let (code, out, err) = s.run(&["log", "verify", "decisions.log", "--key", "other.pub"]);
    assert_eq!(code, 2, "{out}{err}");
    snap!("log_wrong_key", err);
    // Appending with another key than the one that signed the log is refused.
    let c = s.manifests("c.jsonl", 20, 22);
    let before = s.log();
    let (code, _, err) = s.run(&[
        "check",
        "--now",
        NOW,
        "--key-file",
        "other.key",
        "--log",
        "decisions.log",
        &c,
    ]);
    assert_eq!(code, 2);
    snap!("log_append_wrong_key", err);
    assert_eq!(s.log(), before);
}

#[test]
fn not_a_log_is_bad_input() {
    let s = Scratch::new("notalog");
    let a = s.manifests("a.jsonl", 0, 3);
    std::fs::write(s.path("decisions.log"), "# my notes\n").expect("write");
    let (code, text) = s.verify(&[]);
    assert_eq!(code, 2);
    snap!("log_not_a_log", text);
    let (code, _, err) = s.check(&a, &[]);
    assert_eq!(code, 2);
    snap!("log_append_not_a_log", err);
    assert_eq!(s.log(), "# my notes\n");
}

#[test]
fn a_torn_last_line_is_reported_refused_and_repaired() {
    let s = Scratch::new("torn");
    s.two_runs();
    let good = s.log();
    // A run killed in the middle of its write: part of entry 20's line.
    let torn = format!("{good}20 AAAA{{\"path\":\"c.jsonl:1\",\"deci");
    s.set_log(&torn);
    let (code, text) = s.verify(&[]);
    assert_eq!(code, 1);
    snap!("log_torn_verify", text);
    // The next append refuses, and changes nothing.
    let c = s.manifests("c.jsonl", 20, 23);
    let (code, _, err) = s.check(&c, &[]);
    assert_eq!(code, 2);
    snap!("log_torn_append", err);
    assert_eq!(s.log(), torn);
    // Repair cuts exactly the torn line; appending works again.
    let (code, out, _) = s.run(&["log", "repair", "decisions.log"]);
    assert_eq!(code, 0);
    snap!("log_torn_repair", out);
    assert_eq!(s.log(), good);
    assert_eq!(s.check(&c, &[]).0, 0);
    assert_eq!(s.verify(&[]).0, 0);
    let (_, out, _) = s.run(&["log", "repair", "decisions.log"]);
    assert!(out.contains("nothing to repair"), "{out}");
}

#[test]
fn entries_without_a_checkpoint_are_signed_by_the_next_run() {
    // A run that wrote entries and was killed before its checkpoint.
    let s = Scratch::new("unsigned-tail");
    s.two_runs();
    let log = s.log();
    let mut l = lines(&log);
    l.pop();
    s.set_log(&(l.join("\n") + "\n"));
    assert_eq!(s.verify(&[]).0, 1);
    let c = s.manifests("c.jsonl", 20, 22);
    let (code, _, err) = s.check(&c, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("tree size 22"), "{err}");
    assert_eq!(s.verify(&[]).0, 0);
}

#[test]
fn concurrent_writers_never_interleave_or_lose_a_record() {
    let s = Scratch::new("concurrent");
    const WRITERS: u32 = 6;
    const EACH: u32 = 300;
    let files: Vec<String> = (0..WRITERS)
        .map(|w| s.manifests(&format!("w{w}.jsonl"), w * EACH, (w + 1) * EACH))
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            Command::new(env!("CARGO_BIN_EXE_charter"))
                .args([
                    "check",
                    "--now",
                    NOW,
                    "--format",
                    "jsonl",
                    "--quiet",
                    "--key-file",
                    "ci.key",
                    "--log",
                    "decisions.log",
                    "-j",
                    "2",
                    f,
                ])
                .current_dir(&s.dir)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("the charter binary runs")
        })
        .collect();
    for mut child in children {
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(1));
    }
    let (code, text) = s.verify(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "{} entries, {WRITERS} checkpoints",
            WRITERS * EACH
        )),
        "{text}"
    );
    // Every record once, each run's records together and in its order.
    let records = entries_of(&s.log());
    let mut ids: Vec<u32> = records
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(r).expect("a record is JSON");
            let path = v["path"].as_str().unwrap_or_default().to_string();
            let (file, line) = path.split_once(':').expect("path:line");
            let w: u32 = file
                .trim_start_matches('w')
                .trim_end_matches(".jsonl")
                .parse()
                .expect("w");
            w * EACH + line.parse::<u32>().expect("line") - 1
        })
        .collect();
    for run in ids.chunks(EACH as usize) {
        assert!(
            run.windows(2).all(|p| p[1] == p[0] + 1),
            "a run's records interleaved"
        );
    }
    ids.sort_unstable();
    assert_eq!(ids, (0..WRITERS * EACH).collect::<Vec<_>>());
}

#[test]
fn the_log_is_set_in_charter_toml() {
    let s = Scratch::new("toml");
    std::fs::write(
        s.path("charter.toml"),
        "[log]\nfile = \"audit/decisions.log\"\norigin = \"example.com/from-toml\"\n",
    )
    .expect("write");
    let a = s.manifests("a.jsonl", 0, 2);
    let (code, _, err) = s.run(&["check", "--now", NOW, "--key-file", "ci.key", &a]);
    assert_eq!(code, 0, "{err}");
    let log = std::fs::read_to_string(s.path("audit/decisions.log")).expect("the log");
    assert!(
        log.starts_with("charter-log 1 example.com/from-toml\n"),
        "{log}"
    );
    let (code, out, err) = s.run(&["log", "verify", "audit/decisions.log", "--key", "ci.pub"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_log_needs_a_signing_key() {
    let s = Scratch::new("nokey");
    let a = s.manifests("a.jsonl", 0, 2);
    let (code, _, err) = charter(
        &s.dir,
        &["check", "--log", "decisions.log", &a].map(String::from),
    );
    assert_eq!(code, 2);
    assert!(err.contains("CHARTER_SIGNING_KEY"), "{err}");
    assert!(!s.path("decisions.log").exists());
}

#[test]
fn proofs_with_bad_input() {
    let s = Scratch::new("badproof");
    s.two_runs();
    std::fs::write(s.path("proof.json"), "{\"proof\": \"inclusion\"}").expect("write");
    let (code, _, err) = s.run(&["log", "check-proof", "proof.json", "--key", "ci.pub"]);
    assert_eq!(code, 2);
    snap!("log_bad_proof", err);
    let (code, _, err) = s.run(&["log", "prove", "decisions.log", "--entry", "20"]);
    assert_eq!(code, 2);
    snap!("log_prove_out_of_range", err);
    // A proof checked against the other key's signature.
    let (_, proof, _) = s.run(&["log", "prove", "decisions.log", "--entry", "3"]);
    std::fs::write(s.path("proof.json"), &proof).expect("write");
    let (code, _, err) = s.run(&["log", "check-proof", "proof.json", "--key", "other.pub"]);
    assert_eq!(code, 2);
    snap!("log_proof_wrong_key", err);
}

/// An auditor with Python and hashlib only: the README's recipe checks an inclusion proof.
#[test]
fn an_inclusion_proof_checks_with_python_hashlib() {
    let Ok(status) = Command::new("python3").arg("--version").output() else {
        return; // no Python on this machine: the recipe is still in README.md
    };
    if !status.status.success() {
        return;
    }
    let s = Scratch::new("python");
    s.two_runs();
    let (_, proof, _) = s.run(&["log", "prove", "decisions.log", "--entry", "6"]);
    std::fs::write(s.path("proof.json"), &proof).expect("write");
    let out = Command::new("python3")
        .arg("-c")
        .arg(PYTHON_AUDIT)
        .arg(s.path("proof.json"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "entry 6 is in the tree of size 20\n"
    );
}

/// The recipe of README.md ("How an auditor checks"), kept here word for word.
const PYTHON_AUDIT: &str = r#"
import base64, hashlib, json, sys
p = json.load(open(sys.argv[1]))
h = lambda b: hashlib.sha256(b).digest()
leaf = h(b"\x00" + p["record"].encode())
fn, sn, r = p["entry"], p["tree_size"] - 1, leaf
for sib in map(base64.b64decode, p["path"]):
    if fn & 1 or fn == sn:
        r = h(b"\x01" + sib + r)
        while fn and not fn & 1:
            fn, sn = fn >> 1, sn >> 1
    else:
        r = h(b"\x01" + r + sib)
    fn, sn = fn >> 1, sn >> 1
origin, size, root = p["checkpoint"].split("\n")[:3]
assert sn == 0 and r == base64.b64decode(root) and int(size) == p["tree_size"]
print(f"entry {p['entry']} is in the tree of size {size}")
"#;

/// The records are the JSON Lines objects whatever `--format` the run prints (streamed or
/// collected) and whatever `--report` files it writes.
#[test]
fn every_format_logs_the_same_records() {
    let s = Scratch::new("formats");
    let a = s.manifests("a.jsonl", 0, 12);
    let mut logs = Vec::new();
    for (k, extra) in [
        &["--format", "jsonl"][..],
        &["--format", "human"],
        &["--format", "json"],
        &["--format", "sarif", "--report", "junit=out.xml"],
    ]
    .iter()
    .enumerate()
    {
        let log = format!("log{k}.log");
        let mut args = vec!["check", "--now", NOW, "--key-file", "ci.key", "--log", &log];
        args.extend_from_slice(extra);
        args.push(&a);
        let (code, _, err) = s.run(&args);
        assert_eq!(code, 1, "{err}");
        logs.push(std::fs::read_to_string(s.path(&log)).expect("log"));
    }
    let (_, jsonl, _) = s.run(&["check", "--now", NOW, "--format", "jsonl", &a]);
    let want: Vec<String> = jsonl.lines().map(String::from).collect();
    for log in &logs {
        assert_eq!(entries_of(log), want);
        assert_eq!(log, &logs[0]);
    }
}
