"""Config validation in one place (``inkrepro.config.check``): every wrong type and every value
out of range is one UserError naming the key, the value and what is valid, when the config is
built (profiles, overrides, ``from_dict``), so ``--print-config`` and sweep plans see it too."""

from __future__ import annotations

import pytest

from inkrepro import config, configlib
from inkrepro.configlib import Range
from inkrepro.errors import UserError


@pytest.mark.parametrize("override, message", [
    ("train.steps=-1", "train.steps=-1 is out of range: must be >= 1"),
    ("train.steps=0", "train.steps=0 is out of range"),
    ("train.keep_checkpoints=0", "train.keep_checkpoints=0 is out of range: must be >= 1"),
    ("train.batch_size=0", "train.batch_size=0 is out of range"),
    ("train.batch_size=-4", "train.batch_size=-4 is out of range"),
    ("train.steps=abc", "train.steps='abc': must be an integer"),
    ("train.steps=1.5", "train.steps=1.5: must be an integer"),
    ("train.lr_peak=fast", "train.lr_peak='fast': must be a number"),
    ("train.lr_peak=-0.1", "train.lr_peak=-0.1 is out of range: must be >= 0"),
    ("train.lr_peak=.nan", "train.lr_peak=nan is out of range"),
    ("seed=abc", "seed='abc': must be an integer"),
    ("seed=-1", "seed=-1 is out of range"),
    ("train=1", "train=1: train is a group of settings"),
    ("model=1", "model=1: model is a group of settings"),
    ("data.image_size=-32", "data.image_size=-32 is out of range"),
    ("data.image_size=36", "data.image_size=36 must be a positive multiple of model.patch_size"),
    ("train.warmup_steps=8", "train.warmup_steps=8 must be < train.steps"),
    ("train.batch_size=5", None),     # smoke: batch 5 on an unconstrained mesh is fine
    ("train.mesh_fsdp=2", None),      # batch 4 over 2 is fine at config time
    ("train.mesh_fsdp=3", "train.batch_size=4 must be divisible by the mesh"),
    ("train.mesh_data=0", "train.mesh_data=0 is out of range: must be >= 1 (or -1)"),
    ("train.track=1", "train.track=1: must be true/false"),
    ("train.optimizer=sgd", "train.optimizer='sgd': must be one of"),
    ("train.input_noise_p=1.5", "train.input_noise_p=1.5 is out of range: must be >= 0 and <= 1"),
    ("model.dropout=1", "model.dropout=1.0 is out of range: must be >= 0 and < 1"),
    ("model.posemb=rope", "model.posemb='rope': must be one of"),
    ("model.d_model=0", "model.d_model=0 is out of range"),
    ("data.mixture.vanilla_derender=x", "data.mixture.vanilla_derender='x': must be a number"),
    ("data.mixture.vanilla_derender=-1", "data.mixture.vanilla_derender=-1 is out of range"),
    ("data.mixture={}", "at least one weight must be > 0"),
    ("data.ink_sources=3", "data.ink_sources=3: must be"),
    ("data.hershey=2", "data.hershey=2: data.hershey is a group of settings"),
    ("data.max_target_len=1", "data.max_target_len=1 is out of range: must be >= 2"),
])
def test_every_bad_value_is_one_line_naming_key_value_range(override, message):
    if message is None:
        config.profile("smoke", [override])
        return
    with pytest.raises(UserError) as e:
        config.profile("smoke", [override])
    text = str(e.value)
    assert message in text and "\n" not in text, text


def test_every_profile_and_its_roundtrip_pass_the_check():
    for name in config.PROFILES:
        cfg = config.profile(name)
        assert config.from_dict(configlib.to_dict(cfg)) == cfg
    d = configlib.to_dict(config.profile("smoke"))
    d["train"]["steps"] = -3   # a config.json edited by hand is checked too
    with pytest.raises(UserError, match="train.steps=-3 is out of range"):
        config.from_dict(d)


def test_range_edges():
    assert Range(1).ok(1) and not Range(1).ok(0)
    assert Range(0, lo_open=True).ok(1e-9) and not Range(0, lo_open=True).ok(0)
    assert Range(0, 1, hi_open=True).ok(0.5) and not Range(0, 1, hi_open=True).ok(1)
    assert Range(1, also=(-1,)).ok(-1) and not Range(1, also=(-1,)).ok(-2)
    assert not Range(0).ok(float("nan")) and not Range(None, 1).ok(float("nan"))
    assert str(Range(1, also=(-1,), note="all")) == ">= 1 (or -1); all"
