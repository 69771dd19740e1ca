"""Generator of ``notebooks/*.ipynb`` (reviewable here; run ``python -m
inkrepro.experiments.notebooks`` after editing). Each notebook has exactly one ``parameters``
cell of literals (papermill) and only calls into ``inkrepro``; the logic lives in the library.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from inkrepro.experiments import paper_values as paper

OUT = Path(__file__).resolve().parents[3] / "notebooks"

TRAIN_PARAMS = '''\
# config: a resolved training config (the mapping a sweep job carries); {} = the profile's
# defaults with `overrides` applied, e.g. {"train.steps": 200, "data.mixture.recognize_real": 0.0}
profile = "smoke"
overrides = {}
config = {}
workdir = ""             # checkpoint folder ("" -> runs/work/manual-<profile>-seed<seed>)
parent_run_id = ""       # MLflow run to nest under ("" for a top-level run)
train_fn = "inkrepro.train"     # a registered step (inkrepro.experiments.spec.STEPS)'''

TRAIN_CODE = '''\
from inkrepro.experiments import steps
from inkrepro.experiments.spec import load_callable, resolve_config

config = config or resolve_config(profile, overrides)
workdir = workdir or steps.default_workdir(config["profile"], config["seed"])
result = load_callable(train_fn)(config=config, workdir=workdir,
                                 parent_run_id=parent_run_id or None)
{k: result.get(k) for k in ("metrics", "checkpoint", "run_id", "seconds")}'''

EVAL_PARAMS = '''\
profile = "smoke"
workdir = ""             # the training run's folder (checkpoint)
# options: evaluation settings, e.g. datasets, modes, n, constrained (see steps.evaluate)
options = {}
parent_run_id = ""
evaluate_fn = "inkrepro.evaluate"   # a registered step (inkrepro.experiments.spec.STEPS)'''

EVAL_CODE = '''\
from inkrepro.experiments import results, steps
from inkrepro.experiments.spec import load_callable

workdir = workdir or steps.default_workdir(profile, 0)
result = load_callable(evaluate_fn)(profile=profile, workdir=workdir, options=options,
                                    parent_run_id=parent_run_id or None)
results.metrics_frame(result.get("metrics", {}))'''

DERENDER_PARAMS = '''\
image = ""               # a photo of handwriting; "" -> a synthetic page of our synthetic words
boxes = ""               # word boxes (JSON or PAGE-XML); "" -> Tesseract (a synthetic page: its own)
checkpoint = "runs/work/laptop"   # a training workdir (inkrepro train --workdir)
mode = "r+d"             # vanilla | d+t | r+d (r+d falls back to vanilla when no stroke comes out)
out = "runs/derender/notebook"     # where the InkML, SVG, PNG, GIF and JSON go'''

DERENDER_CODE = '''\
from IPython.display import Image, display

from inkrepro import infer
from inkrepro.derender import boxes as boxes_mod
from inkrepro.derender import files, page, synthetic

inf = infer.Inference.load(checkpoint)
if image:
    src, given = image, (boxes_mod.read_boxes(boxes) if boxes else None)
else:
    sp = synthetic.make_page(12)
    src, given = page.PageImage("synthetic_page.png", sp.image), sp.boxes
res = page.derender(inf, src, mode, boxes=given)
paths = files.write(res, out)
print(res.text)
res.job.timings'''

DERENDER_SHOW = '''\
display(files.boxes_picture(res))                  # the page and its word boxes
display(Image(filename=str(paths["png"])))          # the ink over the dimmed page
display(Image(filename=str(paths["gif"])))          # the writing order, stroke by stroke'''

RESULTS_PARAMS = '''\
profile = "laptop"       # which sweeps' runs to read from MLflow
results_dir = "results"  # where tables (md/csv/tex) and figures (png/pdf) go
parent_run_id = ""       # MLflow run to nest the results run under ("" for none)'''

RESULTS_CODE = '''\
from inkrepro.experiments import results

out = results.build({name!r}, profile=profile, results_dir=results_dir,
                    parent_run_id=parent_run_id or None)
results.show(out)'''

RESULT_NOTEBOOKS = {
    "training_tasks": ("Table 1: the five training tasks",
                       "From the task registry (`inkrepro.tasks`): prompt, input and target of "
                       "each task, with one example image and its target per task."),
    "model_variants": ("Model variants and parameter counts",
                       "Our configs' exact parameter counts (recorded in MLflow) against the "
                       f"paper's Small ({paper.params_text('small')}) and Large "
                       f"({paper.params_text('large')})."),
    "automated_evaluation": ("Automated evaluation",
                             "The main model x datasets x inference modes from the evaluation "
                             "runs in MLflow, between floors (empty, constant, shuffled, midline, "
                             "untrained) and the ceiling (reference ink at the training spacing); "
                             "GVS marked not run, with the reason."),
    "learning_curve": ("Learning curve of the main model",
                       "Character F1 and LDTW of the main model (`ablations/main_model.yaml`) at "
                       "every kept checkpoint against training minutes, between the strongest "
                       "floor and the ceiling; the minutes the curve says the 0.50 bar needs."),
    "paper_claims": ("The paper's claims at this scale",
                     "All five tasks vs vanilla only (photos), derender-with-text vs vanilla "
                     "(label and Tesseract text), augmentation on vs off (photos): paired "
                     "differences with bootstrap CIs and a verdict each."),
    "ablation_training_tasks": ("Training-task ablation",
                                "Arms of `ablations/training_tasks.yaml`, every seed from MLflow; "
                                "the text says whether arms separate beyond the seed spread."),
    "ablation_design_choices": ("Design-choice ablation",
                                "Arms of `ablations/design_choices.yaml`, every seed from MLflow."),
    "human_evaluation": ("Human evaluation",
                         "From rating records in MLflow when present (3 raters, majority vote); "
                         f"the paper's {paper.human_eval_text()} beside them."),
    "inference_speed": ("Inference speed",
                        "Tokens/s measured here (mean of five runs, recorded in MLflow) beside "
                        "the paper's Titan RTX / T4 / V100 numbers."),
    "qualitative": ("Qualitative galleries",
                    "Derendered held-out words and out-of-domain sketch-like inputs from the "
                    "trained model referenced by the MLflow records."),
}


def _nb(title: str, text: str, params: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n{text}"), p,
                nbformat.v4.new_code_cell(code)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    return nb


def notebooks() -> dict[str, nbformat.NotebookNode]:
    out = {
        "train": _nb("Train", "Thin wrapper over `inkrepro.train.train`; the sweep runner executes "
                     "it with papermill (one per arm x seed). Run it by hand with a profile and "
                     "overrides.", TRAIN_PARAMS, TRAIN_CODE),
        "evaluate": _nb("Evaluate", "Thin wrapper over `inkrepro.evaluate`: score a trained "
                        "checkpoint on the configured datasets and inference modes.",
                        EVAL_PARAMS, EVAL_CODE),
    }
    out["derender"] = _nb("Derender your own handwriting",
                          "A photo of a word, a line or a page -> digital ink (`inkrepro.derender`; "
                          "the command line: `inkrepro derender`). Word boxes from Tesseract or a "
                          "boxes file, every word decoded in batches, the ink placed back on the page.",
                          DERENDER_PARAMS, DERENDER_CODE)
    show = nbformat.v4.new_code_cell(DERENDER_SHOW)
    show["id"] = "cell-3"
    out["derender"].cells.append(show)
    for name, (title, text) in RESULT_NOTEBOOKS.items():
        out[name] = _nb(title, text + "\n\nRegenerate everything with `inkrepro results build`.",
                        RESULTS_PARAMS, RESULTS_CODE.format(name=name))
    return out


def write_all(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, nb in notebooks().items():
        p = out / f"{name}.ipynb"
        nbformat.write(nb, str(p))
        paths.append(p)
    return paths


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
