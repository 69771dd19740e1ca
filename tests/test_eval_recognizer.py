"""Recognizer: features, CTC decoding by hand, artifact save/load/refusal, training runs."""

import numpy as np
import pytest

from eval_fixtures import tiny_recognizer, trained_tiny_recognizer  # noqa: F401
from inkrepro.errors import UserError
from inkrepro.evaluate import recognizer as R
from inkrepro.ink.core import Ink


def test_features_shapes_and_pen_up():
    cfg = R.RecognizerConfig()
    ink = Ink.from_xy([[[10, 100], [60, 100]], [[70, 80], [70, 120]]])
    f = R.features(ink, cfg)
    assert f.shape[1] == R.NUM_FEATURES and f.dtype == np.float32
    assert f[:, 2].sum() == 1.0                      # one pen lift: the second stroke's start
    assert np.allclose(f[0, :2], 0.0)
    # translation and uniform scale invariant (normalised by the ink height)
    g = R.features(ink.scale(0.5).translate(20, 5), cfg)
    assert f.shape == g.shape and np.allclose(f, g, atol=1e-5)
    assert R.features(Ink(), cfg).shape == (1, R.NUM_FEATURES)
    long = Ink.from_xy([np.stack([np.linspace(0, 224, 2000), 100 + 5 * np.sin(np.arange(2000))], 1)])
    assert len(R.features(long, cfg)) <= cfg.max_points


def test_ctc_greedy_and_beam_by_hand():
    def logits(path, c=4):
        z = np.full((len(path), c), -10.0)
        z[np.arange(len(path)), path] = 10.0
        return z

    assert R.greedy_decode(logits([1, 1, 0, 1, 2, 2, 0])) == [1, 1, 2]
    assert R.beam_decode(logits([1, 1, 0, 1, 2, 2, 0])) == [1, 1, 2]
    assert R.greedy_decode(logits([0, 0, 0])) == []
    # a case where the best path differs from the most probable labelling:
    # frames: p(blank)=0.4, p(a)=0.35, p(b)=0.25 twice -> best path "" (0.16) but
    # P("a") = 0.35*0.35 + 2*0.4*0.35 = 0.4025 > P("") = 0.16
    z = np.log(np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]))
    assert R.greedy_decode(z) == []
    assert R.beam_decode(z, beam=4) == [1]
    cs = R.Charset.from_texts(["ab", "ba c"])
    assert cs.chars == (" ", "a", "b", "c") and cs.decode(cs.encode("cab")) == "cab"
    assert cs.covers("abc") and not cs.covers("abz") and not cs.covers("")


def test_artifact_roundtrip_and_refusal(trained_tiny_recognizer, tmp_path):  # noqa: F811
    rec = trained_tiny_recognizer
    assert rec.version.startswith("rec-smoke-") and np.isfinite(rec.test_cer)
    assert rec.metrics["mlflow_run_id"]
    loaded = R.load(rec.path, max_cer=1e9)
    assert loaded.version == rec.version
    inks = [Ink.from_xy([[[10, 100], [60, 90], [80, 120]]]), Ink()]
    a, b = rec.logits(inks[:1]), loaded.logits(inks[:1])
    assert np.allclose(a[0], b[0], atol=1e-5)
    assert loaded.recognize(inks)[1] == ""
    assert isinstance(loaded.recognize(inks, method="beam")[0], str)
    with pytest.raises(UserError, match="worse than the bound"):
        R.load(rec.path, max_cer=-1.0)
    with pytest.raises(UserError, match="not a recognizer artifact"):
        R.load(tmp_path)
    from inkrepro import tracking

    runs = tracking.search_runs(f"tags.recognizer_version = '{rec.version}'")
    assert len(runs) >= 1 and "metrics.test_cer" in runs


def test_resolve_finds_by_version(tiny_recognizer):  # noqa: F811
    import shutil

    dst = R.recognizers_dir() / tiny_recognizer.version
    if not dst.exists():
        shutil.copytree(tiny_recognizer.path, dst)
    assert R.resolve(tiny_recognizer.version, max_cer=None).version == tiny_recognizer.version
    assert R.find(tiny_recognizer.cfg) == dst.resolve()          # ensure() reuses it
    assert R.ensure("smoke", __import__("eval_fixtures").TINY_REC).version == tiny_recognizer.version
    with pytest.raises(UserError, match="not found"):
        R.resolve("rec-nope", max_cer=None)
