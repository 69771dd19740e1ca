"""One module per paper table or figure, named after it (and after its notebook
``notebooks/<name>.ipynb``). Each has ``NAME``, ``TITLE`` and ``build(profile, results_dir) ->
Output``; ``common`` holds what they share. ``inkrepro.experiments.results`` runs them."""

from __future__ import annotations

from inkrepro.experiments.tables import (
                                         ablation_design_choices,
                                         ablation_training_tasks,
                                         automated_evaluation,
                                         human_evaluation,
                                         inference_speed,
                                         model_variants,
                                         qualitative,
                                         training_tasks,
)

# The order of the results index (results/README.md).
MODULES = (training_tasks, model_variants, automated_evaluation, ablation_training_tasks,
           ablation_design_choices, human_evaluation, inference_speed, qualitative)
TABLES = {m.NAME: m for m in MODULES}
ORDER = tuple(TABLES)
