"""Session fixtures of the evaluation tests: one tiny recognizer, tiny data, printed ink."""

import numpy as np
import pytest

from inkrepro.ink.core import Ink

TINY_REC = ["hidden=8", "layers=1", "train_size=24", "eval_size=6", "batch_size=4", "steps=3",
            "max_points=64", "warmup=1"]


@pytest.fixture(scope="session")
def tiny_recognizer(_isolated_dirs):
    """A (deliberately untrained) recognizer artifact: compiled and saved once per session."""
    from inkrepro.evaluate import recognizer as R

    cfg = R.profile_config("smoke", TINY_REC)
    rec = R.train(cfg, _isolated_dirs / "rec", log=True, progress=False)
    return rec


def word_ink(text: str, face: str = "futural", height: float = 40.0) -> Ink:
    """Neat printed ink of ``text`` from a Hershey face (y down), left at x=10, baseline 60."""
    from inkrepro.data import fonts

    glyphs = fonts.hershey_face(face)
    x, strokes = 10.0, []
    for ch in text:
        if ch == " ":
            x += 0.6 * height
            continue
        g = glyphs[ch]
        lo, hi = g.ink_extent
        for s in g.strokes:
            strokes.append(np.asarray(s) * height + (x - lo * height, 60.0))
        x += (hi - lo) * height + 0.25 * height
    return Ink.from_xy(strokes)
