"""inkrepro: open training, evaluation and ablation suite for InkSight."""

import os

__version__ = "0.1.0"

# No network at runtime: MLflow (>= 3.2) sends usage telemetry unless one of its documented
# switches is set, and decides when `mlflow` is first imported. Every inkrepro process (and the
# notebook kernels and subprocesses it starts, which inherit the environment) imports this
# package before MLflow, so it is set here; export MLFLOW_DISABLE_TELEMETRY=false to opt in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
