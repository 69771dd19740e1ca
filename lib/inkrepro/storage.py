"""Where run files live: one path type for local folders and buckets.

``storage.path("runs/work/x")`` and ``storage.path("gs://bucket/work/x")`` are both
``etils.epath.Path`` (the path type Orbax uses for checkpoints), so a training workdir
(``config.json``, ``vocab/``, ``metrics.jsonl``, ``result.json``, ``checkpoints/``) can sit
on a bucket: ``gs://`` / ``s3://`` / ``az://`` go through fsspec (``pip install gcsfs`` etc.,
the ``cloud`` extra). Local paths are made absolute. Objects in a bucket are written whole,
so files are rewritten, never appended to.
"""

from __future__ import annotations

import os

from etils import epath


def is_remote(p: str | os.PathLike) -> bool:
    return "://" in os.fspath(p)


def path(p: str | os.PathLike) -> epath.Path:
    """The one path type for run files (local: absolute)."""
    s = os.fspath(p)
    return epath.Path(s if is_remote(s) else os.path.abspath(os.path.expanduser(s)))


def write_text(p: epath.Path, text: str) -> None:
    """Replace the file's content at once (local: via this process's temporary file and a
    rename, so processes writing the same file at once each leave a whole one; a bucket object
    appears whole when written)."""
    if is_remote(p):
        p.write_text(text)
        return
    tmp = p.parent / f"{p.name}.{os.getpid()}.tmp"
    tmp.write_text(text)
    tmp.replace(p)
