"""Checkpoints of a training workdir (Orbax) and JAX's persistent compilation cache.

A workdir (``inkrepro train --workdir W``) holds ``config.json``, ``vocab/`` and
``checkpoints/<step>/`` with four items: ``params``, ``train_state`` (optimiser state, step,
RNG), ``data`` (the Grain iterator state, one ``process_<i>-of-<n>.json`` per process, written
by Grain's own Orbax handler) and ``meta`` (step and last metrics). The workdir may be a bucket
(``storage.path``: etils epath, as Orbax). The trainer saves and restores all four
(:func:`save`, :func:`restore_latest_good`); inference reads ``params`` only
(:func:`load_for_inference`), so evaluation never imports the training loop.

Checksums: once Orbax has finished a step, the SHA-256 of every file in its folder is written to
``checksums/<step>.json`` (:func:`finish`, also called at the start of every save). Restoring
verifies it; a step whose files differ (or that Orbax cannot read) is reported in one line,
moved to ``corrupt/<step>-<time>/`` (nothing is deleted) and the previous good step is used. A
step without a manifest (an older run, or a kill between Orbax's commit and the manifest) is
restored unverified, and says so.

Many processes: every process saves its array shards and its own data state; process 0 alone
writes and checks the manifests (it reads every file once) and moves a bad step aside; the
processes agree on each verdict (``cluster.agree``), so all restore the same step. When the
process count changed since the save, the per-process data states do not match: the restore
says so and the trainer repositions the data from the step.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grain
import jax
import orbax.checkpoint as ocp
from etils import epath
from flax import nnx

from inkrepro import cluster, storage
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
    return ocp.CheckpointManager(storage.path(workdir) / "checkpoints", options=opts,
                                 item_names=ITEMS)


def abstract(tree, shardings):
    """ShapeDtypeStructs of ``tree`` placed by ``shardings`` (what Orbax restores into)."""
    return jax.tree.map(lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), tree,
                        shardings)


class _StateSnapshot:
    """The data iterator's state taken now (Orbax may write items after the loop moved on)."""

    def __init__(self, state: Any):
        self._json = json.dumps(state).encode()

    def get_state(self) -> bytes:
        return self._json


def _step_dir(mgr: ocp.CheckpointManager, step: int) -> epath.Path:
    return epath.Path(mgr.directory) / str(step)


def _sums_dir(mgr: ocp.CheckpointManager) -> epath.Path:
    return epath.Path(mgr.directory).parent / "checksums"


