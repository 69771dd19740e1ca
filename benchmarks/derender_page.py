"""Derendering a page: words/s on a page of 100 synthetic words, all words in batches (one
compiled program) vs one word at a time, and the time split between detection (Tesseract on the
page), preparation (crop + letterbox), decoding and placement (inverse letterbox). Writes
``results/benchmarks/derender_page.md``.

    .venv/bin/python benchmarks/derender_page.py [--words 100] [--batches 1,4,8,16,32] [--workdir W]

The model is ``tiny`` at the laptop profile's shapes (64 px input, 2,451 output ids, at most
160 output tokens) with random weights unless ``--workdir`` names a trained run; decoding is
greedy and constrained (``inkrepro.infer``'s default), mode vanilla. Decoding uses the page's
known word boxes, so both ways decode the same 100 words; Tesseract's detection on the same page
is timed beside them (its boxes are not used). Goal (issue 13): batched >= 5x one at a time;
the speed-up column says how far each batch size gets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import jax

import _speed as speed
from inkrepro import infer
from inkrepro.derender import boxes, page, synthetic
from inkrepro.evaluate import reader
from inkrepro.text import Vocabulary


def model(workdir: str) -> infer.Inference:
    if workdir:
        return infer.Inference.load(workdir)
    inf = speed.random_inference("tiny", max_len=160)
    # random weights: bytes for the prompt text; vanilla outputs are ink ids only
    return infer.Inference(inf.cfg, Vocabulary.byte_level(), inf.model, inf.decoding)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--words", type=int, default=100)
    p.add_argument("--batches", default="1,4,8,16,32", help="batch sizes (1: one at a time)")
    p.add_argument("--workdir", default="")
    p.add_argument("--out", default="results/benchmarks/derender_page.md")
    a = p.parse_args(argv)
    command = "python benchmarks/derender_page.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load0 = os.getloadavg()[0]
    sp = synthetic.make_page(a.words, words_per_line=10, seed=0)
    h, w = sp.image.shape[:2]
    inf = model(a.workdir)

    det_s, found = float("nan"), "Tesseract not installed"
    if reader.available():
        t = time.perf_counter()
        n = len(boxes.detect(sp.image))
        det_s, found = time.perf_counter() - t, f"{n} boxes found"
    t = time.perf_counter()
    words, _ = page.prepare(sp.image, sp.boxes, inf.image_size, "page")
    prep_s = time.perf_counter() - t

    rows = {}
    for bs in sorted({int(b) for b in a.batches.split(",")} | {1}):
        page.decode(inf, words[:bs], "vanilla", batch_size=bs)       # compile (not timed)
        t = time.perf_counter()
        outs = page.decode(inf, words, "vanilla", batch_size=bs)
        rows[bs] = (time.perf_counter() - t, outs)
    best = min(rows, key=lambda b: rows[b][0])
    t = time.perf_counter()
    ink, _ = page.place(words, rows[best][1])
    place_s = time.perf_counter() - t
    same = all([o.output for o in r[1]] == [o.output for o in rows[1][1]] for r in rows.values())
    toks = sum(o.output.count("<ink_token_") for o in rows[1][1]) / len(words)
    speedup = rows[1][0] / rows[best][0]
    dec_s = rows[best][0]
    total = (0 if det_s != det_s else det_s) + prep_s + dec_s + place_s
    lines = [
        "# Derendering a page: batched vs one word at a time", "",
        f"{len(words)} synthetic words on a {w}x{h} page; model `{inf.cfg.model.name}` "
        f"({'trained: ' + a.workdir if a.workdir else 'random weights'}) at {inf.image_size} px, "
        f"at most {inf.max_len} output tokens, greedy constrained, mode vanilla; "
        f"{speed.device_name()}, JAX {jax.__version__}. Command: `{command.strip()}` "
        f"({dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; 1-minute load average "
        f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: other jobs shared the "
        "cores). Compilation excluded (one warm-up call per batch size).", "",
        "| decoding | batch | seconds | words/s | speed-up vs one at a time |",
        "|---|---|---|---|---|"]
    for bs, (s, _) in rows.items():
        lines.append(f"| {'one at a time' if bs == 1 else 'batched'} | {bs} | {s:.2f} | "
                     f"{len(words) / s:.1f} | {rows[1][0] / s:.2f}x |")
    lines += ["", f"Same outputs at every batch size: {'yes' if same else 'NO'}; mean output "
              f"{toks:.0f} ink tokens per word. Goal (issue 13): batched >= 5x one at a time: "
              f"{'met' if speedup >= 5 else 'NOT met'} (best: batch {best}, {speedup:.2f}x).", "",
              f"Time split of one page (batch {best}):", "",
              "| step | seconds | share |", "|---|---|---|"]
    for name, s in (("detection (Tesseract image_to_data, " + found + ")", det_s),
                    ("preparation (crop + letterbox)", prep_s), ("decoding", dec_s),
                    ("placement (inverse letterbox)", place_s)):
        share = "—" if s != s else f"{100 * s / total:.1f}%"
        lines.append(f"| {name} | {'—' if s != s else f'{s:.3f}'} | {share} |")
    lines.append(f"\nPage ink: {ink.num_strokes} strokes.")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
