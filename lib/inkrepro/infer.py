"""THE inference path: a trained checkpoint -> prompts -> batched, compiled decoding -> text + ink.

    inf = Inference.load("runs/work/laptop")                # model, vocabulary, config
    frames = [letterbox(crop, inf.image_size) for crop in crops]   # any word crops
    outs = inf.derender([f.image for f in frames], mode="vanilla_derender")
    ink_on_crop = frames[0].transform.inverse(outs[0].ink)   # 224 token frame -> crop pixels

Evaluation, galleries, the qualitative figures and the benchmarks all decode through here.

**Modes** are the three tasks whose target holds ink, with the released prompts
(``tasks.PROMPTS``): ``vanilla_derender`` ("Derender the ink."), ``derender_with_text``
("Derender the ink: <text>"; ``texts`` required) and ``recognize_and_derender`` ("Recognize and
derender."; the output is "text, a space, ink" and ``text_out`` holds the text). As in the
released demo, a recognize-and-derender item whose output has no stroke is derendered again in
the vanilla mode (``fallback=True``). Aliases: ``vanilla``, ``d+t``, ``r+d``.

**Decoding** is greedy and **grammar-constrained** by default (:data:`CONSTRAINED`). OUR CHOICE:
the released model decodes unconstrained; we constrain so that every output is a parseable ink
of at least one stroke (the laptop-sized models emit broken grammar otherwise), and report the
unconstrained decoding as its own ablation arm (``design_choices.yaml``: ``unconstrained``).
``Decoding(constrained=False)`` decodes as the released model does.

Batches: images go through the model ``batch_size`` at a time, the last batch padded, so one
compiled program serves any number of inputs. Inputs are SxS model inputs (already
letterboxed, ``S = inf.image_size``); :func:`letterbox` makes one from any image and keeps the
transform that maps ink back onto it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inkrepro import checkpoint, tasks
from inkrepro.errors import UserError
from inkrepro.ink import geometry, tokens
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import FRAME_SIZE, FrameTransform
from inkrepro.model import decode as decode_mod
from inkrepro.tasks import CONSTRAINED as CONSTRAINED
from inkrepro.tasks import MODES as MODES
from inkrepro.tasks import canonical as canonical

# MODES, canonical and CONSTRAINED (imported above) are defined with the tasks, light to import
# (evaluation settings are checked without loading the model); they stay part of this module's
# interface: infer.MODES, infer.canonical, infer.CONSTRAINED.
DecodeFn = Callable[[np.ndarray, list[str], bool], list[str]]


@dataclass(frozen=True)
class Decoding:
    """How to decode. ``max_len`` 0: the run's ``data.max_target_len``."""

    method: str = "greedy"       # greedy | beam | sample (model.decode.generate)
    constrained: bool = CONSTRAINED
    batch_size: int = 16
    max_len: int = 0
    seed: int = 0                # sampling only


@dataclass
class ModeOutput:
    """One derendered input."""

    mode: str
    prompt: str
    output: str             # the decoded output string (text and <ink_token_N> tokens)
    ink: Ink                # 224 token frame
    text_in: str = ""       # text given in the prompt (derender with text)
    text_out: str = ""      # text parsed from the output (recognize and derender)
    fallback: bool = False  # recognize-and-derender had no stroke: this is the vanilla output


@dataclass(frozen=True)
class Letterboxed:
    image: np.ndarray             # SxSx3 uint8 model input
    transform: FrameTransform     # the image's pixels -> the 224 token frame (and back)


def prompt(mode: str, text: str = "") -> str:
    return tasks.prompt_for(canonical(mode), text)


def parse(mode: str, output: str) -> tuple[str, Ink]:
    """(text, ink) of an output string; text only for recognize-and-derender."""
    text, ink = tokens.split_text_and_ink(output)
    return (text if canonical(mode) == "recognize_and_derender" else ""), ink


def letterbox(image, image_size: int) -> Letterboxed:
    """Any HxW(x3) image (numpy or PIL) -> the SxS model input (black bars, the released
    contract) and the transform between its pixels and the 224 token frame."""
    arr = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    h, w = arr.shape[:2]
    return Letterboxed(tasks.letterbox_photo(np.ascontiguousarray(arr, np.uint8), image_size),
                       geometry.letterbox_transform(w, h, FRAME_SIZE))


def to_image_frame(ink: Ink, image_size: int) -> Ink:
    """224 token frame -> an SxS model input's pixel frame."""
    return ink if image_size == FRAME_SIZE else ink.scale(image_size / FRAME_SIZE)


def count_tokens(ids_BxL: np.ndarray, eos_id: int) -> int:
    """Generated tokens of a batch: each row up to and including its EOS (all of a row that
    hit ``max_len``). The one count behind every tokens/s figure."""
    ids = np.asarray(ids_BxL)
    has = (ids == eos_id).any(axis=1)
    first = np.argmax(ids == eos_id, axis=1) + 1
    return int(np.where(has, first, ids.shape[1]).sum())


