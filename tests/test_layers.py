"""The library's layers hold: no module imports one of a higher layer (the map in the design
notes), the model imports only the ink token contract, and reading a config loads nothing
heavy. Imports are read with ``ast`` (every import, at module top or inside a function)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"

# Lowest first. A module may import modules of its own layer and of lower layers.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("inkrepro.errors", "inkrepro.configlib", "inkrepro.names",
              "inkrepro.storage", "inkrepro.cluster")),   # run-file paths; the job's processes
    ("ink", ("inkrepro.ink",)),
    ("model", ("inkrepro.model",)),
    ("sources", ("inkrepro.data.schema", "inkrepro.data.images", "inkrepro.data.store", "inkrepro.data.fonts",
                 "inkrepro.data.synthetic", "inkrepro.data.photos", "inkrepro.data.readers",
                 "inkrepro.data.paper_mixture", "inkrepro.data.sources", "inkrepro.data.prepare",
                 "inkrepro.data._genworker")),
    ("tasks", ("inkrepro.tasks", "inkrepro.text")),
    ("config", ("inkrepro.data.config", "inkrepro.config")),
    ("inputs", ("inkrepro.data.pipeline", "inkrepro.data._gallery")),
    ("tracking", ("inkrepro.tracking",)),
    ("checkpoint", ("inkrepro.checkpoint", "inkrepro.summary")),
    ("train", ("inkrepro.train",)),
    ("infer", ("inkrepro.infer",)),
    ("evaluate", ("inkrepro.evaluate",)),
    ("derender", ("inkrepro.derender",)),     # a user's photos and pages (uses infer + readers)
    ("experiments", ("inkrepro.experiments", "inkrepro.launch")),   # launch: a sweep as managed jobs
    ("cli", ("inkrepro.cli", "inkrepro.data.cli", "inkrepro.model.cli", "inkrepro.evaluate.cli",
             "inkrepro.experiments.cli", "inkrepro.derender.cli", "inkrepro.server")),
]
# Never-rules on top of the order: (importing module prefix, imported module prefix).
NEVER = [
    ("inkrepro.infer", "inkrepro.train"),          # inference never loads the training loop
    ("inkrepro.infer", "inkrepro.tracking"),
    ("inkrepro.derender", "inkrepro.train"),        # derendering a photo never loads training
    ("inkrepro.evaluate", "inkrepro.train"),
    ("inkrepro.experiments.tables", "inkrepro.train"),   # tables report, they do not train
    ("inkrepro.experiments.results", "inkrepro.train"),
]
# The model is pure: shapes and plain ids in, logits and tokens out (its configs may use the
# base layer's range checks).
MODEL_MAY_IMPORT = ("inkrepro.model", "inkrepro.ink.tokens", "inkrepro.errors", "inkrepro.configlib")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    p = LIB / Path(*name.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def imports(path: Path) -> set[str]:
    """Every inkrepro module ``path`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("inkrepro")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inkrepro"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if _is_module(sub) else node.module)
    return out


def layer(name: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    if rank < 0:
        raise AssertionError(f"{name} is in no layer of tests/test_layers.py: add it to LAYERS")
    return rank


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for mod, deps in sorted(graph.items()):
        for dep in sorted(deps):
            if layer(dep) > layer(mod):
                out.append(f"{mod} ({LAYERS[layer(mod)][0]}) imports {dep} ({LAYERS[layer(dep)][0]})")
            for a, b in NEVER:
                if _under(mod, a) and _under(dep, b):
                    out.append(f"{mod} imports {dep}: never ({a} -> {b})")
            if LAYERS[layer(mod)][0] == "model" and not any(_under(dep, p) for p in MODEL_MAY_IMPORT):
                out.append(f"{mod} imports {dep}: the model imports only {MODEL_MAY_IMPORT}")
    return out


def library_graph() -> dict[str, set[str]]:
    return {_module_name(p): imports(p) for p in sorted((LIB / "inkrepro").rglob("*.py"))}


def test_no_lower_layer_imports_a_higher_one():
    graph = library_graph()
    assert len(graph) > 80
    assert violations(graph) == []


def test_the_checker_sees_a_crossing():
    bad = {"inkrepro.model.decode": {"inkrepro.text"}, "inkrepro.tasks": {"inkrepro.data.pipeline"},
           "inkrepro.evaluate.runner": {"inkrepro.train"}, "inkrepro.config": {"inkrepro.errors"}}
    found = violations(bad)
    assert any(v.startswith("inkrepro.model.decode imports inkrepro.text") for v in found)
    assert any(v.startswith("inkrepro.tasks (tasks) imports inkrepro.data.pipeline") for v in found)
    assert any("never (inkrepro.evaluate -> inkrepro.train)" in v for v in found)
    assert not any(v.startswith("inkrepro.config") for v in found)


def test_reading_a_config_imports_nothing_heavy():
    heavy = ("jax", "flax", "optax", "orbax", "grain", "pyarrow", "sentencepiece", "mlflow",
             "pandas", "matplotlib", "papermill")
    code = ("import sys; from inkrepro import config; config.profile('laptop'); "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "inkrepro" in loaded and not loaded & set(heavy), sorted(loaded & set(heavy))
