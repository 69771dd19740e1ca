"""Names that come from files (an InkML ``exampleId``, a pickle key, a ``sourceDataset``, an image
name in an annotation file): they never become paths outside their root, nor keys that MLflow or
a file system would read as paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.+-]+")
MAX_LABEL = 64


def safe_label(text: str, default: str) -> str:
    """``text`` as a label safe in a metric key or a file name: runs of characters other than
    ``A-Za-z0-9_.+-`` become ``_``, leading dots go, at most 64 characters; ``default`` when
    nothing is left. ``"IAM"`` stays ``"IAM"``; ``"../../etc"`` becomes ``"_.._etc"``."""
    out = _LABEL_BAD.sub("_", str(text)).lstrip(".")[:MAX_LABEL]
    return out if out.strip("_") else default


def contained_path(base: Path, name: str, within: Path | None = None) -> Path | None:
    """``base / name`` when ``name`` is a relative path that stays inside ``within`` (default
    ``base``) after ``..`` is resolved (lexically: symlinks inside the dataset are allowed);
    None for an absolute name, a drive, a NUL byte or a path that leaves ``within``."""
    name = str(name)
    if not name or "\x00" in name or Path(name).is_absolute() or Path(name).drive or name.startswith(("/", "\\")):
        return None
    root = os.path.normpath(os.path.abspath(within if within is not None else base))
    full = os.path.normpath(os.path.join(os.path.abspath(base), name.replace("\\", "/")))
    if full != root and not full.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return Path(base) / name
