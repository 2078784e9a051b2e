"""The local cloud's one working directory, and the clean-up of those a killed local cloud left behind.

Everything a local cloud writes (the data plane: MariaDB data, certificates, routes; the custom resources'
unpacked code) lives under one directory, `$TMPDIR/strata-local-cloud-run-<pid>-<random>/`, whose `.lock`
the process holds with flock(2) for its whole life. The kernel drops the lock when the process ends, however
it ends (SIGKILL included), so at start-up a directory whose lock can be taken belongs to a local cloud that
is gone: the processes it started that are still running (their command lines name the directory: MariaDB's
--datadir, a Node.js runner's code path) are killed and the directory removed. A directory whose lock is held
belongs to a running local cloud and is never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

LOG = logging.getLogger("strata.workdir")
PREFIX = "strata-local-cloud-run-"
LOCK = ".lock"


# util-linux's setpriv (Essential on Debian and Ubuntu): sets the parent-death signal, then execs the command
SETPRIV = shutil.which("setpriv") if sys.platform == "linux" else None


def dying_with_parent(argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
    """The command line and preexec_fn for a process the local cloud starts (MariaDB, a function's Node.js process)
    that Linux sends SIGKILL when the thread that started it ends. Through `setpriv --pdeathsig KILL` where there is
    one: the new process execs it at once, so subprocess starts it with vfork(2). A preexec_fn makes subprocess fork
    the whole cloud and run Python in the copy before the exec: 11 ms of CPU where vfork takes 1 ms, for each of the
    hundreds of function environments and servers a test run's clouds start. Without setpriv, die_with_parent. The
    signal is set by setpriv, a moment after the start: the threads that start these outlive them (one long-lived
    thread each, as the data plane's and the invoker's), and what a cloud killed within that moment leaves running,
    the next start reaps (reap_stale: its command line names the dead cloud's directory)."""
    if SETPRIV:
        return [SETPRIV, "--pdeathsig", "KILL", "--", *argv], None
    return argv, die_with_parent


def die_with_parent() -> None:
    """preexec_fn for what the local cloud starts (MariaDB, a function's Node.js process): Linux sends it SIGKILL when
    the thread that started it ends, so a local cloud killed by any signal leaves nothing running. The data plane
    starts its servers from one long-lived thread, the Lambda invoker its functions' environments from another."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG; not Linux: a normal stop still ends them


def processes_naming(directory: Path) -> list[int]:
    """The processes whose command line names a path under `directory` (Linux /proc; elsewhere none)."""
    needle = str(directory).encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue  # the process ended meanwhile, or is not ours to read
    return [pid for pid in found if pid != os.getpid()]


def reap_stale(base: Path) -> list[Path]:
    """Removes what killed local clouds left under `base`; returns the directories removed."""
    removed = []
    for directory in sorted(base.glob(f"{PREFIX}*")):
        lock = directory / LOCK
        if not lock.is_file():
            continue  # not (yet) a local cloud's: one being created takes its lock right after mkdtemp
        try:
            with open(lock, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                for pid in processes_naming(directory):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                shutil.rmtree(directory, ignore_errors=True)
                removed.append(directory)
        except BlockingIOError:
            continue  # a running local cloud holds it
        except OSError as error:
            LOG.warning("could not clean up %s: %s", directory, error)
    if removed:
        LOG.warning("removed %d working directories left by local clouds that were killed: %s", len(removed),
                    ", ".join(p.name for p in removed))
    return removed


class WorkDir:
    def __init__(self, base: Path | None = None) -> None:
        root = Path(base or tempfile.gettempdir())
        self.reaped = reap_stale(root)
        self.path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root))
        # The lock is taken under another name and only then given the name reapers look for: a `.lock` that
        # exists is always held by its creator. (Created as `.lock` and locked after, it would exist unlocked for an
        # instant, in which another local cloud starting at the same moment, as the parallel test suites do, took
        # it for a dead one's and removed the directory under this one, which then exited with code 1.)
        pending = self.path / f"{LOCK}.pending"
        self._lock: IO[str] | None = open(pending, "w")  # noqa: SIM115 - held for the life of the process
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        pending.replace(self.path / LOCK)  # rename(2) keeps the inode, so the lock goes with the name

    def sub(self, name: str) -> Path:
        path = self.path / name
        path.mkdir(exist_ok=True)
        return path

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None
