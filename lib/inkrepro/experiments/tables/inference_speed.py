"""Table ``inference_speed``: tokens per second as ``benchmarks/inference_speed.py`` measured
them (its committed output ``results/benchmarks/inference_speed.json``: model, device, batch),
beside the paper's Titan RTX / T4 / V100 figures (``paper_values.INFERENCE_SPEED``).
Nothing is measured here."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from inkrepro.experiments import paper_values as paper
from inkrepro.experiments.tables.common import REPO, Output, save_figure, save_table

NAME, TITLE = "inference_speed", "Inference speed"
BENCHMARK = REPO / "results" / "benchmarks" / "inference_speed.json"


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    bench = json.loads(BENCHMARK.read_text()) if BENCHMARK.is_file() else None
    bars = []   # (label, tokens/s, ours?)
    rows = []
    for r in (bench or {}).get("rows", []):
        rows.append({"model": f"ours: {r['config']} ({r['weights']})",
                     "device": bench["device"], "image": f"{r['image_size']} px", "batch": r["batch"],
                     "tokens/s": f"{r['tokens_per_s']:.1f} ± {r['sd']:.1f}",
                     "tokens per call": f"{r['mean_tokens']:.0f} (max {r['max_len']} per row)",
                     "source": "benchmarks/inference_speed.py"})
        bars.append((f"ours {r['config']}\n{bench['device'][:22]}\nbatch {r['batch']}",
                     r["tokens_per_s"], True))
    for dev, v in paper.INFERENCE_SPEED.items():
        rows.append({"model": "paper: InkSight Small-p", "device": dev, "image": "224 px",
                     "batch": "?", "tokens/s": f"{v:.2f}", "tokens per call": "?",
                     "source": "paper (mean of five runs)"})
        bars.append((f"paper Small-p\n{dev}", v, False))
    table = pd.DataFrame(rows)
    how = (f"Ours: `{bench['command']}` on {bench['date']} ({bench['how']}; machine load "
           f"{', '.join(bench.get('load', [])) or 'not recorded'})." if bench else
           "Ours: not measured yet (run `python benchmarks/inference_speed.py`, which writes "
           "results/benchmarks/inference_speed.json).")
    save_table(out, table, NAME, results_dir,
               caption="Inference speed: generated tokens per second (greedy, mean of five runs)",
               notes=how + " The paper's figures are for its Small model on the GPUs named; "
                     "batch size and output length are not published, so the rows are not "
                     "like for like.")
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.bar(range(len(bars)), [v for _, v, _ in bars],
           color=["C0" if ours else "0.6" for _, _, ours in bars])
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([lab for lab, _, _ in bars], fontsize=6)
    ax.set_yscale("log")
    ax.set_ylabel("generated tokens per second (log)")
    ax.set_title("Inference speed: ours (blue, model and device per bar) vs the paper (grey)",
                 fontsize=8)
    fig.tight_layout()
    save_figure(out, fig, NAME, results_dir)
    out.text = how
    return out
