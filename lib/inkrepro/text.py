"""One output vocabulary: text ids followed by the 451 reserved ink ids.

Layout: ids ``0..T-1`` are text ids (T5 specials: pad 0, eos 1, unk 2, no bos); ids
``T..T+450`` are the ink tokens ``<ink_token_0>..<ink_token_450>`` (see ``ink.tokens``).
Two kinds of text ids:

- ``sentencepiece`` (the paper's mT5 style): a SentencePiece model trained offline on corpus
  texts (:meth:`Vocabulary.train`) or a user-supplied mT5 model (:meth:`Vocabulary.from_spm_file`);
- ``byte`` (ByT5 style, :meth:`Vocabulary.byte_level`): the 256 UTF-8 byte values at ids 3..258,
  T = 259. OUR CHOICE for small corpora (smoke, laptop profiles): a SentencePiece model
  trained on a few thousand words learns whole words as pieces, so a prompt such as
  "Derender the ink: cancer" would hand the model a word id instead of its letters.

Decoding a mixed sequence renders text runs with SentencePiece and ink ids as
``<ink_token_N>``; a space separates a text run from a following ink run, so a
recognize-and-derender target decodes to "text, a space, then ink tokens" (the released
output format).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import sentencepiece as spm

from inkrepro import storage
from inkrepro.errors import UserError
from inkrepro.ink import tokens as ink_tokens
from inkrepro.ink.core import Ink

PAD_ID, EOS_ID, UNK_ID = 0, 1, 2
NUM_INK = ink_tokens.NUM_INK_TOKENS


BYTE_OFFSET = 3          # ByT5 layout: byte b has id b + 3
KINDS = ("sentencepiece", "byte")


class _ByteCodec:
    """ByT5-style text ids: UTF-8 bytes shifted by the three specials (pad, eos, unk)."""

    def get_piece_size(self) -> int:
        return BYTE_OFFSET + 256

    def encode(self, text: str) -> list[int]:
        return [b + BYTE_OFFSET for b in text.encode("utf-8")]

    def decode(self, ids) -> str:
        return bytes(int(i) - BYTE_OFFSET for i in ids
                     if BYTE_OFFSET <= int(i) < BYTE_OFFSET + 256).decode("utf-8", errors="ignore")

    def id_to_piece(self, i: int) -> str:
        i = int(i)
        if i < BYTE_OFFSET:
            return ("<pad>", "</s>", "<unk>")[i]
        return f"<0x{i - BYTE_OFFSET:02X}>"


class Vocabulary:
    """Strings <-> text ids <-> ink ids, for one text model (SentencePiece or bytes)."""

    pad_id = PAD_ID
    eos_id = EOS_ID
    unk_id = UNK_ID

    def __init__(self, model_proto: bytes | None, origin: str = "trained"):
        """``model_proto``: a serialised SentencePiece model, or ``None`` for byte ids."""
        self.kind = "byte" if model_proto is None else "sentencepiece"
        self._proto = b"" if model_proto is None else bytes(model_proto)
        self.origin = origin
        if model_proto is None:
            self._sp = _ByteCodec()
        else:
            self._sp = sp = spm.SentencePieceProcessor(model_proto=self._proto)
            if (sp.pad_id(), sp.eos_id(), sp.unk_id()) != (PAD_ID, EOS_ID, UNK_ID):
                raise UserError(
                    f"SentencePiece model ({origin}) has pad/eos/unk ids "
                    f"{(sp.pad_id(), sp.eos_id(), sp.unk_id())}; need T5 ids (0, 1, 2): "
                    "train with pad_id=0 eos_id=1 unk_id=2 bos_id=-1 or use an mT5 model")
        self.text_size = self._sp.get_piece_size()
        self.ink_offset = self.text_size
        self.size = self.text_size + NUM_INK

    # ------------------------------------------------------------------ construction
    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 512, *, model_type: str = "unigram",
              character_coverage: float = 1.0, byte_fallback: bool | None = None) -> Vocabulary:
        """Train a SentencePiece model on ``texts`` (offline, deterministic, one thread).

        ``vocab_size`` counts text pieces only (the 451 ink ids come on top). It is a soft
        limit: a small corpus may give fewer pieces. Byte fallback (unknown characters ->
        UTF-8 bytes) is on by default when ``vocab_size >= 1024``.
        """
        texts = [t for t in texts if t and t.strip()]
        if not texts:
            raise UserError("cannot train a vocabulary on an empty corpus")
        if byte_fallback is None:
            byte_fallback = vocab_size >= 1024
        buf = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(texts), model_writer=buf, vocab_size=int(vocab_size),
                pad_id=PAD_ID, eos_id=EOS_ID, unk_id=UNK_ID, bos_id=-1, model_type=model_type,
                character_coverage=character_coverage, byte_fallback=byte_fallback,
                hard_vocab_limit=False, num_threads=1, minloglevel=2, shuffle_input_sentence=False,
                input_sentence_size=0)
        except RuntimeError as e:
            if "smaller than required_chars" not in str(e):
                raise
            need = str(e).split("required_chars.")[-1].split(".")[0].strip()   # "20 vs 43"
            raise UserError(
                f"vocab_size={vocab_size} is too small for the corpus's distinct characters "
                f"(allowed vs needed, incl. special pieces: {need}): raise data.vocab_size "
                "(e.g. -o data.vocab_size=2000) or use fewer scripts") from None
        return cls(buf.getvalue(), origin=f"trained:{model_type}:{vocab_size}")

    @classmethod
    def byte_level(cls) -> Vocabulary:
        """ByT5-style byte ids (259 text ids: 3 specials + 256 bytes) + the 451 ink ids."""
        return cls(None, origin="byte")

    @classmethod
    def from_spm_file(cls, path: str | Path) -> Vocabulary:
        """A user-supplied SentencePiece model, e.g. mT5's ``sentencepiece.model``."""
        p = Path(path)
        if not p.is_file():
            raise UserError(f"SentencePiece model {p} not found; give the path of a .model file")
        return cls(p.read_bytes(), origin=f"spm:{p.name}")

    def save(self, directory: str | Path):
        """``vocab.json`` (kind, sizes, fingerprint) and, for SentencePiece, ``spm.model``."""
        d = storage.path(directory)
        d.mkdir(parents=True, exist_ok=True)
        if self.kind == "sentencepiece":
            tmp = d / f"spm.model.{os.getpid()}.tmp"
            tmp.write_bytes(self._proto)
            tmp.rename(d / "spm.model")
        meta = {"kind": self.kind, "origin": self.origin, "text_size": self.text_size,
                "num_ink": NUM_INK, "size": self.size, "fingerprint": self.fingerprint}
        storage.write_text(d / "vocab.json", json.dumps(meta, indent=1))
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Vocabulary:
        d = storage.path(directory)
        meta = json.loads((d / "vocab.json").read_text()) if (d / "vocab.json").is_file() else {}
        kind = meta.get("kind", "sentencepiece")
        if kind == "byte":
            return cls.byte_level()
        if kind != "sentencepiece":
            raise UserError(f"{d / 'vocab.json'}: unknown vocabulary kind {kind!r}; kinds: {', '.join(KINDS)}")
        if not (d / "spm.model").is_file():
            raise UserError(f"no vocabulary in {d} (expected vocab.json or spm.model); build it first")
        return cls((d / "spm.model").read_bytes(), origin=meta.get("origin", "loaded"))

    @classmethod
    def exists(cls, directory: str | Path) -> bool:
        d = storage.path(directory)
        return (d / "vocab.json").is_file() or (d / "spm.model").is_file()

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self._proto if self.kind == "sentencepiece" else b"byte").hexdigest()[:12]

    def __repr__(self) -> str:
        return f"Vocabulary(text={self.text_size}, ink={NUM_INK}, size={self.size}, {self.origin})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and (other.kind, other._proto) == (self.kind, self._proto)

    def __hash__(self) -> int:
        return hash((self.kind, self._proto))

    # ------------------------------------------------------------------ ink ids
    def ink_id(self, k: int) -> int:
        if not 0 <= k < NUM_INK:
            raise ValueError(f"ink token {k} outside 0..{NUM_INK - 1}")
        return self.ink_offset + int(k)

    def is_ink(self, i: int) -> bool:
        return self.ink_offset <= int(i) < self.size

    def ink_index(self, i: int) -> int:
        """Vocabulary id -> ink token number 0..450."""
        if not self.is_ink(i):
            raise ValueError(f"id {i} is not an ink id")
        return int(i) - self.ink_offset

    def ink_mask(self) -> np.ndarray:
        """Boolean [size] mask of ink ids (for constrained decoding)."""
        m = np.zeros(self.size, dtype=bool)
        m[self.ink_offset:] = True
        return m

    # ------------------------------------------------------------------ encode
    def encode_text(self, text: str) -> list[int]:
        """Text -> text ids (no eos). ``<ink_token_N>`` is *not* special here."""
        return list(self._sp.encode(text)) if text else []

    def encode_ink_tokens(self, token_numbers: Sequence[int]) -> list[int]:
        return [self.ink_id(k) for k in token_numbers]

    def encode_ink(self, ink: Ink) -> list[int]:
        """Ink in the 224 frame -> vocabulary ids (``ink.tokens.encode`` shifted)."""
        return [self.ink_offset + k for k in ink_tokens.encode(ink)]

    def encode(self, s: str) -> list[int]:
        """A string that may contain ``<ink_token_N>`` -> ids (text runs via SentencePiece;
        whitespace right before an ink run is dropped, decode puts one space back)."""
        out: list[int] = []
        pos = 0
        for m in ink_tokens.TOKEN_RE.finditer(s):
            out += self.encode_text(s[pos:m.start()].strip())
            k = ink_tokens.token_id(m.group(1))
            out.append(self.ink_id(k))
            pos = m.end()
        out += self.encode_text(s[pos:].strip())
        return out

    # ------------------------------------------------------------------ decode
    def _runs(self, ids: Sequence[int]):
        """(is_ink, [ids]) runs up to the first eos; pad and other specials skipped."""
        runs: list[tuple[bool, list[int]]] = []
        for i in ids:
            i = int(i)
            if i == EOS_ID:
                break
            if i == PAD_ID or i < 0 or i >= self.size:
                continue
            ink = self.is_ink(i)
            if runs and runs[-1][0] == ink:
                runs[-1][1].append(i)
            else:
                runs.append((ink, [i]))
        return runs

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> string; ink ids as ``<ink_token_N>``; stops at eos; pad ignored. (Byte ids:
        invalid UTF-8 from a model's output is dropped, as ByT5 decodes.)"""
        parts: list[str] = []
        for ink, run in self._runs(ids):
            if ink:
                if parts and not parts[-1].endswith(" "):
                    parts.append(" ")
                parts.append("".join(ink_tokens.token_str(i - self.ink_offset) for i in run))
            else:
                parts.append(self._sp.decode(run))
        return "".join(parts)

    def decode_text(self, ids: Sequence[int]) -> str:
        """Only the text ids (ink ids dropped), stopping at eos."""
        return self._sp.decode([i for ink, run in self._runs(ids) if not ink for i in run])

    def decode_ink(self, ids: Sequence[int]) -> Ink:
        """Only the ink ids, parsed with the released parser's rules."""
        return ink_tokens.decode([i - self.ink_offset for ink, run in self._runs(ids) if ink
                                  for i in run])

    def decode_output(self, ids: Sequence[int]) -> tuple[str, Ink]:
        """A model output -> (text before the first ink token, ink), as the released parser."""
        return ink_tokens.split_text_and_ink(self.decode(ids))

    def piece(self, i: int) -> str:
        if self.is_ink(i):
            return ink_tokens.token_str(self.ink_index(i))
        return self._sp.id_to_piece(int(i))
