"""The five InkSight training tasks (paper Table 1): example -> (image, prompt, target).

Only ``recognize_real`` sees photos (``kind="ocr"`` examples, text only). The four other tasks
render ink (``kind="ink"``) photo-like with ``ink.augment`` and letterbox the word crop into the
model frame (black bars, as the released model's input). Images are ``image_size`` square;
target ink is always in the 224 token frame (InkSight's contract), so outputs stay comparable
across image sizes: the image frame is the 224 frame scaled by ``image_size / 224``.

Prompts are the released ones; the recognition prompt is not published: ours is configurable,
default ``Recognize the text.`` (OUR CHOICE). The default mixture (equal weights) is also ours.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from inkrepro.data.schema import Example
from inkrepro.errors import UserError
from inkrepro.ink import geometry, tokens
from inkrepro.ink.augment import AugmentConfig, degrade_image, render_augmented
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import FRAME_SIZE, FrameTransform

TASK_NAMES = ("vanilla_derender", "derender_with_text", "recognize_real",
              "recognize_rendered", "recognize_and_derender")
RECOGNITION_PROMPT = "Recognize the text."  # OUR CHOICE: the paper does not publish it
PROMPTS = {
    "vanilla_derender": "Derender the ink.",
    "derender_with_text": "Derender the ink: {text}",
    "recognize_real": RECOGNITION_PROMPT,
    "recognize_rendered": RECOGNITION_PROMPT,
    "recognize_and_derender": "Recognize and derender.",
}
# Which example kind feeds each task.
TASK_INPUT_KIND = {"vanilla_derender": "ink", "derender_with_text": "ink", "recognize_real": "ocr",
                   "recognize_rendered": "ink", "recognize_and_derender": "ink"}
TARGET_HAS_TEXT = {"vanilla_derender": False, "derender_with_text": False, "recognize_real": True,
                   "recognize_rendered": True, "recognize_and_derender": True}
TARGET_HAS_INK = {"vanilla_derender": True, "derender_with_text": True, "recognize_real": False,
                  "recognize_rendered": False, "recognize_and_derender": True}
DEFAULT_MIXTURE = {t: 1.0 for t in TASK_NAMES}  # OUR CHOICE: the paper's weights are unpublished
# The inference modes (``inkrepro.infer`` decodes them): the tasks whose target holds ink, with
# the release's short names as aliases, and whether decoding is grammar-constrained by default
# (OUR CHOICE; ``inkrepro.infer`` says why). Here, not in ``infer``, so that evaluation
# settings (``inkrepro.evaluate.options``) are checked without loading the model.
MODES = tuple(t for t in TASK_NAMES if TARGET_HAS_INK[t])
MODE_ALIASES = {**{m: m for m in MODES}, "vanilla": "vanilla_derender", "v": "vanilla_derender",
                "d+t": "derender_with_text", "dt": "derender_with_text",
                "r+d": "recognize_and_derender", "rd": "recognize_and_derender"}
CONSTRAINED = True   # the one default for grammar-constrained decoding

# Process-wide counters: examples per task, how often targets were resampled coarser or
# dropped (a counted skip) and prompts cut. The trainer logs them at the end of a run
# (``train/data/<key>``, counts of that process).
_LOCK = threading.Lock()
STATS: Counter = Counter()


def count(key: str, n: int = 1) -> None:
    with _LOCK:
        STATS[key] += n


def stats() -> dict[str, int]:
    with _LOCK:
        return dict(STATS)


def check_task(task: str) -> str:
    if task not in TASK_NAMES:
        raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASK_NAMES)}")
    return task


def canonical(mode: str) -> str:
    """An inference mode's name from any of its aliases (a UserError for anything else)."""
    m = MODE_ALIASES.get(mode.strip().lower()) if isinstance(mode, str) else None
    if m is None:
        raise UserError(f"unknown inference mode {mode!r}; modes: {', '.join(MODES)} "
                        "(aliases: vanilla, d+t, r+d)")
    return m


def prompt_for(task: str, text: str = "", recognition_prompt: str = RECOGNITION_PROMPT) -> str:
    check_task(task)
    if task in ("recognize_real", "recognize_rendered"):
        return recognition_prompt
    return PROMPTS[task].format(text=text)


def target_string(text: str, ink: Ink | None, task: str) -> str:
    """The target as the released model writes it ("text, a space, ink" for r+d)."""
    parts = []
    if TARGET_HAS_TEXT[task]:
        parts.append(text)
    if TARGET_HAS_INK[task] and ink is not None:
        parts.append(tokens.to_text(tokens.encode(ink)))
    return " ".join(parts)


