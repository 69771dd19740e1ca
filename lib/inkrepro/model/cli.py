"""`inkrepro model summary --config NAME`: exact parameter counts without allocating
(``inkrepro.summary``; ``--log`` records them in MLflow for the model-variants table)."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("model", help="model configs and parameter counts")
    sub = p.add_subparsers(dest="model_cmd", metavar="CMD")
    s = sub.add_parser("summary", help="exact parameter counts per component (jax.eval_shape)")
    s.add_argument("--config", default="tiny", help="tiny | small | large")
    s.add_argument("--profile", default="laptop",
                   help="image size and text vocabulary come from this profile (default laptop)")
    s.add_argument("--image-size", type=int, default=0,
                   help="default: the profile's for patch < 16, else 224")
    s.add_argument("--vocab-size", type=int, default=0,
                   help="output vocabulary (default: the config's, else the profile's text + 451 ink)")
    s.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE",
                   help="model override without the 'model.' prefix, e.g. d_model=256")
    s.add_argument("--log", action="store_true",
                   help="record every config of the profile in MLflow (model-variants table)")
    s.set_defaults(func=_summary)
    p.set_defaults(func=lambda a: p.print_help() or 1)


def _summary(a) -> int:
    from inkrepro import summary

    print(summary.summary_text(a.config, a.profile, a.image_size, a.vocab_size, a.override))
    if a.log:
        ids = summary.log_variants(a.profile)
        print(f"recorded {len(ids)} new model-variant run(s) for profile {a.profile}")
    return 0
