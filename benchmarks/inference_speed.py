"""Inference speed in tokens/s as the paper reports it (mean of five runs), per model config and
batch size, on the present device, through the inference path (``inkrepro.infer``; counted as
``benchmarks/_speed.py`` says). Writes ``results/benchmarks/inference_speed.md`` and ``.json``;
the inference-speed table (``inkrepro results build``) reads the JSON, beside the paper's Titan
RTX / T4 / V100 figures (``experiments/paper_values.py``).

    .venv/bin/python benchmarks/inference_speed.py [--configs tiny,small] [--batch-sizes 1,8]
        [--max-len 64] [--runs 5] [--workdir runs/work/laptop]

Random weights by default (``tiny`` at the laptop profile's 64 px and 2,451-id vocabulary,
``small`` at 224 px and 32,451 ids), whose outputs have no meaningful length: they decode
exactly ``--max-len`` tokens per row (EOS suppressed, as ``decoding.py`` does). ``--workdir``
measures a trained checkpoint instead, counting its outputs up to EOS. The paper does not
state its batch size or output length.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import jax

import _speed as speed
from inkrepro import infer
from inkrepro.experiments import paper_values as paper


def table(doc: dict) -> str:
    lines = ["# Inference speed (generated tokens/s, mean ± sd of five runs)", "",
             f"Ours on **{doc['device']}** (JAX {doc['jax']}), {doc['how']}. Command: "
             f"`{doc['command']}` ({doc['date']}; 1-minute load average on the machine "
             f"{', '.join(doc['load'])}). The paper's figures are for its Small model on "
             "the GPUs named; batch size and output length are not published, so the rows are not "
             "like for like.", "",
             "| source | device | config (weights) | image | batch | tokens/s | sd | tokens per call |",
             "|---|---|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        lines.append(f"| ours | {doc['device']} | {r['config']} ({r['weights']}) | {r['image_size']} px | "
                     f"{r['batch']} | {r['tokens_per_s']:.1f} | {r['sd']:.1f} | "
                     f"{r['mean_tokens']:.0f} (max {r['max_len']} per row) |")
    for dev, v in paper.INFERENCE_SPEED.items():
        lines.append(f"| paper (InkSight Small) | {dev} | Small | 224 px | ? | {v:.2f} | — | — |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", default="tiny,small")
    p.add_argument("--batch-sizes", default="1,8")
    p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--workdir", default="", help="a trained run to measure instead of random weights")
    p.add_argument("--append", action="store_true",
                   help="add rows to the existing output (same device), e.g. another config")
    p.add_argument("--out", default="results/benchmarks/inference_speed.md")
    a = p.parse_args(argv)
    command = "python benchmarks/inference_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out = Path(a.out)
    old = json.loads(out.with_suffix(".json").read_text()) if a.append else None
    if old is not None and old["device"] != speed.device_name():
        sys.exit(f"--append: {out.with_suffix('.json')} was measured on {old['device']}, not here")
    doc = {"device": speed.device_name(), "jax": jax.__version__,
           "command": (old["command"] + "; " if old else "") + command.strip(),
           "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "how": (f"greedy {'constrained' if infer.CONSTRAINED else 'unconstrained'} KV-cached "
                   f"decoding of {'at most ' if a.workdir else ''}{a.max_len} tokens per row"
                   f"{'' if a.workdir else ' (random weights: EOS suppressed)'}; "
                   "tokens/s = generated tokens (each row up to and including EOS) / seconds of "
                   "one compiled decoding call (ViT + encoder + decoder loop), after one warm-up "
                   "call"),
           "rows": old["rows"] if old else [],
           "load": (old["load"] if old else []) + [f"{os.getloadavg()[0]:.1f}"]}
    out.parent.mkdir(parents=True, exist_ok=True)
    for c in a.configs.split(","):
        inf = (infer.Inference.load(a.workdir, decoding=infer.Decoding(max_len=a.max_len))
               if a.workdir else speed.random_inference(c, max_len=a.max_len))
        for b in (int(x) for x in a.batch_sizes.split(",")):
            try:
                r = speed.measure(inf, b, a.runs, min_len=0 if a.workdir else a.max_len)
            except Exception as e:  # noqa: BLE001 - e.g. out of memory for a large config
                print(f"{c} batch {b}: skipped ({type(e).__name__}: {str(e)[:120]})", file=sys.stderr)
                continue
            r.update(config=inf.cfg.model.name if a.workdir else c,
                     weights=f"trained: {a.workdir}" if a.workdir else "random")
            doc["rows"].append(r)
            print(f"{c:6s} batch {b:3d}: {r['tokens_per_s']:.1f} tokens/s (sd {r['sd']:.1f})")
            # rewritten after every row: a killed run keeps what it measured
            out.write_text(table(doc))
            out.with_suffix(".json").write_text(json.dumps(doc, indent=1))
        if a.workdir:
            break
    doc["load"][-1] += f"-{os.getloadavg()[0]:.1f}"
    out.write_text(table(doc))
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1))
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