def checksums(folder: epath.Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> hex digest)."""
    files = sorted(root / name for root, _, names in epath.Path(folder).walk() for name in names)
    out = {}
    for f in files:
        h = hashlib.sha256()
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out[str(f.relative_to(folder))] = h.hexdigest()
    return out


def finish(mgr: ocp.CheckpointManager) -> None:
    """Wait for Orbax's pending save, then (process 0) write the checksum manifest of every
    finished step that lacks one (and drop manifests of steps Orbax has removed)."""
    mgr.wait_until_finished()
    if not cluster.is_primary():
        return
    d = _sums_dir(mgr)
    d.mkdir(parents=True, exist_ok=True)
    steps = set(mgr.all_steps(read=True))
    for step in steps:
        m = d / f"{step}.json"
        if not m.exists():
            storage.write_text(m, json.dumps(checksums(_step_dir(mgr, step)), indent=0))
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


def restore_latest_good(mgr: ocp.CheckpointManager, abstract_state: dict, workdir, data_it,
                        log: Callable[[str], None] = print
                        ) -> tuple[int, dict, dict, str | None] | None:
    """-> (step, state, meta, data problem) of the newest step that verifies and restores, or
    None when there is no step; ``data_it`` is set to this process's saved state of that step
    (see :func:`restore` for the data problem). Each bad step is reported in one line and moved
    to ``<workdir>/corrupt/``; a UserError when every step is bad."""
    primary = cluster.is_primary()
    steps = sorted(mgr.all_steps(read=True), reverse=True)
    for i, step in enumerate(steps):
        where = _step_dir(mgr, step)
        unverified = not (_sums_dir(mgr) / f"{step}.json").exists()
        # process 0 reads every file once; the others take its verdict
        problem = cluster.agree((verify(mgr, step) or "") if primary else "")[0] or None
        if problem is None:
            try:
                state, meta, data_problem = restore(mgr, step, abstract_state, data_it)
            except Exception as e:  # noqa: BLE001 - unreadable or incompatible: the next one
                problem = f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
            # every process restored this step, or none uses it
            problem = next((p for p in cluster.agree(problem or "") if p), None)
            if problem is None:
                if unverified and primary:
                    log(f"checkpoint {where}: no checksum manifest (older or interrupted save); "
                        "restored unverified")
                return step, state, meta, data_problem
        dest = storage.path(workdir) / "corrupt" / f"{step}-{time.strftime('%Y%m%d-%H%M%S')}"
        if primary:
            dest.parent.mkdir(parents=True, exist_ok=True)
            where.rename(dest)
            (_sums_dir(mgr) / f"{step}.json").unlink(missing_ok=True)
            nxt = steps[i + 1] if i + 1 < len(steps) else None
            log(f"checkpoint {where} is corrupt ({problem}); moved to {dest}; "
                + (f"using the previous good step {nxt}" if nxt is not None else "no older step left"))
        cluster.barrier(f"moved_{step}")
        mgr.reload()
    if steps:
        raise UserError(f"every checkpoint in {mgr.directory} is corrupt (moved to "
                        f"{storage.path(workdir) / 'corrupt'}); delete the workdir to train from scratch")
    return None


def save(mgr: ocp.CheckpointManager, step: int, state: dict, data_state: Any,
         metrics: dict[str, float], force: bool = False) -> None:
    """Save ``step`` on every process (arrays: each its shards; ``data_state``: each its own
    file), asynchronously: :func:`finish` writes its checksums once it lands. ``force``: also
    when the manager's interval would skip it (preemption)."""
    finish(mgr)
    if cluster.is_primary():  # a manifest left by an earlier save of this step (its folder deleted)
        (_sums_dir(mgr) / f"{step}.json").unlink(missing_ok=True)
    mgr.save(step, force=force, args=ocp.args.Composite(
        params=ocp.args.StandardSave(state["params"]),
        train_state=ocp.args.StandardSave({k: state[k] for k in TRAIN_STATE}),
        data=grain.checkpoint.CheckpointSave(_StateSnapshot(data_state)),
        meta=ocp.args.JsonSave({"step": step, "metrics": metrics})))


def restore(mgr: ocp.CheckpointManager, step: int, abstract_state: dict, data_it
            ) -> tuple[dict, dict, str | None]:
    """-> (state, meta, data problem) of checkpoint ``step`` (Orbax's errors raised, its
    asyncio/absl logging silenced; :func:`restore_latest_good` reports them). ``data_it`` is set
    to this process's saved state; when the step has none for this process and process count
    (the count changed since the save, or the checkpoint predates per-process states) it is left
    as it is and the data problem says why: the caller repositions the data from the step."""
    d = _step_dir(mgr, step) / "data"
    name = f"process_{jax.process_index()}-of-{jax.process_count()}.json"
    items = {"params": ocp.args.StandardRestore(abstract_state["params"]),
             "train_state": ocp.args.StandardRestore({k: abstract_state[k] for k in TRAIN_STATE}),
             "meta": ocp.args.JsonRestore()}
    data_problem = None
    if (d / name).exists():
        items["data"] = grain.checkpoint.CheckpointRestore(data_it)
    else:
        saved = sorted(p.name for p in d.iterdir()) if d.exists() else []
        data_problem = f"no {name} in {d} (saved: {', '.join(saved) or 'none'})"
    with _quiet():
        r = mgr.restore(step, args=ocp.args.Composite(**items))
    return {"params": r["params"], **r["train_state"]}, r["meta"], data_problem


def restore_meta(mgr: ocp.CheckpointManager, step: int) -> dict:
    return mgr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]


def load_config(workdir: str | Path) -> config_mod.ExperimentConfig:
    p = storage.path(workdir) / "config.json"
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
    workdir = storage.path(workdir)
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
