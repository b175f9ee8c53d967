"""RFC 9162 Merkle tree: roots, inclusion and consistency proofs against the RFC's definitions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.ledger.errors import ProofError
from storage.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    mth,
    node_hash,
    nodes_completed_by_append,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
ENTRIES = [f"entry {i}".encode() for i in range(MAX_SIZE)]
STORE = MemoryNodeStore()
for _entry in ENTRIES:
    STORE.append(_entry)
ROOTS = [mth(ENTRIES[:n]) for n in range(MAX_SIZE + 1)]

# Certificate Transparency reference vectors (RFC 6962 trees; RFC 9162 hashes them the same way).
CT_ENTRIES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


# --- The RFC's recursive definitions, written out naively -----------------------------


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(entries)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*naive_path(m, entries[:k]), mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), mth(entries[:k])]


def naive_subproof(m: int, entries: Sequence[bytes], known: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if known else [mth(entries)]
    k = _split(n)
    if m <= k:
        return [*naive_subproof(m, entries[:k], known), mth(entries[k:])]
    return [*naive_subproof(m - k, entries[k:], False), mth(entries[:k])]


def inclusion_shape(m: int, n: int) -> tuple[str, ...] | None:
    """Left/right turns from the root to leaf m: what an inclusion proof's hashing depends on."""
    if not 0 <= m < n:
        return None
    turns = []
    while n > 1:
        k = _split(n)
        if m < k:
            turns.append("L")
            n = k
        else:
            turns.append("R")
            m, n = m - k, n - k
    return tuple(turns)


def consistency_shape(m: int, n: int) -> tuple[str, ...] | None:
    """The SUBPROOF recursion's turns: what a consistency proof's hashing depends on."""
    if not 0 < m <= n:
        return None
    turns, known = [], True
    while m != n:
        k = _split(n)
        if m <= k:
            turns.append("L")
            n = k
        else:
            turns.append("R")
            m, n, known = m - k, n - k, False
    if not known:
        turns.append("T")
    return tuple(turns)


