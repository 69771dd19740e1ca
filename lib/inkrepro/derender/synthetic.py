"""A synthetic page: our synthetic handwritten words (``data.synthetic``) placed in lines at known
positions, rendered black on white, with each word's box and ground-truth ink in page pixels.
The tests, the derender notebook and the page benchmark run on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inkrepro.data import synthetic
from inkrepro.derender.boxes import WordBox
from inkrepro.ink.core import Ink
from inkrepro.ink.render import render


@dataclass
class SyntheticPage:
    image: np.ndarray           # HxWx3 uint8
    boxes: list[WordBox]        # one per word, reading order, text and line set
    inks: list[Ink]             # ground truth per word, page pixels

    @property
    def ink(self) -> Ink:
        return Ink(tuple(s for ink in self.inks for s in ink.strokes))


def make_page(n_words: int = 12, *, words_per_line: int = 4, word_height: float = 40.0,
              margin: int = 40, gap: float = 30.0, pad: float = 8.0, pen: float = 3.0,
              seed: int = 0) -> SyntheticPage:
    """``n_words`` words, ``words_per_line`` a line, each scaled to ``word_height`` px high; a
    word's box is its ink's bounding box grown by ``pad`` px."""
    cfg = synthetic.SyntheticInkConfig(languages=("en",), words_per_language=500, max_chars=7,
                                       seed=seed)
    exs = []
    offset = 0
    while len(exs) < n_words:
        exs += synthetic.generate(cfg, "test", n_words - len(exs), offset=offset)
        offset += n_words
    placed, boxes = [], []
    x, y, line = float(margin), float(margin), 0
    width = margin
    for k, ex in enumerate(exs[:n_words]):
        if k and k % words_per_line == 0:
            x, y, line = float(margin), y + word_height * 2.0, line + 1
        ink = ex.ink.without_time()
        x0, y0, x1, y1 = ink.bbox
        s = word_height / max(y1 - y0, 1e-6)
        ink = ink.translate(-x0, -y0).scale(s).translate(x + pad, y + pad)
        bx0, by0, bx1, by1 = ink.bbox
        placed.append(ink)
        boxes.append(WordBox(bx0 - pad, by0 - pad, bx1 + pad, by1 + pad, text=ex.text, line=line))
        x = bx1 + pad + gap
        width = max(width, int(np.ceil(x)))
    height = int(np.ceil(y + word_height * 2.0)) + margin
    page = Ink(tuple(st for ink in placed for st in ink.strokes))
    return SyntheticPage(render(page, (width + margin, height), width=pen), boxes, placed)
