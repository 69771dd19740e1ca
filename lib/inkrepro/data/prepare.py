"""Convert a real dataset into the prepared shard store, and verify a dataset against the paper.

``prepare`` reads a dataset with its reader and writes Parquet shards (``<split>-NNNNN``, at most
``shard_size`` examples each; images PNG-encoded, ink as arrays, texts, ids, splits) through
:class:`inkrepro.data.store.Store`. Shards are written atomically and the reader's order is
deterministic, so a killed run resumes: shards already on disk are not written again. The
store's ``store.json`` holds the source's licence and citation, the options and the report
(examples per split, skipped records by reason, filtered records by reason).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tqdm import tqdm

from inkrepro.data import readers
from inkrepro.data.paper_mixture import PAPER_EVAL_SIZES
from inkrepro.data.store import Store
from inkrepro.errors import UserError

PREPARE_VERSION = 2  # 2: readers take the publishers' real layouts (issue 14); older stores are stale


def default_out(name: str) -> Path:
    """Where the training pipeline looks by default (DataConfig.prepared_root empty):
    ``$INKREPRO_CACHE/prepared/<name>``, ``runs/cache/prepared/<name>`` without the variable."""
    return Path(os.environ.get("INKREPRO_CACHE", "runs/cache")).expanduser().resolve() / "prepared" / name


def _no_bar(progress: bool | None) -> bool | None:
    """tqdm's disable: explicit choice, else off with INKREPRO_NO_PROGRESS=1, else auto (TTY)."""
    if progress is not None:
        return not progress
    return True if os.environ.get("INKREPRO_NO_PROGRESS") == "1" else None


def _options_key(name: str, options: dict[str, Any], shard_size: int, split: str | None) -> str:
    blob = json.dumps({"name": name, "options": options, "shard_size": shard_size, "split": split,
                       "version": PREPARE_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def require_examples(records, split: str | None = None) -> None:
    """An empty result is an error: raise a UserError saying why nothing was read (the top skip
    and filter reasons, each with the first record it hit) or, when nothing was even found,
    the layout the reader expects."""
    if sum(records.counts.values()):
        return
    src, rep = records.source, records.report()
    what = f"split {split!r} of " if split else ""
    lines = [f"{src.name}: no example read from {what}{records.root}."]
    skipped, filtered, first = rep["skipped"], rep["filtered"], rep["first_bad"]
    if skipped:
        lines.append(f"Skipped {sum(skipped.values())} bad record(s); top reasons:")
        for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1])[:3]:
            lines.append(f"  {n} {reason} (e.g. {first.get(reason, '?')})")
    if filtered:
        lines.append("Filtered: " + ", ".join(f"{n} {r}" for r, n in sorted(filtered.items(), key=lambda kv: -kv[1])))
    if not skipped and not filtered:
        lines.append(f"No record found in the expected layout:\n{src.layout}")
    if split:
        lines.append("Other splits may hold examples: run without --split to see them.")
    raise UserError("\n".join(lines))


def prepare(name: str, root: str | Path, out: str | Path | None = None, *, strict: bool = False,
            shard_size: int = 1000, force: bool = False, progress: bool | None = None,
            options: dict[str, Any] | None = None, split: str | None = None) -> dict[str, Any]:
    options = dict(options or {})
    mod = readers.get(name)
    out = Path(out) if out else default_out(name)
    store = Store(out)
    key = _options_key(name, options, shard_size, split)
    meta = store.read_meta()
    if meta and meta.get("prepare_key") != key:
        if not force:
            raise UserError(f"{out} holds a different preparation ({meta.get('source')}, other "
                            "options); use another --out or --force to replace it")
    if force and out.exists():
        shutil.rmtree(out / "shards", ignore_errors=True)
        (out / "store.json").unlink(missing_ok=True)
        meta = {}
    if meta.get("complete"):
        return {**meta["report"], "already_prepared": True}

    records = mod.read(root, split=split, strict=strict, **options)
    src = mod.SOURCE
    store.write_meta({"source": src.name, "licence": src.licence, "citation": src.citation,
                      "url": src.url, "options": options, "prepare_key": key, "complete": False})
    buffers: dict[str, list] = {}
    shard_idx: Counter[str] = Counter()
    written = reused = 0
    t0 = time.perf_counter()

    def flush(split: str) -> None:
        nonlocal written, reused
        buf = buffers.pop(split, [])
        if not buf:
            return
        shard = f"{split}-{shard_idx[split]:05d}"
        shard_idx[split] += 1
        if store.has_shard(shard):
            reused += 1
        else:
            store.write_shard(shard, buf)
            written += 1

    n = 0
    for ex in tqdm(records, desc=f"prepare {name}", unit="rec", leave=False, disable=_no_bar(progress)):
        buffers.setdefault(ex.split, []).append(ex)
        n += 1
        if len(buffers[ex.split]) >= shard_size:
            flush(ex.split)
    for split in list(buffers):
        flush(split)
    if n == 0:
        if not store.shards():
            (out / "store.json").unlink(missing_ok=True)  # nothing was prepared: leave no trace
        require_examples(records, split)
    elapsed = time.perf_counter() - t0
    report = {**records.report(), "examples": n, "shards_written": written, "shards_reused": reused,
              "seconds": round(elapsed, 3), "records_per_s": round(n / elapsed, 2) if elapsed > 0 else None,
              "out": str(out)}
    store.write_meta({"source": src.name, "licence": src.licence, "citation": src.citation,
                      "url": src.url, "options": options, "prepare_key": key, "complete": True,
                      "report": report})
    return report


