"""`inkrepro <verb>`: one argparse tree; each area registers its own verbs.

Handlers import heavy modules lazily so `inkrepro --help` stays fast. A UserError is printed as
one message (no traceback) and exits with status 2, and so is an InkError (invalid ink in a
file or a token string: its message names what is wrong).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from inkrepro.errors import InkError, UserError

# Each module exposes ``register(subparsers)`` adding its verbs with ``set_defaults(func=...)``.
_VERB_MODULES = (
    "inkrepro.ink.demo",
    "inkrepro.data.cli",
    "inkrepro.model.cli",
    "inkrepro.train",
    "inkrepro.evaluate.cli",
    "inkrepro.experiments.cli",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="inkrepro", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="verb", metavar="VERB")
    for name in _VERB_MODULES:
        importlib.import_module(name).register(sub)
    return p


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
    except KeyboardInterrupt:
        print("inkrepro: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
