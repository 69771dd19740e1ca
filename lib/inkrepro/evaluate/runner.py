"""Evaluation runner: a checkpoint (or a folder of InkML) x datasets x inference modes ->
per-sample Parquet, aggregated metrics with bootstrap 95% CIs, galleries, one MLflow run.

Python API (what the notebooks and the sweep call)::

    res = evaluate_checkpoint(workdir, datasets=("hershey", "photos"),
                              modes=("vanilla_derender", "derender_with_text",
                                     "recognize_and_derender"), n=100, parent_run_id=None)
    res["metrics"]["eval/hershey/vanilla_derender/char_f1"]   # flat MLflow metrics
    res["per_sample"]                                          # Parquet path
    res["recognizer_version"]

Metric keys (written here, once): ``eval/<dataset>/<mode>/<metric>`` with ``<metric>_lo`` /
``_hi`` CI bounds; ``<mode>`` is one of the three inference modes (``inkrepro.infer.MODES``) or
``upper_bound`` (the recognizer and Tesseract on the dense ground-truth ink) or a calibration
row (``floor_empty``, ``floor_constant``, ``floor_shuffled``, ``floor_midline``,
``ceiling_reference``: :mod:`inkrepro.evaluate.calibration`, scored on the same samples with the
same readers, so every number can be placed between its floor and ceiling); ``eval/seconds`` (the
whole evaluation) and ``eval/decode_seconds`` (decoding only). Datasets are source names of the
checkpoint's DataConfig (``hershey``: synthetic ink with reference ink -> DTW/LDTW/AIoU;
``photos``: synthetic word photos without ink -> Chamfer; ``kanjivg``; any prepared dataset).
Decoding goes through ``inkrepro.infer`` (its defaults unless the options say otherwise).
The options (``EvalOptions``) and their checks live in ``inkrepro.evaluate.options``.
The recognizer must exist (``inkrepro recognizer train --profile P``; ``inkrepro reproduce``
and sweeps train it first, as an explicit step): evaluation never trains one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from inkrepro import checkpoint, configlib, infer, tracking
from inkrepro.data import pipeline
from inkrepro.data.store import Store, read_examples
from inkrepro.errors import InkError, UserError
from inkrepro.evaluate import calibration, gallery, reader
from inkrepro.evaluate import metrics as M
from inkrepro.evaluate import recognizer as rec_mod
from inkrepro.evaluate.options import DATASET_ALIASES, TEXT_SOURCES, EvalOptions, options
from inkrepro.ink import draw, inkml, tokens
from inkrepro.ink.augment import AugmentConfig
from inkrepro.ink.core import Ink
from inkrepro.names import safe_label
from inkrepro.tasks import TaskSample

GEOM = ("dtw", "ldtw", "aiou", "stroke_ratio", "chamfer")


def _decoding(opts: EvalOptions) -> infer.Decoding:
    return infer.Decoding(method=opts.method, constrained=opts.constrained,
                          batch_size=opts.batch_size, max_len=opts.max_len, seed=opts.seed)


# ----------------------------------------------------------------------------- scoring

CAL_PREFIXES = ("floor_", "ceiling_")

def _read(recognizer, inks: list[Ink], method: str) -> list[str]:
    return recognizer.recognize(inks, method=method) if recognizer is not None else [""] * len(inks)


def score(samples: Sequence[TaskSample], outputs: dict[str, list[infer.ModeOutput]], *,
          recognizer=None, opts: EvalOptions | None = None, use_tesseract: bool = False,
          progress: bool = True, spacing: float = 0.0) -> list[dict[str, Any]]:
    """Per-sample rows for every mode, the upper bound (readers on the dense reference ink) and,
    with ``opts.calibration``, the floor and ceiling rows of :mod:`inkrepro.evaluate.calibration`
    (``spacing``: the checkpoint's training spacing, for the ceiling and the midline)."""
    opts = opts or EvalOptions()
    rows: list[dict[str, Any]] = []
    every = list(range(len(samples)))
    # (row name, sample indices, inks, mode outputs or None, fixed texts or None)
    jobs: list[tuple[str, list[int], list[Ink], list[infer.ModeOutput] | None, list[str] | None]] = [
        (m, every, [o.ink for o in outs], outs, None) for m, outs in outputs.items()]
    with_ref = [i for i, s in enumerate(samples) if s.ink is not None and not s.ink.is_empty]
    if with_ref:
        jobs.append(("upper_bound", with_ref, [samples[i].ink for i in with_ref], None, None))
    if opts.calibration and samples:
        cal = calibration.outputs([s.ink for s in samples], [s.image for s in samples],
                                  [s.text for s in samples], spacing, seed=opts.seed)
        jobs += [(name, idx, inks, None, texts) for name, (idx, inks, texts) in cal.items()]
    for mode, idx, inks, outs, fixed in tqdm(jobs, desc="scoring", unit="row", leave=False,
                                             disable=not progress):
        rec = fixed if fixed is not None else _read(recognizer, inks, opts.recognizer_decoding)
        # Tesseract reads the model's ink and the dense reference; a text floor reads as itself.
        tess = (list(fixed) if fixed is not None else reader.read_inks(inks)) \
            if use_tesseract and (fixed is not None or not mode.startswith(CAL_PREFIXES)) else None
        for k, i in enumerate(idx):
            s, ink = samples[i], inks[k]
            row: dict[str, Any] = {"id": s.id, "dataset": s.source, "mode": mode, "label": s.text,
                                   "rec_text": rec[k], "tess_text": tess[k] if tess else None,
                                   "covered": bool(recognizer is not None and recognizer.charset.covers(s.text)),
                                   **{f"meta_{a}": str(b) for a, b in s.meta.items()}}
            if outs is not None:
                o = outs[k]
                row.update(prompt=o.prompt, output=o.output, text_in=o.text_in, text_out=o.text_out,
                           fallback=o.fallback)
            else:
                row.update(prompt="", output=tokens.to_text(tokens.encode(ink)) if _in_frame(ink) else "",
                           text_in="", text_out="", fallback=False)
            if mode != "upper_bound":
                row.update(M.geometry_metrics(ink, s.ink, s.image if s.ink is None else None))
            else:
                row.update(valid=float(M.is_valid(ink)), num_strokes=float(ink.num_strokes))
            rows.append(row)
    return rows


def _in_frame(ink: Ink) -> bool:
    if ink.is_empty:
        return True
    x0, y0, x1, y1 = ink.bbox
    return min(x0, y0) >= -0.5 and max(x1, y1) <= tokens.FRAME_MAX + 0.5


def aggregate(rows: list[dict[str, Any]], *, bootstrap: int = 1000, seed: int = 0) -> dict[str, float]:
    """Flat ``eval/<dataset>/<mode>/<metric>`` (+ ``_lo``/``_hi``) over per-sample rows."""
    df = pd.DataFrame(rows)
    out: dict[str, float] = {}
    if df.empty:
        return out
    kw = {"samples": bootstrap, "seed": seed}
    for (ds, mode), g in df.groupby(["dataset", "mode"], sort=True):
        p = f"eval/{ds}/{mode}/"
        out[p + "n"] = float(len(g))
        cov = g[g["covered"]]
        out[p + "semantic_n"] = float(len(cov))
        if len(cov):
            for name, (v, lo, hi) in M.text_ci(cov["rec_text"].tolist(), cov["label"].tolist(), **kw).items():
                out[p + name], out[p + name + "_lo"], out[p + name + "_hi"] = v, lo, hi
        tv = g[g["tess_text"].notna()] if "tess_text" in g else g.iloc[:0]
        if len(tv):
            t = M.text_ci(tv["tess_text"].tolist(), tv["label"].tolist(), **kw)
            for name in ("char_f1", "cer"):
                v, lo, hi = t[name]
                out[p + f"tesseract_{name}"], out[p + f"tesseract_{name}_lo"], out[p + f"tesseract_{name}_hi"] = v, lo, hi
        if mode == "recognize_and_derender" and "text_out" in g:
            t = M.text_metrics(g["text_out"].fillna("").tolist(), g["label"].tolist())
            out[p + "rd_text_char_f1"], out[p + "rd_text_cer"] = t["char_f1"], t["cer"]
        if "fallback" in g and mode == "recognize_and_derender":
            out[p + "fallback_count"] = float(g["fallback"].fillna(False).astype(bool).sum())
        v, lo, hi = M.mean_ci(g["valid"].astype(float).tolist(), **kw)
        out[p + "validity"], out[p + "validity_lo"], out[p + "validity_hi"] = v, lo, hi
        for name in GEOM:
            if name in g and g[name].notna().any():
                v, lo, hi = M.mean_ci(g[name].astype(float).tolist(), **kw)
                out[p + name], out[p + name + "_lo"], out[p + name + "_hi"] = v, lo, hi
    return out


# ----------------------------------------------------------------------------- galleries

GALLERY_PX = 160   # tiles upsampled to this size (64 px inputs are too small to see strokes)

def galleries(samples: Sequence[TaskSample], rows: list[dict[str, Any]], outputs, out_dir: Path,
              n: int) -> list[Path]:
    """input | derendered ink | overlay, for the first ``n`` and the worst ``n`` per mode."""
    if n <= 0:
        return []
    by_key = {(r["id"], r["mode"]): r for r in rows}
    paths = []
    for mode, outs in outputs.items():
        for ds in sorted({s.source for s in samples}):
            idx = [i for i, s in enumerate(samples) if s.source == ds and s.image is not None]
            if not idx:
                continue

            def badness(i, mode=mode):
                r = by_key.get((samples[i].id, mode), {})
                for k in ("dtw", "chamfer"):
                    v = r.get(k)
                    if v is not None and np.isfinite(v):
                        return v
                return float("inf")   # invalid outputs are the worst

            for kind, pick in (("first", idx[:n]), ("worst", sorted(idx, key=badness, reverse=True)[:n])):
                items = []
                for i in pick:
                    s, o = samples[i], outs[i]
                    r = by_key.get((s.id, mode), {})
                    title = f"{s.text} -> {r.get('rec_text', '')}"
                    items.append((title, gallery.panel(s.image, o.ink, size=GALLERY_PX)))
                p = out_dir / "gallery" / f"{ds}_{mode}_{kind}.png"
                draw.gallery(items, p, cols=2)
                paths.append(p)
    return paths


# ----------------------------------------------------------------------------- the run

def dataset_samples(data_cfg, dataset: str, opts: EvalOptions) -> list[TaskSample]:
    return pipeline.make_eval_examples(data_cfg, opts.split, opts.n or None,
                                       sources=(DATASET_ALIASES.get(dataset, dataset),),
                                       augment=opts.augment, seed=opts.seed)


def _recognizer(opts: EvalOptions):
    return rec_mod.resolve(opts.recognizer or None, max_cer=opts.max_recognizer_cer,
                           profile=opts.recognizer_profile)


def _tesseract_enabled(opts: EvalOptions, notes: list[str]) -> bool:
    if not opts.tesseract:
        return False
    if not reader.available():
        notes.append("Tesseract not installed: independent-reader columns skipped; " + reader.INSTALL_HINT)
        return False
    return True


def _texts(samples: Sequence[TaskSample], images: np.ndarray, source: str) -> list[str]:
    """The derender-with-text prompt texts: the labels, or Tesseract's reading of the input
    (the paper used an OCR service)."""
    if source == "label":
        return [s.text for s in samples]
    if source == "tesseract":
        return reader.read_images(list(images))
    raise UserError(f"text_source must be one of {TEXT_SOURCES}, got {source!r}")


def run_samples(samples: list[TaskSample], inference: infer.Inference, opts: EvalOptions, *,
                notes: list[str], progress: bool = True) -> dict[str, list[infer.ModeOutput]]:
    """Every mode over ``samples`` in batches (with a progress bar)."""
    text_source = opts.text_source
    if "derender_with_text" in opts.modes and text_source == "tesseract" and not reader.available():
        notes.append("Tesseract missing: derender-with-text uses the label text instead")
        text_source = "label"
    outputs: dict[str, list[infer.ModeOutput]] = {}
    bs = max(1, opts.batch_size)
    for mode in opts.modes:
        res: list[infer.ModeOutput] = []
        for a in tqdm(range(0, len(samples), bs), desc=f"decoding {mode}", unit="batch",
                      leave=False, disable=not progress):
            chunk = samples[a:a + bs]
            imgs = np.stack([s.image for s in chunk])
            texts = _texts(chunk, imgs, text_source) if mode == "derender_with_text" else None
            res += inference.derender(imgs, mode, texts=texts)
        outputs[mode] = res
    return outputs


def _finish(samples, outputs, rows, opts: EvalOptions, out_dir: Path, *, recognizer, notes,
            params: dict[str, Any], timing: dict[str, float], run_name: str,
            parent_run_id: str | None, log: bool, tags: dict[str, Any] | None = None,
            curve: list[dict[str, float]] | None = None) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    agg = aggregate(rows, bootstrap=opts.bootstrap, seed=opts.seed)
    per_sample = out_dir / "per_sample.parquet"
    pd.DataFrame(rows).to_parquet(per_sample, index=False)
    gal = galleries(samples, rows, outputs, out_dir, opts.gallery_n) if outputs else []
    rec_info = recognizer.describe() if recognizer is not None else {"recognizer_version": "none"}
    summary = {"metrics": agg, "per_sample": str(per_sample), "galleries": [str(p) for p in gal],
               "notes": notes, **rec_info, "options": configlib.to_dict(opts), **params,
               **timing}
    if curve:
        summary["curve"] = curve
        (out_dir / "curve.json").write_text(json.dumps(curve, indent=1))
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=1, default=str))
    run_id = ""
    if log:
        with tracking.run(run_name, parent_run_id=parent_run_id, tags={
                "inkrepro_kind": "evaluate", "recognizer_version": rec_info["recognizer_version"],
                **(tags or {})}) as r:
            tracking.log_params({"eval": {**configlib.to_dict(opts), **params}, **rec_info})
            tracking.log_metrics({k: v for k, v in agg.items() if np.isfinite(v)})
            tracking.log_metrics({f"eval/{k}": v for k, v in timing.items()})
            for pt in curve or []:
                tracking.log_metrics({f"curve/{pt['dataset']}/{k}": v for k, v in pt.items()
                                      if k not in ("step", "dataset") and np.isfinite(v)},
                                     step=int(pt["step"]))
            tracking.log_artifact(out_dir, "evaluation")
            run_id = r.info.run_id
    summary["run_id"] = run_id
    return summary


