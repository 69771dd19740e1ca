"""Online handwriting recognizer (ink -> text) that reads derendered ink: the semantic metric.

In the style of Carbune et al. 2020: per-point features, a bidirectional LSTM, CTC loss
(optax), greedy and beam CTC decoding. Inputs are prepared exactly like the derenderer's
outputs: ink letterboxed into the 224 token frame and quantised (integers), so ground-truth
ink and derendered ink look alike to the recognizer. Per-point features after resampling at
a uniform arc-length spacing (a fraction of the ink height): normalised dx, dy, a pen-up flag
(first point of a stroke), the height-normalised y position, and the time delta (only with
``use_time``; off by default because derendered ink has no time).

Trained by ``inkrepro recognizer train`` on ground-truth ink of writer-disjoint splits and
saved as a versioned artifact directory::

    <runs>/recognizers/<version>/
        checkpoint/      Orbax (nnx state)
        charset.json     the output characters (CTC blank = 0)
        config.json      RecognizerConfig
        metrics.json     its own test CER / char F1 on ground-truth ink (+ sources, sizes)

Evaluation refuses a recognizer whose recorded test CER is worse than a configured bound
(:func:`load` with ``max_cer``), and every semantic number carries ``version``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
from flax import nnx
from tqdm.auto import tqdm

from inkrepro import configlib, tasks, tracking
from inkrepro.data import pipeline
from inkrepro.data.config import DataConfig
from inkrepro.errors import UserError
from inkrepro.evaluate import metrics as metrics_mod
from inkrepro.evaluate.metrics import is_valid
from inkrepro.ink import geometry
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import compose, rotation, scaling, shear

NUM_FEATURES = 5


@dataclass(frozen=True)
class RecognizerConfig:
    """The recognizer and its training. ``inkrepro recognizer train --profile laptop`` trains
    the laptop one in a few minutes on 2 CPU cores (see the report for its test CER)."""

    hidden: int = 96
    layers: int = 2
    spacing: float = 0.12        # resampling step, fraction of the ink height
    max_points: int = 256        # cap on resampled points (longer inks are resampled coarser)
    use_time: bool = False
    sources: tuple[str, ...] = ("hershey",)   # ink sources (synthetic or prepared online sets)
    train_size: int = 3000       # synthetic examples per split (corpus sizes)
    eval_size: int = 200
    batch_size: int = 32
    steps: int = 600
    learning_rate: float = 3e-3
    warmup: int = 100
    augment: bool = True
    # Derenderers emit ink at their training spacing (e.g. a point every 16 px), ground truth
    # is dense: with probability ``p_spacing``, a training ink is resampled at a uniform
    # spacing drawn from ``spacing_range`` (224-frame px), so the recognizer reads ink
    # whatever its point density (OUR CHOICE; the metric should measure the letters).
    p_spacing: float = 0.5
    spacing_range: tuple[float, float] = (4.0, 24.0)
    beam_width: int = 8
    seed: int = 0
    profile: str = "laptop"


PROFILES: dict[str, dict[str, Any]] = {
    "smoke": dict(hidden=16, layers=1, train_size=64, eval_size=16, batch_size=8, steps=20,
                  max_points=160, profile="smoke"),
    "laptop": {},
    "gpu": dict(hidden=192, layers=3, train_size=20000, eval_size=1000, batch_size=64, steps=20000,
                profile="gpu"),
    "paper": dict(hidden=256, layers=4, train_size=100000, eval_size=2000, batch_size=128,
                  steps=100000, profile="paper"),
}


def profile_config(name: str = "laptop", overrides: list[str] | dict | tuple = ()) -> RecognizerConfig:
    if name not in PROFILES:
        raise UserError(f"unknown recognizer profile {name!r}; profiles: {', '.join(PROFILES)}")
    cfg = dataclasses.replace(RecognizerConfig(), **PROFILES[name])
    return configlib.apply_overrides(cfg, overrides)


def recognizers_dir() -> Path:
    return tracking.runs_dir() / "recognizers"


# ----------------------------------------------------------------------------- features

def to_frame(ink: Ink, rng: np.random.Generator | None = None) -> Ink:
    """Ground-truth ink (any frame) -> the 224 token frame, quantised, like a derenderer
    output of its word crop."""
    ink224, _ = tasks.letterbox_ink(ink, rng)
    return geometry.quantize(ink224)


def features(ink: Ink, cfg: RecognizerConfig) -> np.ndarray:
    """Ink (224 frame) -> float32 [T, NUM_FEATURES]: dx, dy, pen-up, y position, dt."""
    ink = ink.cleaned()
    if not is_valid(ink):  # empty or out of bounds: read like an empty output
        return np.zeros((1, NUM_FEATURES), np.float32)
    xmin, ymin, xmax, ymax = ink.bbox
    h = max(ymax - ymin, (xmax - xmin) / 8.0, 4.0)
    step = cfg.spacing * h
    length = ink.length + h * ink.num_strokes
    if length / step > cfg.max_points:
        step = length / cfg.max_points
    keep_time = cfg.use_time and ink.has_time
    src = ink if keep_time else ink.without_time()
    res = geometry.resample(src, spacing=step)
    res = res if not res.is_empty else src
    x, y, t, lens = geometry.flatten(res)
    xy = np.stack([x, y], 1)
    d = np.diff(xy, axis=0, prepend=xy[:1]) / h
    pen_up = np.zeros(len(x))
    starts = np.cumsum(lens)[:-1]
    pen_up[starts[starts < len(x)]] = 1.0
    dt = np.zeros(len(x))
    if keep_time and t is not None:
        dt[1:] = np.clip(np.diff(t), 0.0, 1.0) * 10.0
    f = np.stack([d[:, 0], d[:, 1], pen_up, (y - (ymin + ymax) / 2) / h, dt], 1).astype(np.float32)
    return np.clip(f[: cfg.max_points], -8.0, 8.0)


def augment_ink(ink: Ink, rng: np.random.Generator) -> Ink:
    """Light geometric augmentation of training ink (shear, aspect, rotation)."""
    c = geometry.bbox_center(ink)
    m = compose(shear(float(rng.normal(0, 0.12)), 0.0, c),
                scaling(float(rng.uniform(0.85, 1.15)), 1.0, c),
                rotation(float(rng.normal(0, 2.0)), c))
    return geometry.apply_affine(ink, m)


# ----------------------------------------------------------------------------- charset

@dataclass(frozen=True)
class Charset:
    chars: tuple[str, ...]   # id k+1 is chars[k]; 0 is the CTC blank

    @classmethod
    def from_texts(cls, texts) -> Charset:
        return cls(tuple(sorted({c for t in texts for c in t})))

    @property
    def size(self) -> int:
        return len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        idx = {c: i + 1 for i, c in enumerate(self.chars)}
        return [idx[c] for c in text if c in idx]

    def decode(self, ids) -> str:
        return "".join(self.chars[i - 1] for i in ids if 0 < i <= len(self.chars))

    def covers(self, text: str) -> bool:
        s = set(self.chars)
        return bool(text) and all(c in s for c in text)


# ----------------------------------------------------------------------------- model

class BiLSTMRecognizer(nnx.Module):
    """features [B, T, F] -> logits [B, T/2, C] (a stride-2 conv, then BiLSTM layers)."""

    def __init__(self, num_features: int, hidden: int, layers: int, num_classes: int,
                 rngs: nnx.Rngs):
        self.inp = nnx.Linear(num_features, hidden, rngs=rngs)
        self.conv = nnx.Conv(hidden, hidden, kernel_size=(3,), strides=(2,), rngs=rngs)
        self.rnns = nnx.List([
            nnx.Bidirectional(
                nnx.RNN(nnx.OptimizedLSTMCell(hidden if i == 0 else 2 * hidden, hidden, rngs=rngs)),
                nnx.RNN(nnx.OptimizedLSTMCell(hidden if i == 0 else 2 * hidden, hidden, rngs=rngs)),
                rngs=rngs)
            for i in range(layers)])
        self.out = nnx.Linear(2 * hidden, num_classes, rngs=rngs)

    def __call__(self, x_BxTxF, lengths_B):
        h_BxTxH = jax.nn.gelu(self.inp(x_BxTxF))
        h_BxSxH = jax.nn.gelu(self.conv(h_BxTxH))
        lens_B = (lengths_B + 1) // 2
        for rnn in self.rnns:
            h_BxSxH = rnn(h_BxSxH, seq_lengths=lens_B)
        return self.out(h_BxSxH), lens_B


def build_model(cfg: RecognizerConfig, num_classes: int, seed: int = 0):
    """Initialised in one compiled call (eager init compiles every initializer separately)."""

    @nnx.jit(static_argnums=(0, 1, 2, 3))
    def make(nf, hidden, layers, nc, key):
        return BiLSTMRecognizer(nf, hidden, layers, nc, nnx.Rngs(key))

    return make(NUM_FEATURES, cfg.hidden, cfg.layers, num_classes, jax.random.key(seed))


def _bucket(n: int, q: int = 32) -> int:
    return max(q, int(np.ceil(n / q)) * q)


def pad_batch(feats: list[np.ndarray], t_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    t = t_max or _bucket(max(len(f) for f in feats))
    x = np.zeros((len(feats), t, NUM_FEATURES), np.float32)
    lens = np.zeros(len(feats), np.int32)
    for i, f in enumerate(feats):
        f = f[:t]
        x[i, : len(f)] = f
        lens[i] = len(f)
    return x, lens


# ----------------------------------------------------------------------------- CTC decoding

def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def greedy_decode(logits_TxC: np.ndarray, length: int | None = None) -> list[int]:
    """Best path: argmax per frame, merge repeats, drop blanks (0)."""
    best = np.asarray(logits_TxC)[:length].argmax(-1)
    out, prev = [], -1
    for k in best.tolist():
        if k != prev and k != 0:
            out.append(k)
        prev = k
    return out


def beam_decode(logits_TxC: np.ndarray, length: int | None = None, beam: int = 8,
                prune: int = 8) -> list[int]:
    """CTC prefix beam search (Hannun et al. 2014) without a language model."""
    lp = _log_softmax(np.asarray(logits_TxC, np.float64)[:length])
    ninf = -np.inf
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, ninf)}  # (p_blank, p_nonblank)
    for t in range(len(lp)):
        row = lp[t]
        cand = np.argsort(row)[::-1][:prune]
        nxt: dict[tuple[int, ...], list[float]] = {}

        def add(prefix, pb, pnb, nxt=nxt):
            cur = nxt.setdefault(prefix, [ninf, ninf])
            cur[0] = np.logaddexp(cur[0], pb)
            cur[1] = np.logaddexp(cur[1], pnb)

        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            for c in cand.tolist():
                p = row[c]
                if c == 0:
                    add(prefix, total + p, ninf)
                    continue
                last = prefix[-1] if prefix else None
                new = prefix + (c,)
                if c == last:
                    add(new, ninf, pb + p)          # repeat needs a blank in between
                    add(prefix, ninf, pnb + p)      # collapse
                else:
                    add(new, ninf, total + p)
        beams = dict(sorted(((k, (v[0], v[1])) for k, v in nxt.items()),
                            key=lambda kv: -np.logaddexp(*kv[1]))[:beam])
    best = max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))[0]
    return list(best)


# ----------------------------------------------------------------------------- the artifact

class Recognizer:
    """A loaded recognizer: ``recognize(inks) -> texts``; ``version`` names it."""

    def __init__(self, model, charset: Charset, cfg: RecognizerConfig, version: str,
                 metrics: dict[str, Any] | None = None, path: Path | None = None):
        self.model, self.charset, self.cfg = model, charset, cfg
        self.version, self.metrics, self.path = version, dict(metrics or {}), path
        self._fwd = None

    @property
    def test_cer(self) -> float:
        return float(self.metrics.get("test_cer", float("nan")))

    def _forward(self):
        if self._fwd is None:
            @nnx.jit
            def fwd(model, x, lens):
                return model(x, lens)

            self._fwd = fwd
        return self._fwd

    def logits(self, inks: list[Ink], batch_size: int = 32) -> list[np.ndarray]:
        """Per-ink logits [T', C]; batches padded to ``batch_size`` and T to a multiple of 64
        (few compilations)."""
        feats = [features(i, self.cfg) for i in inks]
        out: list[np.ndarray] = []
        for a in range(0, len(feats), batch_size):
            chunk = feats[a:a + batch_size]
            x, lens = pad_batch(chunk, _bucket(max(len(f) for f in chunk), 64))
            b = batch_size
            xp = np.zeros((b,) + x.shape[1:], np.float32)
            xp[: len(chunk)] = x
            lp = np.zeros(b, np.int32)
            lp[: len(chunk)] = lens
            lg, ol = self._forward()(self.model, xp, lp)
            lg, ol = np.asarray(lg), np.asarray(ol)
            out += [lg[i, : ol[i]] for i in range(len(chunk))]
        return out

    def recognize(self, inks: list[Ink], method: str = "greedy", batch_size: int = 32) -> list[str]:
        """Inks in the 224 frame -> texts. Empty inks read as ""."""
        res = [""] * len(inks)
        idx = [i for i, ink in enumerate(inks) if not ink.cleaned().is_empty]
        if not idx:
            return res
        for i, lg in zip(idx, self.logits([inks[i] for i in idx], batch_size)):
            ids = greedy_decode(lg) if method == "greedy" else beam_decode(lg, beam=self.cfg.beam_width)
            res[i] = self.charset.decode(ids)
        return res

    def describe(self) -> dict[str, Any]:
        return {"recognizer_version": self.version, "recognizer_test_cer": self.test_cer,
                "recognizer_path": str(self.path or "")}


def version_of(cfg: RecognizerConfig, charset: Charset, stamp: str = "") -> str:
    """``rec-<profile>-<hash of config + charset>[-<UTC time of training>]``."""
    h = configlib.config_hash({"cfg": configlib.to_dict(cfg), "chars": charset.chars}, 10)
    return f"rec-{cfg.profile}-{h}" + (f"-{stamp}" if stamp else "")


def save(rec: Recognizer, directory: str | Path) -> Path:
    d = Path(directory).resolve()
    tmp = d.with_name(d.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    ckptr = ocp.StandardCheckpointer()
    ckptr.save(tmp / "checkpoint", nnx.state(rec.model, nnx.Param))
    ckptr.wait_until_finished()
    (tmp / "charset.json").write_text(json.dumps(list(rec.charset.chars), ensure_ascii=False))
    (tmp / "config.json").write_text(json.dumps(configlib.to_dict(rec.cfg), indent=1))
    (tmp / "metrics.json").write_text(json.dumps({**rec.metrics, "version": rec.version}, indent=1))
    (tmp / "VERSION").write_text(rec.version + "\n")
    if d.exists():
        shutil.rmtree(d)
    tmp.rename(d)
    rec.path = d
    return d


def load(path: str | Path, *, max_cer: float | None = None) -> Recognizer:
    """Load a recognizer artifact; refuse it when its recorded test CER exceeds ``max_cer``."""
    d = Path(path).resolve()
    if not (d / "config.json").is_file() or not (d / "checkpoint").exists():
        raise UserError(f"{d} is not a recognizer artifact (config.json + checkpoint/); "
                        "train one with `inkrepro recognizer train`")
    cfg = configlib.from_dict(RecognizerConfig, json.loads((d / "config.json").read_text()))
    charset = Charset(tuple(json.loads((d / "charset.json").read_text())))
    metrics = json.loads((d / "metrics.json").read_text())
    version = metrics.get("version") or (d / "VERSION").read_text().strip()
    test_cer = float(metrics.get("test_cer", float("nan")))
    if max_cer is not None and not (test_cer <= max_cer):
        raise UserError(f"recognizer {version} has test CER {test_cer:.3f} on ground-truth ink, "
                        f"worse than the bound {max_cer}; train a better one "
                        "(`inkrepro recognizer train --profile laptop`) or raise the bound")
    model = build_model(cfg, charset.size)
    graphdef, params0, rest = nnx.split(model, nnx.Param, ...)
    abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), params0)
    try:
        params = ocp.StandardCheckpointer().restore(d / "checkpoint", abstract)
    except Exception as e:  # noqa: BLE001 - corrupt or mismatched checkpoint
        raise UserError(f"cannot restore recognizer checkpoint {d / 'checkpoint'}: {e}") from None
    model = nnx.merge(graphdef, params, rest)
    return Recognizer(model, charset, cfg, version, metrics, d)


# ----------------------------------------------------------------------------- data

def _data_config(cfg: RecognizerConfig) -> DataConfig:
    return DataConfig(train_size=cfg.train_size, validation_size=cfg.eval_size,
                      test_size=cfg.eval_size, corpus_seed=cfg.seed)


def load_split(cfg: RecognizerConfig, split: str) -> list:
    """Ground-truth ink examples of ``split`` from every source (writer-disjoint splits)."""
    dcfg = _data_config(cfg)
    out = []
    for src in cfg.sources:
        exs = pipeline.load_examples(dcfg, src, split)
        out += [e for e in exs if e.ink is not None and not e.ink.is_empty and e.text]
    if not out:
        raise UserError(f"no {split} ink with text in sources {cfg.sources}")
    return out


def frame_inks(examples, rng: np.random.Generator | None, augment: bool = False,
               keep_time: bool = False, cfg: RecognizerConfig | None = None) -> list[Ink]:
    """Examples -> inks in the 224 frame (augmented, and resampled coarser per ``cfg``)."""
    out = []
    for e in examples:
        ink = e.ink if keep_time else e.ink.without_time()
        if augment and rng is not None:
            ink = augment_ink(ink, rng)
        ink = to_frame(ink, rng)
        if augment and rng is not None and cfg is not None and not keep_time and rng.random() < cfg.p_spacing:
            ink = tasks.resample_quantized(ink, float(rng.uniform(*cfg.spacing_range)))
        out.append(ink)
    return out


def evaluate_on(rec: Recognizer, examples, method: str = "greedy") -> dict[str, float]:
    inks = frame_inks(examples, None, keep_time=rec.cfg.use_time)
    hyps = rec.recognize(inks, method=method)
    return metrics_mod.text_metrics(hyps, [e.text for e in examples])


# ----------------------------------------------------------------------------- training

def train(cfg: RecognizerConfig, out_dir: str | Path | None = None, *, parent_run_id: str | None = None,
          log: bool = True, progress: bool = True) -> Recognizer:
    """Train on the train split, select nothing on test, record test CER; save and log."""
    t0 = time.perf_counter()
    train_ex = load_split(cfg, "train")
    test_ex = load_split(cfg, "test")
    val_ex = load_split(cfg, "validation")
    charset = Charset.from_texts([e.text for e in train_ex])
    version = version_of(cfg, charset, time.strftime("%Y%m%dT%H%M%S", time.gmtime()))
    rng = np.random.default_rng(cfg.seed)
    model = build_model(cfg, charset.size, cfg.seed)
    sched = optax.warmup_cosine_decay_schedule(0.0, cfg.learning_rate, cfg.warmup, max(cfg.steps, cfg.warmup + 1))
    opt = nnx.Optimizer(model, optax.chain(optax.clip_by_global_norm(1.0), optax.adam(sched)), wrt=nnx.Param)

    @nnx.jit
    def step(model, opt, x, lens, labels, label_pad):
        def loss_fn(model):
            logits, olens = model(x, lens)
            pad = (jnp.arange(logits.shape[1])[None, :] >= olens[:, None]).astype(jnp.float32)
            loss = optax.ctc_loss(logits, pad, labels, label_pad, blank_id=0)
            nlab = jnp.maximum(1.0, (1 - label_pad).sum(-1))
            return (loss / nlab).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        opt.update(model, grads)
        return loss

    max_label = max(len(e.text) for e in train_ex)
    lab_len = _bucket(max_label, 8)
    t_fixed = _bucket(cfg.max_points)
    losses = []
    bar = tqdm(range(cfg.steps), desc=f"recognizer {cfg.profile}", unit="step", leave=False,
               disable=not progress or os.environ.get("INKREPRO_NO_PROGRESS") == "1")
    for it in bar:
        idx = rng.integers(0, len(train_ex), cfg.batch_size)
        exs = [train_ex[i] for i in idx]
        inks = frame_inks(exs, rng, augment=cfg.augment, keep_time=cfg.use_time, cfg=cfg)
        feats = [features(i, cfg) for i in inks]
        x, lens = pad_batch(feats, t_fixed)
        labels = np.zeros((cfg.batch_size, lab_len), np.int32)
        label_pad = np.ones((cfg.batch_size, lab_len), np.float32)
        for i, e in enumerate(exs):
            ids = charset.encode(e.text)[:lab_len]
            labels[i, : len(ids)] = ids
            label_pad[i, : len(ids)] = 0.0
        loss = float(step(model, opt, jnp.asarray(x), jnp.asarray(lens), jnp.asarray(labels),
                          jnp.asarray(label_pad)))
        losses.append(loss)
        if it % 50 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
    train_seconds = time.perf_counter() - t0
    rec = Recognizer(model, charset, cfg, version)
    val = evaluate_on(rec, val_ex)
    test = evaluate_on(rec, test_ex)
    test_beam = evaluate_on(rec, test_ex[:200], method="beam")
    rec.metrics = {
        "test_cer": test["cer"], "test_char_f1": test["char_f1"], "test_word_acc": test["word_acc"],
        "test_cer_beam": test_beam["cer"], "validation_cer": val["cer"],
        "final_loss": float(np.mean(losses[-50:])) if losses else float("nan"),
        "train_seconds": train_seconds, "num_train": len(train_ex), "num_test": len(test_ex),
        "sources": list(cfg.sources), "devices": str(jax.devices()[0].platform),
        "cpu_threads": os.cpu_count(),
    }
    d = Path(out_dir) if out_dir else recognizers_dir() / version
    save(rec, d)
    if log:
        with tracking.run(f"recognizer-{version}", parent_run_id=parent_run_id,
                          tags={"kind": "recognizer", "recognizer_version": version,
                                "profile": cfg.profile}) as r:
            tracking.log_params({"recognizer": configlib.to_dict(cfg)})
            tracking.log_metrics({k: v for k, v in rec.metrics.items() if isinstance(v, int | float)})
            tracking.log_artifact(d, "recognizer")
            rec.metrics["mlflow_run_id"] = r.info.run_id
        (d / "metrics.json").write_text(json.dumps({**rec.metrics, "version": version}, indent=1))
    return rec


def ensure(profile: str = "laptop", overrides=(), *, max_cer: float | None = None,
           parent_run_id: str | None = None) -> Recognizer:
    """The recognizer of a profile: loaded from ``<runs>/recognizers`` when already trained
    with the same config, else trained now (once)."""
    cfg = profile_config(profile, overrides)
    found = find(cfg)
    if found is not None:
        return load(found, max_cer=max_cer)
    rec = train(cfg, parent_run_id=parent_run_id)
    if max_cer is not None:
        return load(rec.path, max_cer=max_cer)
    return rec


def find(cfg: RecognizerConfig) -> Path | None:
    """The newest artifact under ``<runs>/recognizers`` trained with exactly ``cfg``."""
    root = recognizers_dir()
    want = configlib.to_dict(cfg)
    hits = []
    for c in root.glob("*/config.json") if root.is_dir() else []:
        try:
            if json.loads(c.read_text()) == want and (c.parent / "metrics.json").is_file():
                hits.append(c.parent)
        except (OSError, ValueError):
            continue
    return max(hits, key=lambda p: p.stat().st_mtime) if hits else None


def resolve(spec: str | Path | None, *, max_cer: float | None, profile: str = "laptop") -> Recognizer:
    """``spec``: a recognizer directory, a version name under ``<runs>/recognizers``, or
    None/"" for the profile's default, which must have been trained (evaluation never trains
    one: ``inkrepro recognizer train --profile P``, or :func:`ensure` as an explicit step)."""
    if spec:
        p = Path(spec)
        if not p.exists():
            p = recognizers_dir() / str(spec)
        if not p.exists():
            raise UserError(f"recognizer {spec!r} not found (neither a folder nor a version under "
                            f"{recognizers_dir()}); train one with `inkrepro recognizer train`")
        return load(p, max_cer=max_cer)
    found = find(profile_config(profile))
    if found is None:
        raise UserError(f"no recognizer of profile {profile!r} under {recognizers_dir()}: train it "
                        f"first with `inkrepro recognizer train --profile {profile}` (`inkrepro "
                        "reproduce` and `inkrepro sweep` do this before evaluating)")
    return load(found, max_cer=max_cer)
