"""Training: schedule values, a smoke run with MLflow, exact resume after SIGKILL, 8 fake
devices (data x fsdp mesh), non-finite loss stop, the checkpoint through inkrepro.infer."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from inkrepro import config
from inkrepro.config import TrainConfig
from inkrepro.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
FAST = ["train.track=false", "train.progress=false", "train.eval_every=0"]


def test_linear_decay_schedule_exact_values():
    from inkrepro.train import lr_schedule

    lr = lr_schedule(TrainConfig())            # paper: peak 0.01, warmup 5000, decay 3e-6
    for step, want in [(0, 0.0), (2500, 0.005), (5000, 0.01), (172500, 0.004975)]:
        assert float(lr(step)) == pytest.approx(want, rel=1e-6, abs=1e-12), step
    assert float(lr(338_333)) > 0 > float(lr(338_334)) and float(lr(340_000)) < 0
    clamped = lr_schedule(TrainConfig(lr_clamp_zero=True))
    assert float(clamped(340_000)) == 0.0 and float(clamped(172500)) == pytest.approx(0.004975, rel=1e-6)


@pytest.mark.parametrize("name", ["smoke", "laptop", "gpu"])
def test_schedule_anneals_at_the_last_step(name):
    """Every non-paper profile (and any steps override) ends its linear decay at ~0."""
    from inkrepro.train import lr_schedule

    warmup = config.profile(name).train.warmup_steps
    for over in ([], [f"train.steps={warmup + 200}"], [f"train.steps={warmup + 3000}"]):
        tc = config.profile(name, over).train
        lr = lr_schedule(tc)
        assert float(lr(tc.steps)) == pytest.approx(0.0, abs=1e-7 * tc.lr_peak), (name, over)
        assert float(lr(tc.steps - 1)) > 0 and float(lr(tc.warmup_steps)) == pytest.approx(tc.lr_peak)


def test_profiles_and_overrides():
    cfg = config.profile("laptop", ["train.steps=70", "model=small", "model.d_model=96",
                                    "data.mixture.recognize_real=0"])
    assert cfg.train.steps == 70 and cfg.model.name == "small" and cfg.model.d_model == 96
    assert cfg.data.mixture["recognize_real"] == 0.0
    p = config.profile("paper")
    assert (p.train.steps, p.train.batch_size, p.data.image_size, p.train.lr_peak) == (340_000, 512, 224, 0.01)
    from inkrepro.data import readers
    from inkrepro.data.paper_mixture import PAPER_SOURCES

    assert (p.data.ocr_sources, p.data.ink_sources) == (PAPER_SOURCES["ocr"], PAPER_SOURCES["ink"])
    assert set(p.data.ocr_sources + p.data.ink_sources) <= set(readers.READERS)  # all readable
    assert config.from_dict(json.loads(json.dumps(__import__("inkrepro.configlib").configlib.to_dict(cfg)))) == cfg
    with pytest.raises(UserError, match="unknown profile"):
        config.profile("huge")
    with pytest.raises(UserError, match="unknown config key"):
        config.profile("smoke", ["train.stepz=3"])
    with pytest.raises(UserError, match="source_weights names source"):   # a misspelled source
        config.profile("laptop", {"data.source_weights.hersey": 2.0})
    assert config.profile("laptop", {"data.ink_sources": ["hershey"],
                                     "data.source_weights": {"hershey": 1.0}}).data.source_weights == {"hershey": 1.0}


def _run(workdir, overrides, env_extra=None, wait=True):
    code = ("import sys; from inkrepro import config, train; "
            "train.train(config.profile('smoke', sys.argv[2:]), sys.argv[1])")
    env = {**os.environ, "INKREPRO_NO_PROGRESS": "1", **(env_extra or {})}
    p = subprocess.Popen([sys.executable, "-c", code, str(workdir), *overrides], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out[-3000:]
    return p


def _params(workdir):
    from flax import nnx

    from inkrepro.checkpoint import load_for_inference

    model, _, _ = load_for_inference(workdir)
    return jax.tree.leaves(nnx.state(model, nnx.Param))


def test_killed_and_resumed_run_matches_uninterrupted(tmp_path):
    ov = FAST + ["train.steps=10", "train.checkpoint_every=4", "train.log_every=2"]
    killed = tmp_path / "killed"
    p = _run(killed, ov, {"INKREPRO_STEP_DELAY_S": "0.4"}, wait=False)
    deadline = time.time() + 400
    while not (killed / "checkpoints" / "4").is_dir():
        assert p.poll() is None, p.stdout.read()[-3000:]
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL)      # a real kill, mid-run, after the step-4 checkpoint
    p.wait()
    assert not (killed / "result.json").exists()
    _run(killed, ov)                   # resumes from the latest checkpoint
    ref = tmp_path / "ref"
    _run(ref, ov)
    for a, b in zip(_params(killed), _params(ref)):
        np.testing.assert_array_equal(a, b)
    ra, rb = ({k: v for k, v in json.loads((w / "result.json").read_text())["metrics"].items()
               if k not in ("train/examples_per_s", "train/elapsed_s")} for w in (killed, ref))   # timing differs, numbers not
    assert ra == rb and ra["val/loss"] > 0 and len(ra) > 10
    steps = [json.loads(ln)["step"] for ln in (killed / "metrics.jsonl").read_text().splitlines()]
    assert steps == [json.loads(ln)["step"] for ln in (ref / "metrics.jsonl").read_text().splitlines()]
    # training minutes carry across the resume (the learning-curve axis)
    el = [r["train/elapsed_s"] for r in map(json.loads, (killed / "metrics.jsonl").read_text().splitlines())
          if "train/elapsed_s" in r]
    assert len(el) > 2 and el == sorted(el) and el[0] > 0


def test_eight_fake_devices_data_and_fsdp_mesh(tmp_path):
    code = (
        "import jax, json, sys; from inkrepro import config, train;"
        "cfg = config.profile('smoke', sys.argv[2:]);"
        "r = train.train(cfg, sys.argv[1]);"
        "mesh = train.make_mesh(cfg.train);"
        "import numpy as np; x = np.zeros((32, 64), np.float32);"
        "print(json.dumps({'devices': jax.device_count(), 'mesh': dict(mesh.shape),"
        "'spec': str(train.param_sharding(mesh, x).spec), 'loss': r['metrics']['train/loss']}))")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "INKREPRO_NO_PROGRESS": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "w"), *FAST, "train.steps=3",
                          "train.batch_size=8", "train.mesh_fsdp=2", "train.checkpoint_every=2"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["devices"] == 8 and res["mesh"] == {"data": 4, "fsdp": 2}
    assert "fsdp" in res["spec"] and np.isfinite(res["loss"])


def test_smoke_run_tracks_and_loads_for_inference(tmp_path):
    from inkrepro import infer, tracking
    from inkrepro.data import pipeline
    from inkrepro.train import train

    cfg = config.profile("smoke", ["train.progress=false", "train.steps=4"])
    res = train(cfg, tmp_path / "w")
    assert res["run_id"] and np.isfinite(res["metrics"]["train/loss"]) and "val/loss" in res["metrics"]
    assert json.loads((tmp_path / "w" / "result.json").read_text())["run_id"] == res["run_id"]
    runs = tracking.search_runs(f"attributes.run_id = '{res['run_id']}'")
    row = runs.iloc[0]
    assert row["params.config.train.lr_clamp_zero"] == "False" and row["tags.checkpoint_dir"]
    assert "metrics.val/loss" in runs.columns and row["tags.git_commit"]
    assert row["metrics.train/data/task/vanilla_derender"] > 0   # the pipeline's counters
    inf = infer.Inference.load(tmp_path / "w", decoding=infer.Decoding(max_len=16))
    assert inf.cfg == cfg and inf.vocab.size == inf.model.vocab_size
    ex = pipeline.make_eval_examples(cfg.data, "test", n=2, sources=("hershey",))
    for o in inf.derender([e.image for e in ex]):      # constrained by default: always a stroke
        assert o.text_out == "" and len(o.ink.strokes) >= 1 and o.prompt == "Derender the ink."
    with pytest.raises(UserError, match="different config"):
        train(config.profile("smoke", ["train.steps=5"]), tmp_path / "w")
    from inkrepro.evaluate.gallery import make_gallery, plot_curves

    assert plot_curves(tmp_path / "w", tmp_path / "loss.png").stat().st_size > 1000
    assert make_gallery(tmp_path / "w", tmp_path / "g.png", n=2, max_len=16).stat().st_size > 1000


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    from inkrepro.train import train

    cfg = config.profile("smoke", FAST + ["train.lr_peak=1.0e+30", "train.checkpoint_every=2",
                                          "train.log_every=1", "train.clipping_threshold=1.0e+30"])
    with pytest.raises(UserError, match="non-finite training loss at step") as e:
        train(cfg, tmp_path / "w")
    assert "Last good checkpoint: step" in str(e.value)
    good = sorted(int(p.name) for p in (tmp_path / "w" / "checkpoints").iterdir() if p.name.isdigit())
    assert good and max(good) < cfg.train.steps