def evaluate_checkpoint(workdir: str | Path, datasets: Sequence[str] | str | None = None,
                        modes: Sequence[str] | str | None = None, *,
                        parent_run_id: str | None = None, log: bool = True, progress: bool = True,
                        inference: infer.Inference | None = None,
                        input_augmentation: AugmentConfig | None = None, **kw) -> dict[str, Any]:
    """Evaluate a trained checkpoint (``workdir`` of ``inkrepro train``); see module docstring.

    ``kw``: any :class:`EvalOptions` field. ``inference``: an already loaded
    :class:`inkrepro.infer.Inference` (its decoding settings are replaced by the options');
    ``input_augmentation``: the photo-like augmentation of the evaluation inputs (default: the
    checkpoint's training augmentation).
    Returns {"metrics": flat dict, "per_sample": path, "galleries", "recognizer_version",
    "run_id", "notes", ...}.
    """
    t0 = time.perf_counter()
    opts = options(**kw, datasets=datasets, modes=modes)
    progress = progress and os.environ.get("INKREPRO_NO_PROGRESS") != "1"
    inference = inference or infer.Inference.load(workdir)
    inference = inference.replace(**vars(_decoding(opts)))
    data_cfg = inference.cfg.data
    if input_augmentation is not None:
        data_cfg = replace(data_cfg, augmentation=input_augmentation)
    datasets = opts.datasets or tuple(data_cfg.ink_sources) + tuple(data_cfg.ocr_sources)
    notes: list[str] = []
    recognizer = _recognizer(opts)
    use_tess = _tesseract_enabled(opts, notes)
    samples: list[TaskSample] = []
    for ds in datasets:
        samples += dataset_samples(data_cfg, ds, opts)
    if not samples:
        raise UserError(f"no evaluation examples in datasets {list(datasets)} (split {opts.split})")
    t_dec = time.perf_counter()
    outputs = run_samples(samples, inference, opts, notes=notes, progress=progress)
    decode_seconds = time.perf_counter() - t_dec
    rows = score(samples, outputs, recognizer=recognizer, opts=opts, use_tesseract=use_tess,
                 progress=progress, spacing=data_cfg.ink_spacing)
    out_dir = Path(opts.out_dir) if opts.out_dir else Path(workdir) / "eval" / time.strftime("%Y%m%d-%H%M%S")
    curve = learning_curve(workdir, samples, rows, inference, opts, recognizer=recognizer,
                           progress=progress) if opts.curve else []
    profile = getattr(inference.cfg, "profile", "")
    params = {"checkpoint": str(workdir), "datasets": list(datasets), "num_samples": len(samples),
              "profile": profile}
    return _finish(samples, outputs, rows, opts, out_dir, recognizer=recognizer, notes=notes,
                   params=params, timing={"decode_seconds": decode_seconds,
                                          "seconds": time.perf_counter() - t0},
                   run_name=f"evaluate-{Path(workdir).name}", parent_run_id=parent_run_id,
                   log=log, tags={"profile": profile}, curve=curve)


