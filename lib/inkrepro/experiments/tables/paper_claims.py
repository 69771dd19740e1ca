"""Table ``paper_claims``: the paper's claims the study can test at this scale, each as a
difference between two conditions on the same words, with a bootstrap CI and a verdict
(``inkrepro.evaluate.compare``): "reproduced" when the CI excludes 0 in the claimed direction,
"not reproduced" when it excludes 0 the other way or lies inside the equivalence margin,
"inconclusive at this scale" otherwise.

- (a) all five training tasks vs vanilla derender only, on photos (``training_tasks``: arms
  ``all_five`` / ``vanilla_only``, paired seeds; two-level bootstrap over seeds and words);
- (b) derender-with-text vs vanilla, evaluation only, on one checkpoint (``main_model``), with
  the prompt text from the label and from Tesseract (paired over the same words);
- (c) augmentation on vs off, on photos (``design_choices``: ``default`` / ``no_augmentation``).

Per-sample scores come from each evaluation run's ``evaluation/per_sample.parquet`` artifact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from inkrepro import tracking
from inkrepro.evaluate import compare
from inkrepro.experiments.tables.common import (
    LOWER_IS_BETTER,
    Output,
    jobs_with_runs,
    save_figure,
    save_table,
)

NAME, TITLE = "paper_claims", "The paper's claims at this scale"
CLAIM_COL = "paper's claim"
# OUR CHOICE: differences smaller than these are of no practical size (equivalence margins).
MARGINS = {"char_f1": 0.02, "cer": 0.02, "ldtw": 0.5, "chamfer": 0.5}


@dataclass(frozen=True)
class Claim:
    key: str
    text: str            # the paper's claim, "A is better than B"
    spec: str
    arm_a: str
    arm_b: str
    dataset: str
    mode_a: str = "vanilla_derender"
    mode_b: str = "vanilla_derender"
    metrics: tuple[str, ...] = ("chamfer", "char_f1")
    design: str = "paired seeds (same seed: same initialisation and shared-task examples); two-level bootstrap over seeds and words"


CLAIMS = (
    Claim("a", "Training on all five tasks beats vanilla-derender-only training on photos",
          "training_tasks", "all_five", "vanilla_only", "photos"),
    Claim("b", "Derender with text (prompt text from the label) beats vanilla derender",
          "main_model", "model", "model", "hershey", "derender_with_text", "vanilla_derender",
          ("char_f1", "ldtw"), "evaluation only: one checkpoint, the same words in both modes; bootstrap over words"),
    Claim("b'", "Derender with text (prompt text from Tesseract) beats vanilla derender",
          "main_model", "text_from_tesseract", "model", "hershey", "derender_with_text",
          "vanilla_derender", ("char_f1", "ldtw"),
          "evaluation only: one checkpoint, the same words in both modes; bootstrap over words"),
    Claim("c", "Training-time augmentation beats clean training inputs on photos",
          "design_choices", "default", "no_augmentation", "photos"),
)


def per_sample(eval_run: str) -> pd.DataFrame:
    return pd.read_parquet(tracking.artifact(eval_run, "evaluation/per_sample.parquet"))


def _side(df: pd.DataFrame, dataset: str, mode: str) -> pd.DataFrame:
    return df[(df["dataset"] == dataset) & (df["mode"] == mode)].set_index("id")


def _inputs(metric: str, a: pd.DataFrame, b: pd.DataFrame):
    """Paired inputs of compare.* over the words both sides scored (text: covered words)."""
    ids = a.index.intersection(b.index)
    if metric in compare.TEXT_METRICS:
        ids = [i for i in ids if bool(a.at[i, "covered"])]
        return ((a.loc[ids, "rec_text"].fillna("").tolist(), a.loc[ids, "label"].tolist()),
                (b.loc[ids, "rec_text"].fillna("").tolist(), b.loc[ids, "label"].tolist()))
    if metric not in a or metric not in b:
        return None
    return a.loc[ids, metric].to_numpy(float), b.loc[ids, metric].to_numpy(float)


def evaluate_claim(c: Claim, profile: str) -> list[dict]:
    plan, df = jobs_with_runs(c.spec, profile)
    done = df[df["state"] == "done"]
    arms = {j.arm for j in plan}
    base = {"claim": c.key, CLAIM_COL: c.text, "design": c.design}
    if not {c.arm_a, c.arm_b} <= arms:
        return [{**base, "metric": "—", "verdict": f"not run in {profile} (arms not in this profile)"}]
    seeds = sorted(set(done.loc[done["arm"] == c.arm_a, "seed"]) & set(done.loc[done["arm"] == c.arm_b, "seed"]))
    if not seeds:
        return [{**base, "metric": "—", "verdict": "not run yet"}]
    sides, runs = [], []
    for s in seeds:
        ra = done[(done["arm"] == c.arm_a) & (done["seed"] == s)].iloc[0]
        rb = done[(done["arm"] == c.arm_b) & (done["seed"] == s)].iloc[0]
        pa = per_sample(ra["eval_run"])
        pb = pa if rb["eval_run"] == ra["eval_run"] else per_sample(rb["eval_run"])
        sides.append((_side(pa, c.dataset, c.mode_a), _side(pb, c.dataset, c.mode_b)))
        runs += [ra["run_id"], rb["run_id"]]
    rows = []
    for m in c.metrics:
        pairs = [_inputs(m, a, b) for a, b in sides]
        if any(p is None for p in pairs):
            continue
        a_in, b_in = [p[0] for p in pairs], [p[1] for p in pairs]
        d = (compare.paired_diff(m, a_in[0], b_in[0]) if len(seeds) == 1
             else compare.seeded_diff(m, a_in, b_in))
        better = m not in LOWER_IS_BETTER
        v = compare.verdict(d, higher_is_better=better, margin=MARGINS.get(m, 0.0))
        rows.append({**base, "dataset": c.dataset, "metric": m + (" (lower is better)" if not better else ""),
                     "A": f"{d.a:.3f}", "B": f"{d.b:.3f}", "A - B [95% CI]": f"{d.diff:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}]",
                     "words": str(d.n), "seeds": str(d.seeds), "margin": MARGINS.get(m, 0.0),
                     "verdict": v if v != "inconclusive" else "inconclusive at this scale",
                     "_diff": d, "_better": better, "_runs": runs})
    return rows or [{**base, "metric": "—", "verdict": "no shared metric in the records"}]


def build(profile: str, results_dir: Path) -> Output:
    out = Output(NAME, TITLE)
    rows = [r for c in CLAIMS for r in evaluate_claim(c, profile)]
    table = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    notes = ("A and B are the two conditions of each claim on the same words (and the same seeds "
             "where training differs); A - B with a percentile bootstrap 95% CI; a verdict is "
             "'reproduced' when the CI excludes 0 in the claimed direction, 'not reproduced' when "
             "it excludes 0 the other way or lies within ± margin (OUR CHOICE of margins: no effect "
             "of practical size), otherwise 'inconclusive at this scale'. Character F1: the laptop "
             "recognizer's reading; LDTW and Chamfer in px of the 224 frame.")
    save_table(out, table, NAME, results_dir, caption=f"{TITLE} ({profile} profile)", notes=notes)
    shown = [r for r in rows if "_diff" in r]
    if shown:
        fig, ax = plt.subplots(figsize=(8, 0.55 * len(shown) + 1.4))
        for i, r in enumerate(shown):
            d, sign = r["_diff"], 1 if r["_better"] else -1   # plotted so that right = claim holds
            lo, hi = sorted((sign * d.lo, sign * d.hi))
            col = {"reproduced": "C2", "not reproduced": "C3"}.get(r["verdict"], "0.5")
            ax.plot([lo, hi], [i, i], color=col, lw=3)
            ax.plot(sign * d.diff, i, "o", color=col)
            m = r.get("margin", 0.0)
            if m:
                ax.plot([-m, m], [i, i], color=col, alpha=0.25, lw=9)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(range(len(shown)))
        ax.set_yticklabels([f"({r['claim']}) {r['dataset']} {r['metric'].split(' ')[0]}: {r['verdict']}"
                            for r in shown], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("difference in the claimed direction (> 0: A better than B), 95% CI; shaded: margin")
        ids = sorted({str(r)[:8] for row in shown for r in row["_runs"]})
        ax.set_title(f"Paper claims, {profile} profile; job runs: {', '.join(ids)}", fontsize=8,
                     wrap=True)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        save_figure(out, fig, NAME, results_dir)
    out.text = " ".join(_sentence(r) for r in rows)
    out.sources = sorted({rid for r in rows for rid in r.get("_runs", ())})
    return out


def _sentence(r: dict) -> str:
    ci = f" ({r['A - B [95% CI]']})" if "A - B [95% CI]" in r else ""
    return f"({r['claim']}) {r[CLAIM_COL]}: {r['metric']} {r['verdict']}{ci}."