@dataclass
class TaskSample:
    """One model input of a task and its target: what training featurises and evaluation
    scores (there ``ink`` is the reference; ``image`` is None when only ink is scored)."""

    task: str
    image: np.ndarray | None   # SxSx3 uint8 (model input)
    prompt: str
    text: str                  # transcription ("" if unknown)
    ink: Ink | None            # ink in the 224 token frame (integers), None for OCR inputs
    id: str = ""
    source: str = ""           # dataset / source name
    meta: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- images

def crop_rect(ink: Ink, rng: np.random.Generator | None, margin: tuple[float, float] = (0.08, 0.3)):
    """A word-crop rectangle (left, top, w, h) around the ink with a random margin
    (fraction of the text height; no randomness when ``rng`` is None: the range's mean)."""
    xmin, ymin, xmax, ymax = ink.bbox
    w, h = xmax - xmin, ymax - ymin
    unit = max(h, w / 5.0, 1e-3)
    if rng is None:
        pads = np.full(4, np.mean(margin)) * unit
    else:
        pads = rng.uniform(*margin, size=4) * unit
    return xmin - pads[0], ymin - pads[1], w + pads[0] + pads[2], h + pads[1] + pads[3]


def letterbox_ink(ink: Ink, rng: np.random.Generator | None = None,
                  margin: tuple[float, float] = (0.08, 0.3)) -> tuple[Ink, tuple[float, float, float, float]]:
    """Ink (any frame) -> (ink in the 224 frame, crop rectangle in the 224 frame) as if the
    word crop around it were letterboxed into 224x224."""
    left, top, w, h = crop_rect(ink, rng, margin)
    ratio, nw, nh, dx, dy = geometry.letterbox_size(w, h, FRAME_SIZE)
    tf = FrameTransform(ratio, float(dx), float(dy), left, top)
    return tf.forward(ink), (float(dx), float(dy), float(nw), float(nh))


def quantize_flat(pts_Nx2: np.ndarray, lengths: np.ndarray, max_coord: int = FRAME_SIZE) -> Ink:
    """``geometry.quantize`` on flat arrays (one Ink built at the end): round, clip, drop
    consecutive duplicates within a stroke and then empty strokes."""
    q = np.clip(np.rint(pts_Nx2), 0, max_coord)
    starts = np.zeros(len(q), dtype=bool)
    bounds = np.cumsum(lengths)[:-1]
    starts[0:1] = True
    starts[bounds[bounds < len(q)]] = True
    keep = starts.copy()
    keep[1:] |= (q[1:] != q[:-1]).any(axis=1)
    stroke_of = np.repeat(np.arange(len(lengths)), lengths)
    new_len = np.bincount(stroke_of[keep], minlength=len(lengths))
    return Ink.from_arrays(q[keep], new_len[new_len > 0])


def resample_quantized(ink: Ink, spacing: float, max_coord: int = FRAME_SIZE) -> Ink:
    """``quantize(geometry.resample(ink, spacing=spacing))``, vectorised over all strokes:
    constant arc-length spacing per stroke, first and last points kept."""
    if not spacing > 0:
        raise ValueError(f"spacing must be > 0, got {spacing}")
    pts, lens, _ = ink.to_arrays()
    lens = lens[lens > 0]
    if len(pts) == 0:
        return Ink()
    sid = np.repeat(np.arange(len(lens)), lens)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    seg[sid[1:] != sid[:-1]] = 0.0                       # no arc across pen lifts
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    arc = cum - cum[first][sid]                          # arc length within each stroke
    total = arc[np.cumsum(lens) - 1]
    m = np.floor(total / spacing + 1e-9).astype(np.int64) + 1
    extra = (total - (m - 1) * spacing) > 1e-9 * np.maximum(1.0, total)
    n_out = m + extra
    osid = np.repeat(np.arange(len(lens)), n_out)
    ofirst = np.concatenate([[0], np.cumsum(n_out)[:-1]])
    k = np.arange(n_out.sum()) - ofirst[osid]
    at = np.minimum(k * spacing, total[osid])            # the extra sample lands on the end
    big = float(total.max()) + 2.0 * spacing + 1.0
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = (seg > 0) | (sid[1:] != sid[:-1])         # strictly increasing parameter
    xp = arc[keep] + sid[keep] * big
    xq = at + osid * big
    out = np.stack([np.interp(xq, xp, pts[keep, 0]), np.interp(xq, xp, pts[keep, 1])], 1)
    return quantize_flat(out, n_out, max_coord)


