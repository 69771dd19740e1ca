"""Model summaries: exact parameter counts of a model config (``jax.eval_shape``, nothing is
allocated), as ``inkrepro model summary`` prints them and as MLflow records.

One set of defaults: a config is counted at the image size and vocabulary of a profile
(default ``laptop``): models with patches smaller than 16 px (ours, CPU-sized) at the
profile's ``data.image_size``, patch-16 models at the paper's 224 px; the output vocabulary is
the config's own ``vocab_size`` or the profile's text vocabulary + the 451 ink ids.
:func:`log_variants` records every config once per profile (``inkrepro_kind=model_variant``);
the model-variants table reads those records.
"""

from __future__ import annotations

from collections.abc import Sequence

from inkrepro import config as config_mod
from inkrepro import configlib, text, tracking
from inkrepro.ink.tokens import NUM_INK_TOKENS
from inkrepro.model import configs, derenderer
from inkrepro.model.configs import ModelConfig

# Configs recorded per profile (default: all). Shape-only construction of the 1B ``large``
# takes 15-40 s on 2 cores, too long for the CI profile.
PROFILE_CONFIGS = {"smoke": ("tiny", "small")}


def variant(name: str, profile: str = "laptop", image_size: int = 0, vocab_size: int = 0,
            overrides: Sequence[str] = ()) -> tuple[ModelConfig, int, int]:
    """(model config, image size, output vocabulary) of a named config under a profile."""
    cfg = configlib.apply_overrides(configs.get(name), list(overrides))
    data = config_mod.profile(profile).data
    image = image_size or (224 if cfg.patch_size >= 16 else data.image_size)
    text_ids = text.BYTE_OFFSET + 256 if data.text_vocab == "byte" else data.vocab_size
    return cfg, image, vocab_size or cfg.vocab_size or text_ids + NUM_INK_TOKENS


def counts(cfg: ModelConfig, image_size: int, vocab_size: int) -> tuple[dict[str, int], int]:
    """(parameters per component and total, number of image patches)."""
    model = derenderer.abstract(cfg, image_size=image_size, vocab_size=vocab_size)
    return derenderer.param_counts(model), model.num_patches


def summary_text(name: str, profile: str = "laptop", image_size: int = 0, vocab_size: int = 0,
                 overrides: Sequence[str] = ()) -> str:
    cfg, size, vocab = variant(name, profile, image_size, vocab_size, overrides)
    parts, patches = counts(cfg, size, vocab)
    lines = [f"model {cfg.name}: image {size}px, patch {cfg.patch_size} ({patches} patches), "
             f"ViT {cfg.vit_width}x{cfg.vit_depth}, T5 d_model {cfg.d_model} "
             f"{cfg.enc_layers}+{cfg.dec_layers} layers, d_ff {cfg.d_ff}, vocab {vocab} "
             f"(profile {profile})"]
    for k, v in parts.items():
        lines.append(f"  {k:<30} {v:>15,}  ({v / 1e6:.2f}M)")
    return "\n".join(lines)


def log_variants(profile: str, names: Sequence[str] | None = None,
                 parent_run_id: str | None = None) -> list[str]:
    """Record each config's counts under ``profile`` in MLflow, once (same config, image and
    vocabulary: the earlier record stands); -> the run ids logged now."""
    logged = []
    for name in names or PROFILE_CONFIGS.get(profile, tuple(configs.CONFIGS)):
        cfg, image, vocab = variant(name, profile)
        vhash = configlib.config_hash({"cfg": cfg, "image": image, "vocab": vocab})
        done = tracking.search_runs(f"tags.inkrepro_kind = 'model_variant' and "
                                    f"tags.variant_hash = '{vhash}' and tags.profile = '{profile}'")
        if not done.empty:
            continue
        parts, _ = counts(cfg, image, vocab)
        with tracking.run(f"model_variant:{name}", parent_run_id=parent_run_id,
                          tags={"inkrepro_kind": "model_variant", "config": name,
                                "profile": profile, "variant_hash": vhash}) as r:
            tracking.log_params({"image_size": image, "vocab_size": vocab,
                                 "vit": f"{cfg.vit_width}x{cfg.vit_depth}/p{cfg.patch_size}",
                                 "text": f"d{cfg.d_model} {cfg.enc_layers}+{cfg.dec_layers} "
                                         f"ff{cfg.d_ff} h{cfg.num_heads}",
                                 "freeze_vit": cfg.freeze_vit})
            tracking.log_metrics({"params/" + k.replace(".", ""): v for k, v in parts.items()})
            logged.append(r.info.run_id)
    return logged