CURVE_METRICS = ("char_f1", "char_f1_lo", "char_f1_hi", "cer", "ldtw", "ldtw_lo", "ldtw_hi",
                 "dtw", "validity")


def training_minutes(workdir: str | Path) -> dict[int, float]:
    """{step: training wall minutes} from a run's ``metrics.jsonl`` (``train/elapsed_s``)."""
    p = Path(workdir) / "metrics.jsonl"
    out: dict[int, float] = {}
    if p.exists():
        for ln in p.read_text().splitlines():
            r = json.loads(ln) if ln.strip() else {}
            if "train/elapsed_s" in r:
                out[int(r["step"])] = float(r["train/elapsed_s"]) / 60.0
    return out


def learning_curve(workdir: str | Path, samples: list[TaskSample], rows: list[dict[str, Any]],
                   inference: infer.Inference, opts: EvalOptions, *, recognizer,
                   progress: bool = True) -> list[dict[str, float]]:
    """Vanilla derendering scored at every kept checkpoint of ``workdir`` (the last one from the
    main evaluation's ``rows``) on the first dataset with reference ink: one point per step
    with the training minutes it took (``train/elapsed_s``) and the metrics of
    :data:`CURVE_METRICS`. Needs ``train.keep_checkpoints`` large enough to keep them."""
    ref = [s for s in samples if s.ink is not None and not s.ink.is_empty]
    if not ref:
        raise UserError("the learning curve needs a dataset with reference ink (e.g. hershey)")
    ds = ref[0].source
    ref = [s for s in ref if s.source == ds]
    minutes = training_minutes(workdir)
    steps = checkpoint.steps(workdir)
    last = steps[-1] if steps else None
    cur_opts = replace(opts, modes=("vanilla_derender",), calibration=False, tesseract=False)
    points = []
    for step in tqdm(steps, desc="learning curve", unit="checkpoint", leave=False, disable=not progress):
        if step == last:
            step_rows = [r for r in rows if r["dataset"] == ds and r["mode"] == "vanilla_derender"]
        else:
            inf = infer.Inference.load(workdir, step=step).replace(**vars(_decoding(opts)))
            outs = run_samples(ref, inf, cur_opts, notes=[], progress=False)
            step_rows = [r for r in score(ref, outs, recognizer=recognizer, opts=cur_opts,
                                          progress=False) if r["mode"] == "vanilla_derender"]
        if not step_rows:
            continue
        agg = aggregate(step_rows, bootstrap=opts.bootstrap, seed=opts.seed)
        p = f"eval/{ds}/vanilla_derender/"
        points.append({"step": step, "minutes": minutes.get(step, float("nan")), "dataset": ds,
                       **{m: agg.get(p + m, float("nan")) for m in CURVE_METRICS}})
    return points


