"""Derendering a page: words/s on a page of 100 synthetic words, all words in batches (one
compiled program) vs one word at a time, and the time split between detection (Tesseract on the
page), preparation (crop + letterbox), decoding and placement (inverse letterbox). Writes
``results/benchmarks/derender_page.md``.

    .venv/bin/python benchmarks/derender_page.py [--words 100] [--batch 16] [--workdir W]

The model is ``tiny`` at the laptop profile's shapes (64 px input, 2,451 output ids, at most
160 output tokens) with random weights unless ``--workdir`` names a trained run; decoding is
greedy and constrained (``inkrepro.infer``'s default), mode vanilla. Decoding uses the page's
known word boxes, so both ways decode the same 100 words; Tesseract's detection on the same page
is timed beside them (its boxes are not used). Goal (issue 13): batched >= 5x one at a time.
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
    p.add_argument("--batch", type=int, default=16)
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
    for name, bs in (("batched", a.batch), ("one at a time", 1)):
        page.decode(inf, words[:bs], "vanilla", batch_size=bs)       # compile (not timed)
        t = time.perf_counter()
        outs = page.decode(inf, words, "vanilla", batch_size=bs)
        rows[name] = (bs, time.perf_counter() - t, outs)
    t = time.perf_counter()
    ink, _ = page.place(words, rows["batched"][2])
    place_s = time.perf_counter() - t
    same = [o.output for o in rows["batched"][2]] == [o.output for o in rows["one at a time"][2]]
    toks = sum(o.output.count("<ink_token_") for o in rows["batched"][2]) / len(words)
    speedup = rows["one at a time"][1] / rows["batched"][1]

    dec_s = rows["batched"][1]
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
        "| decoding | batch | seconds | words/s | speed-up |", "|---|---|---|---|---|"]
    for name, (bs, s, _) in rows.items():
        lines.append(f"| {name} | {bs} | {s:.2f} | {len(words) / s:.1f} | "
                     f"{rows['one at a time'][1] / s:.1f}x |")
    lines += ["", f"Same outputs both ways: {'yes' if same else 'NO'}; mean output "
              f"{toks:.0f} tokens per word. Goal (issue 13): batched >= 5x one at a time: "
              f"{'met' if speedup >= 5 else 'NOT met'} ({speedup:.1f}x).", "",
              "Time split of one page (batched):", "",
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
