"""Evaluation: online recognizer, metrics, Tesseract reader, inference modes, runner, human
evaluation tools. Submodules import heavy dependencies (JAX, MLflow) lazily."""
