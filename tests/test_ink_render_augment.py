import numpy as np
import pytest

from ink_fixtures import word_ink
from inkrepro.errors import InkError
from inkrepro.ink import augment, geometry, render
from inkrepro.ink.augment import AugmentConfig
from inkrepro.ink.core import Ink


def test_render_shape_colour_background():
    img = render.render(word_ink(), (300, 200), width=3, color=(10, 20, 200), background=(250, 240, 230))
    assert img.shape == (200, 300, 3) and img.dtype == np.uint8
    assert tuple(img[0, 0]) == (250, 240, 230)
    assert (np.abs(img.astype(int) - (10, 20, 200)).sum(-1) == 0).sum() > 100  # solid ink core


def test_render_antialiased_and_width_scales_coverage():
    ink = word_ink()
    m1 = render.render_mask(ink, 224, width=1.5)
    m4 = render.render_mask(ink, 224, width=4.0)
    assert ((m1 > 0) & (m1 < 255)).sum() > 50  # partial-coverage edge pixels
    ratio = m4.sum() / m1.sum()
    assert 2.0 < ratio < 3.2


def test_round_caps_and_joins():
    # a single segment: coverage extends width/2 beyond the end points (round cap)
    m = render.render_mask(Ink.from_xy([[[50, 50], [100, 50]]]), 160, width=20)
    assert m[50, 42] > 200 and m[50, 107] > 200 and m[40, 50] > 200
    assert m[41, 41] < 128  # corner of a square cap would be filled; a round cap is not
    # a sharp V: no miter spike above the apex
    v = render.render_mask(Ink.from_xy([[[20, 150], [60, 50], [100, 150]]]), 200, width=12)
    assert v[:40].max() == 0 and v[44:50, 55:65].max() > 200
    # a one-point stroke is a disc
    d = render.render_mask(Ink.from_xy([[[30, 30]]]), 60, width=10)
    assert d[30, 30] == 255 and d[30, 36] == 0 and 60 < (d > 127).sum() < 100


def test_width_variation_changes_width_along_stroke():
    line = Ink.from_xy([np.c_[np.linspace(10, 210, 200), np.full(200, 100.0)]])
    m = render.render_mask(line, 224, width=6, width_variation=0.6, rng=np.random.default_rng(3))
    col_widths = (m[:, 20:200] > 127).sum(0)
    assert col_widths.max() - col_widths.min() >= 3
    same = render.render(line, 224, width=6, width_variation=0.6, seed=3)
    assert np.array_equal(same, render.render(line, 224, width=6, width_variation=0.6, seed=3))


def test_render_bad_input():
    with pytest.raises(InkError):
        render.render(Ink.from_xy([[[0, 0], [np.inf, 3]]]), 32)
    empty = render.render(Ink(), 32)
    assert (empty == 255).all()
    assert (render.render(Ink.from_xy([[], [[5, 5], [10, 10]]]), 32) < 255).any()  # empty stroke ok


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("seed", range(6))
def test_rotation_augment_keeps_target_aligned(seed):
    ink, _ = geometry.fit_to_frame(word_ink(), 224, margin=10)
    cfg = AugmentConfig.none(width=3.0).only(p_rotation=1.0, rotation_deg=(-25.0, 25.0),
                                             p_scale=1.0, scale=(0.6, 1.0))
    img, target = augment.render_augmented(ink, 224, cfg, np.random.default_rng(seed))
    assert not target.allclose(ink, 1e-3)  # geometry changed
    lo, hi = target.bbox[:2], target.bbox[2:]
    assert min(lo) >= 0 and max(hi) <= 224
    got = img.astype(np.float32).mean(-1) < (255 + 19) / 2  # more than half covered by ink
    assert _iou(render.render_mask(target, 224, width=3.0) > 127, got) > 0.9
    # control: the untransformed ink, or the target shifted by 2 px, does not overlay
    assert _iou(render.render_mask(target.translate(2, 0), 224, width=3.0) > 127, got) < 0.6
    assert _iou(render.render_mask(ink, 224, width=3.0) > 127, got) < 0.6


