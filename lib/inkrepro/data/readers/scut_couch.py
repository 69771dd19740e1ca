"""SCUT-COUCH2009 (online ink of Chinese characters), read from ``.pot`` files.

Paper role: digital-ink training (Chinese). Read in the CASIA ``.pot`` layout (see
:mod:`inkrepro.data.readers._pot`): sample size, GB2312/GBK tag code, stroke count, int16 points
with (-1, 0) ending a stroke and (-1, -1) the character. Folders named ``*trn*``/``*tst*`` give
the split; everything else is ``default_split`` ("train": the paper trains on it only).
"""

from __future__ import annotations

from inkrepro.data.readers import _base, _pot

SOURCE = _base.SourceInfo(
    name="scut-couch",
    kind="ink",
    title="SCUT-COUCH2009 (Chinese online handwriting)",
    licence="SCUT-COUCH terms: research use after a signed agreement; no redistribution",
    citation="Jin, Gao, Li & Zhang, SCUT-COUCH2009: a comprehensive online unconstrained Chinese "
             "handwriting database and benchmark evaluation, IJDAR 14:53-64, 2011",
    url="http://www.hcii-lab.net/data/scutcouch/",
    layout="ROOT/**/*.pot   (GB2312 character sets; trn/tst in folder names if split)",
    language="zh", script="Hani",
    paper_role="digital-ink training (Chinese)",
    module=__name__,
)


read = _pot.make_reader(SOURCE)
