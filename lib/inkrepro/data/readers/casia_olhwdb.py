"""CASIA-OLHWDB 1.0-1.2 (online ink of isolated Chinese characters), ``.pot`` files.

Not in the paper's mixture (the paper uses SCUT-COUCH); its binary format is in
:mod:`inkrepro.data.readers._pot`. Splits from folder names (``*trn*`` / ``*tst*``, as in
``OLHWDB1.1trn_pot/``); writer = file name (``1001-c.pot`` -> ``1001``).
"""

from __future__ import annotations

from inkrepro.data.readers import _base, _pot

SOURCE = _base.SourceInfo(
    name="casia-olhwdb",
    kind="ink",
    title="CASIA Online Handwriting Database (OLHWDB1.0-1.2, isolated characters)",
    licence="CASIA terms: free for academic research after a signed agreement; no redistribution",
    citation="Liu, Yin, Wang & Wang, CASIA online and offline Chinese handwriting databases, "
             "ICDAR 2011",
    url="http://www.nlpr.ia.ac.cn/databases/handwriting/Download.html",
    layout="ROOT/OLHWDB1.1trn_pot/*.pot  ROOT/OLHWDB1.1tst_pot/*.pot  (any depth; trn/tst in folder names)",
    language="zh", script="Hani",
    paper_role="",
    module=__name__,
)


read = _pot.make_reader(SOURCE)
