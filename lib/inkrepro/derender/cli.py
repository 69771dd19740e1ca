"""`inkrepro derender` (photos -> ink files) and `inkrepro app` (the local web page)."""

from __future__ import annotations

import argparse

MODES_HELP = ("vanilla | d+t | r+d (default r+d: recognize and derender, vanilla when no stroke "
              "comes out, as the released demo does)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "derender", help="derender your own handwriting: word, line or page photos -> ink files",
        description="Derender photos of handwriting with a trained checkpoint. Writes, per image, "
                    "<stem>.inkml, .svg, .png (ink over the photo), .gif (writing order) and "
                    ".json (text, mode, word boxes, timings). Exit status: 0 all written, "
                    "1 some inputs skipped (named), 2 none written.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="JPEG/PNG/WebP/TIFF/... files")
    p.add_argument("--checkpoint", required=True, help="training workdir (inkrepro train --workdir)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--mode", default="r+d", help=MODES_HELP)
    p.add_argument("--text", default="", help="the word's text (d+t, word mode); pages use "
                   "the boxes' text or Tesseract's")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--page", dest="page_mode", action="store_true", default=None,
                   help="treat every image as a page (word boxes from Tesseract or --boxes)")
    g.add_argument("--word", dest="page_mode", action="store_false",
                   help="treat every image as one word (no detection)")
    p.add_argument("--boxes", action="append", default=[], metavar="FILE",
                   help="word boxes (JSON or PAGE-XML), one per IMAGE in order (repeatable)")
    p.add_argument("--expand", type=float, default=0.0,
                   help="grow each box by this fraction per side (the release: 0.1 with docTR)")
    p.add_argument("--release-inkml", action="store_true",
                   help="also write <stem>.inksight.inkml in the authors' release variant")
    p.add_argument("--batch-size", type=int, default=16, help="words per compiled decoding call")
    p.add_argument("--step", type=int, default=None, help="checkpoint step (default: latest)")
    p.add_argument("--lang", default="eng", help="Tesseract language for word detection")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_derender)

    a = subparsers.add_parser("app", help="local web page: upload a photo, see and download its ink",
                              description="Serve the derender web page (Gradio; optional extra: "
                                          "pip install 'inkrepro[app]').")
    a.add_argument("--checkpoint", required=True, help="training workdir")
    a.add_argument("--host", default="127.0.0.1", help="bind address (default: this machine only)")
    a.add_argument("--port", type=int, default=7860)
    a.add_argument("--step", type=int, default=None)
    a.set_defaults(func=_app)


def _derender(a: argparse.Namespace) -> int:
    from inkrepro import infer
    from inkrepro.derender import boxes, files
    from inkrepro.errors import UserError

    if a.boxes and len(a.boxes) != len(a.images):
        raise UserError(f"--boxes given {len(a.boxes)} times for {len(a.images)} images; "
                        "give one boxes file per image, in the same order")
    infer.canonical(a.mode)
    box_lists = [boxes.read_boxes(b) for b in a.boxes] or [None] * len(a.images)
    inf = infer.Inference.load(a.checkpoint, step=a.step)
    s = files.derender_paths(inf, a.images, a.out, mode=a.mode, box_lists=box_lists,
                             page_mode=a.page_mode, expand=a.expand, text=a.text, lang=a.lang,
                             release=a.release_inkml, batch_size=a.batch_size,
                             progress=not a.no_progress)
    return 1 if s["skipped"] else 0


def _app(a: argparse.Namespace) -> int:
    from inkrepro import infer
    from inkrepro.derender import app

    app.require()                          # a clear message without the extra, before loading
    inf = infer.Inference.load(a.checkpoint, step=a.step)
    app.launch(app.build(inf), a.host, a.port)
    return 0
