"""Table ``ablation_training_tasks``: the arms of ``ablations/training_tasks.yaml``."""

from __future__ import annotations

from pathlib import Path

from inkrepro.experiments.tables import ablation
from inkrepro.experiments.tables.common import Output

NAME, TITLE = "ablation_training_tasks", "Training-task ablation"


def build(profile: str, results_dir: Path) -> Output:
    return ablation.build("training_tasks", NAME, profile, results_dir)
