"""Checkpoints of a training workdir (Orbax) and JAX's persistent compilation cache.

A workdir (``inkrepro train --workdir W``) holds ``config.json``, ``vocab/`` and
``checkpoints/<step>/`` with four items: ``params``, ``train_state`` (optimiser state, step,
RNG), ``data`` (the Grain iterator state, one ``process_<i>-of-<n>.json`` per process, written
by Grain's own Orbax handler) and ``meta`` (step and last metrics).
When the process count changed since the save, the per-process data states do not match:
:func:`restore_data` says so (None) and the trainer repositions the data from the step.
The trainer saves and restores all four (:func:`save`, :func:`restore`); inference reads
``params`` only (:func:`load_for_inference`), so evaluation never imports the training loop.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import grain
import jax
import orbax.checkpoint as ocp
from flax import nnx

from inkrepro import config as config_mod
from inkrepro import storage
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


def save(mgr: ocp.CheckpointManager, step: int, state: dict, data_state: Any,
         metrics: dict[str, float], force: bool = False) -> None:
    """Save ``step`` on every process (arrays: each its shards; ``data_state``: each its own
    file). ``force``: also when the manager's interval would skip it (preemption)."""
    mgr.save(step, force=force, args=ocp.args.Composite(
        params=ocp.args.StandardSave(state["params"]),
        train_state=ocp.args.StandardSave({k: state[k] for k in TRAIN_STATE}),
        data=grain.checkpoint.CheckpointSave(_StateSnapshot(data_state)),
        meta=ocp.args.JsonSave({"step": step, "metrics": metrics})))


def restore(mgr: ocp.CheckpointManager, step: int, abstract_state: dict, where: Any
            ) -> tuple[dict, dict]:
    """-> (state, meta) of checkpoint ``step``; a UserError saying what to do when it cannot
    be read. The data iterator: :func:`restore_data`."""
    try:
        r = mgr.restore(step, args=ocp.args.Composite(
            params=ocp.args.StandardRestore(abstract_state["params"]),
            train_state=ocp.args.StandardRestore({k: abstract_state[k] for k in TRAIN_STATE}),
            meta=ocp.args.JsonRestore()))
    except Exception as e:  # noqa: BLE001 - corrupt / incompatible checkpoint
        raise UserError(f"cannot restore checkpoint {where}/checkpoints/{step} ({type(e).__name__}: "
                        f"{str(e)[:200]}); delete that step folder to fall back to an older one") from None
    return {"params": r["params"], **r["train_state"]}, r["meta"]


def restore_data(mgr: ocp.CheckpointManager, step: int, data_it) -> str | None:
    """Set ``data_it`` to this process's saved state of ``step``; -> None when done, else why
    it could not (no file for this process and process count: the count changed since the
    save, or the checkpoint predates per-process states). The caller repositions the data."""
    d = mgr.directory / str(step) / "data"
    name = f"process_{jax.process_index()}-of-{jax.process_count()}.json"
    if not (d / name).exists():
        saved = sorted(p.name for p in d.iterdir()) if d.exists() else []
        return f"no {name} in {d} (saved: {', '.join(saved) or 'none'})"
    mgr.restore(step, args=ocp.args.Composite(data=grain.checkpoint.CheckpointRestore(data_it)))
    return None


def restore_meta(mgr: ocp.CheckpointManager, step: int) -> dict:
    return mgr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]


def load_config(workdir: str | Path) -> config_mod.ExperimentConfig:
    p = storage.path(workdir) / "config.json"
    if not p.is_file():
        raise UserError(f"{workdir} is not a training workdir (no config.json); train first")
    return config_mod.from_dict(json.loads(p.read_text()), check=False)


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
    try:
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
