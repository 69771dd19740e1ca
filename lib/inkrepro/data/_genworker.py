"""Worker process for parallel corpus generation (a fresh interpreter: safe from any caller,
including scripts without a ``__main__`` guard and processes that already run JAX).

Reads one JSON spec on stdin: {"root", "source", "config", "jobs": [[shard, split, offset, n]]},
writes each chunk as a shard of the Store at ``root`` and prints the count per chunk.
"""

from __future__ import annotations

import json
import sys

from inkrepro import configlib
from inkrepro.data import photos, synthetic
from inkrepro.data.store import Store


def run(spec: dict) -> None:
    if spec["source"] == "photos":
        cfg, gen = configlib.from_dict(photos.PhotoConfig, spec["config"]), photos.generate
    else:
        cfg = configlib.from_dict(synthetic.SyntheticInkConfig, spec["config"])
        gen = synthetic.generate
    store = Store(spec["root"])
    for shard, split, offset, n in spec["jobs"]:
        store.write_shard(shard, gen(cfg, split, n, offset=offset))
        print(n, flush=True)


if __name__ == "__main__":
    run(json.loads(sys.stdin.read()))
