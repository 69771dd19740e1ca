"""The experiment suite: sweep specs and runner, tables and figures, paper values.

Modules: ``spec`` (YAML sweep specs -> plans of jobs carrying resolved configs), ``sweep``
(papermill + MLflow runner), ``steps`` (what the train/evaluate notebooks call), ``tables/``
(one module per paper table or figure; report only), ``results`` (runs a table module, writes
the index), ``build`` (``results build`` and ``reproduce``), ``paper_values`` (published
numbers), ``notebooks`` (generator of notebooks/*.ipynb), ``cli``.
"""
