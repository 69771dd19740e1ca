"""The derender web page: upload a photo (or pick an example), choose the mode, see the ink over
the photo and the writing order, download InkML / SVG / JSON.

    inkrepro app --checkpoint runs/work/laptop        # http://127.0.0.1:7860

Gradio, as the authors' own demo uses, is an optional extra (``pip install 'inkrepro[app]'``),
imported only here. Bound to 127.0.0.1 by default; no share link, no analytics, system fonts
only (the page loads with no outside network). The page runs the same pipeline as
``inkrepro derender`` (``derender.page`` + ``derender.files``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PIL import Image

from inkrepro import infer
from inkrepro.derender import files, page, synthetic
from inkrepro.errors import InkError, UserError

KINDS = {"auto": None, "word": False, "page": True}
INSTALL = "the web page needs Gradio: pip install 'inkrepro[app]'"


def require() -> None:
    _gradio()


def _gradio():
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio as gr
    except ImportError:
        raise UserError(INSTALL) from None
    return gr


def examples(folder: Path) -> list[str]:
    """A synthetic page and one word of it, written as PNGs (the page's example inputs)."""
    folder.mkdir(parents=True, exist_ok=True)
    sp = synthetic.make_page(8, words_per_line=4)
    b = sp.boxes[0]
    out = [folder / "synthetic_page.png", folder / "synthetic_word.png"]
    Image.fromarray(sp.image).save(out[0])
    Image.fromarray(sp.image[int(b.y0):int(b.y1), int(b.x0):int(b.x1)]).save(out[1])
    return [str(p) for p in out]


def handler(inf: infer.Inference, out_root: Path):
    """The page's one action: (image path, mode, kind, text) -> (overlay, gif, files, text)."""
    gr = _gradio()
    count = [0]

    def run(path, mode, kind, text):
        if not path:
            raise gr.Error("upload a photo of handwriting first (or pick an example)")
        count[0] += 1
        try:
            res = page.derender(inf, path, mode, name=Path(path).name, page_mode=KINDS[kind],
                                text=text or "")
            paths = files.write(res, out_root / f"{count[0]:04d}", release=True)
        except (UserError, InkError) as e:
            raise gr.Error(str(e)) from None
        summary = (f"{'page' if res.job.page_mode else 'word'}: {len(res.job.words)} word(s), "
                   f"{res.ink.num_strokes} strokes\n{res.text}")
        downloads = [str(paths[k]) for k in ("inkml", "inksight_inkml", "svg", "json")]
        return str(paths["png"]), str(paths["gif"]), downloads, summary

    return run


def build(inf: infer.Inference, *, with_examples: bool = True, out_root: Path | None = None):
    """The Gradio Blocks of the page (``.launch(...)`` serves it)."""
    gr = _gradio()
    out_root = Path(out_root or tempfile.mkdtemp(prefix="inkrepro-app-"))
    with gr.Blocks(title="inkrepro: derender your own handwriting", analytics_enabled=False) as demo:
        gr.Markdown("# Derender your own handwriting\nA photo of a word, a line or a page -> "
                    "digital ink (strokes in writing order, rainbow by stroke). Model: "
                    f"`{inf.cfg.model.name}` at {inf.image_size} px.")
        with gr.Row():
            image = gr.Image(type="filepath", label="photo", sources=["upload", "clipboard"],
                             elem_id="photo")
            with gr.Column():
                mode = gr.Radio(["r+d", "vanilla", "d+t"], value="r+d", label="mode",
                                info="r+d: recognize and derender (vanilla when no stroke "
                                     "comes out); d+t needs the text")
                kind = gr.Radio(list(KINDS), value="auto", label="input")
                text = gr.Textbox(label="text (d+t, one word)")
                go = gr.Button("Derender", variant="primary", elem_id="derender")
        if with_examples:
            gr.Examples([[p] for p in examples(out_root / "examples")], inputs=[image])
        with gr.Row():
            overlay = gr.Image(label="ink over the photo", type="filepath", elem_id="overlay",
                               interactive=False)
            gif = gr.Image(label="writing order", type="filepath", elem_id="animation",
                           interactive=False)
        summary = gr.Textbox(label="result", elem_id="summary", interactive=False)
        downloads = gr.File(label="InkML (W3C and release variant), SVG, JSON",
                            file_count="multiple", elem_id="downloads", interactive=False)
        go.click(handler(inf, out_root), [image, mode, kind, text],
                 [overlay, gif, downloads, summary])
    return demo


def launch(demo, host: str = "127.0.0.1", port: int = 7860, **kw):
    gr = _gradio()
    theme = gr.themes.Base(font=["sans-serif"], font_mono=["monospace"])   # no web fonts
    return demo.launch(server_name=host, server_port=port, share=False, theme=theme,
                       footer_links=[], **kw)
