"""Training, top to bottom: mesh, input, model, optimiser, checkpoint, loop.

    inkrepro train --profile laptop --workdir runs/work/laptop [-o train.steps=200 ...]
    res = train(config.profile("laptop"), "runs/work/laptop")   # -> metrics, checkpoint, run id

The workdir holds ``config.json``, ``vocab/``, ``checkpoints/<step>/`` (Orbax: params,
optimiser state + step + RNG, Grain iterator state; ``inkrepro.checkpoint``), ``metrics.jsonl``
and ``result.json`` (written once, at the end: the record of the finished training).
Rerunning with the same workdir resumes from the latest checkpoint; a run killed and
resumed ends with the same parameters and metrics as one never killed (on CPU).

Many processes (``inkrepro.cluster``: a TPU slice, a multi-node GPU job, or N local CPU
processes): each reads its own block of every global batch and writes its own data-iterator
state; only process 0 writes files, logs to MLflow and shows a progress bar. The global batches
do not depend on the process count, so N processes train exactly what one process with the
same devices would. Resumed with a different process count, the run restores the model and
optimiser and repositions the data from the step (logged). SIGTERM (preemption): the run saves
the agreed step and raises ``cluster.Preempted`` (``inkrepro train`` exits 143; rerun resumes).

A non-finite loss stops the run with a UserError naming the step window; checkpoints are only
written after every step since the previous one had a finite loss, so the last one is good.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
from tqdm.auto import tqdm

from inkrepro import checkpoint, cluster, configlib, storage, tasks, tracking
from inkrepro.data import pipeline
from inkrepro.errors import UserError
from inkrepro.ink.tokens import FRAME_MAX, Y_OFFSET
from inkrepro.model import derenderer
from inkrepro.text import Vocabulary


# ================================================================================ schedule
def lr_schedule(tc):
    """T5X ``linear_decay``: ``lr_peak * min(step / warmup, 1 + decay * (warmup - step))``,
    exactly (negative past ``warmup + 1/decay``) unless ``tc.lr_clamp_zero``."""

    def fn(step):
        s = jnp.asarray(step, jnp.float32)
        warm = s / tc.warmup_steps if tc.warmup_steps > 0 else jnp.float32(1.0)
        lr = tc.lr_peak * jnp.minimum(warm, 1.0 + tc.decay() * (tc.warmup_steps - s))
        return jnp.maximum(lr, 0.0) if tc.lr_clamp_zero else lr

    return fn


def make_optimizer(tc, params, freeze_vit: bool):
    """Adafactor as in the paper/T5X: no momentum (beta1 = 0), decay 0.8, factored second
    moments, update clipping 1.0, parameter-scaled updates. ``tc.optimizer="adam"`` (OUR
    CHOICE, for small models): Adam (0.9, 0.98) with global-norm clipping at
    ``clipping_threshold``, same schedule. Frozen ViT: zero updates."""
    if tc.optimizer == "adafactor":
        tx = optax.adafactor(learning_rate=lr_schedule(tc), decay_rate=tc.adafactor_decay,
                             momentum=None, factored=True, multiply_by_parameter_scale=True,
                             clipping_threshold=tc.clipping_threshold)
    elif tc.optimizer == "adam":
        tx = optax.chain(optax.clip_by_global_norm(tc.clipping_threshold),
                         optax.adam(lr_schedule(tc), b1=0.9, b2=0.98, eps=1e-9))
    else:
        raise UserError(f"train.optimizer must be 'adafactor' or 'adam', not {tc.optimizer!r}")
    if not freeze_vit:
        return tx
    labels = jax.tree_util.tree_map_with_path(
        lambda p, _: "frozen" if jax.tree_util.keystr(p).startswith("['vit']") else "train", params)
    return optax.multi_transform({"train": tx, "frozen": optax.set_to_zero()}, labels)


# ================================================================================ loss
def coordinate_soft_ce(logp_BxTxV, tgt_BxT, ink_offset: int, sigma: float):
    """Cross-entropy against Gaussian soft targets (std ``sigma`` in frame px) over the same
    axis's coordinate ids around each coordinate target; other targets stay one-hot."""
    k = tgt_BxT - ink_offset
    is_x, is_y = (k >= 0) & (k <= FRAME_MAX), (k >= Y_OFFSET) & (k <= Y_OFFSET + FRAME_MAX)
    base = jnp.where(is_y, Y_OFFSET, 0)
    r = int(np.ceil(3 * sigma))
    offs_O = jnp.arange(-r, r + 1)
    vals_BxTxO = (k - base)[..., None] + offs_O
    w_BxTxO = jnp.exp(-0.5 * (offs_O / sigma) ** 2) * ((vals_BxTxO >= 0) & (vals_BxTxO <= FRAME_MAX))
    w_BxTxO = w_BxTxO / jnp.maximum(w_BxTxO.sum(-1, keepdims=True), 1e-9)
    ids = ink_offset + base[..., None] + jnp.clip(vals_BxTxO, 0, FRAME_MAX)
    soft_BxT = -(w_BxTxO * jnp.take_along_axis(logp_BxTxV, ids, axis=-1)).sum(-1)
    hard_BxT = -jnp.take_along_axis(logp_BxTxV, tgt_BxT[..., None], axis=-1)[..., 0]
    return jnp.where(is_x | is_y, soft_BxT, hard_BxT), hard_BxT