class Inference:
    """A derenderer ready to decode: the model, its vocabulary and run config, and how to
    decode. ``decode_fn`` replaces the model for another model's outputs or a test fake:
    ``(images, prompts, allow_text) -> output strings``."""

    def __init__(self, cfg, vocab=None, model=None, decoding: Decoding = Decoding(), *,
                 decode_fn: DecodeFn | None = None):
        if decode_fn is None and (model is None or vocab is None):
            raise ValueError("Inference needs a model and its vocabulary, or a decode_fn")
        self.cfg, self.vocab, self.model, self.decoding = cfg, vocab, model, decoding
        self._decode_fn = decode_fn

    @classmethod
    def load(cls, workdir: str | Path, *, step: int | None = None,
             decoding: Decoding = Decoding()) -> Inference:
        """The latest (or ``step``) checkpoint of a training workdir."""
        checkpoint.enable_compilation_cache()
        model, vocab, cfg = checkpoint.load_for_inference(workdir, step)
        return cls(cfg, vocab, model, decoding)

    def replace(self, **changes) -> Inference:
        """The same model with other decoding settings (``Decoding`` fields)."""
        return Inference(self.cfg, self.vocab, self.model,
                         dataclasses.replace(self.decoding, **changes), decode_fn=self._decode_fn)

    @property
    def image_size(self) -> int:
        return self.cfg.data.image_size

    @property
    def max_len(self) -> int:
        return self.decoding.max_len or self.cfg.data.max_target_len

    def encode_prompts(self, prompts: Sequence[str]) -> np.ndarray:
        return np.stack([tasks.encode_prompt(self.vocab, p, self.cfg.data.max_prompt_len)
                         for p in prompts])

    def generate(self, images_BxSxSx3: np.ndarray, encoder_tokens_BxLp: np.ndarray,
                 allow_text: bool = True, *, use_cache: bool = True, min_len: int = 0):
        """One compiled decoding call on one batch -> ids [B, max_len] (a device array).
        ``use_cache``/``min_len``: for the decoding benchmarks (full recomputation, fixed
        lengths)."""
        v, d = self.vocab, self.decoding
        return decode_mod.generate(
            self.model, images_BxSxSx3, encoder_tokens_BxLp, max_len=self.max_len,
            method=d.method, constrained=d.constrained, ink_offset=v.ink_offset,
            vocab_limit=v.size, pad_id=v.pad_id, eos_id=v.eos_id, unk_id=v.unk_id,
            allow_text=allow_text, rng=d.seed, use_cache=use_cache, min_len=min_len)

    def decode(self, images: np.ndarray, prompts: Sequence[str], allow_text: bool = True) -> list[str]:
        """Output strings of ``images`` x ``prompts``, ``batch_size`` at a time (fixed shapes)."""
        if self._decode_fn is not None:
            return list(self._decode_fn(images, list(prompts), allow_text))
        bs = self.decoding.batch_size
        enc = self.encode_prompts(prompts)
        out: list[str] = []
        for a in range(0, len(images), bs):
            img, e = np.asarray(images[a:a + bs]), enc[a:a + bs]
            k = len(img)
            if k < bs:   # fixed shapes: one compilation
                img = np.concatenate([img, np.zeros((bs - k,) + img.shape[1:], img.dtype)])
                e = np.concatenate([e, np.zeros((bs - k,) + e.shape[1:], e.dtype)])
            ids = np.asarray(self.generate(img, e, allow_text))
            out += [self.vocab.decode(row) for row in ids[:k]]
        return out

    def derender(self, images, mode: str = "vanilla_derender",
                 texts: Sequence[str] | None = None) -> list[ModeOutput]:
        """One mode over model inputs (an SxSx3 batch or a list of SxS images)."""
        mode = canonical(mode)
        images = self._stack(images)
        n = len(images)
        text_in = [""] * n
        if mode == "derender_with_text":
            if texts is None or len(texts) != n:
                raise ValueError("derender_with_text needs one text per image (texts=...)")
            text_in = [str(t) for t in texts]
        prompts = [prompt(mode, t) for t in text_in]
        res = []
        for p, o, t in zip(prompts, self.decode(images, prompts, mode == "recognize_and_derender"),
                           text_in):
            txt, ink = parse(mode, o)
            res.append(ModeOutput(mode, p, o, ink, text_in=t, text_out=txt))
        if mode == "recognize_and_derender":
            empty = [i for i, r in enumerate(res) if r.ink.num_strokes == 0]
            if empty:
                van = self.derender(images[np.asarray(empty)], "vanilla_derender")
                for i, v in zip(empty, van):
                    res[i] = dataclasses.replace(res[i], ink=v.ink, fallback=True)
        return res

    def _stack(self, images) -> np.ndarray:
        arr = np.stack([np.asarray(i) for i in images]) if isinstance(images, list | tuple) \
            else np.asarray(images)
        s = self.image_size
        if arr.ndim != 4 or arr.shape[1:] != (s, s, 3):
            raise UserError(f"inputs must be {s}x{s}x3 model inputs, got shape {arr.shape[1:]}: "
                            "letterbox each image first (inkrepro.infer.letterbox)")
        return arr
