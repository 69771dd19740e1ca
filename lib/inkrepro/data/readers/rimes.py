"""RIMES, word level (OCR: French handwritten word images + transcription).

Paper role: OCR training. Format facts (the ICDAR 2011 word-recognition release, as public RIMES
loaders open it): one ground-truth file per split, names as shipped (sic), each line
``<image file> <word>`` with the image file relative to that split's snippet folder:

    ==========  ======================================  ============================================
    split       ground truth (in ROOT)                  images
    ==========  ======================================  ============================================
    train       groundtruth_training_icdar2011.txt      trainingsnippets_icdar/training_WR/
    validation  ground_truth_validation_icdar2011.txt   validationsnippets_icdar/testdataset_ICDAR/
    test        grount_truth_test_icdar2011.txt         data_test/
    ==========  ======================================  ============================================

A UTF-8 byte-order mark is ignored; a line is decoded as UTF-8, then with each of ``encodings``
in turn (the historical files may be ISO-8859-1); a line no encoding decodes is a bad record
("text encoding"). An image is looked up in its split's folder, then relative to ROOT.
``gt_files={"train": "path", ...}`` names other ground-truth files (images then also relative to
the file's folder).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from inkrepro import names
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
    layout=("ROOT/groundtruth_training_icdar2011.txt     lines '<image file> <word>'; images in\n"
            "     trainingsnippets_icdar/training_WR/\n"
            "ROOT/ground_truth_validation_icdar2011.txt  images in validationsnippets_icdar/testdataset_ICDAR/\n"
            "ROOT/grount_truth_test_icdar2011.txt        images in data_test/   (file names as shipped, sic)"),
    language="fr", script="Latn",
    paper_role="OCR training (real images)",
    module=__name__,
)


# split -> (ground-truth file, image folder), as the release names them
RELEASE = {
    "train": ("groundtruth_training_icdar2011.txt", "trainingsnippets_icdar/training_WR"),
    "validation": ("ground_truth_validation_icdar2011.txt", "validationsnippets_icdar/testdataset_ICDAR"),
    "test": ("grount_truth_test_icdar2011.txt", "data_test"),
}


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
    return [(s, root / gt) for s, (gt, _) in RELEASE.items() if (root / gt).is_file()]


def _check(root: Path) -> None:
    if not _gt_files(root, None):
        raise _base.layout_error(SOURCE, root, "a ground-truth file " + ", ".join(gt for gt, _ in RELEASE.values()))


def _image(root: Path, gt: Path, split: str, name: str, where: str) -> Path:
    """The image a ground-truth line names, looked up where the release puts it; a name that
    leaves the dataset root (or, for a ground-truth file outside it, that file's folder) is
    refused."""
    folder = RELEASE[split][1] if split in RELEASE else ""
    gt_within = root if gt.is_relative_to(root) else gt.parent
    cands = [p for base, within in ((root / folder, root), (root, root), (gt.parent, gt_within))
             if (p := names.contained_path(base, name, within)) is not None]
    if not cands:
        raise BadRecord("unsafe path", where, repr(name[:120]))
    # missing: reported with the path the release implies
    return next((c for c in cands if c.is_file()), cands[0])


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
            path = ctx.guard(_image, root, gt, s, img_rel, f"{where} [{img_rel}]")
            img = None if path is None else ctx.guard(ctx.load_image, path, f"{where} [{img_rel}]")
            if img is None:
                continue
            rid = f"{s}/" + str(Path(img_rel).with_suffix("")).replace("\\", "/")
            yield Example(id=rid, source=SOURCE.name, split=s, kind="ocr", text=word, image=img,
                          language="fr", script="Latn",
                          meta={"image_path": str(path.relative_to(root)) if path.is_relative_to(root) else str(path)})


read = _base.make_reader(SOURCE, _read, _check)
