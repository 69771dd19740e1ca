"""Model configs: plain frozen dataclasses (ViT + T5 v1.1 / mT5-style encoder-decoder).

Each named config's docstring gives the command that shows it and what it gives. Counts are
exact (``inkrepro model summary --config NAME``, computed with ``jax.eval_shape``, nothing is
allocated). The paper gives only the total sizes of Small and Large
(``experiments/paper_values.py``); our ``small``/``large`` state their assumptions.

Image size is not a model field: it comes from ``data.image_size`` (one source of truth);
the ViT's position embeddings are sized for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from inkrepro import configlib
from inkrepro.configlib import Range
from inkrepro.errors import UserError

# ViT variants at patch 16 (big_vision names): width, depth, mlp_dim, heads.
VIT_VARIANTS: dict[str, tuple[int, int, int, int]] = {
    "mu": (64, 2, 256, 2),        # ours: CPU-sized
    "Ti": (192, 12, 768, 3),
    "S": (384, 12, 1536, 6),
    "B": (768, 12, 3072, 12),
    "L": (1024, 24, 4096, 16),
}


@dataclass(frozen=True)
class ModelConfig:
    """One PaLI-style derenderer. Width/depth fields are overridable (``model.d_model=128``)."""

    name: str = "tiny"
    # --- ViT (image encoder)
    vit_width: int = 64
    vit_depth: int = 2
    vit_mlp_dim: int = 256
    vit_heads: int = 2
    patch_size: int = 8
    posemb: str = "learn"            # "learn" | "sincos2d"
    # "patch": the ViT's linear patch embedding (the paper); "conv": OUR CHOICE for small
    # models trained from scratch, log2(patch_size) 3x3 stride-2 convolutions (GELU between)
    # in place of it, same grid and width (a hybrid ViT, cf. ViT's R50 hybrids)
    vit_stem: str = "patch"
    vit_dropout: float = 0.0
    freeze_vit: bool = False         # the paper freezes its (pretrained) ViT
    vit_init: str = ""               # Orbax dir or .npz of ViT params ("" = random init)
    # --- T5 v1.1 / mT5-style encoder-decoder
    d_model: int = 128
    num_heads: int = 4
    d_kv: int = 32
    d_ff: int = 256
    enc_layers: int = 2
    dec_layers: int = 2
    rel_buckets: int = 32
    rel_max_distance: int = 128
    dropout: float = 0.0
    vocab_size: int = 0              # output vocabulary; 0 = the data vocabulary's size
    # OUR CHOICE (not in the paper): "sincos" initialises the 450 coordinate ids' input
    # embeddings and output-layer columns with sin/cos features of the coordinate value, so
    # neighbouring coordinates start out similar; "normal" is T5's plain random init.
    coord_embed_init: str = "sincos"
    # OUR CHOICE (not in the paper): add to each projected image patch the same sin/cos code
    # of its centre (x in the first half of the width, y in the second, 224-frame units) that
    # the coordinate ids start from, so a decoder query made from the pen's last position can
    # find the patches around it by a dot product. 0 = off (the paper's PaLI-style input).
    patch_coord_scale: float = 0.0
    # OUR CHOICE (not in the paper): a "pen glimpse". Each decoder input also embeds the
    # ``glimpse`` x ``glimpse`` pixels of the input image around the pen's last point (read
    # from the coordinate ids already written), so tracing the next point is a local,
    # translation-invariant look at full resolution instead of a search over patch tokens.
    # 0 = off (the paper's decoder).
    glimpse: int = 0
    dtype: str = "float32"           # activation dtype ("bfloat16" on TPU); params stay float32

    def vit_variant(self, name: str) -> ModelConfig:
        """This config with the ViT replaced by a named variant (``mu``, ``Ti``, ``S``, ``B``, ``L``)."""
        if name not in VIT_VARIANTS:
            raise UserError(f"unknown ViT variant {name!r}; known: {', '.join(VIT_VARIANTS)}")
        w, d, m, h = VIT_VARIANTS[name]
        return dataclasses.replace(self, vit_width=w, vit_depth=d, vit_mlp_dim=m, vit_heads=h)


# The valid values of ModelConfig's fields (checked by :func:`check` when a config is built).
RANGES = {
    "vit_width": Range(1), "vit_depth": Range(0), "vit_mlp_dim": Range(1), "vit_heads": Range(1),
    "patch_size": Range(1), "vit_dropout": Range(0, 1, hi_open=True),
    "d_model": Range(1), "num_heads": Range(1), "d_kv": Range(1), "d_ff": Range(1),
    "enc_layers": Range(1), "dec_layers": Range(1), "rel_buckets": Range(1),
    "rel_max_distance": Range(1), "dropout": Range(0, 1, hi_open=True),
    "vocab_size": Range(0, note="0 = the data vocabulary's size"),
    "patch_coord_scale": Range(0), "glimpse": Range(0, note="0 = off"),
}
CHOICES = {"posemb": ("learn", "sincos2d"), "vit_stem": ("patch", "conv"),
           "coord_embed_init": ("sincos", "normal"), "dtype": ("float32", "bfloat16", "float16")}


def check(cfg: ModelConfig) -> ModelConfig:
    """A UserError naming the key, the value and what is valid for a field out of range."""
    configlib.check_ranges(cfg, RANGES, "model.")
    for key, choices in CHOICES.items():
        if getattr(cfg, key) not in choices:
            raise UserError(f"config key model.{key}={getattr(cfg, key)!r}: must be one of {choices}")
    if cfg.vit_width % cfg.vit_heads:
        raise UserError(f"config key model.vit_width={cfg.vit_width} must be divisible by "
                        f"model.vit_heads ({cfg.vit_heads})")
    return cfg


def tiny() -> ModelConfig:
    """CPU model for the laptop profile: ViT-mu/8 (64 wide, 2 blocks) + T5 2+2 layers at 128.

    Command: ``inkrepro model summary --config tiny``. Gives 1.54M parameters at the laptop
    profile's 64 px and 2,451-entry vocabulary (2,000 text pieces + 451 ink ids; 1.28M with
    1,000 text pieces); trains in minutes on 2 CPU cores (``inkrepro train --profile laptop``).
    """
    return ModelConfig()


def small() -> ModelConfig:
    """InkSight Small (the paper's Small-p / Small-i). ASSUMPTIONS (not published in this detail):
    ViT-B/16 (86M, 224px, learned position embeddings) + T5 v1.1 *base* encoder-decoder
    (d_model 768, 12+12 layers, 12 heads x 64, gated-GELU d_ff 2048) with a 32,000-piece
    SentencePiece text vocabulary + 451 ink ids (untied output layer).

    Command: ``inkrepro model summary --config small``. Gives 334,461,696 parameters (ViT
    85.8M, projection 0.6M, embeddings 24.9M, encoder 85.0M, decoder 138.2M incl. its 24.9M
    output layer).
    """
    return dataclasses.replace(
        ModelConfig(name="small", patch_size=16, dropout=0.1, vit_dropout=0.1, freeze_vit=True,
                    d_model=768, num_heads=12, d_kv=64, d_ff=2048, enc_layers=12, dec_layers=12,
                    vocab_size=32000 + 451),
    ).vit_variant("B")


def large() -> ModelConfig:
    """InkSight Large (the paper's Large-i). ASSUMPTIONS: ViT-L/16 (303M) + T5 v1.1 *large*
    encoder-decoder (d_model 1024, 24+24 layers, 16 heads x 64, d_ff 2816), 32,000 text
    pieces + 451 ink ids.

    Command: ``inkrepro model summary --config large``. Gives 1,088,160,768 parameters.
    """
    return dataclasses.replace(
        ModelConfig(name="large", patch_size=16, dropout=0.1, vit_dropout=0.1, freeze_vit=True,
                    d_model=1024, num_heads=16, d_kv=64, d_ff=2816, enc_layers=24, dec_layers=24,
                    vocab_size=32000 + 451),
    ).vit_variant("L")


CONFIGS = {"tiny": tiny, "small": small, "large": large}


def get(name: str) -> ModelConfig:
    if name not in CONFIGS:
        raise UserError(f"unknown model config {name!r}; known: {', '.join(CONFIGS)}")
    return CONFIGS[name]()