def render_ink_input(ink: Ink, image_size: int, augment: AugmentConfig, rng: np.random.Generator,
                     *, pen_width: float | None = None, rotation_deg: tuple[float, float] = (-8.0, 8.0),
                     p_rotation: float = 0.5, margin: tuple[float, float] = (0.08, 0.3),
                     letterbox: bool = True) -> tuple[np.ndarray, Ink]:
    """Ink in any frame -> (SxSx3 photo-like image, target ink in the 224 frame, quantised).

    Rotation is applied to the ink before cropping (so the crop holds it); the crop is
    letterboxed with black bars; ``pen_width`` (fraction of the text height) sets the stroke
    width when given, else the augmentation's width range (scaled to ``image_size``).
    """
    ink.validate()
    pts, lens, _ = ink.to_arrays()
    keep_lens = lens[lens > 0]
    if p_rotation > 0 and rng.random() < p_rotation:
        lo, hi = pts.min(0), pts.max(0)
        m = geometry.rotation(float(rng.uniform(*rotation_deg)), tuple((lo + hi) / 2))
        pts = pts @ m[:, :2].T + m[:, 2]
    lo, hi = pts.min(0), pts.max(0)
    if letterbox:
        w, h = hi - lo
        unit = max(h, w / 5.0, 1e-3)
        pads = rng.uniform(*margin, size=4) * unit
        left, top = lo[0] - pads[0], lo[1] - pads[1]
        cw, ch = w + pads[0] + pads[2], h + pads[1] + pads[3]
        ratio, nw, nh, dx, dy = geometry.letterbox_size(cw, ch, FRAME_SIZE)
        rx, ry, rw, rh = float(dx), float(dy), float(nw), float(nh)
    else:
        inner = FRAME_SIZE - 16.0
        ratio = min(inner / max(hi[0] - lo[0], 1e-9), inner / max(hi[1] - lo[1], 1e-9))
        left, top = lo
        dx = (FRAME_SIZE - (hi[0] - lo[0]) * ratio) / 2
        dy = (FRAME_SIZE - (hi[1] - lo[1]) * ratio) / 2
        rx, ry, rw, rh = 0.0, 0.0, float(FRAME_SIZE), float(FRAME_SIZE)
    p224 = (pts - (left, top)) * ratio + (dx, dy)
    k = image_size / FRAME_SIZE
    cfg = augment.only(p_rotation=0.0, p_scale=0.0)
    if pen_width is not None:
        # pen_width is relative to the cap height; a word's ink height is ~1.8 cap heights
        text_h = max(float(p224[:, 1].max() - p224[:, 1].min()), 8.0) / 1.8
        wpx = float(np.clip(pen_width * text_h * k, 0.7, 8.0 * k + 1))
        cfg = cfg.only(width=(wpx, wpx))
    elif k != 1.0:
        wlo, whi = augment.width
        cfg = cfg.only(width=(max(0.7, wlo * k), max(0.7, whi * k)))
    img, _ = render_augmented(Ink.from_arrays(p224 * k, keep_lens), image_size, cfg, rng)
    if letterbox:
        x0, y0 = int(round(rx * k)), int(round(ry * k))
        x1, y1 = int(round((rx + rw) * k)), int(round((ry + rh) * k))
        img = np.array(img)
        img[:y0], img[y1:], img[:, :x0], img[:, x1:] = 0, 0, 0, 0
    return img, quantize_flat(p224, keep_lens)


def letterbox_photo(image: np.ndarray, image_size: int) -> np.ndarray:
    pil = Image.fromarray(image)
    w, h = pil.size
    _, nw, nh, dx, dy = geometry.letterbox_size(w, h, image_size)
    out = Image.new("RGB", (image_size, image_size), (0, 0, 0))
    out.paste(pil.resize((max(nw, 1), max(nh, 1)), Image.BILINEAR), (dx, dy))
    return np.asarray(out)


def photo_input(ex: Example, image_size: int, augment: AugmentConfig | None,
                rng: np.random.Generator | None) -> tuple[np.ndarray, Ink | None]:
    """An example with an image -> (letterboxed SxSx3, its ink in the 224 frame or None)."""
    h, w = ex.image.shape[:2]
    img = letterbox_photo(ex.image, image_size)
    if augment is not None and rng is not None:
        img = degrade_image(img, augment, rng)
    ink = None
    if ex.ink is not None and not ex.ink.is_empty:
        ink = geometry.quantize(geometry.letterbox_transform(w, h, FRAME_SIZE).forward(ex.ink))
    return img, ink


