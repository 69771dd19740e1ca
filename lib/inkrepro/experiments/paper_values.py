"""Published InkSight numbers (from ../shared/paper-facts.md), shown beside ours.

Only values the paper states are here; the ablation numbers were not published.
"""

from __future__ import annotations

PAPER = "Mitrevski et al., InkSight, TMLR 2025 (arXiv 2402.05804)"

# Model variants: parameters (approximate, as published) and training cost on 64 TPU v5e chips.
MODEL_PARAMS = {"small": 340e6, "large": 1e9}
MODEL_VARIANTS = [
    {"variant": "Small-p", "config": "small", "params": 340e6, "data": "public",
     "tpu_hours": 33, "vit": "ImageNet-21k pretrained, frozen"},
    {"variant": "Small-i", "config": "small", "params": 340e6, "data": "in-house",
     "tpu_hours": 33, "vit": "frozen"},
    {"variant": "Large-i", "config": "large", "params": 1e9, "data": "in-house",
     "tpu_hours": 105, "vit": "frozen"},
]

# Human evaluation on HierText, Large-i (paper): share of valid tracings (good or okay) and
# share judged "could have been written by a human".
HUMAN_EVAL = {"model": "Large-i", "dataset": "HierText", "valid": 0.87, "human_like": 0.67,
              "raters": 16, "raters_per_sample": 3, "aggregation": "majority vote"}

def params_text(config: str) -> str:
    """The paper's size of a config as it writes it ("~340M", "~1B")."""
    n = MODEL_PARAMS[config]
    return f"~{n / 1e9:.0f}B" if n >= 1e9 else f"~{n / 1e6:.0f}M"


def human_eval_text() -> str:
    """The paper's human-evaluation result in words ("87% valid, 67% human-like")."""
    return f"{HUMAN_EVAL['valid']:.0%} valid, {HUMAN_EVAL['human_like']:.0%} human-like"


# Inference speed, tokens/s, mean of five runs (paper).
INFERENCE_SPEED = {"Titan RTX": 114.43, "T4": 47.14, "V100": 139.14}

# Optimisation (paper), for the model-variants table notes.
TRAINING = {"optimizer": "Adafactor (beta1=0, decay 0.8)", "steps": 340_000, "batch": 512,
            "peak_lr": 0.01, "warmup": 5000, "dropout": 0.1}

# Evaluation sets (word level) and their published sizes.
EVAL_SETS = {"IAM testset_f": 17_600, "IMGUR5K test": 23_700, "HierText test (handwritten)": 1_300}

GVS_REASON = ("General Virtual Sketching (Mo et al. 2021) is a separate TensorFlow 1 code base "
              "with its own weights; not run here (no TensorFlow in this suite).")
