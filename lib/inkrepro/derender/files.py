"""The files of one derendered image: InkML, SVG, PNG overlay, GIF of the writing order, JSON.

``<stem>.inkml``: W3C InkML in the original image's pixels, one traceGroup per line holding one
traceGroup per word (annotated with its text); ``<stem>.inksight.inkml`` (``release=True``): the
authors' release variant (``x,y`` traces, their annotation fields). ``<stem>.svg``: the ink in
the paper's rainbow-by-stroke convention on a canvas of the image's size. ``<stem>.png``: the
ink over the dimmed photo. ``<stem>.gif``: the writing order, stroke by stroke (longer side at
most ``GIF_SIDE`` px, OUR CHOICE: a page at full size would make a huge GIF). ``<stem>.json``:
``Result.to_json`` (text, mode, per-word boxes and modes, timings, notes).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from inkrepro.derender import page as page_mod
from inkrepro.derender.page import Result
from inkrepro.errors import UserError
from inkrepro.ink import draw, geometry, inkml
from inkrepro.ink.core import Ink
from inkrepro.ink.inkml import TraceGroup

GIF_SIDE = 800
KINDS = ("inkml", "svg", "png", "gif", "json")


def line_width(w: int, h: int) -> float:
    """Pen width for pictures of a ``w x h`` image (OUR CHOICE: 2 px, thicker on pages)."""
    return max(2.0, max(w, h) / 400)


def groups(res: Result) -> list[TraceGroup]:
    """Lines of words, each word a traceGroup of its strokes."""
    lines: dict[int, TraceGroup] = {}
    for k, (w, t, (a, b)) in enumerate(zip(res.job.words, res.word_texts, res.ranges)):
        line = lines.setdefault(w.box.line, TraceGroup(id=f"line{w.box.line}",
                                                       annotations={"type": "line"}))
        line.groups.append(TraceGroup(id=f"word{k}", annotations={"type": "word", "text": inkml.xml_safe(t)},
                                      traces=list(range(a, b))))
    return list(lines.values())


def annotations(res: Result, release: bool = False) -> dict[str, str]:
    mode, text, name = (inkml.MODE_LABELS[res.job.mode], inkml.xml_safe(res.text),
                        inkml.xml_safe(res.job.page.name))
    if release:   # the release's fields (paper-facts: InkSight-Derenderings)
        return {"application": "inkrepro", "sourceDataset": "user",
                "inferenceMode": mode, "exampleId": name, "textField": text}
    return {"application": "inkrepro", "source": name, "inferenceMode": mode, "text": text}


def write(res: Result, out_dir: str | Path, stem: str | None = None, *,
          release: bool = False) -> dict[str, Path]:
    """All files of ``res`` under ``out_dir``; returns {kind: path}."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or Path(res.job.page.name).stem
    page = res.job.page
    w, h = page.original_size
    ink_small = res.ink.scale(page.scale) if page.scale != 1.0 else res.ink
    ph, pw = page.image.shape[:2]
    width = line_width(pw, ph)
    paths = {"inkml": inkml.write_inkml(out / f"{stem}.inkml", res.ink, annotations(res),
                                        groups=groups(res))}
    if release:
        paths["inksight_inkml"] = inkml.write_inkml(out / f"{stem}.inksight.inkml", res.ink,
                                                    annotations(res, True), variant="inksight")
    paths["svg"] = out / f"{stem}.svg"
    draw.to_svg(res.ink, paths["svg"], size=(w, h), width=line_width(w, h))
    paths["png"] = out / f"{stem}.png"
    Image.fromarray(draw.overlay(page.image, ink_small, width=width)).save(paths["png"])
    k = min(1.0, GIF_SIDE / max(pw, ph))
    bg = page.image if k == 1.0 else np.asarray(
        Image.fromarray(page.image).resize((max(1, round(pw * k)), max(1, round(ph * k))),
                                           Image.Resampling.BILINEAR))
    paths["gif"] = draw.to_gif(ink_small.scale(k), out / f"{stem}.gif",
                               size=(bg.shape[1], bg.shape[0]), background=bg,
                               width=max(2.0, width * k))
    paths["json"] = out / f"{stem}.json"
    res.job.timings["write"] = time.perf_counter() - t0   # the pictures and InkML
    doc = res.to_json() | {"files": {n: p.name for n, p in paths.items() if n != "json"}}
    paths["json"].write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def derender_paths(inf, paths: list[str | Path], out_dir: str | Path, *, mode: str = "r+d",
                   box_lists: list | None = None, page_mode: bool | None = None,
                   expand: float = 0.0, text: str = "", lang: str = "eng", release: bool = False,
                   batch_size: int | None = None, progress: bool = True,
                   log=print) -> dict:
    """Image files -> their files under ``out_dir``. An input that cannot be used (unreadable,
    no word found) is named, skipped and counted; none written is an error. All words of all
    inputs are decoded together in batches. Returns {"written": [...], "skipped": {name: why}}."""
    jobs, skipped = [], {}
    box_lists = box_lists or [None] * len(paths)
    for path, bl in tqdm(list(zip(paths, box_lists)), unit="page", desc="find words",
                         disable=not progress, leave=False):
        try:
            t0 = time.perf_counter()
            pg = page_mod.load(path, name=str(path))
            load_s = time.perf_counter() - t0
            job = page_mod.plan(pg, inf.image_size, mode, boxes=bl, page_mode=page_mode,
                                expand=expand, text=text, lang=lang)
            job.timings = {"load": load_s, **job.timings}
            jobs.append(job)
        except UserError as e:   # ImageError included: named, counted, the batch goes on
            skipped[str(path)] = str(e)
            log(f"skipped {e}")
    written = []
    if jobs:
        results = page_mod.run(inf, jobs, batch_size=batch_size, progress=progress)
        stems: set[str] = set()
        for res in tqdm(results, unit="page", desc="write", disable=not progress, leave=False):
            stem = Path(res.job.page.name).stem
            k, base = 1, stem
            while stem in stems:             # two inputs of the same name: a.png, a-2.png
                k += 1
                stem = f"{base}-{k}"
            stems.add(stem)
            p = write(res, out_dir, stem, release=release)
            written.append(str(p["json"]))
            n_fb = sum(o.fallback for o in res.outputs)
            log(f"{res.job.page.name}: {'page' if res.job.page_mode else 'word'}, "
                f"{len(res.job.words)} word(s), {res.ink.num_strokes} strokes"
                + (f" ({n_fb} by the vanilla fallback)" if n_fb else "")
                + (f", text {res.text!r}" if res.text else "") + f" -> {p['json'].with_suffix('')}.*")
    if not written:
        raise UserError(f"nothing derendered: all {len(paths)} input(s) skipped")
    log(f"{len(written)} written to {out_dir}" + (f", {len(skipped)} skipped" if skipped else ""))
    return {"written": written, "skipped": skipped}


def boxes_picture(res: Result) -> Image.Image:
    """The page with its word boxes (rotated ones as drawn polygons), numbered in reading order."""
    im = Image.fromarray(res.job.page.image).convert("RGB")
    d = ImageDraw.Draw(im)
    for k, w in enumerate(res.job.words):
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64)
        h, wd = w.box.height, w.box.width
        if w.box.angle:
            pts = geometry.apply_affine(Ink.from_xy([corners * [wd, h]]), w.crop_to_page).points
        else:
            pts = corners * [wd, h] + [w.box.x0, w.box.y0]
        d.polygon([tuple(p) for p in pts], outline=(220, 40, 40), width=2)
        d.text((pts[0, 0] + 2, pts[0, 1] + 1), str(k), fill=(220, 40, 40))
    return im
