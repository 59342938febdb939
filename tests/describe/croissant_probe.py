"""Load records with mlcroissant and print them as JSON (run by the tests in a subprocess).

    python croissant_probe.py CROISSANT.json#RECORD_SET [CROISSANT.json#RECORD_SET...]

Prints ``{"CROISSANT.json#RECORD_SET": [record, ...]}``: text as str, numbers as numbers,
an image as ``{"mode", "size", "sha256"}`` (sha256 of its pixel bytes as numpy reads
them). A subprocess keeps mlcroissant's globals (its cache directory, ``CROISSANT_CACHE``,
read at import) out of the test process; one for every request, as importing it takes a second.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any


def plain(value: Any) -> Any:
    import numpy as np
    from PIL import Image

    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, Image.Image):
        pixels = np.asarray(value)
        return {"mode": value.mode, "size": list(value.size), "sha256": hashlib.sha256(pixels.tobytes()).hexdigest()}
    if hasattr(value, "item"):
        return value.item()
    return value


def main(argv: list[str]) -> None:
    import mlcroissant as mlc

    datasets: dict[str, Any] = {}
    out = {}
    for spec in argv:
        path, name = spec.split("#")
        if path not in datasets:
            datasets[path] = mlc.Dataset(path)
        out[spec] = [{k.split("/")[-1]: plain(v) for k, v in record.items()} for record in datasets[path].records(name)]
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
