"""Evaluation runner: a checkpoint (or a folder of InkML) x datasets x inference modes ->
per-sample Parquet, aggregated metrics with bootstrap 95% CIs, galleries, one MLflow run.

Python API (what the notebooks and the sweep call)::

    res = evaluate_checkpoint(workdir, datasets=("hershey", "photos"),
                              modes=("vanilla", "derender_with_text", "recognize_and_derender"),
                              n=100, parent_run_id=None)
    res["metrics"]["eval/hershey/vanilla/char_f1"]      # flat MLflow metrics
    res["per_sample"]                                     # Parquet path
    res["recognizer_version"]

Metric keys: ``eval/<dataset>/<mode>/<metric>`` with ``<metric>_lo`` / ``_hi`` CI bounds;
``<mode>`` is one of the three modes or ``upper_bound`` (the recognizer and Tesseract on the
ground-truth ink). Datasets are source names of the checkpoint's DataConfig (``hershey``:
synthetic ink with reference ink -> DTW/LDTW/AIoU; ``photos``: synthetic word photos without
ink -> Chamfer; ``kanjivg``; any prepared dataset).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from inkrepro import configlib
from inkrepro.errors import UserError
from inkrepro.evaluate import metrics as M
from inkrepro.evaluate import modes as modes_mod
from inkrepro.ink import tokens
from inkrepro.ink.core import Ink
from inkrepro.names import safe_label

DATASET_ALIASES = {"synthetic_ink": "hershey", "synthetic-ink": "hershey",
                   "synthetic_photos": "photos", "synthetic-photos": "photos",
                   "synthetic_cjk": "kanjivg"}
GEOM = ("dtw", "ldtw", "aiou", "stroke_ratio", "chamfer")


@dataclass(frozen=True)
class EvalOptions:
    """Evaluation settings (all overridable from the CLI as ``key=value``)."""

    datasets: tuple[str, ...] = ()          # () = the checkpoint's ink + OCR sources
    modes: tuple[str, ...] = modes_mod.MODES
    split: str = "test"
    n: int = 0                              # examples per dataset (0 = all)
    batch_size: int = 16
    max_len: int = 0                        # 0 = the checkpoint's max_target_len
    method: str = "greedy"                  # greedy | beam | sample (decode.generate)
    constrained: bool = False               # grammar-constrained ink decoding (off: the released model is not)
    text_source: str = "tesseract"          # derender-with-text prompt text: tesseract | label
    recognizer: str = ""                    # artifact dir or version; "" = the profile default
    recognizer_profile: str = "laptop"
    max_recognizer_cer: float = 0.35        # refuse a recognizer worse than this on GT ink
    recognizer_decoding: str = "greedy"     # greedy | beam
    tesseract: bool = True                  # independent reader columns (skipped if missing)
    bootstrap: int = 1000
    gallery_n: int = 8
    augment: bool = True                    # photo-like evaluation inputs (as in training)
    seed: int = 0
    out_dir: str = ""                       # "" = <workdir>/eval/<timestamp>


def names(v: str | Sequence[str]) -> tuple[str, ...]:
    """``"a, b"`` or ``["a", "b"]`` -> ``("a", "b")`` (dataset and mode lists)."""
    items = v.split(",") if isinstance(v, str) else v
    return tuple(s.strip() for s in items if s and s.strip())


def options(**kw) -> EvalOptions:
    """EvalOptions from keyword arguments (lists accepted for tuples; unknown keys rejected)."""
    kw = {k: v for k, v in kw.items() if v is not None}
    for k in ("datasets", "modes"):
        if isinstance(kw.get(k), str):
            kw[k] = names(kw[k])
    return configlib.apply_overrides(EvalOptions(), kw)


# ----------------------------------------------------------------------------- derendering

def derender_fn(model, vocab, data_cfg, opts: EvalOptions):
    """(images, prompts, allow_text) -> output strings, decoding fixed-size batches."""
    from inkrepro import tasks
    from inkrepro.model import decode

    bs = opts.batch_size
    max_len = opts.max_len or data_cfg.max_target_len

    def fn(images: np.ndarray, prompts: list[str], allow_text: bool) -> list[str]:
        enc = np.stack([tasks.encode_prompt(vocab, p, data_cfg.max_prompt_len) for p in prompts])
        out: list[str] = []
        for a in range(0, len(images), bs):
            img, e = np.asarray(images[a:a + bs]), enc[a:a + bs]
            k = len(img)
            if k < bs:   # fixed shapes: one compilation
                img = np.concatenate([img, np.zeros((bs - k,) + img.shape[1:], img.dtype)])
                e = np.concatenate([e, np.zeros((bs - k,) + e.shape[1:], e.dtype)])
            ids = decode.generate(model, img, e, max_len=max_len, method=opts.method,
                                  constrained=opts.constrained, vocab=vocab,
                                  allow_text=allow_text, rng=opts.seed)
            out += [vocab.decode(row) for row in np.asarray(ids)[:k]]
        return out

    return fn


# ----------------------------------------------------------------------------- scoring

@dataclass
class Sample:
    """What scoring needs of one evaluated input."""

    id: str
    dataset: str
    text: str
    image: np.ndarray | None       # SxSx3 model input (None for InkML-only evaluation)
    ref: Ink | None                # reference ink, 224 frame
    meta: dict[str, Any] = field(default_factory=dict)


def _read(recognizer, inks: list[Ink], method: str) -> list[str]:
    return recognizer.recognize(inks, method=method) if recognizer is not None else [""] * len(inks)


def _tess(inks: list[Ink], enabled: bool) -> list[str] | None:
    if not enabled:
        return None
    from inkrepro.evaluate import reader

    return reader.read_inks(inks)


def score(samples: Sequence[Sample], outputs: dict[str, list[modes_mod.ModeOutput]], *,
          recognizer=None, opts: EvalOptions = EvalOptions(), use_tesseract: bool = False,
          progress: bool = True) -> list[dict[str, Any]]:
    """Per-sample rows for every mode (and the upper bound on reference ink)."""
    from tqdm.auto import tqdm

    rows: list[dict[str, Any]] = []
    jobs: list[tuple[str, list[Ink], list[modes_mod.ModeOutput] | None]] = [
        (m, [o.ink for o in outs], outs) for m, outs in outputs.items()]
    with_ref = [i for i, s in enumerate(samples) if s.ref is not None and not s.ref.is_empty]
    if with_ref:
        jobs.append(("upper_bound", [samples[i].ref for i in with_ref], None))
    for mode, inks, outs in tqdm(jobs, desc="scoring", unit="mode", leave=False, disable=not progress):
        idx = with_ref if mode == "upper_bound" else list(range(len(samples)))
        rec = _read(recognizer, inks, opts.recognizer_decoding)
        tess = _tess(inks, use_tesseract)
        for k, i in enumerate(idx):
            s, ink = samples[i], inks[k]
            row: dict[str, Any] = {"id": s.id, "dataset": s.dataset, "mode": mode, "label": s.text,
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
                row.update(M.geometry_metrics(ink, s.ref, s.image if s.ref is None else None))
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
    import pandas as pd

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

def galleries(samples: Sequence[Sample], rows: list[dict[str, Any]], outputs, out_dir: Path,
              n: int, image_size: int) -> list[Path]:
    """input | derendered ink | overlay, for the first ``n`` and the worst ``n`` per mode."""
    from inkrepro.ink import draw

    if n <= 0:
        return []
    by_key = {(r["id"], r["mode"]): r for r in rows}
    paths = []
    for mode, outs in outputs.items():
        for ds in sorted({s.dataset for s in samples}):
            idx = [i for i, s in enumerate(samples) if s.dataset == ds and s.image is not None]
            if not idx:
                continue

            def badness(i, mode=mode):
                r = by_key.get((samples[i].id, mode), {})
                for k, sign in (("dtw", 1), ("chamfer", 1)):
                    v = r.get(k)
                    if v is not None and np.isfinite(v):
                        return sign * v
                return float("inf")   # invalid outputs are the worst

            for kind, pick in (("first", idx[:n]), ("worst", sorted(idx, key=badness, reverse=True)[:n])):
                items = []
                for i in pick:
                    s, o = samples[i], outs[i]
                    r = by_key.get((s.id, mode), {})
                    ink = modes_mod.to_image_frame(o.ink, s.image.shape[0])
                    title = f"{s.text} -> {r.get('rec_text', '')}"
                    items.append((title, draw.panel(s.image, ink)))
                p = out_dir / "gallery" / f"{ds}_{mode}_{kind}.png"
                draw.gallery(items, p, cols=2)
                paths.append(p)
    return paths


# ----------------------------------------------------------------------------- datasets

def dataset_samples(data_cfg, dataset: str, opts: EvalOptions) -> list[Sample]:
    from inkrepro.data import pipeline

    src = DATASET_ALIASES.get(dataset, dataset)
    exs = pipeline.make_eval_examples(data_cfg, opts.split, opts.n or None, sources=(src,),
                                      augment=opts.augment, seed=opts.seed)
    return [Sample(e.id, src, e.text, e.image, e.ink, {"writer": e.writer, "language": e.language})
            for e in exs]


# ----------------------------------------------------------------------------- the run

def _recognizer(opts: EvalOptions, parent_run_id: str | None = None):
    from inkrepro.evaluate import recognizer as rec_mod

    return rec_mod.resolve(opts.recognizer or None, max_cer=opts.max_recognizer_cer,
                           profile=opts.recognizer_profile)


def _tesseract_enabled(opts: EvalOptions, notes: list[str]) -> bool:
    from inkrepro.evaluate import reader

    if not opts.tesseract:
        return False
    if not reader.available():
        notes.append("Tesseract not installed: independent-reader columns skipped; " + reader.INSTALL_HINT)
        return False
    return True


def run_samples(samples: list[Sample], fn, opts: EvalOptions, *, recognizer, notes: list[str],
                progress: bool = True) -> dict[str, list[modes_mod.ModeOutput]]:
    """Every mode over ``samples`` in batches (with a progress bar)."""
    from tqdm.auto import tqdm

    text_source = opts.text_source
    if "derender_with_text" in opts.modes and text_source == "tesseract":
        from inkrepro.evaluate import reader

        if not reader.available():
            notes.append("Tesseract missing: derender-with-text uses the label text instead")
            text_source = "label"
    outputs: dict[str, list[modes_mod.ModeOutput]] = {}
    bs = max(1, opts.batch_size)
    for mode in [modes_mod.canonical(m) for m in opts.modes]:
        res: list[modes_mod.ModeOutput] = []
        for a in tqdm(range(0, len(samples), bs), desc=f"decoding {mode}", unit="batch",
                      leave=False, disable=not progress):
            chunk = samples[a:a + bs]
            imgs = np.stack([s.image for s in chunk])
            res += modes_mod.run(fn, imgs, mode, texts=[s.text for s in chunk], text_source=text_source)
        outputs[mode] = res
    return outputs


def _finish(samples, outputs, rows, opts: EvalOptions, out_dir: Path, *, recognizer, notes,
            params: dict[str, Any], run_name: str, parent_run_id: str | None,
            image_size: int | None, log: bool, extra_tags: dict[str, Any] | None = None) -> dict[str, Any]:
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    agg = aggregate(rows, bootstrap=opts.bootstrap, seed=opts.seed)
    df = pd.DataFrame(rows)
    per_sample = out_dir / "per_sample.parquet"
    df.to_parquet(per_sample, index=False)
    gal = galleries(samples, rows, outputs, out_dir, opts.gallery_n, image_size or 224) if outputs else []
    rec_info = recognizer.describe() if recognizer is not None else {"recognizer_version": "none"}
    summary = {"metrics": agg, "per_sample": str(per_sample), "galleries": [str(p) for p in gal],
               "notes": notes, **rec_info, "options": configlib.to_dict(opts), **params}
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=1, default=str))
    run_id = ""
    if log:
        from inkrepro import tracking

        tags = {"inkrepro_kind": "evaluate", "recognizer_version": rec_info["recognizer_version"],
                **(extra_tags or {})}
        active = _active_run()
        ctx = (_nullctx(active) if active is not None and not parent_run_id
               else tracking.run(run_name, parent_run_id=parent_run_id, tags=tags))
        with ctx as r:
            if active is not None and not parent_run_id:
                tracking.set_tags(tags)
            tracking.log_params({"eval": {**configlib.to_dict(opts), **params}, **rec_info})
            tracking.log_metrics({k: v for k, v in agg.items() if np.isfinite(v)})
            tracking.log_artifact(out_dir, "evaluation")
            run_id = r.info.run_id
    summary["run_id"] = run_id
    return summary


def _active_run():
    import sys

    if "mlflow" not in sys.modules:
        return None
    return sys.modules["mlflow"].active_run()


class _nullctx:
    def __init__(self, r):
        self.r = r

    def __enter__(self):
        return self.r

    def __exit__(self, *a):
        return False


def evaluate_checkpoint(workdir: str | Path, datasets: Sequence[str] | None = None,
                        modes: Sequence[str] | None = None, *, parent_run_id: str | None = None,
                        log: bool = True, progress: bool = True, loaded=None, derender=None,
                        **kw) -> dict[str, Any]:
    """Evaluate a trained checkpoint (``workdir`` of ``inkrepro train``); see module docstring.

    ``kw``: any :class:`EvalOptions` field. ``loaded``: an already loaded (model, vocab, cfg);
    ``derender``: a ready ``(images, prompts, allow_text) -> strings`` (tests, other models).
    Returns {"metrics": flat dict, "per_sample": path, "galleries", "recognizer_version",
    "run_id", "notes", ...}.
    """
    if datasets is not None:
        kw["datasets"] = names(datasets)
    if modes is not None:
        kw["modes"] = tuple(modes_mod.canonical(m) for m in names(modes))
    opts = options(**kw)
    progress = progress and os.environ.get("INKREPRO_NO_PROGRESS") != "1"
    t0 = time.perf_counter()
    try:
        from inkrepro.train import enable_compilation_cache, load_for_inference
    except ImportError as e:
        raise UserError(f"inkrepro.train is not available ({e})") from None
    enable_compilation_cache()
    if loaded is None:
        loaded = load_for_inference(workdir)
    model, vocab, cfg = loaded
    data_cfg = cfg.data
    datasets = opts.datasets or tuple(data_cfg.ink_sources) + tuple(data_cfg.ocr_sources)
    notes: list[str] = []
    recognizer = _recognizer(opts, parent_run_id)
    use_tess = _tesseract_enabled(opts, notes)
    fn = derender or derender_fn(model, vocab, data_cfg, opts)
    samples: list[Sample] = []
    for ds in datasets:
        samples += dataset_samples(data_cfg, ds, opts)
    if not samples:
        raise UserError(f"no evaluation examples in datasets {list(datasets)} (split {opts.split})")
    outputs = run_samples(samples, fn, opts, recognizer=recognizer, notes=notes, progress=progress)
    rows = score(samples, outputs, recognizer=recognizer, opts=opts, use_tesseract=use_tess,
                 progress=progress)
    out_dir = Path(opts.out_dir) if opts.out_dir else Path(workdir) / "eval" / time.strftime("%Y%m%d-%H%M%S")
    params = {"checkpoint": str(workdir), "datasets": list(datasets), "num_samples": len(samples),
              "profile": getattr(cfg, "profile", ""), "decode_seconds": time.perf_counter() - t0}
    return _finish(samples, outputs, rows, opts, out_dir, recognizer=recognizer, notes=notes,
                   params=params, run_name=f"evaluate-{Path(workdir).name}", parent_run_id=parent_run_id,
                   image_size=data_cfg.image_size, log=log,
                   extra_tags={"profile": getattr(cfg, "profile", "")})


def profile_options(profile: str, options: dict[str, Any] | None, *, seed: int) -> dict[str, Any]:
    """A sweep's evaluation options with the profile's defaults filled in (``smoke``: a few
    examples and a recognizer that is not meant to read)."""
    opts = dict(options or {})
    opts.setdefault("seed", seed)
    opts.setdefault("recognizer_profile", "smoke" if profile == "smoke" else "laptop")
    if profile == "smoke":
        opts.setdefault("max_recognizer_cer", 10.0)
        opts.setdefault("n", 4)
        opts.setdefault("bootstrap", 100)
        opts.setdefault("gallery_n", 2)
    return opts


def evaluate_step(*, profile: str, seed: int, workdir: str, options: dict[str, Any],
                  parent_run_id: str | None = None) -> dict[str, Any]:
    """The sweep's evaluate step (``steps:`` ``inkrepro.evaluate.runner:evaluate_step``)."""
    opts = profile_options(profile, options, seed=seed)
    res = evaluate_checkpoint(workdir, parent_run_id=parent_run_id, **opts)
    return {"metrics": res["metrics"], "run_id": res["run_id"],
            "recognizer_version": res["recognizer_version"], "per_sample": res["per_sample"],
            "notes": res["notes"]}


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
        from inkrepro.ink import inkml

        for f in sorted(p.rglob("*.inkml")):
            try:
                doc = inkml.read_inkml(f)
            except inkml.InkmlError as e:
                raise UserError(f"reference {e}") from None
            key = doc.annotations.get("exampleId") or f.stem
            out[key] = (doc.annotations.get("textField", ""), doc.ink)
        return out
    from inkrepro.data.store import Store, read_examples

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
    from tqdm.auto import tqdm

    from inkrepro.errors import InkError
    from inkrepro.ink import inkml

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
    groups: dict[str, list[tuple[Sample, modes_mod.ModeOutput]]] = {}
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
        mode = "vanilla" if mode == "vanilla" else mode
        ex_id = doc.annotations.get("exampleId") or f.stem
        ref_text, ref_ink = refs.get(ex_id, (None, None))
        label = ref_text if ref_text is not None else doc.annotations.get("textField", "")
        ds = safe_label(doc.annotations.get("sourceDataset") or f.parent.parent.name, "inkml")
        ink = doc.ink.cleaned()
        s = Sample(f"{ex_id}", ds, label, None, ref_ink, {"file": str(f.relative_to(root))})
        o = modes_mod.ModeOutput(mode, "", "", ink, text_out=doc.annotations.get("textField", "")
                                 if mode == "recognize_and_derender" else "")
        groups.setdefault(mode, []).append((s, o))
    if not groups:
        raise UserError(f"no InkML file under {root} could be read: {bad} of {len(files)} skipped; "
                        f"first: {first_bad}")
    if bad:
        notes.append(f"skipped {bad} unreadable InkML files")
    recognizer = _recognizer(opts, parent_run_id)
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
                   notes=notes, params=params, run_name=f"evaluate-inkml-{root.name}",
                   parent_run_id=parent_run_id, image_size=None, log=log)
