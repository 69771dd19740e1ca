"""One module per paper table or figure, named after it (and after its notebook
``notebooks/<name>.ipynb``). Each has ``NAME``, ``TITLE`` and ``build(profile, results_dir) ->
Output``; ``common`` holds what they share. ``inkrepro.experiments.results`` runs them.

``load(name)`` imports one table's module by name (a registry, like the dataset readers), so a
table's notebook loads only what that table needs.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from inkrepro.errors import UserError

# The tables and figures, in the order of the results index (results/README.md).
ORDER = ("training_tasks", "model_variants", "automated_evaluation", "learning_curve",
         "paper_claims", "ablation_training_tasks",
         "ablation_design_choices", "human_evaluation", "inference_speed", "qualitative")


def load(name: str) -> ModuleType:
    if name not in ORDER:
        raise UserError(f"unknown results table {name!r}; known: {', '.join(ORDER)}")
    return importlib.import_module(f"{__name__}.{name}")