# ----------------------------------------------------------------------------- InkML folders

def _reference_map(references: str | Path | None) -> dict[str, Any]:
    """id -> (text, ink) from a folder of InkML or a Parquet Store/shard."""
    if not references:
        return {}
    p = Path(references)
    if not p.exists():
        raise UserError(f"references {p} not found (a folder of InkML files or a prepared Store)")
    out: dict[str, Any] = {}
    if p.is_dir() and any(p.rglob("*.inkml")):
        for f in sorted(p.rglob("*.inkml")):
            try:
                doc = inkml.read_inkml(f)
            except inkml.InkmlError as e:
                raise UserError(f"reference {e}") from None
            key = doc.annotations.get("exampleId") or f.stem
            out[key] = (doc.annotations.get("textField", ""), doc.ink)
        return out
    exs = read_examples(p) if p.is_file() else Store(p).examples()
    return {e.id: (e.text, e.ink) for e in exs}


def evaluate_inkml_dir(inkml_dir: str | Path, *, references: str | Path | None = None,
                       parent_run_id: str | None = None, log: bool = True, progress: bool = True,
                       strict: bool = False, **kw) -> dict[str, Any]:
    """Score every ``*.inkml`` under ``inkml_dir`` (e.g. the authors' released outputs,
    ``<model>_<Dataset>_inkml/{vanilla,d+t,r+d}``) with the same metrics. The label is the
    reference's text when ``references`` has the example, else the file's ``textField``
    annotation (InkSight files; a recognize-and-derender file's ``textField`` may be the
    model's reading). Mode: the ``inferenceMode`` annotation or the folder name; dataset: the
    ``sourceDataset`` annotation or the parent folder. Geometric metrics need references
    in the same frame as the files."""
    t0 = time.perf_counter()
    opts = options(**kw)
    progress = progress and os.environ.get("INKREPRO_NO_PROGRESS") != "1"
    root = Path(inkml_dir)
    if not root.is_dir():
        raise UserError(f"{root} is not a folder; give a folder of .inkml files")
    files = sorted(root.rglob("*.inkml"))
    if not files:
        raise UserError(f"no .inkml files under {root}")
    refs = _reference_map(references)
    notes: list[str] = []
    groups: dict[str, list[tuple[TaskSample, infer.ModeOutput]]] = {}
    bad, first_bad = 0, ""
    for f in tqdm(files, desc="reading InkML", unit="file", leave=False, disable=not progress):
        try:
            doc = inkml.read_inkml(f)
            mode = doc.mode
            if mode is None:
                mode = inkml.mode_from_label(f.parent.name)
        except InkError as e:
            if strict:
                raise UserError(f"{f}: {e}") from None
            bad, first_bad = bad + 1, first_bad or f"{f}: {str(e).removeprefix(f'{f}: ')}"
            continue
        mode = infer.canonical(mode)
        ex_id = doc.annotations.get("exampleId") or f.stem
        ref_text, ref_ink = refs.get(ex_id, (None, None))
        label = ref_text if ref_text is not None else doc.annotations.get("textField", "")
        ds = safe_label(doc.annotations.get("sourceDataset") or f.parent.parent.name, "inkml")
        ink = doc.ink.cleaned()
        s = TaskSample(mode, None, "", label, ref_ink, f"{ex_id}", ds,
                       {"file": str(f.relative_to(root))})
        o = infer.ModeOutput(mode, "", "", ink, text_out=doc.annotations.get("textField", "")
                             if mode == "recognize_and_derender" else "")
        groups.setdefault(mode, []).append((s, o))
    if not groups:
        raise UserError(f"no InkML file under {root} could be read: {bad} of {len(files)} skipped; "
                        f"first: {first_bad}")
    if bad:
        notes.append(f"skipped {bad} unreadable InkML files")
    recognizer = _recognizer(opts)
    use_tess = _tesseract_enabled(opts, notes)
    rows: list[dict[str, Any]] = []
    for mode, pairs in groups.items():
        samples = [s for s, _ in pairs]
        outs = {mode: [o for _, o in pairs]}
        rows += [r for r in score(samples, outs, recognizer=recognizer, opts=opts,
                                  use_tesseract=use_tess, progress=progress)
                 if r["mode"] == mode or mode == next(iter(groups))]
    out_dir = Path(opts.out_dir) if opts.out_dir else root.parent / f"{root.name}-eval"
    params = {"inkml_dir": str(root), "num_files": len(files), "skipped_files": bad,
              "references": str(references or "")}
    return _finish([], {}, rows, replace(opts, gallery_n=0), out_dir, recognizer=recognizer,
                   notes=notes, params=params, timing={"seconds": time.perf_counter() - t0},
                   run_name=f"evaluate-inkml-{root.name}", parent_run_id=parent_run_id, log=log)