def flip_bit(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


class CountingReader:
    """Any tree at all, of any size: every node exists; counts the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def perfect_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return draw(st.integers(min_value=0, max_value=size - 1)), size


@st.composite
def size_pair(draw: st.DrawFn) -> tuple[int, int]:
    new_size = draw(sizes)
    return draw(st.integers(min_value=1, max_value=new_size)), new_size


# --- Hash definitions and reference vectors -------------------------------------------


def test_hashes_follow_rfc_9162_domain_separation() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != node_hash(right, left)


def test_roots_match_the_certificate_transparency_vectors() -> None:
    store = MemoryNodeStore()
    assert root_hash(0, store).hex() == CT_ROOTS[0]
    for size, entry in enumerate(CT_ENTRIES, start=1):
        store.append(entry)
        assert root_hash(size, store).hex() == CT_ROOTS[size]
        assert mth(CT_ENTRIES[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("leaf_index", "size"), sorted(CT_INCLUSION))
def test_inclusion_proofs_match_the_certificate_transparency_vectors(leaf_index: int, size: int) -> None:
    store = MemoryNodeStore()
    for entry in CT_ENTRIES:
        store.append(entry)
    proof = inclusion_proof(leaf_index, size, store)
    assert [p.hex() for p in proof] == CT_INCLUSION[leaf_index, size]
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(leaf_index, size, leaf_hash(CT_ENTRIES[leaf_index]), proof, root)


@pytest.mark.parametrize(("old_size", "new_size"), sorted(CT_CONSISTENCY))
def test_consistency_proofs_match_the_certificate_transparency_vectors(old_size: int, new_size: int) -> None:
    store = MemoryNodeStore()
    for entry in CT_ENTRIES:
        store.append(entry)
    proof = consistency_proof(old_size, new_size, store)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[old_size, new_size]
    old_root, new_root = bytes.fromhex(CT_ROOTS[old_size]), bytes.fromhex(CT_ROOTS[new_size])
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)


# --- Agreement with the recursive definitions -----------------------------------------


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_root_hash_equals_the_recursive_mth(size: int) -> None:
    assert root_hash(size, STORE) == ROOTS[size]


@settings(max_examples=50)
@given(st.lists(st.binary(max_size=40), max_size=70))
def test_store_root_equals_mth_for_arbitrary_entries(entries: list[bytes]) -> None:
    store = MemoryNodeStore()
    for entry in entries:
        store.append(entry)
    assert store.size == len(entries)
    assert store.root() == mth(entries)


@given(leaf_in_tree())
def test_inclusion_proof_equals_rfc_path_and_verifies(position: tuple[int, int]) -> None:
    leaf_index, size = position
    proof = inclusion_proof(leaf_index, size, STORE)
    assert proof == naive_path(leaf_index, ENTRIES[:size])
    assert verify_inclusion(leaf_index, size, leaf_hash(ENTRIES[leaf_index]), proof, ROOTS[size])


@given(size_pair())
def test_consistency_proof_equals_rfc_proof_and_verifies(sizes_: tuple[int, int]) -> None:
    old_size, new_size = sizes_
    proof = consistency_proof(old_size, new_size, STORE)
    assert proof == naive_subproof(old_size, ENTRIES[:new_size], True)
    assert verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], proof)


def test_every_proof_in_small_trees_verifies() -> None:
    for size in range(1, 65):
        for leaf_index in range(size):
            proof = inclusion_proof(leaf_index, size, STORE)
            assert verify_inclusion(leaf_index, size, leaf_hash(ENTRIES[leaf_index]), proof, ROOTS[size])
        for old_size in range(1, size + 1):
            proof = consistency_proof(old_size, size, STORE)
            assert verify_consistency(old_size, size, ROOTS[old_size], ROOTS[size], proof)


# --- Tampering ------------------------------------------------------------------------


@given(leaf_in_tree(), st.integers(min_value=0, max_value=10**6))
def test_inclusion_fails_when_one_bit_of_a_hash_flips(position: tuple[int, int], bit: int) -> None:
    leaf_index, size = position
    proof = inclusion_proof(leaf_index, size, STORE)
    leaf, root = leaf_hash(ENTRIES[leaf_index]), ROOTS[size]
    assert not verify_inclusion(leaf_index, size, flip_bit(leaf, bit), proof, root)
    assert not verify_inclusion(leaf_index, size, leaf, proof, flip_bit(root, bit))
    if proof:
        at = bit % len(proof)
        tampered = [*proof[:at], flip_bit(proof[at], bit // len(proof)), *proof[at + 1 :]]
        assert not verify_inclusion(leaf_index, size, leaf, tampered, root)
        assert not verify_inclusion(leaf_index, size, leaf, proof[:-1], root)
    assert not verify_inclusion(leaf_index, size, leaf, [*proof, root], root)


@given(leaf_in_tree(), st.integers(min_value=0, max_value=12))
def test_inclusion_with_a_flipped_index_or_size_fails_unless_the_tree_shape_is_identical(
    position: tuple[int, int], bit: int
) -> None:
    leaf_index, size = position
    proof = inclusion_proof(leaf_index, size, STORE)
    leaf, root = leaf_hash(ENTRIES[leaf_index]), ROOTS[size]
    shape = inclusion_shape(leaf_index, size)
    other_index = leaf_index ^ (1 << bit)
    assert not verify_inclusion(other_index, size, leaf, proof, root)  # a leaf has one position
    other_size = size ^ (1 << bit)
    same_shape = inclusion_shape(leaf_index, other_size) == shape
    assert verify_inclusion(leaf_index, other_size, leaf, proof, root) == same_shape


def test_the_size_is_authenticated_by_the_checkpoint_not_by_the_proof() -> None:
    # Leaf 0 of 5 and of 7 has the same path shape (two left turns in [0, 4), then the
    # right-hand rest): the same proof checks out against the size-5 root for size 7.
    proof = inclusion_proof(0, 5, STORE)
    assert verify_inclusion(0, 7, leaf_hash(ENTRIES[0]), proof, ROOTS[5])
    assert not verify_inclusion(0, 7, leaf_hash(ENTRIES[0]), proof, ROOTS[7])


@given(size_pair(), st.integers(min_value=0, max_value=10**6))
def test_consistency_fails_when_one_bit_of_a_hash_flips(sizes_: tuple[int, int], bit: int) -> None:
    old_size, new_size = sizes_
    proof = consistency_proof(old_size, new_size, STORE)
    old_root, new_root = ROOTS[old_size], ROOTS[new_size]
    assert not verify_consistency(old_size, new_size, flip_bit(old_root, bit), new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, flip_bit(new_root, bit), proof)
    if proof:
        at = bit % len(proof)
        tampered = [*proof[:at], flip_bit(proof[at], bit // len(proof)), *proof[at + 1 :]]
        assert not verify_consistency(old_size, new_size, old_root, new_root, tampered)
        assert not verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
    assert not verify_consistency(old_size, new_size, old_root, new_root, [*proof, new_root])


@given(size_pair(), st.integers(min_value=0, max_value=12))
def test_consistency_with_a_flipped_size_fails_unless_the_tree_shape_is_identical(
    sizes_: tuple[int, int], bit: int
) -> None:
    old_size, new_size = sizes_
    proof = consistency_proof(old_size, new_size, STORE)
    old_root, new_root = ROOTS[old_size], ROOTS[new_size]
    shape = consistency_shape(old_size, new_size)
    other_old, other_new = old_size ^ (1 << bit), new_size ^ (1 << bit)
    assert verify_consistency(other_old, new_size, old_root, new_root, proof) == (
        consistency_shape(other_old, new_size) == shape
    )
    assert verify_consistency(old_size, other_new, old_root, new_root, proof) == (
        consistency_shape(old_size, other_new) == shape
    )


def test_a_tree_is_not_consistent_with_a_rewritten_history() -> None:
    rewritten = MemoryNodeStore()
    for entry in [*ENTRIES[:3], b"forged", *ENTRIES[4:10]]:
        rewritten.append(entry)
    proof = consistency_proof(5, 10, rewritten)
    assert not verify_consistency(5, 10, ROOTS[5], rewritten.root(), proof)


# --- Edge cases -----------------------------------------------------------------------


def test_a_single_leaf_tree_has_an_empty_inclusion_proof_and_its_leaf_as_root() -> None:
    assert inclusion_proof(0, 1, STORE) == []
    assert root_hash(1, STORE) == leaf_hash(ENTRIES[0])
    assert verify_inclusion(0, 1, leaf_hash(ENTRIES[0]), [], ROOTS[1])
    assert not verify_inclusion(0, 1, leaf_hash(ENTRIES[1]), [], ROOTS[1])


@pytest.mark.parametrize("size", [1, 2, 4, 8, 16, 32, 64, 128, 256])
def test_powers_of_two_are_one_node_and_prove_from_every_smaller_size(size: int) -> None:
    assert root_hash(size, STORE) == STORE.perfect_node(size.bit_length() - 1, 0)
    assert len(inclusion_proof(size - 1, size, STORE)) == size.bit_length() - 1
    for old_size in range(1, size):
        proof = consistency_proof(old_size, size, STORE)
        assert verify_consistency(old_size, size, ROOTS[old_size], ROOTS[size], proof)


@pytest.mark.parametrize("size", [1, 2, 3, 8, 255])
def test_equal_sizes_have_an_empty_consistency_proof(size: int) -> None:
    assert consistency_proof(size, size, STORE) == []
    assert verify_consistency(size, size, ROOTS[size], ROOTS[size], [])
    assert not verify_consistency(size, size, ROOTS[size], ROOTS[size - 1], [])
    assert not verify_consistency(size, size, ROOTS[size], ROOTS[size], [ROOTS[size]])


def test_consistency_from_the_empty_tree_is_refused() -> None:
    with pytest.raises(ProofError, match="0 < old_size <= new_size"):
        consistency_proof(0, 5, STORE)
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_shrinking_trees_are_refused() -> None:
    with pytest.raises(ProofError, match="from size 6 to size 5"):
        consistency_proof(6, 5, STORE)
    proof = consistency_proof(5, 6, STORE)
    assert not verify_consistency(6, 5, ROOTS[6], ROOTS[5], proof)


@pytest.mark.parametrize(("leaf_index", "size"), [(-1, 5), (5, 5), (0, 0), (7, 3)])
def test_inclusion_of_a_leaf_outside_the_tree_is_refused(leaf_index: int, size: int) -> None:
    with pytest.raises(ProofError, match=f"leaf {leaf_index} is not in a tree of size {size}"):
        inclusion_proof(leaf_index, size, STORE)
    assert not verify_inclusion(leaf_index, size, leaf_hash(b"x"), [], ROOTS[1])


def test_asking_beyond_the_stored_tree_names_the_missing_node() -> None:
    with pytest.raises(ProofError, match="no node at level 0, index 300"):
        root_hash(MAX_SIZE + 1, STORE)
    with pytest.raises(ProofError, match="no node"):
        inclusion_proof(3, MAX_SIZE + 10, STORE)
    with pytest.raises(ProofError, match="no node"):
        consistency_proof(3, 2 * MAX_SIZE, STORE)
    with pytest.raises(ProofError, match="0 or more"):
        root_hash(-1, STORE)


def test_hashes_of_the_wrong_length_never_verify() -> None:
    proof = inclusion_proof(3, 10, STORE)
    leaf = leaf_hash(ENTRIES[3])
    assert verify_inclusion(3, 10, leaf, proof, ROOTS[10])
    assert not verify_inclusion(3, 10, leaf[:31], proof, ROOTS[10])
    assert not verify_inclusion(3, 10, leaf, proof, ROOTS[10] + b"\x00")
    assert not verify_inclusion(3, 10, leaf, [proof[0][:16], *proof[1:]], ROOTS[10])
    cproof = consistency_proof(3, 10, STORE)
    assert not verify_consistency(3, 10, ROOTS[3][:31], ROOTS[10], cproof)
    assert not verify_consistency(3, 10, ROOTS[3], ROOTS[10], [b"", *cproof])


# --- Node store -----------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=MAX_SIZE))
def test_appending_completes_one_node_per_trailing_one_bit_plus_the_leaf(size: int) -> None:
    leaf_index = size - 1
    nodes = nodes_completed_by_append(leaf_index, leaf_hash(ENTRIES[leaf_index]), STORE)
    trailing_ones = (leaf_index ^ (leaf_index + 1)).bit_length() - 1
    assert [(level, index) for level, index, _ in nodes] == [
        (level, leaf_index >> level) for level in range(trailing_ones + 1)
    ]
    for level, index, digest in nodes:
        assert digest == mth(ENTRIES[index << level : (index + 1) << level])


def test_a_store_keeping_only_appended_nodes_matches_the_memory_store() -> None:
    # What a database-backed store does: insert exactly what each append returns.
    table: dict[tuple[int, int], bytes] = {}

    class TableReader:
        def perfect_node(self, level: int, index: int) -> bytes:
            return table[level, index]

    reader = TableReader()
    for leaf_index, entry in enumerate(ENTRIES[:100]):
        for level, index, digest in nodes_completed_by_append(leaf_index, leaf_hash(entry), reader):
            assert (level, index) not in table  # each node is written once, never updated
            table[level, index] = digest
    assert len(table) == 2 * 100 - bin(100).count("1")
    for size in range(1, 101):
        assert root_hash(size, reader) == ROOTS[size]
    assert inclusion_proof(37, 100, reader) == inclusion_proof(37, 100, STORE)
    assert consistency_proof(37, 100, reader) == consistency_proof(37, 100, STORE)


def test_append_wants_a_leaf_hash_and_a_valid_index() -> None:
    with pytest.raises(ValueError, match="pass leaf_hash"):
        nodes_completed_by_append(0, b"raw entry", MemoryNodeStore())
    with pytest.raises(ProofError, match="0 or more"):
        nodes_completed_by_append(-1, leaf_hash(b"x"), MemoryNodeStore())
    with pytest.raises(ProofError, match="no node at level 0, index 2"):
        nodes_completed_by_append(3, leaf_hash(b"x"), MemoryNodeStore())


@pytest.mark.parametrize("size", [1000, 2**20 + 12345, 10**12 + 7, 2**62 - 1])
def test_proofs_read_a_logarithmic_number_of_nodes(size: int) -> None:
    bound = size.bit_length()
    reader = CountingReader()
    root_hash(size, reader)
    assert reader.reads <= bound
    for leaf_index in (0, size // 3, size - 1):
        reader.reads = 0
        inclusion_proof(leaf_index, size, reader)
        assert reader.reads <= 2 * bound
    for old_size in (1, size // 3, size - 1):
        reader.reads = 0
        consistency_proof(old_size, size, reader)
        assert reader.reads <= 3 * bound
