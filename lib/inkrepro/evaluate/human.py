"""Human evaluation in the paper's protocol: each sample rated by 3 people, majority vote.

Q1 "Is the tracing good, okay (small errors) or bad?" -> valid = good or okay.
Q2 "Could a human have written this?" -> yes / no.
Human tracings are the control group (rate them in the same blind sheet, group "human").

Workflow::

    export_sheet(items, "rating/")          # sheet.csv (one row per item x rater), key.csv,
                                            # items/<item>.png, grid_<k>.png (blind, shuffled)
    ratings = ingest("rating/sheet.csv")    # after the raters filled q1, q2
    agg = aggregate(ratings, "rating/key.csv")   # per group: valid, human_like (+ 95% CIs)
    log(agg)                                # one MLflow run per group (tag inkrepro_kind=human_eval)

Majority rule (OUR CHOICE where the paper is silent): a sample is valid when most of its
raters answered good or okay; human-like when most answered yes. Odd rater counts avoid ties;
with an even count a tie counts as not valid / not human-like.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from inkrepro import tracking
from inkrepro.errors import BadRecord, UserError
from inkrepro.evaluate.metrics import mean_ci
from inkrepro.ink import draw
from inkrepro.ink.core import Ink

Q1 = ("good", "okay", "bad")
Q2 = ("yes", "no")
RATERS_PER_SAMPLE = 3


@dataclass
class Item:
    sample_id: str
    group: str                 # e.g. "model:Large-i" or "human" (control)
    image: np.ndarray          # the input crop (SxSx3 uint8)
    ink: Ink                   # in the image's pixel frame


@dataclass(frozen=True)
class Rating:
    item: str
    rater: str
    q1: str
    q2: str


def export_sheet(items: Sequence[Item], out_dir: str | Path, *, raters: Sequence[str] | None = None,
                 raters_per_sample: int = RATERS_PER_SAMPLE, seed: int = 0, grid_size: int = 12) -> Path:
    """Write a blind, shuffled rating sheet. ``raters``: the rater pool; each item gets
    ``raters_per_sample`` of them in rotation (default pool: r1..r3)."""
    out = Path(out_dir)
    (out / "items").mkdir(parents=True, exist_ok=True)
    pool = list(raters or [f"r{i + 1}" for i in range(raters_per_sample)])
    if len(pool) < raters_per_sample:
        raise UserError(f"{len(pool)} raters cannot give {raters_per_sample} ratings per sample")
    order = np.random.default_rng(seed).permutation(len(items))
    key_rows, sheet_rows, tiles = [], [], []
    for k, i in enumerate(order):
        it = items[int(i)]
        name = f"item{k:04d}"
        panel = draw.panel(it.image, it.ink)
        Image.fromarray(panel).save(out / "items" / f"{name}.png")
        tiles.append((name, panel))
        key_rows.append({"item": name, "sample_id": it.sample_id, "group": it.group})
        for j in range(raters_per_sample):
            sheet_rows.append({"item": name, "image": f"items/{name}.png",
                               "rater": pool[(k + j) % len(pool)], "q1": "", "q2": ""})
    for g in range(0, len(tiles), grid_size):
        draw.gallery(tiles[g:g + grid_size], out / f"grid_{g // grid_size:03d}.png", cols=3)
    _write_csv(out / "key.csv", key_rows, ["item", "sample_id", "group"])
    _write_csv(out / "sheet.csv", sheet_rows, ["item", "image", "rater", "q1", "q2"])
    (out / "INSTRUCTIONS.txt").write_text(
        "Each row: look at items/<item>.png (input | tracing | overlay).\n"
        "q1: is the tracing good, okay (small errors) or bad?  -> good / okay / bad\n"
        "q2: could a human have written this tracing?          -> yes / no\n")
    return out / "sheet.csv"


def _write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def ingest(path: str | Path, *, strict: bool = False) -> tuple[list[Rating], dict[str, int]]:
    """Filled sheet -> (ratings, skipped counts by reason). ``strict`` raises on a bad row."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"rating sheet {p} not found")
    out, skipped = [], defaultdict(int)
    with open(p, newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            q1, q2 = (row.get("q1") or "").strip().lower(), (row.get("q2") or "").strip().lower()
            try:
                if not q1 and not q2:
                    raise BadRecord("unrated", f"{p}:{n}")
                if q1 not in Q1:
                    raise BadRecord("bad_q1", f"{p}:{n}", f"{q1!r} not in {Q1}")
                if q2 not in Q2:
                    raise BadRecord("bad_q2", f"{p}:{n}", f"{q2!r} not in {Q2}")
            except BadRecord as e:
                if strict:
                    raise UserError(str(e)) from None
                skipped[e.reason] += 1
                continue
            out.append(Rating(row["item"], row.get("rater", ""), q1, q2))
    return out, dict(skipped)


def _read_key(key: str | Path | dict[str, str]) -> dict[str, str]:
    if isinstance(key, dict):
        return key
    with open(key, newline="") as f:
        return {r["item"]: r["group"] for r in csv.DictReader(f)}


def aggregate(ratings: Sequence[Rating], key: str | Path | dict[str, str], *,
              bootstrap: int = 1000, seed: int = 0) -> dict[str, dict[str, float]]:
    """Per group: n_samples, raters_per_sample, valid, human_like (majority votes) with
    bootstrap 95% CIs over samples, and the Q1 answer shares."""
    groups = _read_key(key)
    by_item: dict[str, list[Rating]] = defaultdict(list)
    for r in ratings:
        by_item[r.item].append(r)
    per_group: dict[str, list[tuple[float, float, int, list[str]]]] = defaultdict(list)
    for item, rs in by_item.items():
        n = len(rs)
        valid = float(sum(r.q1 in ("good", "okay") for r in rs) * 2 > n)
        like = float(sum(r.q2 == "yes" for r in rs) * 2 > n)
        per_group[groups.get(item, "unknown")].append((valid, like, n, [r.q1 for r in rs]))
    out = {}
    for g, vals in sorted(per_group.items()):
        v, vlo, vhi = mean_ci([x[0] for x in vals], samples=bootstrap, seed=seed)
        h, hlo, hhi = mean_ci([x[1] for x in vals], samples=bootstrap, seed=seed)
        answers = [a for x in vals for a in x[3]]
        out[g] = {"n_samples": float(len(vals)), "raters_per_sample": float(np.mean([x[2] for x in vals])),
                  "valid": v, "valid_lo": vlo, "valid_hi": vhi,
                  "human_like": h, "human_like_lo": hlo, "human_like_hi": hhi,
                  **{f"q1_{a}": float(np.mean([b == a for b in answers])) for a in Q1}}
    return out


def log(agg: dict[str, dict[str, float]], *, parent_run_id: str | None = None,
        tags: dict[str, Any] | None = None) -> list[str]:
    """One MLflow run per group (tags: inkrepro_kind=human_eval, group)."""
    ids = []
    for g, m in agg.items():
        with tracking.run(f"human-eval-{g}", parent_run_id=parent_run_id,
                          tags={"inkrepro_kind": "human_eval", "group": g, **(tags or {})}) as r:
            tracking.log_metrics(m)
            ids.append(r.info.run_id)
    return ids
