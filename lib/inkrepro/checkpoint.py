"""Checkpoints of a training workdir (Orbax) and JAX's persistent compilation cache.

A workdir (``inkrepro train --workdir W``) holds ``config.json``, ``vocab/`` and
``checkpoints/<step>/`` with four items: ``params``, ``train_state`` (optimiser state, step,
RNG), ``data`` (the Grain iterator state) and ``meta`` (step and last metrics).
The trainer saves and restores all four (:func:`save`, :func:`restore_latest_good`);
inference reads ``params`` only (:func:`load_for_inference`), so evaluation never imports the
training loop.

Checksums: once Orbax has finished a step, the SHA-256 of every file in its folder is written to
``checksums/<step>.json`` (:func:`finish`, also called at the start of every save). Restoring
verifies it; a step whose files differ (or that Orbax cannot read) is reported in one line,
moved to ``corrupt/<step>-<time>/`` (nothing is deleted) and the previous good step is used. A
step without a manifest (an older run, or a kill between Orbax's commit and the manifest) is
restored unverified, and says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jax
import orbax.checkpoint as ocp
from flax import nnx

from inkrepro import config as config_mod
from inkrepro.data.config import cache_dir
from inkrepro.errors import UserError
from inkrepro.model import derenderer
from inkrepro.text import Vocabulary

ITEMS = ("params", "train_state", "data", "meta")
TRAIN_STATE = ("opt", "step", "rng")


def manager(workdir: str | Path, keep: int | None = None) -> ocp.CheckpointManager:
    """The workdir's checkpoint manager (``keep``: how many to keep; None: read only)."""
    opts = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True) if keep else None
    return ocp.CheckpointManager((Path(workdir) / "checkpoints").resolve(), options=opts,
                                 item_names=ITEMS)


def abstract(tree, shardings):
    """ShapeDtypeStructs of ``tree`` placed by ``shardings`` (what Orbax restores into)."""
    return jax.tree.map(lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), tree,
                        shardings)


def _step_dir(mgr: ocp.CheckpointManager, step: int) -> Path:
    return Path(mgr.directory) / str(step)


def _sums_dir(mgr: ocp.CheckpointManager) -> Path:
    return Path(mgr.directory).parent / "checksums"


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> hex digest)."""
    out = {}
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out[str(f.relative_to(folder))] = h.hexdigest()
    return out


def finish(mgr: ocp.CheckpointManager) -> None:
    """Wait for Orbax's pending save, then write the checksum manifest of every finished step
    that lacks one (and drop manifests of steps Orbax has removed)."""
    mgr.wait_until_finished()
    d = _sums_dir(mgr)
    d.mkdir(parents=True, exist_ok=True)
    steps = set(mgr.all_steps(read=True))
    for step in steps:
        m = d / f"{step}.json"
        if not m.exists():
            tmp = m.with_suffix(".tmp")
            tmp.write_text(json.dumps(checksums(_step_dir(mgr, step)), indent=0))
            tmp.replace(m)
    for m in d.glob("*.json"):
        if m.stem.isdigit() and int(m.stem) not in steps:
            m.unlink()


def verify(mgr: ocp.CheckpointManager, step: int) -> str | None:
    """None if step's files match its manifest (or it has none: "unverified" is logged by the
    caller); else what differs, in a few words."""
    m = _sums_dir(mgr) / f"{step}.json"
    if not m.exists():
        return None
    want = json.loads(m.read_text())
    have = checksums(_step_dir(mgr, step))
    bad = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))
    return f"{len(bad)} file(s) differ from the checksums, e.g. {bad[0]}" if bad else None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Orbax reports a failed read through asyncio and absl loggers (dozens of traceback lines);
    the caller reports it in one line instead."""
    names = ("asyncio", "absl", "orbax", "jax._src.distributed")
    old = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for n, lvl in old.items():
            logging.getLogger(n).setLevel(lvl)


def restore_latest_good(mgr: ocp.CheckpointManager, abstract_state: dict, workdir: Path,
                        log: Callable[[str], None] = print) -> tuple[int, dict, Any, dict] | None:
    """-> (step, state, data-iterator state, meta) of the newest step that verifies and
    restores, or None when there is no step. Each bad step is reported in one line and moved
    to ``<workdir>/corrupt/``; a UserError when every step is bad."""
    steps = sorted(mgr.all_steps(read=True), reverse=True)
    for i, step in enumerate(steps):
        where = _step_dir(mgr, step)
        problem = verify(mgr, step)
        if problem is None:
            try:
                state, data_state, meta = restore(mgr, step, abstract_state)
                if not (_sums_dir(mgr) / f"{step}.json").exists():
                    log(f"checkpoint {where}: no checksum manifest (older or interrupted save); "
                        "restored unverified")
                return step, state, data_state, meta
            except Exception as e:  # noqa: BLE001 - unreadable or incompatible: the next one
                problem = f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
        dest = Path(workdir) / "corrupt" / f"{step}-{time.strftime('%Y%m%d-%H%M%S')}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(where), str(dest))
        (_sums_dir(mgr) / f"{step}.json").unlink(missing_ok=True)
        mgr.reload()
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        log(f"checkpoint {where} is corrupt ({problem}); moved to {dest}; "
            + (f"using the previous good step {nxt}" if nxt is not None else "no older step left"))
    if steps:
        raise UserError(f"every checkpoint in {mgr.directory} is corrupt (moved to "
                        f"{Path(workdir) / 'corrupt'}); delete the workdir to train from scratch")
    return None