def perturb_input_coordinates(tokens_BxT, key, ink_offset: int, std: float, p: float):
    """Decoder inputs with each coordinate id moved by round(N(0, std)) px along its own axis
    (clipped to 0..224) with probability ``p``; other ids unchanged."""
    k = tokens_BxT - ink_offset
    is_coord = (k >= 0) & (k <= Y_OFFSET + FRAME_MAX)
    base = jnp.where(k >= Y_OFFSET, Y_OFFSET, 0)
    k_shift, k_on = jax.random.split(key)
    shift = jnp.round(std * jax.random.normal(k_shift, tokens_BxT.shape)).astype(tokens_BxT.dtype)
    on = jax.random.bernoulli(k_on, p, tokens_BxT.shape) & is_coord
    moved = ink_offset + base + jnp.clip(k - base + shift, 0, FRAME_MAX)
    return jnp.where(on, moved, tokens_BxT)


def loss_and_metrics(logits_BxTxV, batch, num_tasks: int, ink_offset: int = -1,
                     coord_sigma: float = 0.0):
    """Masked softmax cross-entropy (mean over weighted target tokens) and per-task sums.
    ``coord_sigma > 0``: the loss uses coordinate soft targets; the sums stay one-hot CE."""
    tgt, w = batch["decoder_targets"], batch["loss_weights"]
    logp_BxTxV = jax.nn.log_softmax(logits_BxTxV.astype(jnp.float32), axis=-1)
    if coord_sigma > 0 and ink_offset >= 0:
        train_BxT, ce_BxT = coordinate_soft_ce(logp_BxTxV, tgt, ink_offset, coord_sigma)
    else:
        ce_BxT = -jnp.take_along_axis(logp_BxTxV, tgt[..., None], axis=-1)[..., 0]
        train_BxT = ce_BxT
    correct_BxT = (jnp.argmax(logits_BxTxV, -1) == tgt).astype(jnp.float32)
    onehot_BxK = jax.nn.one_hot(batch["task_id"], num_tasks, dtype=jnp.float32)
    sums = {"ce": (ce_BxT * w).sum(1) @ onehot_BxK, "correct": (correct_BxT * w).sum(1) @ onehot_BxK,
            "tokens": w.sum(1) @ onehot_BxK, "examples": onehot_BxK.sum(0)}
    loss = (train_BxT * w).sum() / jnp.maximum(w.sum(), 1.0)
    return loss, sums


def summarize(sums: dict, prefix: str) -> dict[str, float]:
    """Per-task and overall loss / token accuracy from accumulated sums (host numpy)."""
    tok = np.maximum(sums["tokens"], 1e-9)
    out = {f"{prefix}/loss": float(sums["ce"].sum() / max(sums["tokens"].sum(), 1e-9)),
           f"{prefix}/token_accuracy": float(sums["correct"].sum() / max(sums["tokens"].sum(), 1e-9))}
    for k, name in enumerate(tasks.TASK_NAMES):
        if sums["tokens"][k] > 0:
            out[f"{prefix}/{name}/loss"] = float(sums["ce"][k] / tok[k])
            out[f"{prefix}/{name}/token_accuracy"] = float(sums["correct"][k] / tok[k])
    return out


