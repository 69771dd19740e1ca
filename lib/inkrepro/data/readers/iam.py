"""IAM Handwriting Database, offline words (OCR: word image + transcription).

Paper role: OCR training data; its test words (``testset_f``, 17.6k) are an evaluation set.
The split lists are not part of the word archive: the user supplies them (``--split-list
test=testset_f.txt``) or drops them next to the data (see layout). A listed id covers every word
that extends it (form ``a01-000u`` -> its lines and words). Words no list names get split
``unassigned``.

``ascii/words.txt`` line format (``#`` lines are comments)::

    a01-000u-00-00 ok 154 408 768 27 51 AT A
    id             seg gray x  y   w  h  tag transcription

``seg`` is ``ok`` or ``err`` (segmentation may be bad); ``keep_err`` chooses whether ``err``
words are kept (default True; dropped ones are counted as filtered). Box -1 means "no box".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from inkrepro.data.readers import _base
from inkrepro.data.schema import Example
from inkrepro.errors import BadRecord

SOURCE = _base.SourceInfo(
    name="iam",
    kind="ocr",
    title="IAM Handwriting Database (offline words)",
    licence="IAM database terms: free for non-commercial research; registration required; "
            "no redistribution",
    citation="Marti & Bunke, The IAM-database: an English sentence database for offline "
             "handwriting recognition, IJDAR 5:39-46, 2002",
    url="https://fki.tic.heia-fr.ch/databases/iam-handwriting-database",
    layout=("ROOT/ascii/words.txt                      word list (id ok|err gray x y w h tag text)\n"
            "ROOT/ascii/forms.txt                      optional: form -> writer id\n"
            "ROOT/words/a01/a01-000u/a01-000u-00-00.png one PNG per word\n"
            "ROOT/[splits/]trainset.txt, validationset1.txt, validationset2.txt, testset_f.txt\n"
            "                                          optional split lists (or --split-list)"),
    language="en", script="Latn",
    paper_role="OCR training (real images); evaluation: testset_f words (17.6k)",
    module=__name__,
)

AUTO_SPLITS = {"trainset.txt": "train", "validationset1.txt": "validation",
               "validationset2.txt": "validation", "testset_f.txt": "test"}


def _check(root: Path) -> None:
    _base.require(SOURCE, root, "ascii/words.txt", "words")


def _writers(root: Path) -> dict[str, str]:
    p = root / "ascii" / "forms.txt"
    out: dict[str, str] = {}
    if p.is_file():
        for line in p.read_text(encoding="latin-1").splitlines():
            f = line.split()
            if len(f) >= 2 and not line.startswith("#"):
                out[f[0]] = f[1]
    return out


def _parse_line(line: str, where: str) -> tuple[str, str, int, tuple[int, int, int, int], str, str]:
    f = line.rstrip("\n").split(" ")
    if len(f) < 9:
        raise BadRecord("malformed words.txt line", where, f"{len(f)} fields, need 9")
    wid, seg = f[0], f[1]
    if seg not in ("ok", "err", "er"):
        raise BadRecord("malformed words.txt line", where, f"segmentation flag {seg!r}")
    try:
        gray = int(f[2])
        box = tuple(int(v) for v in f[3:7])
    except ValueError:
        raise BadRecord("malformed words.txt line", where, "non-integer graylevel/box") from None
    if wid.count("-") < 3:
        raise BadRecord("malformed words.txt line", where, f"word id {wid!r}")
    return wid, seg, gray, box, f[7], " ".join(f[8:])


def _read(root: Path, ctx: _base.ReadContext, split: str | None = None, *,
          split_lists: Mapping[str, object] | None = None, keep_err: bool = True) -> Iterator[Example]:
    splits = _base.SplitLists.from_spec(split_lists, root, AUTO_SPLITS)
    if not split_lists and "test" not in splits.lists:
        extra = _base.SplitLists.from_spec(None, root, {"testset.txt": "test"})
        splits.lists.update(extra.lists)
        splits.files.update(extra.files)
    return _records(root, ctx, split, splits, keep_err)


def _records(root: Path, ctx: _base.ReadContext, split: str | None, splits: _base.SplitLists,
             keep_err: bool) -> Iterator[Example]:
    writers = _writers(root)
    words_txt = root / "ascii" / "words.txt"
    for lineno, line in _base.read_lines(words_txt, "ascii/words.txt", ("utf-8", "latin-1")):
        where = f"ascii/words.txt:{lineno}"
        if isinstance(line, BadRecord):
            ctx.bad(line)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        parsed = ctx.guard(_parse_line, line, where)
        if parsed is None:
            continue
        wid, seg, gray, box, tag, text = parsed
        if seg != "ok" and not keep_err:
            ctx.drop("segmentation err")
            continue
        s = splits.split_of(wid)
        if split is not None and s != split:
            continue
        parts = wid.split("-")
        form = f"{parts[0]}-{parts[1]}"
        path = ctx.guard(ctx.path_in, root / "words", f"{parts[0]}/{form}/{wid}.png", f"{where} [{wid}]")
        img = None if path is None else ctx.guard(ctx.load_image, path, f"{where} [{wid}]")
        if img is None:
            continue
        yield Example(id=wid, source=SOURCE.name, split=s, kind="ocr", text=text, image=img,
                      writer=writers.get(form, ""), language="en", script="Latn",
                      meta={"segmentation": "ok" if seg == "ok" else "err", "graylevel": gray,
                            "box_xywh": list(box), "tag": tag, "form": form})


read = _base.make_reader(SOURCE, _read, _check)
