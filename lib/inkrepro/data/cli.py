"""`inkrepro data list | prepare NAME --root PATH | verify NAME --root PATH` (argument parsing;
each handler imports the module that does the work when it runs, see ``inkrepro.cli``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import yaml

from inkrepro.data.readers._base import parse_split_option
from inkrepro.errors import BadRecord, UserError


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for item in args.option or ():
        if "=" not in item:
            raise UserError(f"--option takes KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        d = opts
        parts = key.strip().split(".")
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = value
    splits = parse_split_option(args.split_list)
    if splits:
        opts["split_lists"] = splits
    return opts


def _call(fn, name: str, opts: dict[str, Any], **kw):
    try:
        return fn(name, options=opts, **kw)
    except BadRecord as e:  # --strict
        raise UserError(f"{name}: bad record (strict mode): {e}") from None


def cmd_list(args: argparse.Namespace) -> int:
    from inkrepro.data import sources

    rows = sources.table()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{w}}  {r['kind']:<10} present: {r['present']:<3}  {r['where']}")
        print(f"{'':<{w}}  {r['title']}")
        if r["paper_role"]:
            print(f"{'':<{w}}  paper: {r['paper_role']}")
        print(f"{'':<{w}}  licence: {r['licence']}")
        print(f"{'':<{w}}  cite: {r['citation']}")
        print(f"{'':<{w}}  get it: {r['url']}")
        if r["layout"]:
            print(f"{'':<{w}}  layout as shipped:")
            for ln in r["layout"].splitlines():
                print(f"{'':<{w}}    {ln}")
    print("\nroots: --root PATH, or $INKREPRO_DATA/<name>")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from inkrepro.data import prepare, sources

    root = sources.resolve_root(args.name, args.root)
    report = _call(prepare.prepare, args.name, _options(args), root=root, out=args.out,
                   strict=args.strict, shard_size=args.shard_size, force=args.force, split=args.split)
    print(json.dumps(report, indent=1, default=str) if args.json else prepare.format_report(report))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from inkrepro.data import prepare, sources

    root = sources.resolve_root(args.name, args.root)
    report = _call(prepare.verify, args.name, _options(args), root=root, split=args.split)
    print(json.dumps(report, indent=1, default=str) if args.json else prepare.format_report(report))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="source name (see `inkrepro data list`)")
    p.add_argument("--root", help="dataset folder (default: $INKREPRO_DATA/<name>)")
    p.add_argument("--split-list", action="append", metavar="SPLIT=PATH",
                   help="id list for a split, e.g. test=testset_f.txt (repeatable)")
    p.add_argument("--option", "-o", action="append", metavar="KEY=VALUE",
                   help="reader option, e.g. level=line or filters.handwritten=false (repeatable)")
    p.add_argument("--split", help="only this split (train, validation, test, unassigned)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="real and synthetic data sources: list, prepare, verify")
    sub = p.add_subparsers(dest="data_cmd", metavar="CMD", required=True)
    pl = sub.add_parser("list", help="every source with licence, citation, where to get it, presence")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_list)
    pp = sub.add_parser("prepare", help="convert a dataset into the prepared shard store")
    _common(pp)
    pp.add_argument("--out", help="store folder (default: $INKREPRO_CACHE/prepared/<name>, "
                    "runs/cache/prepared/<name> without it: where the training pipeline looks)")
    pp.add_argument("--strict", action="store_true", help="stop at the first bad record")
    pp.add_argument("--shard-size", type=int, default=1000)
    pp.add_argument("--force", action="store_true", help="discard an existing preparation in --out")
    pp.set_defaults(func=cmd_prepare)
    pv = sub.add_parser("verify", help="count a dataset: splits, skipped records, paper sizes")
    _common(pv)
    pv.set_defaults(func=cmd_verify)
