"""Gallery of the synthetic data: online ink (clean, coloured by time), the photo-like training
input rendered from it with the target overlaid, and synthetic word photos (OCR stand-in).

    python -m inkrepro.data._gallery results/data/synthetic_gallery.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from inkrepro import tasks
from inkrepro.data import photos, synthetic
from inkrepro.ink import draw, geometry
from inkrepro.ink.augment import AugmentConfig


def gallery(path: str | Path, n_latin: int = 10, n_cjk: int = 4, n_photos: int = 6, seed: int = 0,
            size: int = 192) -> Path:
    rng = np.random.default_rng(seed)
    hcfg = synthetic.SyntheticInkConfig(seed=seed, num_writers=40)
    kcfg = synthetic.SyntheticInkConfig(glyphs="kanjivg", languages=synthetic.CJK_LANGUAGES, faces=(),
                                        face_weights=(), num_writers=20, seed=seed)
    exs = synthetic.generate(hcfg, "test", n_latin) + synthetic.generate(kcfg, "test", n_cjk)
    tiles = []
    for ex in exs:
        ink224, _ = geometry.fit_to_frame(ex.ink, size, margin=10)
        clean = draw.draw_ink(ink224, size, width=2.5)
        img, target = tasks.render_ink_input(ex.ink, size, AugmentConfig(), rng,
                                             pen_width=ex.meta.get("pen_width"))
        over = draw.overlay(img, target.scale(size / 224), width=1.0)
        label = ex.text if ex.text.isascii() else f"({ex.language}, {len(ex.text)} chars)"
        tiles.append((f"{label} [{ex.writer}, {ex.meta.get('face')}]", clean))
        tiles.append((f"training input ({ex.ink.num_points} pts)", img))
        tiles.append(("target ink over input", over))
    pcfg = photos.PhotoConfig(seed=seed)
    for ex in photos.generate(pcfg, "test", n_photos):
        tiles.append((f"photo: {ex.text}", tasks.letterbox_photo(ex.image, size)))
    path = Path(path)
    grid = draw.gallery(tiles, None, cols=6)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                   dither=Image.Dither.NONE).save(path, optimize=True)
    return path


if __name__ == "__main__":
    print(gallery(sys.argv[1] if len(sys.argv) > 1 else "results/data/synthetic_gallery.png"))
