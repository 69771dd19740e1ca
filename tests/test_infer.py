# ruff: noqa: F811  (pytest fixtures imported from model_fixtures)
"""The inference path: modes over a fake decoder (prompts from tasks.PROMPTS, parsing, the r+d
fallback), letterboxing any crop, token counting, and a real micro model end to end."""

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from inkrepro import infer, tasks, text
from inkrepro.errors import UserError
from inkrepro.ink import tokens
from inkrepro.ink.core import Ink
from model_fixtures import IMG, LP, V_TEXT, V, micro_model  # noqa: F401

LINE = Ink.from_xy([[[10, 20], [30, 40]]])
CFG = SimpleNamespace(data=SimpleNamespace(image_size=8, max_prompt_len=8, max_target_len=16))


def _fake():
    calls = []

    def fn(images, prompts, allow_text):
        calls.append((list(prompts), allow_text))
        ink = tokens.to_text(tokens.encode(LINE))
        return [("word" if i == 1 else f"word {ink}") if p == "Recognize and derender." else ink
                for i, p in enumerate(prompts)]

    return infer.Inference(CFG, decode_fn=fn), calls


def test_modes_prompts_parse_and_fallback():
    inf, calls = _fake()
    imgs = np.zeros((3, 8, 8, 3), np.uint8)
    v = inf.derender(imgs, "vanilla")                   # alias of vanilla_derender
    assert [o.prompt for o in v] == [tasks.PROMPTS["vanilla_derender"]] * 3
    assert v[0].mode == "vanilla_derender" and v[0].ink.allclose(LINE)
    d = inf.derender(list(imgs), "d+t", texts=["a", "b", "c"])
    assert [o.prompt for o in d] == ["Derender the ink: a", "Derender the ink: b", "Derender the ink: c"]
    assert [o.text_in for o in d] == ["a", "b", "c"]
    calls.clear()
    r = inf.derender(imgs, "r+d")
    assert [o.text_out for o in r] == ["word"] * 3
    assert [o.fallback for o in r] == [False, True, False]
    assert r[1].ink.allclose(LINE)              # the vanilla rerun's ink
    assert calls == [(["Recognize and derender."] * 3, True), (["Derender the ink."], False)]
    assert infer.MODES == ("vanilla_derender", "derender_with_text", "recognize_and_derender")
    with pytest.raises(UserError, match="unknown inference mode"):
        infer.canonical("sketch")
    with pytest.raises(ValueError, match="needs one text per image"):
        inf.derender(imgs, "derender_with_text")
    with pytest.raises(UserError, match="letterbox"):
        inf.derender(np.zeros((1, 16, 16, 3), np.uint8))


def test_letterbox_keeps_the_transform_and_frames():
    crop = np.full((100, 400, 3), 255, np.uint8)
    lb = infer.letterbox(Image.fromarray(crop), 112)
    assert lb.image.shape == (112, 112, 3) and lb.image[0, 0].tolist() == [0, 0, 0]   # black bars
    src = Ink.from_xy([[[5, 7], [390, 90]]])
    assert lb.transform.inverse(lb.transform.forward(src)).allclose(src, atol=1e-9)
    assert infer.letterbox(crop[..., 0], 64).image.shape == (64, 64, 3)          # grayscale
    ink = Ink.from_xy([[[0, 0], [224, 224]]])
    assert infer.to_image_frame(ink, 112).points.max() == 112


def test_count_tokens_up_to_and_including_eos():
    ids = np.array([[5, 6, 1, 0, 0], [5, 6, 7, 8, 9], [1, 0, 0, 0, 0]])
    assert infer.count_tokens(ids, eos_id=1) == 3 + 5 + 1


def test_micro_model_end_to_end(micro_model):
    vocab = SimpleNamespace(ink_offset=V_TEXT, size=V, pad_id=text.PAD_ID, eos_id=text.EOS_ID,
                            unk_id=text.UNK_ID, encode_text=lambda s: [3 + len(w) for w in s.split()],
                            decode=lambda ids: "".join(tokens.token_str(int(i) - V_TEXT)
                                                       for i in ids if int(i) >= V_TEXT))
    cfg = SimpleNamespace(data=SimpleNamespace(image_size=IMG, max_prompt_len=LP, max_target_len=12))
    inf = infer.Inference(cfg, vocab, micro_model, infer.Decoding(batch_size=4))
    assert inf.decoding.constrained is infer.CONSTRAINED is True
    imgs = np.random.default_rng(0).integers(0, 256, (5, IMG, IMG, 3)).astype(np.uint8)
    outs = inf.derender(imgs)                   # 5 inputs: one full batch + one padded batch
    assert len(outs) == 5 and all(o.ink.num_strokes >= 1 for o in outs)   # constrained grammar
    # the padded batch decodes each row as the full batch does
    again = inf.derender(imgs[4:])
    assert again[0].output == outs[4].output
    ids = np.asarray(inf.generate(imgs[:4], inf.encode_prompts(["Derender the ink."] * 4), False))
    assert ids.shape == (4, 12) and 4 <= infer.count_tokens(ids, vocab.eos_id) <= 48
