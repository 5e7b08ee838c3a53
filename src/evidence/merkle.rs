//! RFC 9162 (Certificate Transparency v2) Merkle trees, section 2.1: leaf and node hashes, a tree
//! grown one leaf at a time keeping only its frontier, the subtrees an inclusion or consistency
//! proof is made of, and the verification of both proofs (2.1.3.2 and 2.1.4.2, step by step).
//!
//! Sans-IO: proofs are built from any iterator of leaf hashes (the log streams them from its
//! file), holding one frontier per subtree the proof needs, never the leaves.

use std::ops::Range;

use sha2::{Digest, Sha256};

/// A SHA-256 hash: of a leaf, of a subtree, of a whole tree.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`: the hash of one leaf.
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0u8])
        .chain_update(data)
        .finalize()
        .into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([1u8])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (`n > 1`): where RFC 9162 splits a tree of `n`
/// leaves into its left and right subtrees.
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// A tree grown one leaf at a time, holding only the roots of its perfect subtrees, largest
/// (leftmost) first: one per set bit of the size, so at most 64 hashes whatever the size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// A frontier written out before ([`Frontier::nodes`]); `None` when the number of hashes is
    /// not the number of perfect subtrees of a tree of `size` leaves.
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Option<Frontier> {
        (nodes.len() == size.count_ones() as usize).then_some(Frontier { size, nodes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the perfect subtrees, leftmost first.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Adds a leaf (its hash): each perfect subtree it completes is merged with its left sibling.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            match self.nodes.pop() {
                Some(left) => hash = node_hash(&left, &hash),
                None => break,
            }
            size >>= 1;
        }
        self.nodes.push(hash);
        self.size += 1;
    }

    /// The tree's root (RFC 9162 `MTH`): the subtrees merged from the right, as the recursive
    /// definition splits a tree at the largest power of two below its size.
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(*last, |right, left| node_hash(left, &right))
    }

    /// The leaf ranges of the perfect subtrees, matching [`Frontier::nodes`].
    pub fn ranges(&self) -> Vec<Range<u64>> {
        let mut start = 0;
        let mut out = Vec::new();
        for bit in (0..64).rev() {
            let width = 1u64 << bit;
            if self.size & width != 0 {
                out.push(start..start + width);
                start += width;
            }
        }
        out
    }
}

/// The subtrees whose hashes make up the inclusion proof of leaf `index` in a tree of `size`
/// leaves (RFC 9162 2.1.3.1, `PATH(m, D[n])`), in proof order: nearest the leaf first.
pub fn inclusion_ranges(index: u64, size: u64) -> Vec<Range<u64>> {
    fn path(m: u64, start: u64, end: u64, out: &mut Vec<Range<u64>>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            path(m, start, start + k, out);
            out.push(start + k..end);
        } else {
            path(m - k, start + k, end, out);
            out.push(start..start + k);
        }
    }
    let mut out = Vec::new();
    if index < size {
        path(index, 0, size, &mut out);
    }
    out
}

/// The subtrees whose hashes make up the consistency proof from a tree of `old` leaves to one
/// of `size` leaves (RFC 9162 2.1.4.1, `PROOF(m, D[n])` = `SUBPROOF(m, D[n], true)`), in proof
/// order. Empty when `old` is 0 or not smaller than `size` (nothing to prove).
pub fn consistency_ranges(old: u64, size: u64) -> Vec<Range<u64>> {
    fn subproof(m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Range<u64>>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(start..end);
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, start, start + k, whole, out);
            out.push(start + k..end);
        } else {
            subproof(m - k, start + k, end, false, out);
            out.push(start..start + k);
        }
    }
    let mut out = Vec::new();
    if 0 < old && old < size {
        subproof(old, 0, size, true, &mut out);
    }
    out
}

/// The hashes of chosen subtrees (leaf ranges), computed in one pass over the leaf hashes in
/// order from leaf 0: one frontier per range is held, never the leaves.
pub struct Subtrees {
    ranges: Vec<Range<u64>>,
    trees: Vec<Frontier>,
    seen: u64,
}

impl Subtrees {
    pub fn new(ranges: Vec<Range<u64>>) -> Subtrees {
        let trees = vec![Frontier::new(); ranges.len()];
        Subtrees {
            ranges,
            trees,
            seen: 0,
        }
    }

    /// The next leaf.
    pub fn push(&mut self, leaf: Hash) {
        for (range, tree) in self.ranges.iter().zip(&mut self.trees) {
            if range.contains(&self.seen) {
                tree.push(leaf);
            }
        }
        self.seen += 1;
    }

    /// Whether every range is complete (no more leaves are needed).
    pub fn done(&self) -> bool {
        self.ranges.iter().all(|r| r.end <= self.seen)
    }

    /// The hashes, in the order of the ranges; `None` when the leaves ended too soon.
    pub fn finish(self) -> Option<Vec<Hash>> {
        self.done()
            .then(|| self.trees.iter().map(Frontier::root).collect())
    }
}

/// The hashes of the subtrees `ranges` of the tree whose leaves are `leaves`.
pub fn subtree_hashes(
    ranges: &[Range<u64>],
    leaves: impl IntoIterator<Item = Hash>,
) -> Option<Vec<Hash>> {
    let mut subtrees = Subtrees::new(ranges.to_vec());
    for leaf in leaves {
        if subtrees.done() {
            break;
        }
        subtrees.push(leaf);
    }
    subtrees.finish()
}

/// Why a proof does not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The entry is not in a tree of that size (index >= size).
    OutOfRange,
    /// The old size is larger than the new one.
    Backwards,
    /// The proof has the wrong number of hashes for the sizes.
    WrongLength,
    /// The proof leads to another root hash.
    RootMismatch,
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProofError::OutOfRange => "the entry is not in a tree of that size",
            ProofError::Backwards => "the old tree is larger than the new one",
            ProofError::WrongLength => "the proof has the wrong number of hashes for these sizes",
            ProofError::RootMismatch => "the proof does not lead to the checkpoint's root hash",
        })
    }
}

/// RFC 9162 2.1.3.2: verifies that `leaf` is leaf `index` of the tree of `size` leaves whose
/// root is `root`, given the inclusion proof `path`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // 1. leaf_index must be below tree_size.
    if index >= size {
        return Err(ProofError::OutOfRange);
    }
    // 2.-3.
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    // 4.
    for p in path {
        // a.
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        // b.
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        // c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5.
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 2.1.4.2: verifies that the tree of `old` leaves with root `old_root` is a prefix of
/// the tree of `size` leaves with root `root`, given the consistency proof `path`. The sizes
/// the algorithm leaves out (`old` = 0, `old` = `size`) have an empty proof, as in RFC 9162
/// 2.1.4.1 (and, for equal sizes, equal roots).
pub fn verify_consistency(
    old: u64,
    size: u64,
    old_root: &Hash,
    root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if old > size {
        return Err(ProofError::Backwards);
    }
    if old == size || old == 0 {
        if !path.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old == 0 || old_root == root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // 1.
    if path.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // 2. A power of two is a whole subtree of the new tree: the proof starts with its root.
    let mut hashes = Vec::with_capacity(path.len() + 1);
    if old.is_power_of_two() {
        hashes.push(*old_root);
    }
    hashes.extend_from_slice(path);
    // 3.
    let (mut fn_, mut sn) = (old - 1, size - 1);
    // 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5.
    let (mut fr, mut sr) = (hashes[0], hashes[0]);
    // 6.
    for c in &hashes[1..] {
        // a.
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        // b.
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        // c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7.
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root || sr != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