@pytest.mark.parametrize("seed", range(8))
def test_full_augment_target_overlays_ink_pixels(seed):
    ink, _ = geometry.fit_to_frame(word_ink(), 224, margin=10)
    cfg = AugmentConfig().only(p_distractors=0.0, p_jpeg=1.0, p_noise=1.0, jpeg_quality=(40, 60))
    img, target = augment.render_augmented(ink, 224, cfg, np.random.default_rng(seed))
    assert img.shape == (224, 224, 3) and img.dtype == np.uint8
    core = render.render_mask(target, 224, width=1.0) > 200
    far = render.render_mask(target, 224, width=25.0) == 0
    g = img.astype(np.float32).mean(-1)
    # the target's centre line is clearly darker than the paper away from the ink
    assert np.median(g[core]) < np.median(g[far]) - 25


def test_augment_is_seeded_and_varied():
    ink, _ = geometry.fit_to_frame(word_ink(), 224, margin=10)
    cfg = AugmentConfig()
    a, ta = augment.render_augmented(ink, 224, cfg, np.random.default_rng(5))
    b, tb = augment.render_augmented(ink, 224, cfg, np.random.default_rng(5))
    c, _ = augment.render_augmented(ink, 224, cfg, np.random.default_rng(6))
    assert np.array_equal(a, b) and ta.allclose(tb) and not np.array_equal(a, c)


def test_augment_none_is_clean_render():
    ink, _ = geometry.fit_to_frame(word_ink(), 224, margin=10)
    img, target = augment.render_augmented(ink, 224, AugmentConfig.none(2.0), np.random.default_rng(0))
    assert target is ink
    ref = render.render(ink, 224, width=2.0, color=(18, 18, 22))
    diff = np.abs(img.astype(int) - ref)
    assert diff.max() <= 8 and diff.mean() < 0.2


@pytest.mark.parametrize("field", ["p_paper", "p_ruled", "p_grid", "p_gradient", "p_blotch",
                                   "p_distractors", "p_blur", "p_brightness_contrast", "p_noise",
                                   "p_jpeg", "p_ink_color"])
def test_each_augmentation_changes_the_image(field):
    ink, _ = geometry.fit_to_frame(word_ink(), 224, margin=10)
    base = AugmentConfig.none(2.0)
    clean, _ = augment.render_augmented(ink, 224, base, np.random.default_rng(1))
    out, _ = augment.render_augmented(ink, 224, base.only(**{field: 1.0}), np.random.default_rng(1))
    assert np.abs(out.astype(int) - clean).mean() > 0.05


def test_degrade_image_and_blur():
    img = np.full((40, 60, 3), 200, np.uint8)
    img[10:30, 20:40] = 30
    out = augment.degrade_image(img, AugmentConfig().only(p_blur=1, p_noise=1, p_jpeg=1),
                                np.random.default_rng(0))
    assert out.shape == img.shape and out.dtype == np.uint8 and not np.array_equal(out, img)
    blurred = augment.gaussian_blur(img[:, :, 0].astype(np.float32), 1.0)
    assert blurred.shape == (40, 60) and abs(blurred.sum() - img[:, :, 0].sum()) / img[:, :, 0].sum() < 1e-4
    with pytest.raises(ValueError):
        augment.degrade_image(np.zeros((4, 4)), AugmentConfig(), np.random.default_rng(0))


def test_augment_bad_and_empty_ink():
    with pytest.raises(InkError):
        augment.render_augmented(Ink.from_xy([[[np.nan, 1]]]), 224, AugmentConfig(), np.random.default_rng(0))
    img, target = augment.render_augmented(Ink(), 224, AugmentConfig(), np.random.default_rng(0))
    assert img.shape == (224, 224, 3) and target.is_empty


def test_config_round_trips_through_configlib():
    from inkrepro import configlib
    cfg = AugmentConfig()
    assert configlib.from_dict(AugmentConfig, configlib.to_dict(cfg)) == cfg
    assert configlib.apply_overrides(cfg, ["rotation_deg=[-5, 5]"]).rotation_deg == (-5, 5)
