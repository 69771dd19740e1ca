"""Training and evaluation inputs: cached corpora, vocabulary, Grain mixtures, evaluation samples.

Training batches (``make_train_iterator``) are dicts of numpy arrays with fixed shapes:

    image           uint8   [B, S, S, 3]
    encoder_tokens  int32   [B, Lp]   prompt ids + EOS, 0-padded
    decoder_inputs  int32   [B, Lt]   targets shifted right, starting with 0
    decoder_targets int32   [B, Lt]   target ids + EOS, 0-padded
    loss_weights    float32 [B, Lt]
    task_id         int32   [B]       index into tasks.TASK_NAMES

Per task: each of its sources is shuffled (per source, reshuffled each epoch) and repeated,
sources are mixed equally (or by ``source_weights``), tasks are mixed by ``mixture`` (weight 0
removes a task). Grain's mix is deterministic in proportion, so the per-task counts of any
window of batches match the weights; ``task_counts(batch)`` gives them for logging. The
iterator's ``get_state()``/``set_state()`` restores it exactly.

Corpora: synthetic sources ("hershey", "kanjivg", "photos") are generated once per
(source config, seed, sizes) into ``<cache>/corpora/<source>-<hash>`` (Parquet Store); any
other source name is a prepared dataset read from ``<prepared_root>/<name>`` (a Store).
The config (``DataConfig``) and the cache dir live in ``inkrepro.data.config``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from functools import lru_cache
from typing import Any

import grain
import numpy as np
from tqdm.auto import tqdm

from inkrepro import configlib, storage, tasks
from inkrepro.data import fonts, synthetic
from inkrepro.data import photos as photo_gen
from inkrepro.data.config import SYNTHETIC_SOURCES, DataConfig, cache_dir, check, prepared_dir
from inkrepro.data.schema import Example
from inkrepro.data.store import ExampleSource, Store
from inkrepro.errors import UserError
from inkrepro.tasks import TaskSample
from inkrepro.text import Vocabulary

# ----------------------------------------------------------------------------- corpora

def source_config(cfg: DataConfig, source: str):
    """The generator config of a synthetic source with the DataConfig's seed/rate applied."""
    if source == "hershey":
        return dataclasses.replace(cfg.hershey, seed=cfg.corpus_seed, sample_rate_hz=cfg.sample_rate_hz)
    if source == "kanjivg":
        return dataclasses.replace(cfg.kanjivg, seed=cfg.corpus_seed, sample_rate_hz=cfg.sample_rate_hz)
    if source == "photos":
        return dataclasses.replace(cfg.photos, seed=cfg.corpus_seed)
    raise ValueError(f"{source!r} is not a synthetic source")


CHUNK = 500  # examples per generated shard (part of the cache key: chunks are seeded)


