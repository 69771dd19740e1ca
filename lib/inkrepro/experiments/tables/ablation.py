"""The ablation tables (``ablation_training_tasks``, ``ablation_design_choices``): one row per
arm of a sweep spec, mean ± sd over seeds of the spec's metrics, a strip plot per metric and a
statement of which arms separate from the reference beyond the seed spread."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from inkrepro.experiments.spec import load_spec
from inkrepro.experiments.tables.common import (
    LOWER_IS_BETTER,
    Output,
    floor_and_ceiling,
    jobs_with_runs,
    mean_sd,
    save_figure,
    save_table,
    separation_text,
    strip_plot,
)


def build(spec_name: str, name: str, profile: str, results_dir: Path) -> Output:
    spec = load_spec(spec_name)
    out = Output(name, spec.title)
    plan, df = jobs_with_runs(spec_name, profile)
    arms = list(dict.fromkeys(j.arm for j in plan))
    labels = {j.arm: j.label for j in plan}
    metrics = [m for m in (spec.metrics or [spec.metric]) if m]
    table = pd.DataFrame(arm_rows(spec, df, arms, labels, metrics, profile))
    ref = arms[0] if arms else ""
    text = separation_text(df, spec.metric, ref, arms, labels) if spec.metric else ""
    if spec.metric and "untrained" in arms:
        trained = [a for a in arms if a != "untrained"]
        text += " Learning check (each trained arm against the untrained reference): " + \
            separation_text(df, spec.metric, "untrained", trained, labels)
    caption = f"{spec.title} ({profile} profile): mean ± sd over seeds"
    save_table(out, table, name, results_dir, caption=caption, notes=text)
    long = df.copy()
    long.insert(0, "sweep", spec.name)
    long.to_csv(results_dir / f"{name}_runs.csv", index=False)
    out.files.append(results_dir / f"{name}_runs.csv")
    ncol = max(1, len(metrics))
    fig, axes = plt.subplots(1, ncol, figsize=(max(4.5, 0.7 * len(arms)) * ncol, 3.6), squeeze=False)
    done = df[df["state"] == "done"] if "state" in df else df
    for ax, m in zip(axes[0], metrics):
        strip_plot(ax, df, m, arms, [labels[a] for a in arms])
        sp = _split(m)
        if sp:
            floor_name, floor, ceil = floor_and_ceiling(done, *sp)
            if floor == floor:
                ax.axhline(floor, color="C3", ls="--", lw=1, label=f"strongest floor ({floor_name})")
            if ceil == ceil:
                ax.axhline(ceil, color="C2", ls=":", lw=1.5, label="ceiling")
            if floor_name or ceil == ceil:
                ax.legend(fontsize=6)
            better = "lower is better" if sp[1] in LOWER_IS_BETTER else "higher is better"
            unit = " (px)" if sp[1] in ("ldtw", "dtw", "chamfer") else ""
            ax.set_ylabel(f"{sp[1]}{unit}, {better}", fontsize=8)
    ids = ", ".join(str(r)[:8] for r in df["run_id"].dropna()) if "run_id" in df else ""
    fig.suptitle(f"{spec.title} ({profile}); dots = seeds, bar = mean, line = range\njob runs: "
                 f"{ids or 'none'}", fontsize=8)
    fig.tight_layout()
    save_figure(out, fig, name, results_dir)
    out.text = text
    out.sources = [r for r in df["run_id"].dropna().tolist()]
    return out


def _split(metric: str) -> tuple[str, str] | None:
    """``eval/<dataset>/<mode>/<metric>`` -> (dataset, metric)."""
    parts = metric.split("/")
    return (parts[1], parts[3]) if len(parts) == 4 and parts[0] == "eval" else None


def calibration_rows(done: pd.DataFrame, metrics: list[str]) -> list[dict]:
    """The strongest floor and the ceiling of each metric (the calibration rows of the same
    evaluations: same words, same readers), as two rows under the arms."""
    floor_row = {"arm": "strongest floor (calibration row)", "seeds done": "—"}
    ceil_row = {"arm": "ceiling: reference ink at the training spacing", "seeds done": "—"}
    for m in metrics:
        sp = _split(m)
        fname, floor, ceil = floor_and_ceiling(done, *sp) if sp else ("", float("nan"), float("nan"))
        floor_row[m] = f"{floor:.3f} ({fname.removeprefix('floor_')})" if fname else "—"
        ceil_row[m] = f"{ceil:.3f}" if ceil == ceil else "— (no reference ink)"
    return [floor_row, ceil_row]


def arm_rows(spec, df: pd.DataFrame, arms: list[str], labels: dict[str, str],
             metrics: list[str], profile: str) -> list[dict]:
    """One row per arm run in ``profile`` (mean ± sd over seeds), then the arms it leaves out
    with the reason."""
    rows = []
    for arm in arms:
        sub = df[df["arm"] == arm]
        row = {"arm": labels[arm], "seeds done": f"{int((sub['state'] == 'done').sum())}/{len(sub)}"}
        for m in metrics:
            row[m] = mean_sd(sub[m].tolist() if m in sub else [])
        rows.append(row)
    rows += calibration_rows(df[df["state"] == "done"] if "state" in df else df, metrics)
    for arm in spec.arms:
        if arm.name not in arms:
            row = {"arm": arm.label, "seeds done": f"not run in {profile}"}
            row.update({m: arm.note or "not in this profile" for m in metrics[:1]})
            row.update({m: "—" for m in metrics[1:]})
            rows.append(row)
    return rows