# ================================================================================ mesh
def make_mesh(tc):
    """A (data, fsdp) device mesh from the config (classic auto-sharded axes)."""
    n, f = jax.device_count(), max(1, tc.mesh_fsdp)
    d = tc.mesh_data if tc.mesh_data > 0 else n // f
    if d * f != n:
        raise UserError(f"mesh data={d} x fsdp={f} does not use the {n} devices; set "
                        "train.mesh_data / train.mesh_fsdp so that their product is the device count")
    auto = (jax.sharding.AxisType.Auto,) * 2
    return jax.make_mesh((d, f), ("data", "fsdp"), axis_types=auto)


def param_sharding(mesh, x):
    """FSDP rule: shard the largest dimension divisible by the fsdp size; else replicate."""
    f = mesh.shape["fsdp"]
    shape = getattr(x, "shape", ())
    spec = [None] * len(shape)
    if f > 1 and shape:
        dims = sorted(range(len(shape)), key=lambda i: -shape[i])
        for i in dims:
            if shape[i] % f == 0 and shape[i] >= f:
                spec[i] = "fsdp"
                break
    return NamedSharding(mesh, P(*spec))


def batch_sharding(mesh):
    return NamedSharding(mesh, P(("data", "fsdp")))


# ================================================================================ workdir
def _save_json(path, obj: Any) -> None:
    storage.write_text(path, json.dumps(obj, indent=1, sort_keys=True, default=str))


def _prepare_workdir(cfg, workdir) -> None:
    if cluster.is_primary():
        workdir.mkdir(parents=True, exist_ok=True)
    cpath = workdir / "config.json"
    d = configlib.to_dict(cfg)
    if cpath.exists():
        old = json.loads(cpath.read_text())
        if configlib.config_hash(old) != configlib.config_hash(d):
            diff = sorted(k for k, v in configlib.flatten(d).items()
                          if configlib.flatten(old).get(k, object()) != v)
            raise UserError(f"{workdir} holds a run with a different config (differs in: "
                            f"{', '.join(diff[:8]) or 'keys'}); use a new --workdir or delete it")
    elif cluster.is_primary():
        _save_json(cpath, d)


def _data_trace(workdir: Path):
    """Test hook: ``INKREPRO_DATA_TRACE=DIR`` makes each process append, per step, a digest of
    every example it read to ``DIR/data-<process>.jsonl`` (the multi-process test checks that
    the shards are disjoint and make up the one-process batches)."""
    d = os.environ.get("INKREPRO_DATA_TRACE")
    if not d:
        return lambda step, batch: None
    path = Path(d) / f"data-{jax.process_index()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)

    def trace(step: int, batch: dict) -> None:
        rows = [hashlib.sha1(np.ascontiguousarray(im).tobytes() + np.asarray(t).tobytes()).hexdigest()[:16]
                for im, t in zip(batch["image"], batch["decoder_targets"])]
        with path.open("a") as f:
            f.write(json.dumps({"step": step, "rows": rows}) + "\n")

    return trace


