"""`inkrepro evaluate` and `inkrepro recognizer train|show` (argument parsing; each handler
imports the module that does the work when it runs, see ``inkrepro.cli``)."""

from __future__ import annotations

import argparse
import json

from inkrepro.configlib import parse_override


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="score a checkpoint (or a folder of InkML) on datasets x inference modes",
        description="Derender the evaluation inputs in each inference mode and score them: "
        "recognizer character F1 / CER / word accuracy, Tesseract, DTW / LDTW / AIoU (reference ink) "
        "or Chamfer (photos), validity. Writes per-sample Parquet, metrics.json, galleries; logs to MLflow.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="workdir of `inkrepro train`")
    src.add_argument("--inkml-dir", help="folder of InkML files to score (e.g. the authors' released outputs)")
    p.add_argument("--dataset", default="", help="comma-separated datasets (source names: hershey, "
                   "kanjivg, photos, or prepared ones); default: the checkpoint's sources")
    p.add_argument("--modes", default="", help="comma-separated: vanilla_derender (vanilla), derender_with_text (d+t), "
                   "recognize_and_derender (r+d); default: all three")
    p.add_argument("--n", type=int, default=None, help="examples per dataset (default: all)")
    p.add_argument("--split", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--text-source", choices=("tesseract", "label"), default=None,
                   help="text of the derender-with-text prompt (default: tesseract)")
    p.add_argument("--recognizer", default=None, help="recognizer artifact folder or version")
    p.add_argument("--max-recognizer-cer", type=float, default=None)
    p.add_argument("--references", default=None, help="with --inkml-dir: InkML folder or Store with references")
    p.add_argument("--out", default=None, help="output folder")
    p.add_argument("--parent-run-id", default=None)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any evaluation option, e.g. --set constrained=true --set bootstrap=200")
    p.add_argument("--strict", action="store_true", help="with --inkml-dir: stop at the first bad file")
    p.set_defaults(func=_evaluate)

    r = subparsers.add_parser("recognizer", help="the online handwriting recognizer used by the metrics")
    rs = r.add_subparsers(dest="recognizer_cmd", metavar="CMD")
    t = rs.add_parser("train", help="train on ground-truth ink, save a versioned artifact, log to MLflow")
    t.add_argument("--profile", default="laptop", help="smoke | laptop | gpu | paper")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a RecognizerConfig field, e.g. --set steps=500 --set sources=[hershey,deepwriting]")
    t.add_argument("--out", default=None, help="artifact folder (default: <runs>/recognizers/<version>)")
    t.add_argument("--parent-run-id", default=None)
    t.set_defaults(func=_train)
    s = rs.add_parser("show", help="print a recognizer artifact's version, config and test CER")
    s.add_argument("path")
    s.set_defaults(func=_show)
    r.set_defaults(func=lambda a: r.print_help() or 1)


def _kw(args) -> dict:
    kw = dict(parse_override(s) for s in args.set)
    for name, key in (("n", "n"), ("split", "split"), ("batch_size", "batch_size"),
                      ("text_source", "text_source"), ("recognizer", "recognizer"),
                      ("max_recognizer_cer", "max_recognizer_cer"), ("out", "out_dir")):
        v = getattr(args, name, None)
        if v is not None:
            kw[key] = v
    if args.dataset:
        kw["datasets"] = args.dataset     # comma-separated: evaluate.options.parse splits it
    if args.modes:
        kw["modes"] = args.modes
    return kw


def _evaluate(args: argparse.Namespace) -> int:
    from inkrepro.evaluate import runner

    kw = _kw(args)
    if args.inkml_dir:
        res = runner.evaluate_inkml_dir(args.inkml_dir, references=args.references,
                                        parent_run_id=args.parent_run_id, strict=args.strict, **kw)
    else:
        res = runner.evaluate_checkpoint(args.checkpoint, parent_run_id=args.parent_run_id, **kw)
    _print_summary(res)
    return 0


def _print_summary(res: dict) -> None:
    m = res["metrics"]
    shown = ("n", "char_f1", "cer", "word_acc", "tesseract_char_f1", "dtw", "ldtw", "aiou",
             "chamfer", "validity", "fallback_count")
    groups = sorted({tuple(k.split("/")[1:3]) for k in m})
    print(f"recognizer: {res.get('recognizer_version')} (test CER on ground-truth ink "
          f"{res.get('recognizer_test_cer', float('nan')):.3f})")
    for ds, mode in groups:
        vals = []
        for name in shown:
            k = f"eval/{ds}/{mode}/{name}"
            if k in m:
                ci = (f" [{m[k + '_lo']:.3f}, {m[k + '_hi']:.3f}]" if k + "_lo" in m else "")
                vals.append(f"{name}={m[k]:.3f}{ci}" if name != "n" else f"n={int(m[k])}")
        print(f"  {ds:10s} {mode:24s} " + "  ".join(vals))
    for note in res.get("notes", []):
        print(f"note: {note}")
    print(f"per-sample results: {res['per_sample']}; MLflow run {res.get('run_id') or '-'}")


def _train(args: argparse.Namespace) -> int:
    from inkrepro.evaluate import recognizer

    cfg = recognizer.profile_config(args.profile, args.set)
    rec = recognizer.train(cfg, args.out, parent_run_id=args.parent_run_id)
    m = rec.metrics
    print(f"recognizer {rec.version}: test CER {m['test_cer']:.3f} (beam {m['test_cer_beam']:.3f}), "
          f"char F1 {m['test_char_f1']:.3f}, word acc {m['test_word_acc']:.3f} on {m['num_test']} "
          f"ground-truth test inks; trained in {m['train_seconds']:.0f} s; saved to {rec.path}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from inkrepro.evaluate import recognizer

    rec = recognizer.load(args.path)
    print(json.dumps({"version": rec.version, "metrics": rec.metrics,
                      "charset": "".join(rec.charset.chars)}, indent=1, ensure_ascii=False))
    return 0
