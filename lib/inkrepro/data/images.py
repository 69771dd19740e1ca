"""Image files -> HxWx3 uint8 RGB arrays: the one place dataset images and user photos are decoded.

``load_image(path_or_bytes, max_pixels=...)`` reads the header first and refuses an image of more
than ``max_pixels`` pixels before decoding it (decompression bombs: a 169 KB PNG can declare
12000 x 12000 pixels), decodes one image and keeps nothing, and normalises what cameras and
scanners write:

- EXIF orientation is applied (the array is upright as a viewer shows it); a malformed EXIF
  block is ignored (the image stays as stored);
- alpha (RGBA, LA, a palette or grey/RGB image with a transparent colour) is composited over
  white, so ink on a transparent background stays visible;
- 16-bit grey (PNG/TIFF ``I;16``) is scaled to 8 bits (v / 257), 32-bit integer grey (``I``) is
  read as 16-bit data clipped to 0..65535 and scaled the same way, float grey (``F``) is taken as
  0..1 when it lies there, else clipped to 0..255 (OUR CHOICE);
- everything else (bilevel, grey, palette, CMYK, YCbCr) is converted to RGB by Pillow.

Formats: JPEG (also camera MPO), PNG, WebP, TIFF, BMP, GIF (first frame), PPM; other Pillow
plugins (EPS runs Ghostscript, for one) are never tried. Every failure is an :class:`ImageError`
with a ``reason`` ("missing image", "unreadable image", "image too large") that readers count.

``DEFAULT_MAX_PIXELS`` (64 Mpx, OUR CHOICE: a 50 Mpx phone photo passes; decoding one at the
limit needs ~0.5 GB) is the default limit; Pillow's own hard limit (2 x
``PIL.Image.MAX_IMAGE_PIXELS``, ~179 Mpx) caps any larger setting and is reported the same way.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inkrepro.errors import UserError

DEFAULT_MAX_PIXELS = 64_000_000
FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "PPM")  # JPEG covers camera MPO
REASONS = ("missing image", "unreadable image", "image too large")


class ImageError(UserError):
    """An image that cannot be used; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, what: str, detail: str = ""):
        self.reason, self.what, self.detail = reason, what, detail
        super().__init__(f"{what}: {reason}" + (f" ({detail})" if detail else ""))


def load_image(src: str | Path | bytes, *, max_pixels: int | None = DEFAULT_MAX_PIXELS,
               name: str | None = None) -> np.ndarray:
    """HxWx3 uint8 RGB of the image file (or encoded bytes) ``src``; ``name`` is used in errors
    (default: the path). ``max_pixels=None`` leaves only Pillow's own limit."""
    is_bytes = isinstance(src, bytes | bytearray)
    what = name or ("<image bytes>" if is_bytes else str(src))
    if not is_bytes and not Path(src).is_file():
        raise ImageError("missing image", what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our limit decides
            with Image.open(io.BytesIO(src) if is_bytes else src, formats=FORMATS) as im:
                w, h = im.size
                if max_pixels is not None and w * h > max_pixels:
                    raise ImageError("image too large", what, f"{w}x{h} = {w * h:,} pixels, limit "
                                     f"{max_pixels:,}; raise max_image_pixels if it is genuine")
                if w < 1 or h < 1:
                    raise ImageError("unreadable image", what, f"size {w}x{h}")
                im.load()
                return to_rgb(im)
    except ImageError:
        raise
    except Image.DecompressionBombError as e:
        raise ImageError("image too large", what, str(e)[:200]) from None
    except UnidentifiedImageError:
        raise ImageError("unreadable image", what, f"not an image in a supported format "
                         f"({', '.join(FORMATS)})") from None
    except Exception as e:  # noqa: BLE001 - any decoder failure on a hostile file is "unreadable"
        raise ImageError("unreadable image", what, f"{type(e).__name__}: {str(e)[:200]}") from None


def _upright(im: Image.Image) -> Image.Image:
    try:
        if im.getexif().get(0x0112, 1) in (0, 1):  # no rotation: no copy
            return im
        return ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - malformed EXIF: keep the image as stored (documented)
        return im


def _grey_to_8bit(im: Image.Image) -> np.ndarray:
    if im.mode == "F":
        a = np.nan_to_num(np.asarray(im, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        if a.size and a.min() >= 0.0 and a.max() <= 1.0:
            a = a * 255.0
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    a = np.clip(np.asarray(im, dtype=np.int64), 0, 65535)  # I;16* and I: 16-bit data
    return ((a + 128) // 257).astype(np.uint8)


def to_rgb(im: Image.Image) -> np.ndarray:
    """A decoded Pillow image -> upright HxWx3 uint8 RGB (module docstring: the rules)."""
    im = _upright(im)
    if im.mode in ("F", "I") or im.mode.startswith("I;16"):
        g = _grey_to_8bit(im)
        return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))
    palette_alpha = im.mode == "P" and im.palette is not None and im.palette.mode == "RGBA"
    if im.mode == "PA" or palette_alpha or ("transparency" in im.info and im.mode in ("P", "L", "RGB")):
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "RGBa", "La"):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    out = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(out)
