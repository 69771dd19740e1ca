# ruff: noqa: F811  (pytest fixtures imported from model_fixtures)
"""The derender web page in a real headless browser (Chromium + chromedriver): the page loads,
an uploaded photo comes back as an ink overlay, the downloaded InkML parses. Skipped, saying
why, without Gradio (the `app` extra) or without the browser."""

from __future__ import annotations

import io
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

import browser
from inkrepro import infer
from inkrepro.derender import synthetic
from inkrepro.ink import inkml
from model_fixtures import smoke_checkpoint  # noqa: F401

pytest.importorskip("gradio", reason="Gradio (the optional `app` extra) is not installed: "
                    "pip install 'inkrepro[app]' to test the web page")
if browser.available():
    pytest.skip(browser.available(), allow_module_level=True)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def test_upload_returns_an_overlay_and_inkml(smoke_checkpoint, tmp_path):
    from inkrepro.derender import app

    sp = synthetic.make_page(1, seed=2)
    b = sp.boxes[0]
    photo = tmp_path / "my_word.png"
    Image.fromarray(sp.image[int(b.y0):int(b.y1), int(b.x0):int(b.x1)]).save(photo)
    demo = app.build(infer.Inference.load(smoke_checkpoint), with_examples=False,
                     out_root=tmp_path / "app")
    port = browser.free_port()
    app.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    br = None
    try:
        br = browser.Browser()
        br.get(f"http://127.0.0.1:{port}/")
        go = br.wait_for("#derender", 90)                        # the page has loaded
        assert "derender" in br.script("return document.title").lower()
        br.send_keys(br.wait_for("#photo input[type=file]", 90), str(photo))
        br.wait_for("#photo img", 60, pred=lambda e: bool(br.attribute(e, "src")))   # uploaded
        br.click(go)
        t0 = time.time()
        img = br.wait_for("#overlay img", 240, pred=lambda e: bool(br.attribute(e, "src")))
        overlay = np.asarray(Image.open(io.BytesIO(_fetch(br.attribute(img, "src")))).convert("RGB"))
        original = np.asarray(Image.open(photo).convert("RGB"))
        assert overlay.shape == original.shape and not np.array_equal(overlay, original)
        links = [br.attribute(e, "href") for e in br.find_all("#downloads a")]
        w3c = [u for u in links if u.endswith("my_word.inkml")]
        assert w3c, links
        doc = inkml.parse_inkml(_fetch(w3c[0]), "downloaded.inkml")
        assert doc.ink.num_strokes >= 1 and doc.annotations["inferenceMode"]
        assert "word" in br.script("return document.querySelector('#summary textarea').value")
        assert time.time() - t0 < 240
    finally:
        if br is not None:
            br.close()
        demo.close()
