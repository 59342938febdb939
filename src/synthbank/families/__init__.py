"""Dataset families: one package each, with VERSION and RELEASE_NOTES beside the generator."""

#: Families this release can generate; the CLI names them when refusing an unknown one.
#: (seeding.FAMILY_IDS reserves stream ids for all six.)
AVAILABLE = ("atomic", "chromatic", "public", "signals", "ptycho", "energy")
