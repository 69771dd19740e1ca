"""Config validation in one place (``inkrepro.config.check``): every wrong type and every value
out of range is one UserError naming the key, the value and what is valid, when the config is
built (profiles, overrides, ``from_dict``), so ``--print-config`` and sweep plans see it too."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from inkrepro import config, configlib
from inkrepro.configlib import Range
from inkrepro.data import config as data_config
from inkrepro.data import photos, synthetic
from inkrepro.errors import UserError
from inkrepro.evaluate import options as eval_options
from inkrepro.ink import augment
from inkrepro.model import configs as model_configs


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


@pytest.mark.parametrize("override, message", [
    # data.augmentation (ink.augment.RANGES)
    ("data.augmentation.p_blur=1.5", "data.augmentation.p_blur=1.5 is out of range: must be >= 0 and <= 1"),
    ("data.augmentation.p_noise=-0.1", "data.augmentation.p_noise=-0.1 is out of range"),
    ("data.augmentation.width=[4.0, 1.0]", "data.augmentation.width=(4.0, 1.0) is out of range: must be a "
     "(min, max) pair with min <= max"),
    ("data.augmentation.width=[0, 2]", "data.augmentation.width=(0.0, 2.0) is out of range"),
    ("data.augmentation.width=[1.0]", "data.augmentation.width=[1.0]: must be a list of 2 values"),
    ("data.augmentation.width=[1, 2, 3]", "must be a list of 2 values"),
    ("data.augmentation.scale=[.inf, 1]", "data.augmentation.scale=(inf, 1.0) is out of range"),
    ("data.augmentation.rotation_deg=[-720, 0]", "data.augmentation.rotation_deg=(-720.0, 0.0) is out of range"),
    ("data.augmentation.width_variation=[0, 1]", "data.augmentation.width_variation=(0.0, 1.0) is out of range"),
    ("data.augmentation.jpeg_quality=[30, 101]", "data.augmentation.jpeg_quality=(30, 101) is out of range"),
    ("data.augmentation.distractors=[3, 1]", "data.augmentation.distractors=(3, 1) is out of range"),
    ("data.augmentation.distractors=[1.5, 2]", "data.augmentation.distractors[0]=1.5: must be an integer"),
    ("data.augmentation.noise_std=[-1, 2]", "data.augmentation.noise_std=(-1.0, 2.0) is out of range"),
    ("data.augmentation.p_jpeg=.nan", "data.augmentation.p_jpeg=nan is out of range"),
    # data.photos (data.photos.RANGES + the word rules)
    ("data.photos.p_neighbours=2", "data.photos.p_neighbours=2.0 is out of range: must be >= 0 and <= 1"),
    ("data.photos.font_px=[0, 10]", "data.photos.font_px=(0, 10) is out of range"),
    ("data.photos.font_px=[56, 22]", "data.photos.font_px=(56, 22) is out of range: must be a (min, max) pair"),
    ("data.photos.font_px=[22, 100000]", "data.photos.font_px=(22, 100000) is out of range"),
    ("data.photos.perspective=0.5", "data.photos.perspective=0.5 is out of range: must be >= 0 and < 0.5"),
    ("data.photos.blur=[1.4, 0.0]", "data.photos.blur=(1.4, 0.0) is out of range"),
    ("data.photos.jpeg_quality=[90, 25]", "data.photos.jpeg_quality=(90, 25) is out of range"),
    ("data.photos.min_chars=0", "data.photos.min_chars=0 is out of range: must be >= 1"),
    ("data.photos.min_chars=11", "data.photos.min_chars=11 must be <= data.photos.max_chars (10)"),
    ("data.photos.words_per_language=0", "data.photos.words_per_language=0 is out of range"),
    ("data.photos.p_upper=0.9", "data.photos.p_upper=0.9 and data.photos.p_capitalized=0.2 are "
     "probabilities of one draw"),
    ("data.photos.languages=[]", "data.photos.languages=(): name at least one language"),
    ("data.photos.seed=-1", "data.photos.seed=-1 is out of range"),
    # data.hershey / data.kanjivg (data.synthetic.RANGES + the word, face and split rules)
    ("data.hershey.p_number=1.5", "data.hershey.p_number=1.5 is out of range: must be >= 0 and <= 1"),
    ("data.hershey.max_chars=1", "data.hershey.min_chars=2 must be <= data.hershey.max_chars (1)"),
    ("data.kanjivg.max_chars=0", "data.kanjivg.max_chars=0 is out of range"),
    ("data.hershey.num_writers=2", "data.hershey.num_writers=2 is out of range: must be >= 3"),
    ("data.hershey.writer_split=[0.8, 0.2]", "data.hershey.writer_split=[0.8, 0.2]: must be a list of 3 values"),
    ("data.hershey.writer_split=[0, 0, 0]", "data.hershey.writer_split=(0.0, 0.0, 0.0): the fractions must not all be 0"),
    ("data.kanjivg.writer_split=[0, 1, 0]", "data.kanjivg.num_writers=60 and data.kanjivg.writer_split="
     "(0.0, 1.0, 0.0) leave no writer for a split"),
    ("data.hershey.faces=[futural, comic]", "data.hershey.faces=('futural', 'comic'): name one or more Hershey faces"),
    ("data.hershey.face_weights=[1, 1]", "data.hershey.face_weights=(1.0, 1.0): one weight per face of "
     "data.hershey.faces (4)"),
    ("data.hershey.face_weights=[0, 0, 0, 0]", "not all 0"),
    ("data.hershey.face_weights=[1, -1, 1, 1]", "data.hershey.face_weights=(1.0, -1.0, 1.0, 1.0) is out of "
     "range: must be each >= 0"),
    ("data.kanjivg.glyphs=hiragana", "data.kanjivg.glyphs='hiragana': must be one of ('hershey', 'kanjivg')"),
    ("data.hershey.sample_rate_hz=0", "data.hershey.sample_rate_hz=0.0 is out of range: must be > 0"),
    ("data.hershey.words_per_language=-5", "data.hershey.words_per_language=-5 is out of range"),
    # edges that are valid
    ("data.augmentation.p_blur=1", None), ("data.augmentation.width=[2.0, 2.0]", None),
    ("data.photos.perspective=0", None), ("data.hershey.min_chars=10", None),
    ("data.hershey.num_writers=3", None), ("data.kanjivg.faces=[]", None),
    ("data.hershey.writer_split=[1, 0, 0]", None), ("data.augmentation.brightness=[-255, 255]", None),
])
def test_nested_data_configs_have_ranges(override, message):
    test_every_bad_value_is_one_line_naming_key_value_range(override, message)


def _numbers(hint) -> bool:
    """An int/float field, or a tuple of them."""
    if hint in (int, float) or hint == float | None:
        return True
    return typing.get_origin(hint) is tuple and all(a in (int, float, Ellipsis) for a in typing.get_args(hint))


@pytest.mark.parametrize("cls, ranges", [
    (synthetic.SyntheticInkConfig, synthetic.RANGES), (photos.PhotoConfig, photos.RANGES),
    (augment.AugmentConfig, augment.RANGES), (eval_options.EvalOptions, eval_options.RANGES),
    (config.TrainConfig, config.TRAIN_RANGES), (config.ExperimentConfig, config.EXPERIMENT_RANGES),
    (data_config.DataConfig, data_config.RANGES), (model_configs.ModelConfig, model_configs.RANGES),
])
def test_every_numeric_field_has_a_range(cls, ranges):
    hints = typing.get_type_hints(cls)
    numeric = {f.name for f in dataclasses.fields(cls) if _numbers(hints[f.name])}
    assert numeric == set(ranges), (sorted(numeric - set(ranges)), sorted(set(ranges) - numeric))
    for name, value in configlib.to_dict(cls()).items():   # the defaults lie inside their ranges
        if name in ranges:
            for v in value if isinstance(value, list) else [value]:
                assert ranges[name].ok(v), (name, value)


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
    assert not Range(0).ok(float("inf")) and not Range().ok(float("-inf")) and Range(0).ok(10 ** 400)
    assert str(Range(1, also=(-1,), note="all")) == ">= 1 (or -1); all"
    assert str(Range(0, 1, ordered=True)) == "a (min, max) pair with min <= max, each >= 0 and <= 1"
