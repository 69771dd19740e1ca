#!/usr/bin/env bash
# The gpu profile on one GPU in under 10 minutes: install what is missing (from wheels carried
# in benchmarks/wheels/ when there is no network), XLA memory/FLOP estimate, ~6 minutes of bf16
# training, evaluation gallery, tokens/s, step time, MFU, peak memory -> OUT (default results/gpu).
#   bash benchmarks/gpu_check.sh [OUT] [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-results/gpu}
MINUTES=${2:-6}
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
if ! .venv/bin/python -c "import inkrepro, jax" 2>/dev/null || \
   ! .venv/bin/python -c "import jax; assert jax.default_backend() == 'gpu'" 2>/dev/null; then
  if [ -d benchmarks/wheels ]; then FIND=(--no-index --find-links benchmarks/wheels); else FIND=(); fi
  .venv/bin/python -m pip install -q "${FIND[@]}" -r requirements.lock "jax[cuda12]==0.10.2"
  .venv/bin/python -m pip install -q --no-deps -e .
fi
.venv/bin/python -c "import jax; print('devices:', jax.devices())"
export INKREPRO_NO_PROGRESS=1 MLFLOW_TRACKING_URI=${MLFLOW_TRACKING_URI:-sqlite:///$OUT/mlflow.db}
mkdir -p "$OUT"
timeout 570 .venv/bin/python benchmarks/gpu_check.py --out "$OUT" --minutes "$MINUTES" "${@:3}"
