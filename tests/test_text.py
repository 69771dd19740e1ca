"""Vocabulary: SentencePiece text ids + 451 reserved ink ids, round trips."""

import numpy as np
import pytest

from inkrepro.errors import UserError
from inkrepro.ink import tokens
from inkrepro.ink.core import Ink
from inkrepro.text import EOS_ID, PAD_ID, UNK_ID, Vocabulary

WORDS = ("the quick brown fox jumps over the lazy dog hello world handwriting ink "
         "derender recognize text Recognize the text. Derender the ink. Recognize and derender.").split()


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary.train(WORDS * 5 + ["Recognize the text.", "Derender the ink:"], 60)


def test_specials_and_layout(vocab):
    assert (vocab.pad_id, vocab.eos_id, vocab.unk_id) == (PAD_ID, EOS_ID, UNK_ID) == (0, 1, 2)
    assert vocab.size == vocab.text_size + 451
    assert vocab.ink_id(0) == vocab.text_size and vocab.ink_id(450) == vocab.size - 1
    assert vocab.is_ink(vocab.ink_id(0)) and not vocab.is_ink(vocab.text_size - 1)
    assert vocab.piece(vocab.ink_id(17)) == "<ink_token_17>"
    assert vocab.ink_mask().sum() == 451
    with pytest.raises(ValueError):
        vocab.ink_id(451)


def test_text_round_trip(vocab):
    for s in ["hello world", "Recognize the text.", "lazy dog"]:
        ids = vocab.encode_text(s)
        assert ids and all(not vocab.is_ink(i) and i > 2 for i in ids)
        assert vocab.decode(ids) == s
        assert vocab.decode(ids + [EOS_ID] + vocab.encode_text("fox")) == s   # stops at eos
        assert vocab.decode([PAD_ID] + ids + [PAD_ID]) == s                 # pad ignored


def test_ink_round_trip_and_mixed_output(vocab):
    ink = Ink.from_xy([[(0, 0), (10, 224), (224, 5)], [(3, 4)]])
    ids = vocab.encode_ink(ink)
    assert [vocab.ink_index(i) for i in ids] == tokens.encode(ink)
    assert vocab.decode_ink(ids).allclose(ink)
    seq = vocab.encode_text("hello") + ids + [EOS_ID, PAD_ID, PAD_ID]
    s = vocab.decode(seq)
    assert s == "hello " + tokens.to_text(tokens.encode(ink))   # text, a space, ink
    text, out = vocab.decode_output(seq)
    assert text == "hello" and out.allclose(ink)
    assert vocab.decode_text(seq) == "hello"
    assert vocab.encode(s) == seq[:-3]            # string with ink tokens -> same ids


def test_save_load(tmp_path, vocab):
    vocab.save(tmp_path / "v")
    v2 = Vocabulary.load(tmp_path / "v")
    assert v2 == vocab and v2.size == vocab.size and v2.fingerprint == vocab.fingerprint
    assert v2.encode_text("hello world") == vocab.encode_text("hello world")
    with pytest.raises(UserError):
        Vocabulary.load(tmp_path / "missing")


def test_user_spm_model(tmp_path, vocab):
    vocab.save(tmp_path / "v")
    v = Vocabulary.from_spm_file(tmp_path / "v" / "spm.model")
    assert v == vocab
    with pytest.raises(UserError):
        Vocabulary.from_spm_file(tmp_path / "nope.model")


def test_wrong_special_ids_rejected():
    import io

    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(WORDS * 5), model_writer=buf,
                                   vocab_size=40, hard_vocab_limit=False, minloglevel=2)
    with pytest.raises(UserError, match="T5 ids"):
        Vocabulary(buf.getvalue())


def test_unknown_chars_map_to_unk(vocab):
    ids = vocab.encode_text("漢")
    assert UNK_ID in ids
    assert isinstance(vocab.decode(np.array(ids)), str)


def test_too_small_vocabulary_is_a_clear_user_error():
    from inkrepro.errors import UserError
    from inkrepro.text import Vocabulary

    with pytest.raises(UserError, match=r"vocab_size=20 is too small .*20 vs \d+.*data.vocab_size"):
        Vocabulary.train(["abcdefghijklmnopqrstuvwxyz" * 3, "一二三四五六七八九十百千万"], 20)
