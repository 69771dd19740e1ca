"""The released model's three inference modes, over any ``derender_fn``.

``derender_fn(images_BxSxSx3, prompts: list[str], allow_text: bool) -> list[str]`` returns the
decoded output strings (text and ``<ink_token_N>`` tokens, as the released model writes them);
the runner builds it from a checkpoint (``runner.derender_fn``), tests use fakes.

* Vanilla: ``Derender the ink.`` -> ink.
* Derender with Text: ``Derender the ink: <text>``; the text is the label (``text_source=
  "label"``) or read from the input image by an OCR engine (``"tesseract"``, the default of
  the paper-style evaluation: the paper used an OCR service).
* Recognize and Derender: ``Recognize and derender.`` -> "text, a space, ink tokens"; the text
  is parsed from the output. As in the released demo, a sample whose output has no stroke is
  derendered again in Vanilla mode; ``fallback`` marks it (counted separately).

All inks are in the 224 token frame; :func:`to_image_frame` maps them onto an SxS model
input and :func:`to_source_frame` back to the original image (letterbox inverse).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from inkrepro.ink import tokens
from inkrepro.ink.core import Ink
from inkrepro.ink.geometry import FRAME_SIZE, letterbox_transform

MODES = ("vanilla", "derender_with_text", "recognize_and_derender")
PROMPTS = {"vanilla": "Derender the ink.", "derender_with_text": "Derender the ink: {text}",
           "recognize_and_derender": "Recognize and derender."}
ALIASES = {"vanilla": "vanilla", "v": "vanilla", "derender_with_text": "derender_with_text",
           "d+t": "derender_with_text", "dt": "derender_with_text",
           "recognize_and_derender": "recognize_and_derender", "r+d": "recognize_and_derender",
           "rd": "recognize_and_derender"}
TEXT_SOURCES = ("label", "tesseract")

DerenderFn = Callable[[np.ndarray, list[str], bool], list[str]]


def canonical(mode: str) -> str:
    from inkrepro.errors import UserError

    m = ALIASES.get(mode.strip().lower())
    if m is None:
        raise UserError(f"unknown inference mode {mode!r}; modes: {', '.join(MODES)} "
                        "(aliases: vanilla, d+t, r+d)")
    return m


@dataclass
class ModeOutput:
    mode: str
    prompt: str
    output: str            # the decoded output string (token string)
    ink: Ink               # 224 frame
    text_in: str = ""      # text given in the prompt (derender with text)
    text_out: str = ""     # text parsed from the output (recognize and derender)
    fallback: bool = False  # r+d had no stroke: this is the vanilla output


def prompt(mode: str, text: str = "") -> str:
    return PROMPTS[canonical(mode)].format(text=text)


def parse(mode: str, output: str) -> tuple[str, Ink]:
    """(text, ink) of an output string; text only for recognize-and-derender."""
    if canonical(mode) == "recognize_and_derender":
        return tokens.split_text_and_ink(output)
    return "", tokens.decode_text(output)


def ocr_texts(images: Sequence[np.ndarray], engine: str = "tesseract") -> list[str]:
    if engine != "tesseract":
        raise ValueError(f"unknown OCR engine {engine!r}")
    from inkrepro.evaluate import reader

    return reader.read_images(list(images))


def run(derender_fn: DerenderFn, images: np.ndarray, mode: str, *, texts: Sequence[str] | None = None,
        text_source: str = "label") -> list[ModeOutput]:
    """One mode over a batch of model inputs."""
    mode = canonical(mode)
    n = len(images)
    text_in = [""] * n
    if mode == "derender_with_text":
        if text_source == "label":
            if texts is None:
                raise ValueError("derender_with_text with text_source='label' needs texts")
            text_in = [str(t) for t in texts]
        elif text_source == "tesseract":
            text_in = ocr_texts(images)
        else:
            raise ValueError(f"text_source must be one of {TEXT_SOURCES}, got {text_source!r}")
    prompts = [prompt(mode, t) for t in text_in]
    outs = derender_fn(images, prompts, mode == "recognize_and_derender")
    res = []
    for p, o, t in zip(prompts, outs, text_in):
        txt, ink = parse(mode, o)
        res.append(ModeOutput(mode, p, o, ink, text_in=t, text_out=txt))
    if mode == "recognize_and_derender":
        empty = [i for i, r in enumerate(res) if r.ink.num_strokes == 0]
        if empty:
            van = run(derender_fn, images[np.asarray(empty)], "vanilla")
            for i, v in zip(empty, van):
                res[i] = ModeOutput(mode, res[i].prompt, res[i].output, v.ink, text_out=res[i].text_out,
                                    fallback=True)
    return res


def to_image_frame(ink: Ink, image_size: int) -> Ink:
    """224 token frame -> an SxS model input's pixel frame."""
    return ink if image_size == FRAME_SIZE else ink.scale(image_size / FRAME_SIZE)


def to_source_frame(ink: Ink, width: float, height: float) -> Ink:
    """224 token frame -> the original image (``width x height``) by the letterbox inverse."""
    return letterbox_transform(width, height, FRAME_SIZE).inverse(ink)
