"""Deterministic writers and readers, and the all-or-nothing staging of outputs."""
