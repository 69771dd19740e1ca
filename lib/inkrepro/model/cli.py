"""`inkrepro model summary --config NAME`: exact parameter counts without allocating."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("model", help="model configs and parameter counts")
    sub = p.add_subparsers(dest="model_cmd", metavar="CMD")
    s = sub.add_parser("summary", help="exact parameter counts per component (jax.eval_shape)")
    s.add_argument("--config", default="tiny", help="tiny | small | large")
    s.add_argument("--image-size", type=int, default=0, help="default: 64 for tiny, 224 otherwise")
    s.add_argument("--vocab-size", type=int, default=0,
                   help="output vocabulary (default: the config's, else 1000 text + 451 ink)")
    s.add_argument("-o", "--override", action="append", default=[], metavar="KEY=VALUE",
                   help="model override without the 'model.' prefix, e.g. d_model=256")
    s.set_defaults(func=_summary)
    p.set_defaults(func=lambda a: p.print_help() or 1)


def summary_text(name: str, image_size: int = 0, vocab_size: int = 0, overrides=()) -> str:
    from inkrepro import configlib
    from inkrepro.model import configs, derenderer

    cfg = configlib.apply_overrides(configs.get(name), list(overrides))
    size = image_size or (64 if name == "tiny" else 224)
    vocab = vocab_size or cfg.vocab_size or 1000 + 451
    model = derenderer.abstract(cfg, image_size=size, vocab_size=vocab)
    counts = derenderer.param_counts(model)
    lines = [f"model {cfg.name}: image {size}px, patch {cfg.patch_size} ({model.num_patches} patches), "
             f"ViT {cfg.vit_width}x{cfg.vit_depth}, T5 d_model {cfg.d_model} "
             f"{cfg.enc_layers}+{cfg.dec_layers} layers, d_ff {cfg.d_ff}, vocab {model.vocab_size}"]
    for k, v in counts.items():
        lines.append(f"  {k:<30} {v:>15,}  ({v / 1e6:.2f}M)")
    return "\n".join(lines)


def _summary(a) -> int:
    print(summary_text(a.config, a.image_size, a.vocab_size, a.override))
    return 0
