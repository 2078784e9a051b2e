"""A local cloud killed by any signal leaves no process behind, and the next one to start removes the directory
it left (never a running one's, nor one that is starting at the same moment); a MariaDB start that hangs is killed and
reported."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

from strata_local_cloud import workdir
from strata_local_cloud.dataplane import DataPlane
from strata_local_cloud.launch import LocalCloud
from strata_local_cloud.testing import until
from strata_local_cloud.workdir import PREFIX, WorkDir, processes_naming, reap_stale

HAS_MARIADB = bool(shutil.which("mariadbd") or Path("/usr/sbin/mariadbd").exists())


def _dirs(base: Path, pid: int) -> list[Path]:
    return sorted(base.glob(f"{PREFIX}{pid}-*"))


def _cmdline(pid: int) -> bytes:
    """A process's command line; empty once it has ended (mariadb-install-db, listed a moment before, often has)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.skipif(not HAS_MARIADB, reason="MariaDB is installed by tools/setup.sh")
def test_a_sigkilled_local_cloud_leaves_no_process_and_the_next_start_removes_its_directory(tmp_path):
    # clouds started on their own, each its own process (forked ones, from a zygote: test_zygote.py)
    env = {**{k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"}, "TMPDIR": str(tmp_path)}
    killed = LocalCloud(log=tmp_path / "killed.log", env=env)
    running = LocalCloud(log=tmp_path / "running.log", env=env)
    try:
        rds = boto3.client("rds", endpoint_url=killed.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        rds.create_db_instance(DBInstanceIdentifier="crash", Engine="mysql", EngineVersion="8.4.6", DBInstanceClass="db.t4g.small",
                               MasterUsername="admin", ManageMasterUserPassword=True, AllocatedStorage=20)
        (work,) = _dirs(tmp_path, killed.proc.pid)
        assert until(lambda: any(b"mariadbd" in _cmdline(p) for p in processes_naming(work)), 90), \
            "the MariaDB behind the instance never started"

        os.kill(killed.proc.pid, signal.SIGKILL)
        killed.proc.wait()
        assert until(lambda: not processes_naming(work), 15), f"left running: {processes_naming(work)}"
        assert work.exists()  # nothing can run at SIGKILL: the next start cleans up

        (kept,) = _dirs(tmp_path, running.proc.pid)
        successor = LocalCloud(log=tmp_path / "successor.log", env=env)
        try:
            assert not work.exists()
            assert kept.exists() and (kept / ".lock").exists()  # the running local cloud's directory is never touched
        finally:
            successor.stop()
        assert _dirs(tmp_path, successor.proc.pid) == []  # a normal stop leaves nothing either
    finally:
        killed.stop()
        running.stop()


def test_a_mariadb_that_hangs_at_start_is_killed_and_reported(tmp_path):
    hang = tmp_path / "mariadbd"
    hang.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import time; time.sleep(300)' \"$@\"\n")
    hang.chmod(0o755)
    install = tmp_path / "mariadb-install-db"  # makes the data directory it is given, with an empty mysql/ in it
    install.write_text('#!/bin/sh\nfor a; do case "$a" in --datadir=*) mkdir -p "${a#--datadir=}/mysql";; esac; done\n')
    install.chmod(0o755)
    plane = DataPlane(tmp_path / "plane")
    try:
        plane.mariadbd, plane.install_db, plane.client, plane.start_timeout = str(hang), str(install), shutil.which("true"), 2
        started = time.monotonic()
        plane.start_database("hung", "hung.local", 3306, "admin", lambda: "pw", {})
        plane.wait_ready(timeout=30)
        assert time.monotonic() - started < 20
        assert "did not accept connections within 2 s and was killed" in plane.unavailable["hung.local:3306"]
        assert processes_naming(tmp_path / "plane") == []
    finally:
        plane.close()


def test_a_local_cloud_starting_at_the_same_instant_never_takes_a_new_directory_for_a_dead_ones(tmp_path, monkeypatch):
    """Parallel suites start local clouds at the same moment, and each start reaps. The worst instant for another's
    reaper is just before this one's lock is taken: the reaper must not see a lock it can take then."""
    real_flock = workdir.fcntl.flock
    reaped: list[list[Path]] = []

    def flock_after_a_rival_reaps(handle, operation):  # the rival's reaper runs, then this start takes its lock
        monkeypatch.setattr(workdir.fcntl, "flock", real_flock)  # the rival's own flock calls are real ones
        reaped.append(reap_stale(tmp_path))
        return real_flock(handle, operation)

    monkeypatch.setattr(workdir.fcntl, "flock", flock_after_a_rival_reaps)
    work = WorkDir(tmp_path)
    monkeypatch.setattr(workdir.fcntl, "flock", real_flock)
    try:
        assert reaped == [[]], f"the rival removed the new directory: {reaped}"
        assert (work.sub("dataplane")).is_dir()
        assert reap_stale(tmp_path) == []  # and once started, its lock is held under the name reapers look for
    finally:
        work.close()


def test_a_dead_local_clouds_directory_is_still_reaped(tmp_path):  # the twin: the rename keeps reaping working
    dead = WorkDir(tmp_path)
    assert dead._lock is not None
    dead._lock.close()  # its process ended: the kernel dropped the lock
    dead._lock = None
    assert reap_stale(tmp_path) == [dead.path] and not dead.path.exists()


@pytest.mark.parametrize("through", ["setpriv", "preexec_fn"])
def test_a_process_started_to_die_with_its_parent_is_killed_when_the_thread_that_started_it_ends(
        monkeypatch: pytest.MonkeyPatch, through: str) -> None:
    """What a cloud starts (a function's environment, a MariaDB) ends with the thread that started it, so a cloud
    killed by any signal leaves nothing running: through setpriv (no Python runs in the child; subprocess uses vfork),
    or a preexec_fn where setpriv is missing."""
    if through == "setpriv" and not workdir.SETPRIV:
        pytest.skip("no setpriv on this machine (util-linux)")
    if through == "preexec_fn":
        monkeypatch.setattr(workdir, "SETPRIV", None)
    argv, preexec = workdir.dying_with_parent([sys.executable, "-c", "import time; time.sleep(60)"])
    assert (preexec is None) == (through == "setpriv") and argv[-1] == "import time; time.sleep(60)"
    started: list[subprocess.Popen[bytes]] = []

    def start_and_end_once_it_runs() -> None:
        # The cloud's starting threads outlive what they start (setpriv sets the signal, then execs the command: a
        # thread that ended before that would leave it to the process's end)
        started.append(subprocess.Popen(argv, preexec_fn=preexec))
        assert until(lambda: Path(f"/proc/{started[0].pid}/cmdline").read_bytes().startswith(sys.executable.encode() + b"\0"), 10)

    thread = threading.Thread(target=start_and_end_once_it_runs)
    thread.start()
    thread.join()
    [process] = started
    try:
        assert process.wait(timeout=15) == -signal.SIGKILL
    finally:
        process.kill()
