"""The run's shared cache (shared_cache.py): an entry is made once, whole, and never changed; a failed make leaves
nothing; without a directory nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from strata_local_cloud.shared_cache import SharedCache, shared_cache


def test_a_directory_entry_is_made_once_and_read_by_later_callers(tmp_path: Path) -> None:
    cache, made = SharedCache(tmp_path), []

    def make(path: Path) -> None:
        made.append(path)
        (path / "sub").mkdir(parents=True)
        (path / "sub" / "file").write_text("content")

    first = cache.get_dir("kind", "key", make)
    second = cache.get_dir("kind", "key", make)
    assert first == second == tmp_path / "kind" / "key"
    assert len(made) == 1 and (first / "sub" / "file").read_text() == "content"
    assert [p.name for p in (tmp_path / "kind").iterdir()] == ["key"]  # no partial directory left


def test_when_another_process_makes_the_directory_meanwhile_its_entry_is_kept_and_ours_removed(tmp_path: Path) -> None:
    cache = SharedCache(tmp_path)

    def make_while_a_rival_finishes_first(path: Path) -> None:
        path.mkdir()
        (path / "who").write_text("us")
        rival = tmp_path / "kind" / "key"
        rival.mkdir()
        (rival / "who").write_text("rival")

    entry = cache.get_dir("kind", "key", make_while_a_rival_finishes_first)
    assert entry is not None and (entry / "who").read_text() == "rival"
    assert [p.name for p in (tmp_path / "kind").iterdir()] == ["key"]


def test_a_make_that_fails_leaves_nothing_and_fails_again(tmp_path: Path) -> None:
    cache = SharedCache(tmp_path)

    def broken(path: Path) -> None:
        path.mkdir()
        (path / "half").write_text("x")
        raise RuntimeError("install failed")

    for _ in range(2):
        with pytest.raises(RuntimeError, match="install failed"):
            cache.get_dir("kind", "key", broken)
        assert list((tmp_path / "kind").iterdir()) == []

    def no_directory(path: Path) -> None:  # a make that "succeeds" without making anything is an error, not an entry
        pass

    with pytest.raises(FileNotFoundError):
        cache.get_dir("kind", "key", no_directory)
    assert list((tmp_path / "kind").iterdir()) == []


def test_a_file_entry_is_made_once(tmp_path: Path) -> None:
    cache, made = SharedCache(tmp_path), []
    for _ in range(2):
        entry = cache.get("kind", "key", lambda path: made.append(path.write_text("v")))
        assert entry is not None and entry.read_text() == "v"
    assert len(made) == 1


def test_without_a_directory_nothing_is_kept_and_the_run_s_directory_wins_over_the_callers(tmp_path: Path,
                                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert SharedCache(None).get_dir("kind", "key", lambda path: path.mkdir()) is None
    assert SharedCache(None).get("kind", "key", lambda path: path.write_text("v")) is None
    monkeypatch.delenv("STRATA_SHARED_CACHE", raising=False)
    assert shared_cache(tmp_path / "own").root == tmp_path / "own"
    assert shared_cache().root is None
    monkeypatch.setenv("STRATA_SHARED_CACHE", str(tmp_path / "run"))
    assert shared_cache(tmp_path / "own").root == tmp_path / "run"


def test_bytes_are_made_once_with_a_directory_and_each_time_without(tmp_path: Path) -> None:
    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return b"made"

    assert [SharedCache(tmp_path).get_bytes("kind", "key", make) for _ in range(2)] == [b"made", b"made"] and len(made) == 1
    assert [SharedCache(None).get_bytes("kind", "key", make) for _ in range(2)] == [b"made", b"made"] and len(made) == 3
