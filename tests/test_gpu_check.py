"""The gpu-profile check's path on CPU (no GPU here): XLA memory/FLOP estimate, a bf16 training,
gallery and report; the gpu profile's own step lowers from shapes, with XLA's FLOP count."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_path_in_bf16_on_cpu(tmp_path):
    env = {**os.environ, "INKREPRO_NO_PROGRESS": "1", "INKREPRO_RUNS": str(tmp_path / "runs")}
    env.pop("MLFLOW_TRACKING_URI", None)
    r = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--profile", "smoke", "-o", "model.dtype=bfloat16",
                        "--minutes", "0.05", "--max-steps", "3", "--out", str(tmp_path / "gpu")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    rep = json.loads((tmp_path / "gpu" / "gpu_check.json").read_text())
    assert rep["dtype"] == "bfloat16" and 2 <= rep["steps"] <= 3 and rep["xla_flops_per_step"] > 0
    assert rep["xla_memory_estimate"]["total_mib"] > 0 and rep["examples_per_s"] > 0
    assert rep["target_tokens_per_s"] == rep["examples_per_s"] * rep["target_len"]
    assert rep["mfu"] is None and rep["train_loss"] > 0       # no known peak for a CPU
    assert (tmp_path / "gpu" / "gallery.png").stat().st_size > 1000
    assert subprocess.run(["bash", "-n", "benchmarks/gpu_check.sh"], cwd=ROOT).returncode == 0


def test_gpu_profile_step_lowers_with_flop_count():
    """The real gpu profile (ViT-S/16 224px, 6+6 T5 at 512, batch 128, bf16): its train step
    traced and lowered from shapes at a small batch, with XLA's FLOP count. Not compiled here:
    a CPU compile (a minute on 2 cores) would say nothing of the GPU's; gpu_check.sh compiles it
    there and reports XLA's memory estimate (its path is checked on CPU above)."""
    code = ("import sys, json; sys.path.insert(0, 'benchmarks');"
            "from train_step import lowered_step, flops_of;"
            "from inkrepro import config;"
            "cfg = config.profile('gpu', ['train.batch_size=2']);"
            "_, (params, _, _), low, m = lowered_step(cfg, shapes_only=True);"
            "import jax; n = sum(x.size for x in jax.tree.leaves(params));"
            "print(json.dumps({'flops': flops_of(low), 'params': int(n), 'dtype': cfg.model.dtype,"
            "'hlo_bf16': 'bf16' in low.as_text()}))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["dtype"] == "bfloat16" and out["hlo_bf16"] and out["flops"] > 1e10 and out["params"] > 3e7
