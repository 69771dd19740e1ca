"""Human-evaluation tools: sheet export, ingest with bad rows, majority vote by hand."""

import csv

import numpy as np
import pytest

from inkrepro.errors import UserError
from inkrepro.evaluate import human
from inkrepro.ink.core import Ink


def test_sheet_roundtrip_and_majority(tmp_path):
    img = np.full((32, 32, 3), 200, np.uint8)
    ink = Ink.from_xy([[[4, 4], [28, 28]]])
    items = [human.Item(f"s{i}", "model" if i < 3 else "human", img, ink) for i in range(4)]
    sheet = human.export_sheet(items, tmp_path, raters=["a", "b", "c", "d"])
    rows = list(csv.DictReader(open(sheet)))
    assert len(rows) == 4 * 3 and (tmp_path / "items" / "item0000.png").is_file()
    assert (tmp_path / "grid_000.png").is_file()
    assert all(len({r["rater"] for r in rows if r["item"] == it}) == 3 for it in {r["item"] for r in rows})
    key = {r["item"]: r["group"] for r in csv.DictReader(open(tmp_path / "key.csv"))}
    model_items = sorted(k for k, g in key.items() if g == "model")
    answers = {  # per item: 3 x (q1, q2)
        model_items[0]: [("good", "yes"), ("okay", "no"), ("bad", "yes")],   # valid, human-like
        model_items[1]: [("bad", "no"), ("bad", "yes"), ("okay", "no")],     # not valid, not
        model_items[2]: [("okay", "no"), ("good", "no"), ("bad", "no")],     # valid, not
    }
    hum = next(k for k, g in key.items() if g == "human")
    answers[hum] = [("good", "yes")] * 3
    count = {}
    for r in rows:
        k = count.get(r["item"], 0)
        count[r["item"]] = k + 1
        r["q1"], r["q2"] = answers[r["item"]][k]
    rows.append({"item": hum, "image": "", "rater": "x", "q1": "great", "q2": "yes"})
    rows.append({"item": hum, "image": "", "rater": "y", "q1": "", "q2": ""})
    with open(sheet, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["item", "image", "rater", "q1", "q2"])
        w.writeheader()
        w.writerows(rows)
    ratings, skipped = human.ingest(sheet)
    assert skipped == {"bad_q1": 1, "unrated": 1} and len(ratings) == 12
    with pytest.raises(UserError, match="bad_q1"):
        human.ingest(sheet, strict=True)
    agg = human.aggregate(ratings, tmp_path / "key.csv", bootstrap=100)
    assert agg["model"]["valid"] == pytest.approx(2 / 3)
    assert agg["model"]["human_like"] == pytest.approx(1 / 3)
    assert agg["model"]["n_samples"] == 3 and agg["model"]["raters_per_sample"] == 3
    assert agg["human"]["valid"] == 1.0 and agg["human"]["human_like"] == 1.0
    assert agg["model"]["q1_bad"] == pytest.approx(4 / 9)
    ids = human.log(agg)
    from inkrepro import tracking

    runs = tracking.search_runs("tags.inkrepro_kind = 'human_eval'")
    assert set(ids) <= set(runs["run_id"])
