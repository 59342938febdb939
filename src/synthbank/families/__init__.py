"""Dataset families: one package each, defining ``FAMILY`` (see :mod:`synthbank.family`).

The registry (:mod:`synthbank.registry`) finds them here by themselves: a new folder with
``FAMILY`` in its ``__init__`` is a new family, with no list to edit.
"""
