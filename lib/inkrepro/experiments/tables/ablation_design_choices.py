"""Table ``ablation_design_choices``: the arms of ``ablations/design_choices.yaml``."""

from __future__ import annotations

from pathlib import Path

from inkrepro.experiments.tables import ablation
from inkrepro.experiments.tables.common import Output

NAME, TITLE = "ablation_design_choices", "Design-choice ablation"


def build(profile: str, results_dir: Path) -> Output:
    return ablation.build("design_choices", NAME, profile, results_dir)
