"""The one image loader: exact conversions (16-bit, alpha, palette, EXIF) and the pixel limit.
Hostile files of every kind run through it in test_fuzz_inputs.py."""

import io

import numpy as np
import pytest
from PIL import Image

from inkrepro.data import images


def _enc(im, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def test_16bit_grey_is_scaled_not_clipped():
    a16 = np.array([[0, 257, 32896, 65535]], np.uint16)
    out = images.load_image(_enc(Image.fromarray(a16)))
    assert out[0, :, 0].tolist() == [0, 1, 128, 255] and (out[..., 0] == out[..., 2]).all()
    # what Pillow's own convert("RGB") gives: everything above 255 becomes white
    assert np.asarray(Image.open(io.BytesIO(_enc(Image.fromarray(a16)))).convert("RGB"))[0, 2, 0] == 255


def test_alpha_is_composited_over_white():
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, :, 3] = [0, 128, 255]                   # black at alpha 0, ~0.5, 1
    out = images.load_image(_enc(Image.fromarray(rgba, "RGBA")))
    assert out[0, :, 0].tolist() == [255, 127, 0]
    la = np.array([[[0, 0], [0, 255]]], np.uint8)
    assert images.load_image(_enc(Image.fromarray(la, "LA")))[0, :, 1].tolist() == [255, 0]
    pal = Image.new("P", (2, 1), 0)
    pal.putpalette([0, 0, 0, 10, 20, 30])
    pal.putpixel((1, 0), 1)
    assert images.load_image(_enc(pal, transparency=0)).tolist() == [[[255, 255, 255], [10, 20, 30]]]
    grey_key = _enc(Image.fromarray(np.array([[0, 90]], np.uint8)), transparency=0)   # tRNS colour key
    assert images.load_image(grey_key)[0, :, 0].tolist() == [255, 90]


@pytest.mark.parametrize("orientation,shape,red_at", [(1, (10, 40), (0, 0)), (3, (10, 40), (9, 39)),
                                                      (6, (40, 10), (0, 9)), (8, (40, 10), (39, 0))])
def test_exif_orientation_is_honoured(orientation, shape, red_at):
    im = Image.new("RGB", (40, 10), (255, 255, 255))
    im.paste((255, 0, 0), (0, 0, 4, 4))             # a red block at the stored top-left
    exif = im.getexif()
    exif[0x0112] = orientation
    out = images.load_image(_enc(im, "PNG", exif=exif.tobytes()))
    assert out.shape[:2] == shape
    assert out[red_at][0] > 200 and out[red_at][1] < 60


def test_pixel_limit_is_checked_from_the_header(tmp_path):
    p = tmp_path / "a.png"
    p.write_bytes(_enc(Image.new("L", (20, 10), 0)))
    assert images.load_image(p, max_pixels=200).shape == (10, 20, 3)
    with pytest.raises(images.ImageError, match=r"a.png: image too large \(20x10 = 200 pixels, limit 199") as e:
        images.load_image(p, max_pixels=199)
    assert e.value.reason == "image too large"
    assert images.load_image(p, max_pixels=None).shape == (10, 20, 3)


def test_errors_name_the_file_and_a_reason(tmp_path):
    for name, data, reason in (("t.png", b"text", "unreadable image"),
                               ("c.jpg", _enc(Image.new("RGB", (50, 50)), "JPEG")[:100], "unreadable image")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(images.ImageError) as e:
            images.load_image(tmp_path / name)
        assert e.value.reason == reason and str(e.value).startswith(str(tmp_path / name))
    with pytest.raises(images.ImageError, match="missing image"):
        images.load_image(tmp_path / "none.png")
