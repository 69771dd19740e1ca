"""The paper's real data, per role, exactly as the paper lists it (Section "Data" / Table 1).

``PAPER_SOURCES`` is what the ``paper`` profile trains on: the OCR task ("recognize real
images") reads the OCR sources; the ink tasks (vanilla derender, derender with text, recognize
rendered ink, recognize and derender) render the digital-ink sources. The paper publishes no
per-source weights: ``weights`` samples sources in proportion to their size unless a profile
sets them (our choice, recorded in the run's config).

``PAPER_EVAL`` names the word-level evaluation sets with the sizes the paper reports.
"""

from __future__ import annotations

from types import MappingProxyType

PAPER_SOURCES = MappingProxyType({
    "ocr": ("rimes", "hiertext", "imgur5k", "icdar15", "iam"),
    "ink": ("vnondb", "scut-couch", "deepwriting"),
})

# (source, split, options, paper size, paper's wording)
PAPER_EVAL = (
    ("iam", "test", {}, 17_600, "IAM testset_f, 17.6k words"),
    ("imgur5k", "test", {}, 23_700, "IMGUR5K test, ~23.7k words"),
    ("hiertext", "test", {"filters": {"handwritten": True}}, 1_300,
     "HierText test, handwritten words after OCR filtering, ~1.3k"),
)

PAPER_EVAL_SIZES = MappingProxyType({src: (split, n, label) for src, split, _, n, label in PAPER_EVAL})


def sources_for(role: str) -> tuple[str, ...]:
    return PAPER_SOURCES[role]


def data_overrides() -> dict[str, tuple[str, ...]]:
    """DataConfig fields for the ``paper`` profile: the OCR task reads the OCR sources, the ink
    tasks the digital-ink sources (each a prepared store, `inkrepro data prepare NAME`)."""
    return {"ocr_sources": PAPER_SOURCES["ocr"], "ink_sources": PAPER_SOURCES["ink"]}
