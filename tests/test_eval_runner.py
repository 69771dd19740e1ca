"""The evaluation runner end to end with a fake derenderer (the model has its own tests):
Parquet, metrics with CIs, galleries, MLflow, InkML folders, the CLI verb."""

import argparse
import hashlib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from eval_fixtures import tiny_recognizer  # noqa: F401
from inkrepro import infer
from inkrepro.data.config import DataConfig
from inkrepro.errors import UserError
from inkrepro.evaluate import runner
from inkrepro.ink import tokens

DATA = DataConfig(train_size=4, validation_size=2, test_size=3, ink_sources=("hershey",),
                  ocr_sources=("photos",), image_size=64)
STROKE = "<ink_token_450><ink_token_20><ink_token_245><ink_token_60><ink_token_255>"


def _key(img):
    return hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def perfect():
    """A fake derenderer that returns the reference ink of each input (a fixed stroke for
    photos); its recognize-and-derender output of the first sample has no stroke."""
    samples = runner.dataset_samples(DATA, "hershey", runner.EvalOptions(n=3))
    table = {_key(s.image): tokens.to_text(tokens.encode(s.ink)) for s in samples}
    first = _key(samples[0].image)

    def fn(images, prompts, allow_text):
        out = []
        for img, p in zip(images, prompts):
            ink = table.get(_key(img), STROKE)
            if p == "Recognize and derender.":
                out.append("txt" if _key(img) == first else f"txt {ink}")
            else:
                out.append(ink)
        return out

    return fn