def make_sample(task: str, ex: Example, *, image_size: int = 224,
                augment: AugmentConfig | None = None, rng: np.random.Generator | None = None,
                recognition_prompt: str = RECOGNITION_PROMPT,
                target_spacing: float = 0.0) -> TaskSample:
    """One training (or evaluation, with ``augment=None``) sample of ``task`` from ``ex``.

    ``target_spacing`` > 0 resamples the target ink at that arc-length spacing (224 px)."""
    check_task(task)
    rng = rng if rng is not None else np.random.default_rng(0)
    if ex.image is not None:
        img, ink = photo_input(ex, image_size, augment, rng)
    elif ex.ink is not None and not ex.ink.is_empty:
        aug = augment if augment is not None else AugmentConfig.none()
        rot = 0.5 if augment is not None else 0.0
        img, ink = render_ink_input(ex.ink, image_size, aug, rng, pen_width=ex.meta.get("pen_width"),
                                    p_rotation=rot)
    else:
        raise ValueError(f"example {ex.id} has neither image nor ink")
    if TARGET_HAS_INK[task] and ink is None:
        raise ValueError(f"task {task} needs ink but example {ex.id} has none")
    if ink is not None and target_spacing > 0:
        ink = resample_quantized(ink, target_spacing)
    return TaskSample(task, img, prompt_for(task, ex.text, recognition_prompt), ex.text,
                      ink if TARGET_HAS_INK[task] else None, ex.id)


# ----------------------------------------------------------------------------- tokens

def ink_token_count(ink: Ink) -> int:
    return sum(1 + 2 * len(s) for s in ink.strokes if len(s))


def fit_ink(ink: Ink, budget: int, *, start_spacing: float = 2.0, growth: float = 1.4,
            max_tries: int = 24) -> tuple[Ink | None, int]:
    """Resample ``ink`` (224 frame) coarser until its tokens fit ``budget``.

    Returns (ink, number of coarsening steps); (None, steps) when even the coarsest
    resampling does not fit (too many strokes). Never truncates.
    """
    if ink_token_count(ink) <= budget:
        return ink, 0
    # first guess from the arc length: tokens ~ 3 per stroke + 2 per length/spacing
    room = budget - 3 * ink.num_strokes
    spacing = max(start_spacing, 2.0 * ink.length / room) if room > 0 else start_spacing
    for step in range(1, max_tries + 1):
        out = resample_quantized(ink, spacing)
        if ink_token_count(out) <= budget:
            return out, step
        spacing *= growth
    return None, max_tries


def encode_prompt(vocab, prompt: str, max_prompt_len: int) -> np.ndarray:
    """Prompt string -> int32 [max_prompt_len] (ids + EOS, 0-padded), as in training."""
    ids = vocab.encode_text(prompt)[: max_prompt_len - 1] + [vocab.eos_id]
    out = np.zeros(max_prompt_len, np.int32)
    out[: len(ids)] = ids
    return out


def encode_sample(sample: TaskSample, vocab, max_prompt_len: int, max_target_len: int) -> dict:
    """TaskSample -> fixed-shape features (the batch contract's per-example part)."""
    task = sample.task
    p_ids = vocab.encode_text(sample.prompt)
    if len(p_ids) + 1 > max_prompt_len:
        count("prompt_truncated")
        p_ids = p_ids[: max_prompt_len - 1]
    p_ids = p_ids + [vocab.eos_id]
    t_ids = vocab.encode_text(sample.text) if TARGET_HAS_TEXT[task] else []
    if len(t_ids) + 1 > max_target_len:
        count("text_target_truncated")
        t_ids = t_ids[: max_target_len - 1]
    weight = 1.0
    if TARGET_HAS_INK[task]:
        budget = max_target_len - 1 - len(t_ids)
        ink, steps = fit_ink(sample.ink, budget)
        if steps:
            count("ink_resampled")
        if ink is None:
            count("ink_dropped_too_long")
            ink, weight = Ink(), 0.0
        t_ids = t_ids + vocab.encode_ink(ink)
    t_ids = t_ids + [vocab.eos_id]
    enc = np.zeros(max_prompt_len, np.int32)
    enc[: len(p_ids)] = p_ids
    tgt = np.zeros(max_target_len, np.int32)
    tgt[: len(t_ids)] = t_ids
    dec_in = np.zeros(max_target_len, np.int32)
    dec_in[1:] = tgt[:-1]
    w = np.zeros(max_target_len, np.float32)
    w[: len(t_ids)] = weight
    count(f"task/{task}")
    return {"image": np.ascontiguousarray(sample.image, dtype=np.uint8), "encoder_tokens": enc,
            "decoder_inputs": dec_in, "decoder_targets": tgt, "loss_weights": w,
            "task_id": np.int32(TASK_NAMES.index(task))}
