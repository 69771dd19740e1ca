"""`inkrepro <verb>`: one argparse tree; each area registers its own verbs.

The CLI modules (this one and ``<area>/cli.py``) hold argument parsing only; each verb's
handler imports the module that does the work when it runs (the one place where imports sit
inside functions), so `inkrepro --help` does not load JAX or MLflow. A UserError is printed as
one message (no traceback) and exits with status 2, and so is an InkError (invalid ink in a
file or a token string: its message names what is wrong).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from inkrepro.errors import InkError, UserError

# Each module exposes ``register(subparsers)`` adding its verbs with ``set_defaults(func=...)``.
_VERB_MODULES = (
    "inkrepro.ink.demo",
    "inkrepro.data.cli",
    "inkrepro.model.cli",
    "inkrepro.cli",            # train (below)
    "inkrepro.evaluate.cli",
    "inkrepro.experiments.cli",
    "inkrepro.derender.cli",
    "inkrepro.server",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="inkrepro", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="verb", metavar="VERB")
    for name in _VERB_MODULES:
        importlib.import_module(name).register(sub)
    return p


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train (or resume) a derenderer",
                              description="Train a profile's model; rerun with the same --workdir to resume.")
    p.add_argument("--profile", default="laptop", help="smoke | laptop | gpu | paper")
    p.add_argument("--config", default=None, metavar="JSON",
                   help="a resolved config file (what `inkrepro launch` sends) instead of --profile")
    p.add_argument("--workdir", required=True, help="run folder (checkpoints, config, metrics)")
    p.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE",
                   help="config override, e.g. train.steps=200 or model=small (repeatable)")
    p.add_argument("--parent-run-id", default=None, help="MLflow parent run")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    g = p.add_argument_group("many processes (else $INKREPRO_COORDINATOR etc., or a detected "
                             "TPU / SLURM / Kubernetes cluster)")
    g.add_argument("--coordinator", default=None, metavar="HOST:PORT", help="process 0's address")
    g.add_argument("--num-processes", type=int, default=None)
    g.add_argument("--process-id", type=int, default=None)
    p.set_defaults(func=_train)


def _train(a) -> int:
    from inkrepro import cluster, config, configlib
    from inkrepro import train as train_mod

    if a.config:
        with open(a.config) as f:
            cfg = config.from_dict(json.load(f))
    else:
        cfg = config.profile(a.profile, a.override)
    if a.print_config:
        print(json.dumps(configlib.to_dict(cfg), indent=1))
        return 0
    given = cluster.Settings(a.coordinator, a.num_processes, a.process_id)
    cluster.initialize(given if given.given() else None)
    try:
        res = train_mod.train(cfg, a.workdir, parent_run_id=a.parent_run_id)
    except cluster.Preempted as e:  # saved; a managed job restarts us and we resume
        print(f"inkrepro: {e}", file=sys.stderr)
        return cluster.PREEMPTED_EXIT
    print(json.dumps({k: res[k] for k in ("checkpoint", "run_id", "steps")} | {
        k: round(v, 4) for k, v in res["metrics"].items() if k in ("train/loss", "val/loss")}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except (UserError, InkError) as e:
        print(f"inkrepro: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a read-only or full disk, a missing folder: one line, no traceback
        print(f"inkrepro: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("inkrepro: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
