"""The atomic source document's Python API as thin functions over the core.

The document's call sequence runs as written::

    images, labels = generate_corpus(num_images, show_progress=True)
    splits = split_corpus(images, labels)
    save_corpus(splits, output_dir, dtype=np.uint8)
    save_metadata(output_dir, num_images, seed, splits_info)
    validate_dataset(output_dir)
    splits = load_corpus(output_dir)

``generate_corpus`` and ``split_corpus`` produce exactly the items and split membership
that the pipeline writes (same seed, same blocks), held in memory; use the CLI or
:func:`synthbank.families.atomic.build.build` for datasets too big for that.
``load_corpus`` and ``validate_dataset`` read both layouts: the ``<split>.npz`` files
``save_corpus`` writes and the ``<split>.h5`` files of the pipeline.

The functions live by job: :mod:`~synthbank.families.atomic.api.corpus` (generation,
splitting, the memory estimate), :mod:`~synthbank.families.atomic.api.files` (saving and
loading) and :mod:`~synthbank.families.atomic.api.validation` (:func:`validate_dataset`);
this package gathers them under the one name the document imports them from.

The document prints what it saves; here those lines go to :data:`logger` (INFO), and
violated thresholds of :func:`validate_dataset` are logged as WARNING.
"""

from synthbank.families.atomic.api.common import DEFAULT_SEED, DEFAULT_SPLITS, Split, logger
from synthbank.families.atomic.api.corpus import estimate_memory, generate_corpus, split_corpus
from synthbank.families.atomic.api.files import load_corpus, save_corpus, save_metadata
from synthbank.families.atomic.api.validation import REPORT_SAMPLES, validate_dataset

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SPLITS",
    "REPORT_SAMPLES",
    "Split",
    "estimate_memory",
    "generate_corpus",
    "load_corpus",
    "logger",
    "save_corpus",
    "save_metadata",
    "split_corpus",
    "validate_dataset",
]
