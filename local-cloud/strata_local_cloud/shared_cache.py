"""What the processes of one run make from the same inputs, made once and kept for the others: the SAM CLI's parses and
zips (sam.py), the local clouds' initial MariaDB data directory (dataplane.py). STRATA_SHARED_CACHE names the directory
(the test run sets one of its own, tools/test.sh, removed when it ends); without it nothing outlives a process, or
the object that holds the cache.

Each entry is named by a digest of everything that made it, written whole (made under a temporary name, then renamed),
and never changed. Hand-written: a few lines over os.replace; the cache libraries at hand (diskcache) keep a SQLite
index, which concurrent writers in forked processes would contend for, for no gain here."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path


class SharedCache:
    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = Path(root) if root else None

    def get(self, kind: str, key: str, make: Callable[[Path], object]) -> Path | None:
        """The file `kind/key`, made by `make(path)` (which writes the file at path) when no process made it yet;
        None without a directory (nothing is kept)."""
        # os.replace is atomic: another process reads the whole entry or none
        return self._entry(kind, key, make, os.replace, lambda partial: partial.unlink(missing_ok=True))

    def get_bytes(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The bytes kept as `kind/key`, made by `make()` when no process made them yet; without a directory, make()'s."""
        entry = self.get(kind, key, lambda path: path.write_bytes(make()))
        return entry.read_bytes() if entry else make()

    def get_dir(self, kind: str, key: str, make: Callable[[Path], object]) -> Path | None:
        """The directory `kind/key`, made by `make(path)` (which creates the directory at path) when no process made it
        yet; None without a directory. Two processes that make it at once each make their own: the first rename wins,
        the other's is removed (renaming a directory onto a non-empty one fails, rename(2) ENOTEMPTY)."""

        def place(partial: Path, entry: Path) -> None:
            try:
                os.rename(partial, entry)
            except OSError:
                if not entry.is_dir():
                    raise

        return self._entry(kind, key, make, place, lambda partial: shutil.rmtree(partial, ignore_errors=True))

    def _entry(self, kind: str, key: str, make: Callable[[Path], object], place: Callable[[Path, Path], None],
               discard: Callable[[Path], None]) -> Path | None:
        """The entry made under a name of this process's, then placed under its own; what is left of it discarded."""
        if self.root is None:
            return None
        entry = self.root / kind / key
        if not entry.exists():
            entry.parent.mkdir(parents=True, exist_ok=True)
            partial = entry.with_name(f".{entry.name}.{os.getpid()}.partial")
            try:
                make(partial)
                place(partial, entry)
            finally:
                discard(partial)
        return entry


def shared_cache(fallback: str | os.PathLike[str] | None = None) -> SharedCache:
    """The run's cache (STRATA_SHARED_CACHE), else one in `fallback` (the caller's own directory), else none."""
    return SharedCache(os.environ.get("STRATA_SHARED_CACHE") or fallback)
