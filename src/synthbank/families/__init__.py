"""Dataset families: one package each, with VERSION and RELEASE_NOTES beside the generator."""

from __future__ import annotations

from synthbank.errors import UsageError

#: Families this release can generate. (seeding.FAMILY_IDS reserves ids for all six.)
AVAILABLE = ("atomic",)


def check_family(name: str) -> str:
    """Return ``name`` if it is an available family, else raise a one-line UsageError."""
    if name not in AVAILABLE:
        raise UsageError(f"unknown family '{name}': allowed {', '.join(AVAILABLE)}")
    return name
