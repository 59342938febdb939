"""The `energy` family (being built; see its issue)."""

VERSION = "0.0.0"
RELEASE_NOTES = {"0.0.0": "Placeholder while the family is built."}