@pytest.fixture(scope="module")
def result(perfect, tiny_recognizer, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("eval")
    fake = infer.Inference(SimpleNamespace(data=DATA, profile="test"), decode_fn=perfect)
    return runner.evaluate_checkpoint(
        str(out / "ckpt"), datasets="hershey,synthetic_photos",   # the CLI's comma strings
        modes="vanilla,d+t,r+d", inference=fake, recognizer=str(tiny_recognizer.path),
        max_recognizer_cer=1e9, n=3, bootstrap=50, gallery_n=2, text_source="label",
        out_dir=str(out / "res"), progress=False)


def test_metrics_of_a_perfect_derenderer(result, tiny_recognizer):  # noqa: F811
    m = result["metrics"]
    assert m["eval/hershey/vanilla_derender/n"] == 3
    assert m["eval/hershey/vanilla_derender/dtw"] == pytest.approx(0.0)
    assert m["eval/hershey/vanilla_derender/ldtw"] == pytest.approx(0.0, abs=1e-6)
    assert m["eval/hershey/vanilla_derender/aiou"] == pytest.approx(1.0)
    assert m["eval/hershey/vanilla_derender/validity"] == 1.0
    assert m["eval/hershey/recognize_and_derender/fallback_count"] == 1
    assert m["eval/hershey/recognize_and_derender/dtw"] == pytest.approx(0.0)
    # the same inks read by the same recognizer: equal to the upper bound
    assert m["eval/hershey/vanilla_derender/char_f1"] == pytest.approx(m["eval/hershey/upper_bound/char_f1"])
    assert m["eval/hershey/vanilla_derender/char_f1_lo"] <= m["eval/hershey/vanilla_derender/char_f1"] <= m["eval/hershey/vanilla_derender/char_f1_hi"]
    assert np.isfinite(m["eval/photos/vanilla_derender/chamfer"]) and "eval/photos/vanilla_derender/dtw" not in m
    assert "eval/photos/upper_bound/n" not in m            # photos have no reference ink
    assert "eval/hershey/vanilla_derender/tesseract_char_f1" in m or result["notes"]
    assert result["recognizer_version"] == tiny_recognizer.version
    assert m["eval/hershey/vanilla_derender/n"] == 3 and "eval/hershey/vanilla/n" not in m


def test_floor_and_ceiling_rows(result):
    m = result["metrics"]
    h, p = "eval/hershey/", "eval/photos/"
    assert m[h + "floor_empty/char_f1"] == 0.0 and m[h + "floor_empty/validity"] == 0.0
    assert m[h + "floor_constant/char_f1"] > 0          # a frequent-letter guess shares letters
    # the perfect derenderer sits at the geometric ceiling, every floor far below it
    for floor in ("floor_empty", "floor_shuffled", "floor_midline"):
        assert m[h + floor + "/ldtw"] > m[h + "vanilla_derender/ldtw"] + 1.0, floor
    assert m[h + "ceiling_reference/ldtw"] < m[h + "floor_midline/ldtw"]
    assert m[h + "ceiling_reference/validity"] == 1.0
    assert p + "ceiling_reference/n" not in m and p + "floor_shuffled/n" not in m
    assert np.isfinite(m[p + "floor_midline/chamfer"]) and m[p + "floor_constant/n"] == 3


def test_outputs_on_disk_and_in_mlflow(result, tiny_recognizer):  # noqa: F811
    df = pd.read_parquet(result["per_sample"])
    assert {"id", "dataset", "mode", "label", "prompt", "output", "rec_text", "dtw", "chamfer",
            "fallback"} <= set(df.columns)
    # 2 datasets x 3 modes + upper bound + calibration rows (hershey: empty, constant, shuffled,
    # midline, ceiling; photos, without reference ink: empty, constant, midline)
    assert len(df) == 3 * 3 + 3 * 3 + 3 + 5 * 3 + 3 * 3
    dt = df[(df["mode"] == "derender_with_text") & (df["dataset"] == "hershey")]
    assert (dt["prompt"] == "Derender the ink: " + dt["label"]).all()
    assert all(p.endswith(".png") for p in result["galleries"]) and len(result["galleries"]) == 12
    from inkrepro import tracking

    runs = tracking.search_runs(f"tags.recognizer_version = '{tiny_recognizer.version}' and "
                                "tags.inkrepro_kind = 'evaluate'")
    assert result["run_id"] in set(runs["run_id"])
    row = runs[runs["run_id"] == result["run_id"]].iloc[0]
    assert row["metrics.eval/hershey/vanilla_derender/dtw"] == pytest.approx(0.0)
    assert 0 < row["metrics.eval/decode_seconds"] <= row["metrics.eval/seconds"]


def test_inkml_dir_same_code_path(tiny_recognizer, tmp_path):  # noqa: F811
    from inkrepro.evaluate import cli
    from inkrepro.ink import inkml

    samples = runner.dataset_samples(DATA, "hershey", runner.EvalOptions(n=3))
    root = tmp_path / "Small-p_IAM_inkml"
    refs = tmp_path / "refs"
    for folder, label in (("vanilla", "Vanilla Derender"), ("r+d", "Recognize and Derender")):
        for s in samples:
            ann = {"application": "inksight", "sourceDataset": "IAM", "inferenceMode": label,
                   "exampleId": s.id, "textField": s.text}
            (root / folder).mkdir(parents=True, exist_ok=True)
            inkml.write_inkml(root / folder / f"{s.id}.inkml", s.ink, ann, variant="inksight")
    refs.mkdir()
    for s in samples:
        inkml.write_inkml(refs / f"{s.id}.inkml", s.ink, {"exampleId": s.id, "textField": s.text})
    (root / "vanilla" / "broken.inkml").write_text("<ink><trace>1 2, oops</trace>")
    res = runner.evaluate_inkml_dir(root, references=refs, recognizer=str(tiny_recognizer.path),
                                    max_recognizer_cer=1e9, tesseract=False, bootstrap=20,
                                    progress=False, log=False)
    m = res["metrics"]
    assert m["eval/IAM/vanilla_derender/n"] == 3 and m["eval/IAM/recognize_and_derender/n"] == 3
    assert m["eval/IAM/vanilla_derender/dtw"] == pytest.approx(0.0)
    assert m["eval/IAM/vanilla_derender/char_f1"] == pytest.approx(m["eval/IAM/upper_bound/char_f1"])
    assert any("skipped 1" in n for n in res["notes"])
    # the CLI verb over the same folder
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    cli.register(sub)
    args = p.parse_args(["evaluate", "--inkml-dir", str(root), "--recognizer", str(tiny_recognizer.path),
                         "--max-recognizer-cer", "1e9", "--set", "tesseract=false",
                         "--set", "bootstrap=10", "--out", str(tmp_path / "cli")])
    assert args.func(args) == 0
    assert (tmp_path / "cli" / "per_sample.parquet").is_file()


def test_cli_splits_comma_separated_datasets():
    from inkrepro.evaluate import cli

    args = argparse.Namespace(set=[], n=5, split=None, batch_size=None, text_source=None,
                              recognizer=None, max_recognizer_cer=None, out=None,
                              dataset="hershey, photos", modes="vanilla")
    opts = runner.options(**cli._kw(args))
    assert opts.datasets == ("hershey", "photos") and opts.n == 5
    assert opts.modes == ("vanilla_derender",) and opts.constrained is infer.CONSTRAINED


def test_evaluation_never_trains_a_recognizer():
    with pytest.raises(UserError, match="recognizer train --profile gpu"):
        runner.evaluate_checkpoint("nowhere", inference=infer.Inference(
            SimpleNamespace(data=DATA), decode_fn=lambda *a: []), recognizer_profile="gpu",
            log=False, progress=False)


def test_inkml_dir_where_every_file_is_bad_is_an_error(tmp_path):
    d = tmp_path / "in" / "vanilla"
    d.mkdir(parents=True)
    (d / "a.inkml").write_text("<ink><trace>1 2, oops</trace></ink>")
    (d / "b.inkml").write_text('<?xml version="1.0" encoding="x-nonexistent"?><ink/>')
    (tmp_path / "in" / "c.inkml").write_text("<ink><trace>1 2</trace></ink>")  # folder "in": no mode
    with pytest.raises(UserError, match=r"no InkML file under .*in could be read: 3 of 3 skipped; "
                                        r"first: .*in/c.inkml: unknown inference mode label 'in'"):
        runner.evaluate_inkml_dir(tmp_path / "in", recognizer="/nonexistent", log=False, progress=False)
