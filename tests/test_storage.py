"""Run files on a bucket, offline: ``gs://`` served by fsspec's in-memory filesystem (never the
network). The workdir's own files (config, vocabulary, metrics, result) and the checkpoint
manager's folder go through ``storage.path`` (etils epath, as Orbax)."""

import json

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from inkrepro import config, configlib, storage
from inkrepro.errors import UserError
from inkrepro.text import Vocabulary


class FakeGCS(MemoryFileSystem):
    """An in-memory bucket store answering to gs://."""

    protocol = ("gs", "gcs")
    store: dict = {}
    pseudo_dirs = [""]

    @classmethod
    def _strip_protocol(cls, path):
        path = str(path)
        for p in ("gs://", "gcs://"):
            path = path.removeprefix(p)
        return "/" + path.lstrip("/")


@pytest.fixture
def bucket(monkeypatch):
    fsspec.register_implementation("gcs", FakeGCS, clobber=True)
    fsspec.register_implementation("gs", FakeGCS, clobber=True)
    FakeGCS.store.clear()
    yield FakeGCS.store
    FakeGCS.store.clear()


def test_workdir_files_on_a_bucket(bucket, tmp_path):
    from inkrepro.checkpoint import load_config
    from inkrepro.train import _prepare_workdir

    w = storage.path("gs://bucket/work/smoke")
    assert storage.is_remote(w) and str(w) == "gs://bucket/work/smoke"
    assert str(storage.path("rel/x")).startswith("/") and not storage.is_remote(storage.path("rel/x"))
    cfg = config.profile("smoke")
    _prepare_workdir(cfg, w)
    assert "/bucket/work/smoke/config.json" in bucket          # it went to the bucket, not a folder "gs:"
    assert not (tmp_path / "gs:").exists()
    assert load_config("gs://bucket/work/smoke") == config.from_dict(configlib.to_dict(cfg), validate=False)
    with pytest.raises(UserError, match="different config"):
        _prepare_workdir(config.profile("smoke", ["train.steps=3"]), w)

    v = Vocabulary.byte_level()
    v.save(w / "vocab")
    assert Vocabulary.exists("gs://bucket/work/smoke/vocab") and Vocabulary.load(w / "vocab") == v
    storage.write_text(w / "metrics.jsonl", json.dumps({"step": 1}) + "\n")
    storage.write_text(w / "metrics.jsonl", json.dumps({"step": 1}) + "\n" + json.dumps({"step": 2}) + "\n")
    assert [json.loads(x)["step"] for x in (w / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    # (Orbax itself on gs:// asks Google Cloud Storage about the bucket: not offline, not here)


def test_local_paths_stay_local(tmp_path):
    p = storage.path(tmp_path / "a" / ".." / "b.txt")
    p.parent.mkdir(parents=True, exist_ok=True)
    storage.write_text(p, "x")
    storage.write_text(p, "y")
    assert (tmp_path / "b.txt").read_text() == "y" and not list(tmp_path.glob("*.tmp"))