def save(mgr: ocp.CheckpointManager, step: int, state: dict, data_state: Any,
         metrics: dict[str, float]) -> None:
    """Save ``step`` (asynchronously; :func:`finish` writes its checksums once it lands)."""
    finish(mgr)
    mgr.save(step, args=ocp.args.Composite(
        params=ocp.args.StandardSave(state["params"]),
        train_state=ocp.args.StandardSave({k: state[k] for k in TRAIN_STATE}),
        data=ocp.args.JsonSave(data_state),
        meta=ocp.args.JsonSave({"step": step, "metrics": metrics})))


def restore(mgr: ocp.CheckpointManager, step: int, abstract_state: dict) -> tuple[dict, Any, dict]:
    """-> (state, data-iterator state, meta) of checkpoint ``step`` (Orbax's errors raised,
    its asyncio/absl logging silenced; :func:`restore_latest_good` reports them)."""
    with _quiet():
        r = mgr.restore(step, args=ocp.args.Composite(
            params=ocp.args.StandardRestore(abstract_state["params"]),
            train_state=ocp.args.StandardRestore({k: abstract_state[k] for k in TRAIN_STATE}),
            data=ocp.args.JsonRestore(), meta=ocp.args.JsonRestore()))
    return {"params": r["params"], **r["train_state"]}, r["data"], r["meta"]


def restore_meta(mgr: ocp.CheckpointManager, step: int) -> dict:
    return mgr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]


def load_config(workdir: str | Path) -> config_mod.ExperimentConfig:
    p = Path(workdir) / "config.json"
    if not p.is_file():
        raise UserError(f"{workdir} is not a training workdir (no config.json); train first")
    return config_mod.from_dict(json.loads(p.read_text()), validate=False)


def steps(workdir: str | Path) -> list[int]:
    """The saved checkpoint steps of a training workdir, ascending."""
    mgr = manager(workdir)
    try:
        return sorted(int(s) for s in mgr.all_steps())
    finally:
        mgr.close()


def load_for_inference(workdir: str | Path, step: int | None = None):
    """-> (model with the latest (or ``step``) checkpoint's parameters, vocab, cfg)."""
    workdir = Path(workdir)
    cfg = load_config(workdir)
    vocab = Vocabulary.load(workdir / "vocab")
    mgr = manager(workdir)
    step = mgr.latest_step() if step is None else step
    if step is None:
        raise UserError(f"no checkpoint in {workdir / 'checkpoints'}; the run has not saved one yet")
    model = derenderer.abstract(cfg.model, image_size=cfg.data.image_size, vocab_size=vocab.size)
    graphdef, ab_params, rest = nnx.split(model, nnx.Param, ...)
    sh = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    problem = verify(mgr, step)
    if problem:
        raise UserError(f"checkpoint {workdir / 'checkpoints'}/{step} is corrupt ({problem}); "
                        "resume training to fall back to the previous good step")
    try:
        with _quiet():
            r = mgr.restore(step, args=ocp.args.Composite(params=ocp.args.StandardRestore(
                abstract(ab_params, jax.tree.map(lambda _: sh, ab_params)))))
    except Exception as e:  # noqa: BLE001 - corrupt or incompatible checkpoint
        raise UserError(f"cannot read checkpoint {workdir / 'checkpoints'}/{step} "
                        f"({type(e).__name__}: {str(e)[:200]})") from None
    mgr.close()
    return nnx.merge(graphdef, r["params"], rest), vocab, cfg


def enable_compilation_cache() -> str:
    """Turn on JAX's persistent compilation cache (``$INKREPRO_JAX_CACHE``, default
    ``<INKREPRO_CACHE>/jax``; ``0`` turns it off). Sweep arms that share shapes, and the
    evaluation of every arm, then reuse compiled programs across processes; results are
    bit-identical (only compilation is cached)."""
    d = os.environ.get("INKREPRO_JAX_CACHE", "")
    if d == "0":
        return ""
    d = d or str(cache_dir() / "jax")
    if jax.config.jax_compilation_cache_dir != d:
        jax.config.update("jax_compilation_cache_dir", d)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return d
