"""DataConfig: everything that decides what the model sees, and where generated data is cached.

Reading or building a DataConfig imports nothing heavy (no JAX, Grain, pyarrow, SentencePiece):
the pipelines that use it live in ``inkrepro.data.pipeline``. :func:`check` validates the names
inside a config (task and source weights) once every override is applied.

Cache dir: ``$INKREPRO_CACHE`` or ``runs/cache`` (corpora, vocabularies, prepared datasets, the
compiled-program cache).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from inkrepro import configlib, tasks
from inkrepro.configlib import Range
from inkrepro.data.photos import PhotoConfig
from inkrepro.data.synthetic import CJK_LANGUAGES, SyntheticInkConfig
from inkrepro.errors import UserError
from inkrepro.ink.augment import AugmentConfig

SYNTHETIC_SOURCES = ("hershey", "kanjivg", "photos")
MIN_PROMPT_TEXT = 12   # bytes of derender-with-text prompt text a byte-level config must keep


@dataclass(frozen=True)
class DataConfig:
    """Everything that decides what the model sees. Seeds: ``corpus_seed`` (generated data);
    the shuffle/augmentation seed is the ``seed`` argument of make_train_iterator."""

    image_size: int = 224
    max_prompt_len: int = 32
    max_target_len: int = 1024
    mixture: dict[str, float] = field(default_factory=lambda: dict(tasks.DEFAULT_MIXTURE))
    ink_sources: tuple[str, ...] = ("hershey", "kanjivg")
    ocr_sources: tuple[str, ...] = ("photos",)
    source_weights: dict[str, float] = field(default_factory=dict)  # default: equal
    train_size: int = 3000          # examples per synthetic source
    validation_size: int = 200
    test_size: int = 200
    corpus_seed: int = 0
    sample_rate_hz: float = 100.0   # synthetic pen sampling rate
    ink_spacing: float = 0.0        # >0: resample target ink at this spacing (224-frame px)
    hershey: SyntheticInkConfig = SyntheticInkConfig()
    kanjivg: SyntheticInkConfig = SyntheticInkConfig(
        glyphs="kanjivg", languages=CJK_LANGUAGES, faces=(), face_weights=(), num_writers=60)
    photos: PhotoConfig = PhotoConfig()
    augmentation: AugmentConfig = AugmentConfig()
    # "sentencepiece" (mT5 style, the paper) or "byte" (ByT5-style byte ids; OUR CHOICE for
    # small corpora, where SentencePiece learns whole words as pieces). See ``inkrepro.text``.
    text_vocab: str = "sentencepiece"
    vocab_size: int = 1000          # SentencePiece pieces (ignored for byte ids)
    spm_model: str = ""             # path of a user SentencePiece model (e.g. mT5); "" = train
    recognition_prompt: str = tasks.RECOGNITION_PROMPT   # OUR CHOICE (unpublished)
    num_threads: int = 0            # grain reader threads (0 = in the calling thread)
    prefetch: int = 64              # elements buffered when num_threads > 0
    prepared_root: str = ""         # prepared real datasets; "" = <cache>/prepared

    def sizes(self) -> dict[str, int]:
        return {"train": self.train_size, "validation": self.validation_size, "test": self.test_size}


# The valid values of DataConfig's numeric fields (checked by :func:`check`; the image size
# must also be a multiple of the model's patch, checked by ``inkrepro.config.check``).
RANGES = {
    "image_size": Range(1), "max_prompt_len": Range(1), "max_target_len": Range(2),
    "train_size": Range(1), "validation_size": Range(1), "test_size": Range(1),
    "corpus_seed": Range(0), "sample_rate_hz": Range(0, lo_open=True),
    "ink_spacing": Range(0, note="0 = no resampling"), "vocab_size": Range(1),
    "num_threads": Range(0), "prefetch": Range(1),
}


def check(cfg: DataConfig) -> DataConfig:
    """A UserError for a value out of range (:data:`RANGES`, weights >= 0 with one > 0) or a
    name that refers to nothing: a mixture key that is not a task, a ``source_weights`` key
    that is not one of the config's sources (e.g. a misspelling)."""
    configlib.check_ranges(cfg, RANGES, "data.")
    for key in ("mixture", "source_weights"):
        weights = getattr(cfg, key)
        for name, w in weights.items():
            if not w >= 0:
                raise UserError(f"config key data.{key}.{name}={w!r} is out of range: must be >= 0")
        if (weights or key == "mixture") and not any(w > 0 for w in weights.values()):
            raise UserError(f"config key data.{key}={weights}: at least one weight must be > 0")
    if cfg.text_vocab not in ("sentencepiece", "byte"):
        raise UserError(f"data.text_vocab must be 'sentencepiece' or 'byte', not {cfg.text_vocab!r}")
    bad = sorted(set(cfg.mixture) - set(tasks.TASK_NAMES))
    if bad:
        raise UserError(f"unknown task(s) in data.mixture: {bad}; tasks: {', '.join(tasks.TASK_NAMES)}")
    if cfg.text_vocab == "byte" and cfg.mixture.get("derender_with_text", 0) > 0:
        # one id per byte: the derender-with-text prompt must keep its text (a cut prompt makes
        # derender-with-text identical to vanilla, silently)
        need = len(tasks.PROMPTS["derender_with_text"].format(text="").encode()) + MIN_PROMPT_TEXT + 1
        if cfg.max_prompt_len < need:
            raise UserError(f"data.max_prompt_len={cfg.max_prompt_len} is too short for byte-level "
                            f"text ids: the derender-with-text prompt needs at least {need} "
                            f"(its {need - MIN_PROMPT_TEXT - 1}-byte prefix, {MIN_PROMPT_TEXT} "
                            "bytes of text and EOS)")
    sources = set(cfg.ink_sources) | set(cfg.ocr_sources)
    bad = sorted(set(cfg.source_weights) - sources)
    if bad:
        raise UserError(f"data.source_weights names source(s) {bad} that are not among the "
                        f"config's sources ({', '.join(sorted(sources))}); fix the name, or set "
                        "the whole mapping, e.g. -o 'data.source_weights={hershey: 1.0}'")
    return cfg


def cache_dir() -> Path:
    return Path(os.environ.get("INKREPRO_CACHE", "runs/cache")).resolve()


def prepared_dir(cfg: DataConfig, name: str) -> Path:
    root = Path(cfg.prepared_root) if cfg.prepared_root else cache_dir() / "prepared"
    return root / name
