"""Visual report for the ``atomic`` dataset: a sample grid plus a label histogram.

Pure functions: they return arrays / rows and never touch the file system,
so the caller decides where (and whether) to write the PNG or CSV.

Layout of :func:`render_report` (all sizes in output pixels)::

    +----------------------------------------------+
    | 10 x 10 grid of tiles; each tile is an image  |
    | upscaled x SCALE (nearest neighbour, grey)    |
    | with a caption strip "L:k" below it           |
    +----------------------------------------------+
    | bar histogram of label_hist: one bar per      |
    | class, filled with BAR_COLOR, height          |
    | proportional to the count, count above and    |
    | class name below                              |
    +----------------------------------------------+
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "BAR_COLOR",
    "GRID",
    "SCALE",
    "histogram_csv_rows",
    "render_report",
    "sample_indices",
]

#: Tiles per row and per column of the sample grid.
GRID = 10
#: Nearest-neighbour upscaling factor of each image.
SCALE = 4
#: Fill colour of the histogram bars (appears nowhere else in the report).
BAR_COLOR = (46, 120, 200)

_BACKGROUND = (255, 255, 255)
_TEXT = (0, 0, 0)
_CAPTION_BG = (232, 232, 232)
_PAD = 2  # gap between tiles
_CAPTION_H = 12  # caption strip below each tile
_HIST_H = 160  # height of the histogram panel
_HIST_MARGIN_TOP = 18  # room for the count above the tallest bar
_HIST_MARGIN_BOTTOM = 16  # room for the class names
_MIN_WIDTH = 320


def sample_indices(n_available: int, k: int = 100) -> np.ndarray:
    """Deterministic, evenly spaced sample of indices.

    Parameters
    ----------
    n_available : int
        Number of items to sample from.
    k : int, default 100
        Number of indices wanted.

    Returns
    -------
    np.ndarray, shape (min(k, n_available),), int64
        Strictly increasing indices ``i * n_available // k``; all of
        ``0 .. n_available - 1`` when ``n_available <= k``.
    """
    n_available, k = int(n_available), int(k)
    if n_available <= 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    if n_available <= k:
        return np.arange(n_available, dtype=np.int64)
    return (np.arange(k, dtype=np.int64) * n_available) // k


def histogram_csv_rows(label_hist: np.ndarray, class_names: Sequence[str]) -> list[dict]:
    """Rows for a small class-histogram CSV.

    Parameters
    ----------
    label_hist : np.ndarray, shape (n_classes,), integer
        Count per class.
    class_names : sequence of str, length n_classes
        Class names in label order.

    Returns
    -------
    list of dict
        ``[{"class": name, "count": int}, ...]`` in label order.
    """
    hist = np.asarray(label_hist).reshape(-1)
    if len(class_names) != hist.size:
        raise ValueError(f"{len(class_names)} class names for {hist.size} histogram bins")
    return [{"class": str(name), "count": int(c)} for name, c in zip(class_names, hist)]


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Greyscale uint8 view of images (float images are min-max scaled)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    x = images.astype(np.float64)
    if x.size == 0:
        return x.astype(np.uint8)
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi <= lo:
        return np.zeros(x.shape, dtype=np.uint8)
    return np.round((x - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def _fit_text(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    """Truncate ``text`` (adding '.') until it fits into ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + ".", font=font) > width:
        text = text[:-1]
    return text + "."


def render_report(
    images: np.ndarray,
    labels: np.ndarray,
    label_hist: np.ndarray,
    class_names: Sequence[str],
) -> np.ndarray:
    """Render a sample grid and a label histogram into one RGB image.

    Parameters
    ----------
    images : np.ndarray, shape (n, H, W), uint8 (other dtypes are min-max
        scaled to 0..255)
        Images to show; the first ``min(n, 100)`` fill a 10 x 10 grid row by
        row (use :func:`sample_indices` to choose them).
    labels : np.ndarray, shape (n,), integer
        Label of each image, printed as ``"L:k"`` under its tile.
    label_hist : np.ndarray, shape (n_classes,), integer
        Count per class for the histogram panel (normally the whole dataset).
    class_names : sequence of str, length n_classes
        Names written under the bars.

    Returns
    -------
    np.ndarray, shape (10 * (H*4 + 14) + 2 + 160, max(10 * (W*4 + 2) + 2, 320), 3), uint8
        RGB report.  The result depends only on the inputs (deterministic).
        Histogram bars are drawn in :data:`BAR_COLOR`, bottom-aligned, with
        heights proportional to ``label_hist`` (tallest bar = panel height
        minus margins).
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W), got {images.shape}")
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
    hist = np.asarray(label_hist).reshape(-1).astype(np.int64)
    if len(class_names) != hist.size:
        raise ValueError(f"{len(class_names)} class names for {hist.size} histogram bins")

    n_show = min(images.shape[0], GRID * GRID)
    _, h, w = images.shape
    tile_w, tile_h = w * SCALE, h * SCALE
    cell_w, cell_h = tile_w + _PAD, tile_h + _CAPTION_H + _PAD
    grid_w, grid_h = GRID * cell_w + _PAD, GRID * cell_h + _PAD
    width = max(grid_w, _MIN_WIDTH)
    height = grid_h + _HIST_H

    # --- sample grid: assemble tiles with numpy, then caption with PIL ----
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[...] = _BACKGROUND
    if n_show:
        tiles = _to_uint8(images[:n_show])
        tiles = np.repeat(np.repeat(tiles, SCALE, axis=1), SCALE, axis=2)  # (k, th, tw)
        for idx in range(n_show):  # at most 100 tiles
            r, c = divmod(idx, GRID)
            y0, x0 = _PAD + r * cell_h, _PAD + c * cell_w
            canvas[y0 : y0 + tile_h, x0 : x0 + tile_w] = tiles[idx][:, :, None]
            canvas[y0 + tile_h : y0 + tile_h + _CAPTION_H, x0 : x0 + tile_w] = _CAPTION_BG

    img = Image.fromarray(canvas, mode="RGB")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for idx in range(n_show):
        r, c = divmod(idx, GRID)
        y0, x0 = _PAD + r * cell_h, _PAD + c * cell_w
        text = _fit_text(draw, f"L:{int(labels[idx])}", font, tile_w - 2)
        draw.text((x0 + 1, y0 + tile_h), text, fill=_TEXT, font=font)

    # --- histogram panel --------------------------------------------------
    n_classes = hist.size
    if n_classes:
        top = grid_h + _HIST_MARGIN_TOP
        bottom = height - _HIST_MARGIN_BOTTOM  # bars end on row bottom - 1
        max_bar = bottom - top
        slot = width / n_classes
        bar_w = max(int(slot * 0.6), 1)
        peak = max(int(hist.max()), 1)
        for k in range(n_classes):
            count = max(int(hist[k]), 0)
            bar_h = int(round(max_bar * count / peak))
            x0 = int(round(k * slot + (slot - bar_w) / 2))
            if bar_h > 0:
                draw.rectangle([x0, bottom - bar_h, x0 + bar_w - 1, bottom - 1], fill=BAR_COLOR)
            label = _fit_text(draw, str(count), font, slot - 2)
            tw = draw.textlength(label, font=font)
            xy = (k * slot + (slot - tw) / 2, bottom - bar_h - 12)
            draw.text(xy, label, fill=_TEXT, font=font)
            name = _fit_text(draw, str(class_names[k]), font, slot - 2)
            tw = draw.textlength(name, font=font)
            draw.text((k * slot + (slot - tw) / 2, bottom + 2), name, fill=_TEXT, font=font)

    return np.asarray(img, dtype=np.uint8).copy()
