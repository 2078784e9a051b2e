"""Local clouds forked from a zygote (zygote.py) behave as local clouds started on their own: fresh and independent,
stopped and killed the same way, their exit passed on; a zygote that cannot serve a request leaves the cloud to start
on its own, saying why."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from strata_local_cloud.launch import LocalCloud, Zygote
from strata_local_cloud.testing import until
from strata_local_cloud.workdir import processes_naming

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("local-cloud-zygote")  # one zygote for the module, stopped by its last test


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    """One zygote for this module's tests (each stops the clouds it starts; the last one stops the zygote)."""
    started = Zygote(log=tmp_path_factory.mktemp("zygote") / "zygote.log")
    try:
        yield started
    finally:
        started.stop()


def env(zygote: Zygote, tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"}
    return zygote.env({**base, "TMPDIR": str(tmp_path), **extra})


HAS_MARIADB = bool(shutil.which("mariadbd") or Path("/usr/sbin/mariadbd").exists())


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_bytes().rsplit(b")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def client(cloud: LocalCloud, service: str):
    return boto3.client(service, endpoint_url=cloud.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def test_a_forked_cloud_serves_is_fresh_and_independent_and_stops_with_exit_code_0(zygote: Zygote, tmp_path: Path) -> None:
    one = LocalCloud(log=tmp_path / "one.log", env=env(zygote, tmp_path))
    two = LocalCloud(log=tmp_path / "two.log", env=env(zygote, tmp_path))
    try:
        forked = children(zygote.proc.pid)
        assert len(forked) == 2, "both clouds are the zygote's children, not the starter's own"
        client(one, "s3").create_bucket(Bucket="only-in-one")
        assert [b["Name"] for b in client(one, "s3").list_buckets()["Buckets"]] == ["only-in-one"]
        assert client(two, "s3").list_buckets()["Buckets"] == []
        # each draws its own IDs (moto's random state is reseeded after the fork, not the zygote's copied)
        vpcs = [client(c, "ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"] for c in (one, two)]
        assert vpcs[0] != vpcs[1]
        cf = client(one, "cloudformation")
        cf.create_stack(StackName="s", TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
        assert until(lambda: cf.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE")
    finally:
        one.stop()
        two.stop()
    assert (one.proc.returncode, two.proc.returncode) == (0, 0)
    assert until(lambda: not any(alive(p) for p in forked))
    assert not list(tmp_path.glob("strata-local-cloud-run-*")), "a normal stop leaves no working directory"


def test_killing_the_stand_in_kills_the_cloud_and_the_next_start_reaps_what_it_left(zygote: Zygote, tmp_path: Path) -> None:
    killed = LocalCloud(log=tmp_path / "killed.log", env=env(zygote, tmp_path))
    [cloud] = children(zygote.proc.pid)
    [work] = tmp_path.glob("strata-local-cloud-run-*")
    if HAS_MARIADB:  # what the cloud started dies with it too: the MariaDB behind an instance
        client(killed, "rds").create_db_instance(DBInstanceIdentifier="crash", Engine="mysql", EngineVersion="8.4.6", DBInstanceClass="db.t4g.small",
                                                 MasterUsername="admin", ManageMasterUserPassword=True, AllocatedStorage=20)
        assert until(lambda: any(b"mariadbd" in cmdline(p) for p in processes_naming(work)), 90), "the MariaDB never started"
    os.kill(killed.proc.pid, signal.SIGKILL)
    killed.proc.wait()
    assert until(lambda: not alive(cloud)), "the cloud outlived its killed stand-in"
    assert until(lambda: not processes_naming(work)), f"left running: {processes_naming(work)}"
    assert work.exists()  # as a cloud killed itself: nothing ran at SIGKILL, the next start cleans up
    successor = LocalCloud(log=tmp_path / "successor.log", env=env(zygote, tmp_path))
    try:
        assert not work.exists()
    finally:
        successor.stop()


def test_a_signal_to_the_stand_in_reaches_the_cloud_and_its_end_is_the_stand_ins(zygote: Zygote, tmp_path: Path) -> None:
    cloud = LocalCloud(log=tmp_path / "cloud.log", env=env(zygote, tmp_path))
    [forked] = children(zygote.proc.pid)
    cloud.proc.send_signal(signal.SIGINT)  # Ctrl-C: the cloud stops as it does on its own, exit code 0
    assert cloud.proc.wait(timeout=15) == 0
    assert until(lambda: not alive(forked))
    killed = LocalCloud(log=tmp_path / "killed.log", env=env(zygote, tmp_path))
    [forked] = children(zygote.proc.pid)
    os.kill(forked, signal.SIGKILL)  # the cloud itself dies by a signal: so does its stand-in, by the same one
    assert killed.proc.wait(timeout=15) == -signal.SIGKILL


def test_a_cloud_whose_import_time_settings_differ_is_declined_and_starts_on_its_own(zygote: Zygote, tmp_path: Path) -> None:
    log = tmp_path / "own.log"
    cloud = LocalCloud(log=log, env=env(zygote, tmp_path, STRATA_LOCAL_CLOUD_WORKERS="3"))
    try:
        assert children(zygote.proc.pid) == []
        assert "the zygote declined (variables read at import differ from the zygote's: STRATA_LOCAL_CLOUD_WORKERS)" in log.read_text()
        assert client(cloud, "s3").list_buckets()["Buckets"] == []
    finally:
        cloud.stop()
    # the twin: a variable read only at run time (the log level) does not stop the zygote serving it
    served = LocalCloud(log=tmp_path / "served.log", env=env(zygote, tmp_path, STRATA_LOCAL_CLOUD_LOG="INFO"))
    try:
        assert len(children(zygote.proc.pid)) == 1
    finally:
        served.stop()


def test_without_a_zygote_at_the_path_the_cloud_starts_on_its_own(tmp_path: Path) -> None:
    log = tmp_path / "own.log"
    base = {k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"}
    cloud = LocalCloud(log=log, env={**base, "STRATA_LOCAL_CLOUD_ZYGOTE": str(tmp_path / "nothing-here"), "TMPDIR": str(tmp_path)})
    try:
        assert "is not available" in log.read_text() and "starting on its own" in log.read_text()
        assert client(cloud, "s3").list_buckets()["Buckets"] == []
    finally:
        cloud.stop()
    assert cloud.proc.returncode == 0


def sam(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # -X importtime: the modules this process imports, on stderr; a SAM CLI forked from the zygote imports none here
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "strata_local_cloud.sam", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**environment, "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "SAM_CLI_TELEMETRY": "0"})


@pytest.mark.parametrize("args", [["--version"], ["deploy", "--config-env", "no-such-env", "--no-progressbar"]], ids=["version", "an-error"])
def test_the_sam_cli_forked_from_the_zygote_answers_as_it_does_on_its_own(zygote: Zygote, tmp_path: Path, args: list[str]) -> None:
    own = sam(args, {k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"})
    forked = sam(args, env(zygote, tmp_path))
    assert "| samcli" in own.stderr  # imported here
    assert "| samcli" not in forked.stderr, "the SAM CLI was not forked from the zygote"
    assert (forked.returncode, forked.stdout) == (own.returncode, own.stdout)
    assert [line for line in forked.stderr.splitlines() if "import time:" not in line] == \
        [line for line in own.stderr.splitlines() if "import time:" not in line]
    assert own.returncode == (0 if args == ["--version"] else 2), own.stderr[-2000:]  # 2: click's usage error


PROBE = """
import atexit, os, signal, sys, threading, time
from pathlib import Path
sys.stdout.write(repr([sys.argv, sys.path[0], __name__, sys.modules["__main__"].__dict__ is globals(), __file__]) + "\\n")
sys.stdout.write(repr([os.getcwd(), os.environ.get("PROBE"), sys.stdin.read(), signal.getsignal(signal.SIGINT)]) + "\\n")
import sibling  # found in the script's own directory, first on sys.path
atexit.register(lambda: print("atexit ran, after the thread", flush=True))
threading.Thread(target=lambda: (time.sleep(0.3), print("the non-daemon thread finished", flush=True))).start()
how = sys.argv[1]
if how == "raise":
    def inner():
        raise ValueError("from the script")
    inner()
if how == "interrupt":
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)  # ignored (started as a background job), the script goes on
if how == "text":
    sys.exit("a message, not a code")
sys.exit(int(how))
"""


# Runs python with SIGINT as given (SIG_DFL, or SIG_IGN as a shell's background job has it; an exec keeps both)
WITH_SIGINT = "import os, signal, sys; signal.signal(signal.SIGINT, getattr(signal, sys.argv[1])); os.execv(sys.executable, sys.argv[2:])"


def script(args: list[str], environment: dict[str, str], cwd: Path, sigint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITH_SIGINT, sigint, sys.executable, "-X", "importtime", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, input="from stdin", env={**environment, "PROBE": "set"})


@pytest.mark.parametrize("sigint", ["SIG_DFL", "SIG_IGN"])
@pytest.mark.parametrize("how", ["0", "3", "raise", "interrupt", "text"])
def test_a_script_run_through_the_launcher_behaves_as_python_runs_it(zygote: Zygote, tmp_path: Path, how: str, sigint: str) -> None:
    """python -m strata_local_cloud.script PATH ARGS, forked from the zygote or run on its own, gives the script what
    `python PATH ARGS` gives it (argv, sys.path, __main__, cwd, environment, stdin, Python's SIGINT handler, or SIGINT
    ignored when it was) and ends as python ends: threads joined, atexit handlers run, the exit code, an uncaught
    exception's traceback, SIGINT."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "probe.py").write_text(PROBE)
    (tmp_path / "tools" / "sibling.py").write_text("")
    plain_env = {k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"}
    python = script(["tools/probe.py", how], plain_env, tmp_path, sigint)
    own = script(["-m", "strata_local_cloud.script", "tools/probe.py", how], plain_env, tmp_path, sigint)
    forked = script(["-m", "strata_local_cloud.script", "tools/probe.py", how], env(zygote, tmp_path), tmp_path, sigint)
    # -X importtime: the script's own import is timed where it runs; forked, it runs in the zygote's child
    assert "| sibling" in own.stderr and "| sibling" not in forked.stderr, "the script was not forked from the zygote"

    def seen(done: subprocess.CompletedProcess[str]) -> tuple[int, str, list[str]]:
        return done.returncode, done.stdout, [line for line in done.stderr.splitlines() if "import time:" not in line]

    assert seen(own) == seen(python)
    assert seen(forked) == seen(python)
    ignored = sigint == "SIG_IGN"
    # ignored, the interrupt does nothing: the script goes on to sys.exit(int("interrupt")), a ValueError
    expected = {"0": 0, "3": 3, "raise": 1, "interrupt": 1 if ignored else -signal.SIGINT, "text": 1}[how]
    assert python.returncode == expected, python.stderr[-2000:]
    assert python.stdout.endswith("the non-daemon thread finished\natexit ran, after the thread\n"), python.stdout
    assert "'from stdin'" in python.stdout and "'set'" in python.stdout
    assert ("SIG_IGN" if ignored else "default_int_handler") in python.stdout


def test_a_forked_script_reads_the_service_models_the_zygote_parsed(zygote: Zygote, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "import boto3, json\n"
        "loader = boto3.session.Session(region_name='us-east-1')._session.get_component('data_loader')\n"
        "from strata_local_cloud.cfn import context\n"
        "print(json.dumps([loader is context.preloaded_loader, context.preloaded_loader is not None]))\n")
    done = subprocess.run([sys.executable, "-m", "strata_local_cloud.script", "models.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=env(zygote, tmp_path))
    assert done.returncode == 0 and done.stdout.strip() == "[true, true]", done.stderr[-2000:]


def test_the_zygote_runs_no_thread_and_makes_no_session_before_it_forks(zygote: Zygote, tmp_path: Path) -> None:
    """Nothing that is a cloud's own may exist in the zygote: a thread (a fork would copy its locks, held), or a
    botocore session, which reads the configuration file and credentials of the environment it is made in. The loader
    it hands the clouds holds the parsed models, and a cloud's session (made after the fork) uses it. Seen from a
    process it forks: the zygote's threads (/proc), and the zygote's state as the fork copied it."""
    (tmp_path / "probe.py").write_text(
        "import json, re, sys\n"
        "from pathlib import Path\n"
        "from strata_local_cloud.cfn import context\n"
        "threads = int(re.search(r'^Threads:\\s+(\\d+)$', Path(f'/proc/{sys.argv[1]}/status').read_text(), re.M).group(1))\n"
        "made = context.shared_session.cache_info().currsize\n"
        "loader = context.preloaded_loader\n"
        "cached = loader.load_service_model('ec2', 'service-2') is loader.load_service_model('ec2', 'service-2')\n"
        "session = context.shared_session()\n"
        "print(json.dumps([threads, made, cached, session._session.get_component('data_loader') is loader]))\n")
    done = subprocess.run([sys.executable, "-m", "strata_local_cloud.script", "probe.py", str(zygote.proc.pid)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env(zygote, tmp_path))
    assert done.returncode == 0 and done.stdout.strip() == "[1, 0, true, true]", done.stderr[-2000:]


def test_a_zygote_that_ends_stops_its_clouds(zygote: Zygote, tmp_path: Path) -> None:
    cloud = LocalCloud(log=tmp_path / "cloud.log", env=env(zygote, tmp_path))
    [forked] = children(zygote.proc.pid)
    zygote.stop()
    assert until(lambda: not alive(forked)), "a cloud outlived its zygote"
    assert cloud.proc.wait(timeout=15) != 0  # its stand-in heard no end from the zygote: not a clean stop


def test_a_forked_process_gets_streams_made_for_the_descriptors_it_was_given(tmp_path: Path) -> None:
    """The zygote's own stdout is its log, a file: a stream made on it can seek. A child handed a pipe instead must not
    inherit that stream (its first tell() failed with "Illegal seek", as sam build did): it gets streams made anew."""
    code = ("import os, sys\n"
            "from strata_local_cloud import zygote\n"
            "r, w = os.pipe()\n"
            "os.dup2(w, 1)\n"
            "before = sys.stdout.seekable()\n"
            "zygote._rebind_std_streams()\n"
            "print(before, sys.stdout.seekable(), sys.stdout.fileno(), sys.stderr.line_buffering, file=sys.stderr)\n")
    with (tmp_path / "log").open("w") as log:
        done = subprocess.run([sys.executable, "-c", code], stdout=log, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.split() == ["True", "False", "1", "True"]


def start_zygote(socket: Path, preload: str, log: Path) -> subprocess.Popen[bytes]:
    """A zygote whose preload is `preload` (Python run in its place), started without waiting for it to be ready."""
    code = ("import sys, time\nfrom pathlib import Path\nfrom strata_local_cloud import zygote\n"
            f"original = zygote.preload\ndef preload():\n    {preload}\nzygote.preload = preload\nzygote.serve(Path(sys.argv[1]))\n")
    process = subprocess.Popen([sys.executable, "-c", code, str(socket)], stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    assert until(socket.exists, 30), "the zygote never listened"
    return process


def test_a_cloud_started_while_the_zygote_preloads_waits_for_its_fork(tmp_path: Path) -> None:
    """The socket listens from the zygote's start: a cloud started during the preload is forked once it is done, not
    started on its own (the jest suites start theirs a second or two after the test command starts the zygote)."""
    socket = tmp_path / "zygote" / "socket"
    socket.parent.mkdir()
    # a preload that only takes its time: the cloud forked after it imports what it needs itself, which costs a
    # cloud's start where a real preload would cost more (and is what the module's zygote does)
    zygote = start_zygote(socket, "time.sleep(2)", tmp_path / "zygote.log")
    try:
        base = {k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"}
        cloud = LocalCloud(log=tmp_path / "cloud.log", env={**base, "STRATA_LOCAL_CLOUD_ZYGOTE": str(socket), "TMPDIR": str(tmp_path)})
        try:
            assert len(children(zygote.pid)) == 1, (tmp_path / "cloud.log").read_text()
            assert "starting on its own" not in (tmp_path / "cloud.log").read_text()
            assert client(cloud, "s3").list_buckets()["Buckets"] == []
        finally:
            cloud.stop()
        assert cloud.proc.returncode == 0
    finally:
        zygote.terminate()
        zygote.wait(timeout=15)
    assert not socket.exists()


def test_a_zygote_whose_preload_fails_leaves_the_waiting_cloud_to_start_on_its_own(tmp_path: Path) -> None:
    socket = tmp_path / "zygote" / "socket"
    socket.parent.mkdir()
    zygote = start_zygote(socket, "time.sleep(2); raise RuntimeError('no preload')", tmp_path / "zygote.log")
    log = tmp_path / "own.log"
    base = {k: v for k, v in os.environ.items() if k != "STRATA_LOCAL_CLOUD_ZYGOTE"}
    cloud = LocalCloud(log=log, env={**base, "STRATA_LOCAL_CLOUD_ZYGOTE": str(socket), "TMPDIR": str(tmp_path)})
    try:
        assert "is not available ([Errno 104] Connection reset by peer); starting on its own" in log.read_text()
        assert client(cloud, "s3").list_buckets()["Buckets"] == []
    finally:
        cloud.stop()
    assert zygote.wait(timeout=15) != 0 and "no preload" in (tmp_path / "zygote.log").read_text()
    assert not socket.exists(), "the failed zygote left its socket"


def test_a_zygote_stopped_during_its_preload_removes_its_socket(tmp_path: Path) -> None:
    socket = tmp_path / "zygote" / "socket"
    socket.parent.mkdir()
    zygote = start_zygote(socket, "time.sleep(30)", tmp_path / "zygote.log")
    zygote.terminate()
    assert zygote.wait(timeout=15) == 128 + signal.SIGTERM
    assert not socket.exists()


def test_the_zygote_parses_the_model_of_every_service_a_provider_calls() -> None:
    """A provider's `p.client("<service>")` in the package's source: its model is among those the zygote parses."""
    from strata_local_cloud import __main__
    from strata_local_cloud import zygote as zygote_module

    source = Path(zygote_module.__file__).parent
    called = {m for path in source.rglob("*.py") for m in re.findall(r'client\("([a-z0-9-]+)"', path.read_text())}
    assert called and called <= {*__main__.WARM, *zygote_module.MORE_MODELS}, sorted(called - {*__main__.WARM, *zygote_module.MORE_MODELS})
