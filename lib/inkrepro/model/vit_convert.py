"""Initialise our ViT from weights the user supplies (we ship none).

Accepted: a ``.npz`` or an Orbax checkpoint folder holding **big_vision names** (what
``big_vision`` ViT checkpoints and PaLI's ``img/`` subtree use; ``params/`` and ``img/``
prefixes are stripped), e.g. ``embedding/kernel`` [p,p,3,D], ``pos_embedding`` [1,N,D],
``Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel`` [D,H,Dh],
``Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel``, ``Transformer/encoder_norm/scale``.
The classifier head and class token are ignored; position embeddings are resized bilinearly
when the patch grid differs.

timm / PyTorch ViT weights (``patch_embed.proj.weight``, ``blocks.0.attn.qkv.weight``, ...):
export the state dict to .npz (``np.savez(out, **{k: v.numpy() for k, v in sd.items()})``),
then convert once::

    python -m inkrepro.model.vit_convert timm_vit_b16.npz vit_b16_bv.npz --source timm
    inkrepro train --profile paper -o model.vit_init=vit_b16_bv.npz ...

For an ImageNet-21k ViT-B/16 (the paper's Small-p init) use e.g. big_vision's
``gs://vit_models/augreg/B_16-i21k-...npz`` (already big_vision names, no conversion).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from inkrepro.errors import UserError

BLOCK = "Transformer/encoderblock_{i}/"


def _names(i: int) -> dict[str, str]:
    """Our per-block parameter paths -> big_vision names."""
    b, att, mlp = BLOCK.format(i=i), BLOCK.format(i=i) + "MultiHeadDotProductAttention_1/", BLOCK.format(i=i) + "MlpBlock_3/"
    out = {"ln_1.scale": b + "LayerNorm_0/scale", "ln_1.bias": b + "LayerNorm_0/bias",
           "ln_2.scale": b + "LayerNorm_2/scale", "ln_2.bias": b + "LayerNorm_2/bias",
           "mlp_in.kernel": mlp + "Dense_0/kernel", "mlp_in.bias": mlp + "Dense_0/bias",
           "mlp_out.kernel": mlp + "Dense_1/kernel", "mlp_out.bias": mlp + "Dense_1/bias"}
    for n in ("query", "key", "value", "out"):
        out[f"{n}.kernel"], out[f"{n}.bias"] = att + f"{n}/kernel", att + f"{n}/bias"
    return out


def _read(path: str | Path) -> dict[str, np.ndarray]:
    p = Path(path)
    if p.suffix == ".npz" and p.is_file():
        with np.load(p, allow_pickle=False) as z:
            flat = {k: np.asarray(z[k]) for k in z.files}
    elif p.is_dir():
        tree = ocp.StandardCheckpointer().restore(p.resolve())
        flat = {}

        def walk(t, pre):
            if isinstance(t, dict):
                for k, v in t.items():
                    walk(v, f"{pre}{k}/")
            else:
                flat[pre[:-1]] = np.asarray(t)

        walk(tree, "")
    else:
        raise UserError(f"ViT init {p} is neither a .npz file nor an Orbax checkpoint folder")
    for pre in ("params/", "img/"):
        if any(k.startswith(pre) for k in flat):
            flat = {k[len(pre):]: v for k, v in flat.items() if k.startswith(pre)}
    return flat


def _resize_posemb(pe: np.ndarray, n: int) -> np.ndarray:
    m = pe.shape[1]
    if m == n:
        return pe
    if int(np.sqrt(m)) ** 2 != m:      # a class token in front
        pe, m = pe[:, 1:], m - 1
    g0, g1 = int(np.sqrt(m)), int(np.sqrt(n))
    grid = pe.reshape(g0, g0, -1)
    return np.asarray(jax.image.resize(grid, (g1, g1, grid.shape[-1]), "bilinear")).reshape(1, n, -1)


def load_vit_params(model, path: str | Path) -> None:
    """Overwrite ``model.vit``'s parameters from big_vision-named weights at ``path``."""
    w = _read(path)
    vit = model.vit

    def put(var, name: str) -> None:
        if name not in w:
            raise UserError(f"ViT init {path}: missing {name!r} (has e.g. {', '.join(sorted(w)[:4])}); "
                            "convert timm weights with `python -m inkrepro.model.vit_convert --source timm`")
        arr = w[name]
        if name == "pos_embedding":
            arr = _resize_posemb(arr, var[...].shape[1])
        if arr.size != var[...].size:
            raise UserError(f"ViT init {path}: {name} has shape {arr.shape}, model needs "
                            f"{var[...].shape} (check model.vit_* sizes / patch_size)")
        var[...] = jnp.asarray(arr, var[...].dtype).reshape(var[...].shape)

    put(vit.embedding.kernel, "embedding/kernel")
    put(vit.embedding.bias, "embedding/bias")
    if vit.pos_embedding is not None:
        put(vit.pos_embedding, "pos_embedding")
    for i, blk in enumerate(vit.blocks):
        for ours, theirs in _names(i).items():
            mod, attr = ours.split(".")
            put(getattr(getattr(blk, mod), attr), theirs)
    put(vit.encoder_norm.scale, "Transformer/encoder_norm/scale")
    put(vit.encoder_norm.bias, "Transformer/encoder_norm/bias")


