"""RIMES, word level (OCR: French handwritten word images + transcription).

Paper role: OCR training. The word-level release (ICDAR 2011 word recognition) ships word
images and one ground-truth text file per split, one word per line::

    <image path relative to ROOT> <transcription>

Ground-truth files are found by name (``*train*.txt``, ``*valid*.txt``, ``*test*.txt`` in ROOT
or ROOT/groundtruth) or given explicitly (``gt_files={"train": "path", ...}``). The historical
files are ISO-8859-1; lines are decoded as UTF-8 first, then with each of ``encodings`` in turn;
a line no encoding decodes is a bad record ("text encoding").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

SOURCE = _base.SourceInfo(
    name="rimes",
    kind="ocr",
    title="RIMES (word level)",
    licence="RIMES/Teklia terms: research use after registration; no redistribution",
    citation="Grosicki & El-Abed, ICDAR 2011 French handwriting recognition competition, "
             "ICDAR 2011; Augustin et al., RIMES evaluation campaign, 2006",
    url="https://teklia.com/research/rimes-database/",
    layout=("ROOT/<split ground truth>.txt   lines '<image path> <word>', name contains "
            "train / valid / test\n"
            "ROOT/<image path>               word images (PNG/TIFF/JPG) named in the ground truth"),
    language="fr", script="Latn",
    paper_role="OCR training (real images)",
    module=__name__,
)


def _split_of_name(name: str) -> str | None:
    n = name.lower()
    if "train" in n:
        return "train"
    if "valid" in n or n.startswith("val"):
        return "validation"
    if "test" in n:
        return "test"
    return None


def _gt_files(root: Path, gt_files: Mapping[str, str | Path] | None) -> list[tuple[str, Path]]:
    if gt_files:
        out = []
        for s, p in gt_files.items():
            p = Path(p)
            p = p if p.is_absolute() else root / p
            if not p.is_file():
                raise _base.layout_error(SOURCE, root, str(p))
            out.append((s, p))
        return out
    found = []
    for d in (root, root / "groundtruth", root / "ground_truth"):
        if d.is_dir():
            for p in sorted(d.glob("*.txt")):
                s = _split_of_name(p.name)
                if s:
                    found.append((s, p))
    return found


def _check(root: Path) -> None:
    if not _gt_files(root, None):
        raise _base.layout_error(SOURCE, root, "a ground-truth file *train*.txt / *valid*.txt / *test*.txt")


def _parse(line: str, where: str) -> tuple[str, str]:
    parts = line.strip().split(maxsplit=1)
    if len(parts) != 2:
        raise BadRecord("malformed ground-truth line", where, "need '<image> <word>'")
    return parts[0], parts[1]


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          gt_files: Mapping[str, str | Path] | None = None,
          encodings: tuple[str, ...] = ("utf-8", "cp1252")) -> Iterator[Example]:
    for s, gt in _gt_files(root, gt_files):
        if split is not None and s != split:
            continue
        rel = gt.relative_to(root) if gt.is_relative_to(root) else gt
        for lineno, line in _base.read_lines(gt, str(rel), encodings):
            where = f"{rel}:{lineno}"
            if isinstance(line, BadRecord):
                ctx.bad(line)
                continue
            if not line.strip():
                continue
            parsed = ctx.guard(_parse, line, where)
            if parsed is None:
                continue
            img_rel, word = parsed
            path = root / img_rel
            if not path.exists() and (gt.parent / img_rel).exists():
                path = gt.parent / img_rel
            img = ctx.guard(_base.load_image, path, f"{where} [{img_rel}]")
            if img is None:
                continue
            rid = str(Path(img_rel).with_suffix("")).replace("\\", "/")
            yield Example(id=rid, source=SOURCE.name, split=s, kind="ocr", text=word, image=img,
                          language="fr", script="Latn", meta={"image_path": img_rel})


read = _base.make_reader(SOURCE, _read, _check)
