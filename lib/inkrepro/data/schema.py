"""The common example schema every source (synthetic or real) yields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inkrepro.ink.core import Ink

SPLITS = ("train", "validation", "test")


@dataclass
class Example:
    """One record of a dataset.

    ``image``: HxWx3 uint8 RGB array of the *original* image (None for ink-only sources).
    ``ink``: ground-truth ink in the image's pixel frame when ``image`` is given, otherwise in
    its source's own frame (None for OCR-only sources). ``text``: transcription ("" if none).
    ``kind``: "ink" (online: ink + text), "ocr" (image + text, no ink), or "derendered"
    (model outputs, e.g. the authors' released InkML; ``meta`` holds model/mode).
    """

    id: str
    source: str
    split: str
    kind: str
    text: str = ""
    ink: Ink | None = None
    image: np.ndarray | None = None
    writer: str = ""
    language: str = ""
    script: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in ("ink", "ocr", "derendered"):
            raise ValueError(f"unknown example kind {self.kind!r}")
        if self.image is not None and (self.image.ndim != 3 or self.image.shape[2] != 3
                                       or self.image.dtype != np.uint8):
            raise ValueError(f"image must be HxWx3 uint8, got {self.image.shape} {self.image.dtype}")
