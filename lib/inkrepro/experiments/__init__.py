"""The experiment suite: sweep specs and runner, results (tables/figures), paper values.

Modules: ``spec`` (YAML sweep specs -> plans of jobs), ``sweep`` (papermill + MLflow runner),
``steps`` (what the train/evaluate notebooks call), ``results`` (tables and figures from MLflow),
``paper_values`` (published numbers), ``notebooks`` (generator of notebooks/*.ipynb), ``cli``.
"""
