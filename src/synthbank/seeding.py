"""The one place random streams are made (the determinism contract).

Every draw derives from the ``seed`` in params.yaml through
``SeedSequence(seed, spawn_key=(family_id, *item_key))`` feeding PCG64. Keys are stable
item identities (block index, channel index, dose), never worker ids, chunk numbers or
arrival order, so an item has the same bytes whatever the dataset size, chunking or
scheduler.
"""

from __future__ import annotations

import hashlib

import numpy as np

#: Stable numeric identity of each family inside the spawn key. Never renumber.
FAMILY_IDS: dict[str, int] = {
    "atomic": 1,
    "chromatic": 2,
    "public": 3,
    "signals": 4,
    "ptycho": 5,
    "energy": 6,
}

BIT_GENERATOR = "PCG64"


def name_key(name: str) -> int:
    """Map a text identity (a dataset or channel name) to a stable 63-bit key.

    Parameters
    ----------
    name : str
        Any text; its UTF-8 bytes are hashed with sha256.

    Returns
    -------
    int
        The first 8 bytes of the digest, big-endian, with the top bit cleared.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def family_stream_id(family: str) -> int:
    """The family's number in the spawn key: :data:`FAMILY_IDS`, else its ``Family.stream_id``."""
    if family in FAMILY_IDS:
        return FAMILY_IDS[family]
    from synthbank import registry  # a family outside the six (registered through the environment)

    try:
        stream_id = registry.get(family).stream_id
    except Exception:  # noqa: BLE001 - an unknown name, whatever the registry's reason
        stream_id = 0
    if stream_id <= max(FAMILY_IDS.values()):
        raise ValueError(f"family={family!r} is unknown: allowed {sorted(FAMILY_IDS)} or a registered family with stream_id > {max(FAMILY_IDS.values())}")
    return stream_id


def seed_sequence(seed: int, family: str, *key: int) -> np.random.SeedSequence:
    """The SeedSequence of one item of one family.

    Parameters
    ----------
    seed : int
        The root seed from params.yaml, 0 <= seed < 2**63.
    family : str
        A name in :data:`FAMILY_IDS`.
    *key : int
        Non-negative integers naming the item (for example the block index).
    """
    family_id = family_stream_id(family)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} is invalid: allowed a non-negative integer")
    for k in key:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
            raise ValueError(f"item key {key!r} is invalid: allowed non-negative integers")
    return np.random.SeedSequence(int(seed), spawn_key=(family_id, *map(int, key)))


def stream(seed: int, family: str, *key: int) -> np.random.Generator:
    """A fresh Generator for one item: ``Generator(PCG64(seed_sequence(...)))``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, family, *key)))