# ================================================================================ train
def train(cfg, workdir: str | Path, parent_run_id: str | None = None) -> dict[str, Any]:
    """Train (or resume) ``cfg`` in ``workdir``; returns {metrics, checkpoint, run_id, ...}
    (also written to ``workdir/result.json``, the one record of a finished training)."""
    t_start = time.perf_counter()
    cluster.initialize()
    primary = cluster.is_primary()
    checkpoint.enable_compilation_cache()
    workdir = storage.path(workdir)  # a local folder or a bucket (gs://...)
    tc, mc, dc = cfg.train, cfg.model, cfg.data
    try:
        _prepare_workdir(cfg, workdir)
    except OSError as e:  # read-only, full, not a folder, ...
        raise UserError(f"cannot write to the workdir {workdir}: {e.strerror or e}") from None
    num_tasks = len(tasks.TASK_NAMES)

    # ------------------------------------------------------------------ mesh
    mesh = make_mesh(tc)
    n_dev, n_proc = jax.device_count(), jax.process_count()
    if tc.batch_size % n_dev or tc.batch_size % n_proc:
        raise UserError(f"train.batch_size={tc.batch_size} must be divisible by the {n_dev} devices")
    b_sh = batch_sharding(mesh)
    replicated = NamedSharding(mesh, P())

    # ------------------------------------------------------------------ input
    vocab = pipeline.load_vocab(dc)
    if primary and not Vocabulary.exists(workdir / "vocab"):
        vocab.save(workdir / "vocab")
    local_bs = tc.batch_size // n_proc
    data_it = pipeline.make_train_iterator(dc, vocab, local_bs, seed=cfg.seed,
                                           shard_index=jax.process_index(), shard_count=n_proc)
    val_it = pipeline.make_train_iterator(dc, vocab, local_bs, seed=cfg.seed + 10_007, split="validation",
                                          shard_index=jax.process_index(), shard_count=n_proc)
    val_batches = [next(val_it) for _ in range(max(1, tc.eval_batches))]

    def to_global(batch):
        return {k: jax.make_array_from_process_local_data(b_sh, np.asarray(v)) for k, v in batch.items()}

    # ------------------------------------------------------------------ model
    model = derenderer.build(mc, image_size=dc.image_size, vocab_size=vocab.size, seed=cfg.seed)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    counts = derenderer.param_counts(model)
    del model
    dropout_on = mc.dropout > 0 or mc.vit_dropout > 0

    # ------------------------------------------------------------------ optimiser
    tx = make_optimizer(tc, params, mc.freeze_vit)
    schedule = lr_schedule(tc)

    def init_state(params):
        return {"params": params, "opt": tx.init(params), "step": jnp.zeros((), jnp.int32),
                "rng": jax.random.key_data(jax.random.key(cfg.seed))}

    shapes = jax.eval_shape(init_state, params)
    state_sh = jax.tree.map(lambda x: param_sharding(mesh, x), shapes)
    state_sh["step"], state_sh["rng"] = replicated, replicated

    def train_step(state, batch):
        key = jax.random.fold_in(jax.random.wrap_key_data(state["rng"]), state["step"])

        dec_in = batch["decoder_inputs"]
        if tc.input_coord_noise > 0:
            dec_in = perturb_input_coordinates(dec_in, jax.random.fold_in(key, 1_000_003), vocab.ink_offset,
                                               tc.input_coord_noise, tc.input_noise_p)

        def loss_fn(p):
            m = nnx.merge(graphdef, p, rest)
            logits = m(batch["image"], batch["encoder_tokens"], dec_in,
                       deterministic=not dropout_on, dropout_key=key)
            return loss_and_metrics(logits, batch, num_tasks, vocab.ink_offset, tc.coord_label_sigma)

        (loss, sums), grads = jax.value_and_grad(loss_fn, has_aux=True)(state["params"])
        updates, opt = tx.update(grads, state["opt"], state["params"])
        new = {"params": optax.apply_updates(state["params"], updates), "opt": opt,
               "step": state["step"] + 1, "rng": state["rng"]}
        return new, {**sums, "loss": loss, "grad_norm": optax.tree.norm(grads),
                     "lr": schedule(state["step"])}

    def eval_step(params, batch):
        m = nnx.merge(graphdef, params, rest)
        logits = m(batch["image"], batch["encoder_tokens"], batch["decoder_inputs"])
        return loss_and_metrics(logits, batch, num_tasks)[1]

    donate = (0,) if jax.default_backend() != "cpu" else ()
    p_train_step = jax.jit(train_step, in_shardings=(state_sh, b_sh), out_shardings=(state_sh, replicated),
                           donate_argnums=donate)
    p_eval_step = jax.jit(eval_step, in_shardings=(state_sh["params"], b_sh), out_shardings=replicated)

    # ------------------------------------------------------------------ checkpoint
    cluster.barrier("checkpoint_manager")  # Orbax's first collective (a device sync) follows
    mgr = checkpoint.manager(workdir, tc.keep_checkpoints)
    found = checkpoint.restore_latest_good(mgr, checkpoint.abstract(shapes, state_sh), workdir, data_it,
                                           log=lambda m: print(f"train: {m}", flush=True))
    data_note: dict[str, Any] = {}
    if found is None:
        state = jax.jit(init_state, out_shardings=state_sh)(params)
        start = 0
    else:
        _, state, meta, why = found
        start = int(meta["step"])
        if why:  # e.g. saved by 2 processes, restored by 4: same global batches from the step on
            pipeline.reposition(data_it, start)
            print(f"train: data iterator repositioned to step {start} ({why})", flush=True)
            data_note = {"data_repositioned_at": start, "data_reposition_reason": why}
    del params

    # ------------------------------------------------------------------ compile
    # Ahead of the loop (several processes then meet at a barrier: gloo gives up forming a new
    # device group after 30 s, and a loaded host compiles for longer than that).
    batch_abs = {k: jax.ShapeDtypeStruct((tc.batch_size, *v.shape[1:]), v.dtype, sharding=b_sh)
                 for k, v in val_batches[0].items()}
    p_train_step = p_train_step.lower(state, batch_abs).compile()
    p_eval_step = p_eval_step.lower(state["params"], batch_abs).compile()

    # ------------------------------------------------------------------ tracking
    metrics_path = workdir / "metrics.jsonl"
    # Training wall time (compilation and validation included) carried across resumes: the
    # x-axis of learning curves in minutes (``train/elapsed_s`` in every training log line).
    elapsed0 = 0.0
    logged_upto = 0  # steps already in MLflow (replayed after a resume: not logged twice)
    metric_lines: list[str] = []   # the whole file, rewritten at each log (buckets cannot append)
    if primary and metrics_path.exists():  # drop lines written after the resumed checkpoint
        lines = [json.loads(ln) for ln in metrics_path.read_text().splitlines() if ln]
        logged_upto = max((d["step"] for d in lines), default=0)
        keep = [d for d in lines if d["step"] <= start]
        metric_lines = [json.dumps(d) + "\n" for d in keep]
        storage.write_text(metrics_path, "".join(metric_lines))
        elapsed0 = max([d.get("train/elapsed_s", 0.0) for d in keep], default=0.0)
    run_id_path = workdir / "mlflow_run_id.txt"
    run_ctx = contextlib.nullcontext(None)
    track = tc.track and primary
    if track:  # a restarted (preempted) job continues its MLflow run
        launch = tracking.launch_tags()
        old_id = run_id_path.read_text().strip() if run_id_path.exists() else None
        if old_id is None and "launcher_task_id" in launch:
            old_id = tracking.find_run({"launcher_task_id": launch["launcher_task_id"],
                                        "inkrepro_kind": "train"})
        run_ctx = tracking.run(cfg.name, parent_run_id=parent_run_id, run_id=old_id, tags={
            "inkrepro_kind": "train", "profile": cfg.profile, "seed": cfg.seed, **launch,
            "config_hash": configlib.config_hash(cfg), "workdir": str(workdir)})

    def log(metrics: dict[str, float], step: int) -> None:
        if not primary:
            return
        metric_lines.append(json.dumps({"step": step, **metrics}) + "\n")
        storage.write_text(metrics_path, "".join(metric_lines))
        if track and step > logged_upto:
            tracking.log_metrics(metrics, step=step)

    def validate(step: int) -> dict[str, float]:
        acc = None
        for vb in val_batches:
            s = jax.device_get(p_eval_step(state["params"], to_global(vb)))
            acc = s if acc is None else jax.tree.map(np.add, acc, s)
        out = summarize(acc, "val")
        log(out, step)
        return out

    # ------------------------------------------------------------------ loop
    delay = float(os.environ.get("INKREPRO_STEP_DELAY_S", "0") or 0)  # test hook (kill/resume test)
    last: dict[str, float] = {}
    window: list[dict] = []
    t_window = time.perf_counter()

    def flush(step: int) -> None:
        """Fetch the window's metrics, stop on a non-finite loss, log means."""
        nonlocal window, t_window, last
        if not window:
            return
        host = jax.device_get(window)
        losses = np.asarray([h["loss"] for h in host])
        if not np.all(np.isfinite(losses)):
            bad = step - len(window) + int(np.argmin(np.isfinite(losses))) + 1
            checkpoint.finish(mgr)      # the previous (good) checkpoint lands on disk
            mgr.close()
            good = mgr.latest_step()
            raise UserError(f"non-finite training loss at step {bad}; stopped. Last good checkpoint: "
                            f"{'step ' + str(good) if good is not None else 'none'} in {workdir}/checkpoints. "
                            "Lower train.lr_peak or check the data, then rerun (it resumes from there)")
        sums = {k: np.sum([h[k] for h in host], axis=0) for k in ("ce", "correct", "tokens", "examples")}
        dt = time.perf_counter() - t_window
        last = {**summarize(sums, "train"), "train/lr": float(host[-1]["lr"]),
                "train/grad_norm": float(np.mean([h["grad_norm"] for h in host])),
                "train/examples_per_s": len(window) * tc.batch_size / max(dt, 1e-9),
                "train/elapsed_s": elapsed0 + time.perf_counter() - t_start}
        log(last, step)
        window, t_window = [], time.perf_counter()

    with run_ctx as run, cluster.Preemption() as preemption:
        run_id = getattr(getattr(run, "info", None), "run_id", "") or ""
        if track:
            run_id_path.write_text(run_id)
            if start == 0:
                tracking.log_params({"config": configlib.to_dict(cfg)})
                tracking.log_params({"model_params": counts})
            tracking.set_tags({"checkpoint_dir": str(workdir / "checkpoints"), "devices": n_dev,
                               "processes": n_proc, **data_note,
                               "mesh": f"data={mesh.shape['data']},fsdp={mesh.shape['fsdp']}"})
        bar = tqdm(total=tc.steps, initial=start, desc=f"train {cfg.name}", unit="step",
                   disable=not (tc.progress and primary) or os.environ.get("INKREPRO_NO_PROGRESS") == "1")
        val: dict[str, float] = {}
        trace = _data_trace(workdir)
        cluster.barrier("loop")  # the first step's collectives set up gloo's groups together
        for step in range(start + 1, tc.steps + 1):
            local = next(data_it)
            trace(step, local)
            state, m = p_train_step(state, to_global(local))
            window.append(m)
            if delay:
                time.sleep(delay)
            is_ckpt = tc.checkpoint_every > 0 and step % tc.checkpoint_every == 0 or step == tc.steps
            if step % tc.log_every == 0 or is_ckpt:
                flush(step)
                bar.set_postfix(loss=f"{last['train/loss']:.3f}", ex_s=f"{last['train/examples_per_s']:.0f}")
            if tc.eval_every > 0 and step % tc.eval_every == 0 and step != tc.steps:
                val = validate(step)
            preempted = preemption.reached(step, mgr)
            if is_ckpt or preempted:
                if preempted and not is_ckpt:
                    flush(step)
                checkpoint.save(mgr, step, state, data_it.get_state(), last, force=preempted)
            bar.update(1)
            if preempted:
                bar.close()
                checkpoint.finish(mgr)
                mgr.close()
                raise cluster.Preempted(step, str(workdir / "checkpoints"))
        bar.close()
        checkpoint.finish(mgr)
        val = validate(tc.steps)
        if not last and mgr.latest_step() is not None:  # resumed at the very end
            last = dict(checkpoint.restore_meta(mgr, mgr.latest_step())["metrics"])
        metrics = {**last, **val}
        seconds = time.perf_counter() - t_start
        result = {"metrics": metrics, "checkpoint": str(workdir / "checkpoints"), "run_id": run_id,
                  "workdir": str(workdir), "steps": tc.steps, "model_params": counts["total"],
                  "seconds": seconds}
        if primary:
            _save_json(workdir / "result.json", result)
        if track:
            # counted skips and truncations of the input pipeline in this process
            tracking.log_metrics({f"train/data/{k}": v for k, v in tasks.stats().items()})
            tracking.log_metrics({"train/seconds": seconds})
            tracking.log_artifact(workdir / "config.json")
            tracking.log_artifact(workdir / "result.json")
    mgr.close()
    return result