def to_big_vision(model) -> dict[str, np.ndarray]:
    """Our ViT's parameters under big_vision names and layouts (the inverse of loading)."""
    vit = model.vit
    h = vit.blocks[0].heads if len(vit.blocks) else 1
    out = {"embedding/kernel": np.asarray(vit.embedding.kernel[...]),
           "embedding/bias": np.asarray(vit.embedding.bias[...])}
    if vit.pos_embedding is not None:
        out["pos_embedding"] = np.asarray(vit.pos_embedding[...])
    for i, blk in enumerate(vit.blocks):
        for ours, theirs in _names(i).items():
            mod, attr = ours.split(".")
            a = np.asarray(getattr(getattr(blk, mod), attr)[...])
            d = a.shape[0]
            if mod in ("query", "key", "value"):
                a = a.reshape(d, h, -1) if attr == "kernel" else a.reshape(h, -1)
            elif mod == "out" and attr == "kernel":
                a = a.reshape(h, -1, a.shape[1])
            out[theirs] = a
    out["Transformer/encoder_norm/scale"] = np.asarray(vit.encoder_norm.scale[...])
    out["Transformer/encoder_norm/bias"] = np.asarray(vit.encoder_norm.bias[...])
    return out


def timm_to_big_vision(sd: dict[str, np.ndarray], num_heads: int | None = None) -> dict[str, np.ndarray]:
    """timm ViT state dict (torch layouts) -> big_vision names/layouts."""
    def g(k):
        if k not in sd:
            raise UserError(f"timm weights: missing {k!r}")
        return np.asarray(sd[k], np.float32)

    w = g("patch_embed.proj.weight")            # [D, 3, p, p]
    d = w.shape[0]
    heads = num_heads or max(1, d // 64)
    out = {"embedding/kernel": w.transpose(2, 3, 1, 0), "embedding/bias": g("patch_embed.proj.bias")}
    if "pos_embed" in sd:
        pe = g("pos_embed")
        out["pos_embedding"] = pe[:, 1:] if "cls_token" in sd else pe
    i = 0
    while f"blocks.{i}.norm1.weight" in sd:
        b, att, mlp = BLOCK.format(i=i), BLOCK.format(i=i) + "MultiHeadDotProductAttention_1/", BLOCK.format(i=i) + "MlpBlock_3/"
        t = f"blocks.{i}."
        out[b + "LayerNorm_0/scale"], out[b + "LayerNorm_0/bias"] = g(t + "norm1.weight"), g(t + "norm1.bias")
        out[b + "LayerNorm_2/scale"], out[b + "LayerNorm_2/bias"] = g(t + "norm2.weight"), g(t + "norm2.bias")
        qkv_w, qkv_b = g(t + "attn.qkv.weight"), g(t + "attn.qkv.bias")   # [3D, D], [3D]
        for j, n in enumerate(("query", "key", "value")):
            out[att + f"{n}/kernel"] = qkv_w[j * d:(j + 1) * d].T.reshape(d, heads, -1)
            out[att + f"{n}/bias"] = qkv_b[j * d:(j + 1) * d].reshape(heads, -1)
        out[att + "out/kernel"] = g(t + "attn.proj.weight").T.reshape(heads, -1, d)
        out[att + "out/bias"] = g(t + "attn.proj.bias")
        out[mlp + "Dense_0/kernel"], out[mlp + "Dense_0/bias"] = g(t + "mlp.fc1.weight").T, g(t + "mlp.fc1.bias")
        out[mlp + "Dense_1/kernel"], out[mlp + "Dense_1/bias"] = g(t + "mlp.fc2.weight").T, g(t + "mlp.fc2.bias")
        i += 1
    out["Transformer/encoder_norm/scale"], out["Transformer/encoder_norm/bias"] = g("norm.weight"), g("norm.bias")
    return out


def big_vision_to_timm(bv: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The inverse mapping (documents the layouts; used by the tests)."""
    k = bv["embedding/kernel"]
    d = k.shape[-1]
    sd = {"patch_embed.proj.weight": k.transpose(3, 2, 0, 1), "patch_embed.proj.bias": bv["embedding/bias"],
          "norm.weight": bv["Transformer/encoder_norm/scale"], "norm.bias": bv["Transformer/encoder_norm/bias"]}
    if "pos_embedding" in bv:
        sd["pos_embed"] = bv["pos_embedding"]
    i = 0
    while BLOCK.format(i=i) + "LayerNorm_0/scale" in bv:
        b, att, mlp = BLOCK.format(i=i), BLOCK.format(i=i) + "MultiHeadDotProductAttention_1/", BLOCK.format(i=i) + "MlpBlock_3/"
        t = f"blocks.{i}."
        sd[t + "norm1.weight"], sd[t + "norm1.bias"] = bv[b + "LayerNorm_0/scale"], bv[b + "LayerNorm_0/bias"]
        sd[t + "norm2.weight"], sd[t + "norm2.bias"] = bv[b + "LayerNorm_2/scale"], bv[b + "LayerNorm_2/bias"]
        sd[t + "attn.qkv.weight"] = np.concatenate([bv[att + f"{n}/kernel"].reshape(d, d).T for n in ("query", "key", "value")])
        sd[t + "attn.qkv.bias"] = np.concatenate([bv[att + f"{n}/bias"].reshape(d) for n in ("query", "key", "value")])
        sd[t + "attn.proj.weight"] = bv[att + "out/kernel"].reshape(d, d).T
        sd[t + "attn.proj.bias"] = bv[att + "out/bias"]
        sd[t + "mlp.fc1.weight"], sd[t + "mlp.fc1.bias"] = bv[mlp + "Dense_0/kernel"].T, bv[mlp + "Dense_0/bias"]
        sd[t + "mlp.fc2.weight"], sd[t + "mlp.fc2.bias"] = bv[mlp + "Dense_1/kernel"].T, bv[mlp + "Dense_1/bias"]
        i += 1
    return sd


def convert(src: str | Path, dst: str | Path, source: str = "timm", num_heads: int | None = None) -> Path:
    """Convert user-supplied weights to a big_vision-named .npz that ``model.vit_init`` loads."""
    if source == "timm":
        with np.load(src, allow_pickle=False) as z:
            bv = timm_to_big_vision({k: z[k] for k in z.files}, num_heads)
    elif source == "big_vision":
        bv = _read(src)
    else:
        raise UserError(f"source must be 'timm' or 'big_vision', got {source!r}")
    np.savez(dst, **bv)
    return Path(dst)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Convert ViT weights to big_vision names (.npz)")
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--source", default="timm", choices=("timm", "big_vision"))
    ap.add_argument("--num-heads", type=int, default=None, help="default: width // 64")
    a = ap.parse_args()
    print(convert(a.src, a.dst, a.source, a.num_heads))