def _generate_parallel(st: Store, source: str, scfg, todo, workers: int, bar) -> None:
    """Generate chunks in ``workers`` fresh interpreters (``python -m inkrepro.data._genworker``)."""
    jobs = [[f"{split}-{off // CHUNK:05d}", split, off, n] for split, off, n in todo]
    procs = []
    for w in range(workers):
        spec = {"root": str(st.root), "source": source, "config": configlib.to_dict(scfg),
                "jobs": jobs[w::workers]}
        if not spec["jobs"]:
            continue
        p = subprocess.Popen([sys.executable, "-m", "inkrepro.data._genworker"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        p.stdin.write(json.dumps(spec))
        p.stdin.close()
        procs.append(p)

    def follow(p):
        for line in p.stdout:
            if line.strip().isdigit():
                bar.update(int(line))

    threads = [threading.Thread(target=follow, args=(p,), daemon=True) for p in procs]
    for t in threads:
        t.start()
    errors = [p.stderr.read() for p in procs]
    for p, t in zip(procs, threads):
        p.wait()
        t.join()
    bad = [e for p, e in zip(procs, errors) if p.returncode != 0]
    if bad:
        raise RuntimeError(f"corpus generation worker failed:\n{bad[0][-2000:]}")


def _workers(n_jobs: int, n_examples: int) -> int:
    """Processes for generation: one for small corpora (process start-up costs seconds)."""
    env = os.environ.get("INKREPRO_GEN_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(n_jobs, os.cpu_count() or 1, 8)) if n_examples >= 1500 else 1


def corpus_key(cfg: DataConfig, source: str) -> dict:
    """Everything a synthetic corpus depends on (its cache folder is this mapping's hash):
    the generator config, split sizes, chunking, generator version and, for photos, the
    font files drawn from (their count changes every later random draw)."""
    scfg = source_config(cfg, source)
    version = photo_gen.GENERATOR_VERSION if source == "photos" else synthetic.GENERATOR_VERSION
    key = {"source": source, "config": configlib.to_dict(scfg), "sizes": cfg.sizes(),
           "chunk": CHUNK, "generator_version": version}
    if source == "photos":
        key["fonts"] = [p.name for p in fonts.ttf_fonts(scfg.system_fonts)]
    return key


def corpus_store(cfg: DataConfig, source: str) -> Store:
    """Generate (once, cached; resumable by shard) and return the Store of a source.

    Generation runs in chunks of CHUNK examples, each seeded by (seed, split, offset), in
    parallel processes when there are several chunks (``INKREPRO_GEN_WORKERS`` overrides
    the worker count); the result does not depend on the worker count.
    """
    if source not in SYNTHETIC_SOURCES:
        root = prepared_dir(cfg, source)
        st = Store(root)
        if not st.exists():
            raise UserError(f"dataset {source!r} is not prepared (no shards under {root}); "
                            f"run `inkrepro data prepare {source}` or drop it from data sources")
        return st
    scfg = source_config(cfg, source)
    key = corpus_key(cfg, source)
    st = Store(cache_dir() / "corpora" / f"{source}-{configlib.config_hash(key)}")
    if (st.root / "store.json").is_file():
        return st
    jobs = [(split, off, min(CHUNK, n - off)) for split, n in cfg.sizes().items()
            for off in range(0, n, CHUNK)]
    todo = [j for j in jobs if not st.has_shard(f"{j[0]}-{j[1] // CHUNK:05d}")]
    total = sum(j[2] for j in jobs)
    with tqdm(total=total, initial=total - sum(j[2] for j in todo), desc=f"generating {source}",
              unit="ex", leave=False, disable=os.environ.get("INKREPRO_NO_PROGRESS") == "1") as bar:
        workers = _workers(len(todo), sum(j[2] for j in todo))
        if workers > 1:
            _generate_parallel(st, source, scfg, todo, workers, bar)
        else:
            for split, off, n in todo:
                gen = photo_gen.generate if source == "photos" else synthetic.generate
                st.write_shard(f"{split}-{off // CHUNK:05d}",
                               gen(scfg, split, n, offset=off, progress=bar))
    notice = photo_gen.NOTICE if source == "photos" else synthetic.attribution(scfg)
    storage.write_text(st.root / "ATTRIBUTION.txt", notice)   # whole, even when jobs race
    st.write_meta({**key, "counts": st.counts(), "attribution": "ATTRIBUTION.txt"})
    return st


@lru_cache(maxsize=64)
def _load_split(root: str, split: str) -> tuple[Example, ...]:
    return tuple(Store(root).examples(split))


def load_examples(cfg: DataConfig, source: str, split: str) -> tuple[Example, ...]:
    """All examples of one source and split, decoded (cached in memory per process)."""
    return _load_split(str(corpus_store(cfg, source).root), split)


@lru_cache(maxsize=64)
def _source(root: str, split: str) -> ExampleSource:
    return ExampleSource(root, split)


def example_source(cfg: DataConfig, source: str, split: str) -> ExampleSource:
    """Lazily decoded random-access source of one source and split (for grain)."""
    return _source(str(corpus_store(cfg, source).root), split)


# ----------------------------------------------------------------------------- vocabulary

def vocab_texts(cfg: DataConfig) -> list[str]:
    texts = [tasks.PROMPTS[t].format(text="") for t in tasks.TASK_NAMES] + [cfg.recognition_prompt]
    texts = texts * 20
    for src in cfg.ink_sources + cfg.ocr_sources:
        texts += [t for t in example_source(cfg, src, "train").column("text") if t]
    return texts


def load_vocab(cfg: DataConfig) -> Vocabulary:
    """The vocabulary of a DataConfig: byte ids, the user spm model, or one trained on the
    train texts of its sources (cached under ``<cache>/vocab/<hash>``)."""
    if cfg.text_vocab == "byte":
        return Vocabulary.byte_level()
    if cfg.text_vocab != "sentencepiece":
        raise UserError(f"data.text_vocab must be 'sentencepiece' or 'byte', not {cfg.text_vocab!r}")
    if cfg.spm_model:
        return Vocabulary.from_spm_file(cfg.spm_model)
    key = {"vocab_size": cfg.vocab_size, "recognition_prompt": cfg.recognition_prompt,
           "sources": [str(corpus_store(cfg, s).root.name) for s in cfg.ink_sources + cfg.ocr_sources],
           "v": 1}
    d = cache_dir() / "vocab" / configlib.config_hash(key)
    if (d / "spm.model").is_file():
        return Vocabulary.load(d)
    vocab = Vocabulary.train(vocab_texts(cfg), cfg.vocab_size)
    vocab.save(d)
    return vocab



# ----------------------------------------------------------------------------- training

def _featurizer(cfg: DataConfig, vocab: Vocabulary, task: str):
    aug = cfg.augmentation

    def fn(ex: Example, rng: np.random.Generator) -> dict[str, np.ndarray]:
        s = tasks.make_sample(task, ex, image_size=cfg.image_size, augment=aug, rng=rng,
                              recognition_prompt=cfg.recognition_prompt,
                              target_spacing=cfg.ink_spacing)
        return tasks.encode_sample(s, vocab, cfg.max_prompt_len, cfg.max_target_len)

    return fn


def task_sources(cfg: DataConfig, task: str) -> tuple[str, ...]:
    return cfg.ocr_sources if tasks.TASK_INPUT_KIND[task] == "ocr" else cfg.ink_sources


def active_mixture(cfg: DataConfig) -> dict[str, float]:
    """Normalised task weights (tasks with weight 0 or without sources removed)."""
    check(cfg)
    w = {t: float(v) for t, v in cfg.mixture.items() if float(v) > 0 and task_sources(cfg, t)}
    if not w:
        raise UserError("the task mixture is empty (all weights 0 or no sources)")
    tot = sum(w.values())
    return {t: v / tot for t, v in w.items()}


def make_train_dataset(cfg: DataConfig, vocab: Vocabulary, seed: int = 0, split: str = "train",
                       shard_index: int = 0, shard_count: int = 1):
    """The infinite, mixed, featurised grain.MapDataset of single examples (sharded)."""
    mix = active_mixture(cfg)
    task_ds, task_w = [], []
    for task, weight in mix.items():
        parts, pw = [], []
        for src in task_sources(cfg, task):
            exs = example_source(cfg, src, split)
            if not len(exs):
                raise UserError(f"source {src!r} has no {split} examples for task {task}")
            s = np.random.SeedSequence([seed, configlib.name_seed(task, src)]).generate_state(2)
            ds = (grain.MapDataset.source(exs).shuffle(seed=int(s[0])).repeat()
                  .random_map(_featurizer(cfg, vocab, task), seed=int(s[1])))
            parts.append(ds)
            pw.append(float(cfg.source_weights.get(src, 1.0)))
        task_ds.append(parts[0] if len(parts) == 1 else grain.MapDataset.mix(parts, pw))
        task_w.append(weight)
    ds = task_ds[0] if len(task_ds) == 1 else grain.MapDataset.mix(task_ds, task_w)
    if shard_count > 1:
        ds = ds.slice(slice(shard_index, None, shard_count))
    return ds


def make_train_iterator(cfg: DataConfig, vocab: Vocabulary, batch_size: int, seed: int = 0,
                        shard_index: int = 0, shard_count: int = 1, split: str = "train"):
    """Checkpointable grain iterator of fixed-shape batches (see module docstring).

    ``shard_index``/``shard_count``: this process's data shard (the trainer passes
    ``jax.process_index()``/``jax.process_count()``). ``batch_size`` is per process.
    The stream is cut into blocks of ``batch_size`` consecutive examples and process ``i``
    takes blocks ``i, i + n, ...``: global batch ``k`` (the processes' ``k``-th batches in
    process order) holds examples ``k*B .. (k+1)*B - 1`` in order, whatever the process count,
    and every process's state is ``{"next_index": batches taken}``.
    """
    ds = make_train_dataset(cfg, vocab, seed, split).batch(batch_size, drop_remainder=True)
    if shard_count > 1:
        ds = ds.slice(slice(shard_index, None, shard_count))
    opts = grain.ReadOptions(num_threads=cfg.num_threads,
                             prefetch_buffer_size=cfg.prefetch if cfg.num_threads else 0)
    return iter(ds.to_iter_dataset(opts))


def reposition(data_it, batches: int) -> None:
    """Move a fresh ``make_train_iterator`` iterator to after ``batches`` batches (used when
    the saved per-process state does not fit: the process count changed)."""
    state = data_it.get_state()
    if set(state) != {"next_index"}:
        raise UserError(f"cannot reposition a data iterator with state {state}")
    data_it.set_state({"next_index": int(batches)})


def task_counts(batch: dict[str, np.ndarray]) -> dict[str, int]:
    """Examples per task in a batch (for logging the realised mixture)."""
    c = np.bincount(np.asarray(batch["task_id"]).reshape(-1), minlength=len(tasks.TASK_NAMES))
    return {t: int(n) for t, n in zip(tasks.TASK_NAMES, c)}


def batch_shapes(cfg: DataConfig, batch_size: int) -> dict[str, tuple[tuple[int, ...], Any]]:
    """Shapes/dtypes of a batch (e.g. to initialise a model without data)."""
    s, lp, lt = cfg.image_size, cfg.max_prompt_len, cfg.max_target_len
    return {"image": ((batch_size, s, s, 3), np.uint8),
            "encoder_tokens": ((batch_size, lp), np.int32),
            "decoder_inputs": ((batch_size, lt), np.int32),
            "decoder_targets": ((batch_size, lt), np.int32),
            "loss_weights": ((batch_size, lt), np.float32),
            "task_id": ((batch_size,), np.int32)}


# ----------------------------------------------------------------------------- evaluation

def make_eval_examples(cfg: DataConfig, split: str = "test", n: int | None = None, *,
                       sources: tuple[str, ...] | None = None, augment: bool = True,
                       seed: int = 0) -> list[TaskSample]:
    """Deterministic evaluation inputs from ``sources`` (default: all ink + ocr sources), as
    task samples whose ``ink`` is the reference (224 frame; None for photos) and whose
    ``source``/``meta`` (writer, language) say where they come from.

    Ink sources are rendered like training inputs (photo-like if ``augment``; the rendering
    of example i depends only on (seed, source, i)); photos have no ink.
    ``n`` caps the examples per source.
    """
    out = []
    for src in sources if sources is not None else cfg.ink_sources + cfg.ocr_sources:
        exs = load_examples(cfg, src, split)
        if n is not None:
            exs = exs[:n]
        for i, ex in enumerate(exs):
            rng = np.random.default_rng([seed, configlib.name_seed(src), i])
            task = "recognize_real" if ex.ink is None else "vanilla_derender"
            s = tasks.make_sample(task, ex, image_size=cfg.image_size,
                                  augment=cfg.augmentation if augment else None, rng=rng,
                                  recognition_prompt=cfg.recognition_prompt)
            out.append(dataclasses.replace(s, source=src, meta={"writer": ex.writer,
                                                                "language": ex.language}))
    return out