def verify(name: str, root: str | Path, *, options: dict[str, Any] | None = None,
           progress: bool | None = None, split: str | None = None) -> dict[str, Any]:
    """Counts per split, skips and drops by reason, and the difference to the paper's sizes."""
    mod = readers.get(name)
    records = mod.read(root, split=split, **(options or {}))
    for _ in tqdm(records, desc=f"verify {name}", unit="rec", leave=False, disable=_no_bar(progress)):
        pass
    require_examples(records, split)
    report = records.report()
    if name in PAPER_EVAL_SIZES and split in (None, PAPER_EVAL_SIZES[name][0]):
        eval_split, paper_n, label = PAPER_EVAL_SIZES[name]
        ours = report["counts"].get(eval_split, 0)
        report["paper"] = {"split": eval_split, "paper": paper_n, "ours": ours, "difference": ours - paper_n,
                           "label": label}
    if hasattr(mod, "inventory"):
        report["inventory"] = mod.inventory(Path(root))
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{report['source']} at {report['root']}"]
    counts = report.get("counts", {})
    paper = report.get("paper") or {}
    lines.append("examples per split (ours | paper):")
    for split in sorted(set(counts) | ({paper["split"]} if paper else set())):
        n = counts.get(split, 0)
        if paper.get("split") == split:
            theirs = f"{paper['paper']}  {paper['label']} (difference {paper['difference']:+d})"
        else:
            theirs = "-  (the paper publishes no size for this split)"
        lines.append(f"  {split:<12} {n:>8} | {theirs}")
    for title, key in (("skipped (bad records)", "skipped"), ("filtered (by configured filters)", "filtered")):
        d = report.get(key) or {}
        if d:
            lines.append(f"{title}:")
            first = report.get("first_bad", {}) if key == "skipped" else {}
            for reason, c in sorted(d.items(), key=lambda kv: -kv[1]):
                lines.append(f"  {c:8d}  {reason}" + (f"  (first: {first[reason]})" if reason in first else ""))
        else:
            lines.append(f"{title}: none")
    inv = report.get("inventory")
    if inv:
        exp = inv.get("expected", {})

        def vs(n, key):
            e = exp.get(key)
            return f"{n}" if e is None else f"{n} (release: {e}, difference {n - e:+d})"

        lines.append("images per dataset:")
        for k, v in inv["images"].items():
            lines.append(f"  {k}: {vs(v, 'images_per_dataset')}")
        lines.append("InkML files per model and mode:")
        for k, v in inv["inkml"].items():
            lines.append(f"  {k}: {vs(v, 'inkml_per_folder')}")
        ht = inv.get("human_tracings")
        lines.append(f"human tracings: {'absent' if ht is None else vs(ht, 'human_tracings')}")
    if "shards_written" in report:
        lines.append(f"shards: {report['shards_written']} written, {report['shards_reused']} already "
                     f"there; {report['examples']} examples in {report['seconds']} s -> {report['out']}")
    if report.get("already_prepared"):
        lines.append("(already prepared: nothing to do; --force to redo)")
    return "\n".join(lines)
