"""inkrepro: open training, evaluation and ablation suite for InkSight."""

__version__ = "0.1.0"
