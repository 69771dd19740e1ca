"""Tables only report: the model-variants table from `model summary --log` records, the
inference-speed table from the benchmark's committed JSON (nothing measured by either)."""

from __future__ import annotations

import json

import pandas as pd

from inkrepro import summary
from inkrepro.experiments import paper_values as paper
from inkrepro.experiments import results
from inkrepro.experiments.tables import inference_speed, model_variants


def test_model_variants_from_summary_records(tmp_path, monkeypatch):
    monkeypatch.setenv("INKREPRO_RUNS", str(tmp_path / "runs"))
    assert "No model-variant records" in model_variants.build("smoke", tmp_path / "empty").text
    ids = summary.log_variants("smoke", names=("tiny",))
    assert len(ids) == 1 and summary.log_variants("smoke", names=("tiny",)) == []   # once
    out = results.build("model_variants", profile="smoke", results_dir=tmp_path / "res")
    assert out.sources == ids
    row = pd.read_csv(tmp_path / "res" / "model_variants.csv").iloc[0]
    cfg, image, vocab = summary.variant("tiny", "smoke")
    counts, _ = summary.counts(cfg, image, vocab)
    assert row["config"] == "tiny" and row["image"] == image and row["vocab"] == vocab
    assert row["total params"] == f"{counts['total'] / 1e6:.2f}M"
    assert f"{counts['total']:>15,}" in summary.summary_text("tiny", "smoke")   # the same numbers


def test_inference_speed_from_benchmark_output(tmp_path, monkeypatch):
    bench = {"device": "CPU test (2 cores)", "jax": "x", "command": "python benchmarks/inference_speed.py",
             "date": "today", "how": "how it was counted",
             "rows": [{"config": "tiny", "weights": "random", "batch": 1, "image_size": 64,
                       "max_len": 64, "tokens_per_s": 1234.5, "sd": 10.0, "mean_tokens": 64.0}]}
    path = tmp_path / "inference_speed.json"
    path.write_text(json.dumps(bench))
    monkeypatch.setattr(inference_speed, "BENCHMARK", path)
    out = inference_speed.build("smoke", tmp_path)
    table = pd.read_csv(tmp_path / "inference_speed.csv")
    assert table["tokens/s"].tolist()[0] == "1234.5 ± 10.0"
    assert table["device"].tolist() == ["CPU test (2 cores)"] + list(paper.INFERENCE_SPEED)
    assert "how it was counted" in out.text
    monkeypatch.setattr(inference_speed, "BENCHMARK", tmp_path / "missing.json")
    assert "not measured yet" in inference_speed.build("smoke", tmp_path).text
