"""Session fixtures of the evaluation tests: one tiny recognizer, tiny data, printed ink."""

import numpy as np
import pytest

from inkrepro.ink.core import Ink

TINY_REC = ["hidden=8", "layers=1", "train_size=24", "eval_size=6", "batch_size=4", "steps=3",
            "max_points=64", "warmup=1"]


@pytest.fixture(scope="session")
def tiny_recognizer(_isolated_dirs):
    """A freshly initialised (untrained) recognizer artifact, saved once per session; the
    training path itself is tested in test_eval_recognizer.py."""
    from inkrepro.evaluate import recognizer as R

    cfg = R.profile_config("smoke", TINY_REC)
    charset = R.Charset(tuple("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,'-"))
    rec = R.Recognizer(R.build_model(cfg, charset.size), charset, cfg, R.version_of(cfg, charset),
                       {"test_cer": 1.0, "note": "untrained test fixture"})
    R.save(rec, _isolated_dirs / "rec-untrained")
    return rec


@pytest.fixture(scope="session")
def trained_tiny_recognizer(_isolated_dirs):
    """A recognizer through the real training path (3 steps; it cannot read yet)."""
    from inkrepro.evaluate import recognizer as R

    cfg = R.profile_config("smoke", TINY_REC)
    return R.train(cfg, _isolated_dirs / "rec", log=True, progress=False)


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
