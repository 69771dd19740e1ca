"""Readers for the real datasets, each in the form its publishers distribute it.

``READERS`` maps a source name to its module; every module has ``SOURCE`` and
``read(root, split=None, strict=False, **options) -> Records`` (an iterator of Examples that
counts skipped records by reason). See :mod:`inkrepro.data.readers._base`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from inkrepro.errors import UserError

READERS: dict[str, str] = {
    "iam": "inkrepro.data.readers.iam",
    "imgur5k": "inkrepro.data.readers.imgur5k",
    "hiertext": "inkrepro.data.readers.hiertext",
    "rimes": "inkrepro.data.readers.rimes",
    "icdar15": "inkrepro.data.readers.pagexml",
    "deepwriting": "inkrepro.data.readers.deepwriting",
    "iamondb": "inkrepro.data.readers.iamondb",
    "vnondb": "inkrepro.data.readers.vnondb",
    "scut-couch": "inkrepro.data.readers.scut_couch",
    "casia-olhwdb": "inkrepro.data.readers.casia_olhwdb",
    "inksight-derenderings": "inkrepro.data.readers.inksight_derenderings",
}


def get(name: str) -> ModuleType:
    if name not in READERS:
        raise UserError(f"unknown dataset {name!r}; known: {', '.join(sorted(READERS))}")
    return importlib.import_module(READERS[name])


def read(name: str, root, split: str | None = None, strict: bool = False, **options):
    return get(name).read(root, split=split, strict=strict, **options)
