"""A fork server for local clouds: `python -m strata_local_cloud.zygote --socket PATH` imports the local cloud and
parses the service models once, then forks a fresh local cloud for each `strata-local-cloud` started with
STRATA_LOCAL_CLOUD_ZYGOTE=PATH in its environment (one started while the zygote still imports waits for it). It does
the same for the SAM CLI the tests run against local clouds (`python -m strata_local_cloud.sam`: about 0.9 s of CPU
importing the SAM CLI, every deploy and delete), and for the project's Python tools the tests run (`python -m
strata_local_cloud.script`: about 0.3 s each, importing boto3 and parsing models). The test command runs one for its
whole run (tools/test.sh).

Why: a local cloud spends about 3 s of CPU before its first deploy (importing moto, botocore, cfn-lint and the SAM
translator; parsing a botocore model per service twice, moto's and the providers'), and the test suites start some
forty, each of them fresh so that no test sees another's resources. Forked from a process that did that work once,
a local cloud starts in a tenth of that, as fresh as one started on its own: no request has been served and no
backend exists before the fork, and everything a cloud makes (its working directory, data plane, moto's backends,
its engine) is made after it.

What a started cloud looks like is unchanged: the `strata-local-cloud` process the caller started stays, as a thin
stand-in whose standard streams, working directory, environment and arguments the forked cloud takes over. A signal
sent to it is passed on; it exits as the cloud exits (with its code, or by the same signal); and if it is killed
(SIGKILL included) the cloud kills itself at once, so everything a killed local cloud leaves is what it always left
(workdir.py reaps that). Without STRATA_LOCAL_CLOUD_ZYGOTE, or when the zygote cannot serve the request, the
command starts the local cloud on its own, as it always did.

Only variables read when modules are imported cannot differ between the zygote and a cloud (moto's settings, the
engine's worker count, where botocore finds its data): a request whose values differ is declined with the reason,
and that cloud starts on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, NoReturn

ENV = "STRATA_LOCAL_CLOUD_ZYGOTE"
# Read once, when a module is imported (moto.settings; cfn/executor.py WORKERS; botocore's loader data path): a cloud
# forked from the zygote has the zygote's values, so a request must have the same ones.
IMPORT_TIME = ("MOTO_", "TEST_SERVER_MODE", "STRATA_LOCAL_CLOUD_WORKERS", "AWS_DATA_PATH")
LOG = logging.getLogger("strata.zygote")


def import_time_env(env: dict[str, str]) -> dict[str, str]:
    """The variables of `env` read at import, with the defaults a local cloud sets before it imports moto applied."""
    from .__main__ import ENV_DEFAULTS

    values = {**ENV_DEFAULTS, **env}
    return {k: v for k, v in values.items() if k.startswith(IMPORT_TIME)}


# -- the stand-in: the `strata-local-cloud` process a caller starts -------------------------------------------------

# The signals a stand-in passes on to the process it stands in for.
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)

# What a zygote forks, by the command it stands in for.
KINDS = {"local-cloud": "strata-local-cloud", "sam": "sam", "script": "python"}


def run_in_zygote(args: list[str], kind: str = "local-cloud") -> int | None:
    """Asks the zygote named by STRATA_LOCAL_CLOUD_ZYGOTE for a `kind` process (a local cloud, the SAM CLI, a script) with
    these arguments and stands in for it until it ends; returns its exit code (or ends by its signal). None: no
    zygote, or it declined (run it here)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    name = KINDS[kind]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        # The signals this process was started ignoring (a shell's background job ignores SIGINT and SIGQUIT): the forked
        # process starts with them ignored too, as a process started here would (python then leaves SIGINT alone; a
        # local cloud sets its own handler either way).
        request = {"kind": kind, "argv": [name, *args], "env": dict(os.environ), "cwd": os.getcwd(),
                   "ignored": [int(s) for s in FORWARDED if signal.getsignal(s) == signal.SIG_IGN]}
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reader = conn.makefile("rb")
        reply = json.loads(reader.readline() or b"{}")
    except (OSError, ValueError) as error:
        print(f"{name}: the zygote at {path} is not available ({error}); starting on its own", file=sys.stderr, flush=True)
        conn.close()
        return None
    if "pid" not in reply:
        print(f"{name}: the zygote declined ({reply.get('declined', 'no answer')}); starting on its own", file=sys.stderr, flush=True)
        conn.close()
        return None
    pid = int(reply["pid"])

    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in FORWARDED:  # the forked process decides what they do: it ignores those this one was started ignoring
        signal.signal(signum, forward)
    line = reader.readline()  # the cloud's end, as the zygote reaped it; empty if the zygote itself went away
    status = json.loads(line) if line else {"exit": 1}
    if "signal" in status:
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(status["signal"], signal.SIG_DFL)
        os.kill(os.getpid(), status["signal"])
    return int(status.get("exit", 1))


# -- the zygote -------------------------------------------------------------------------------------------------------

# The services whose models the clouds read besides those a deploy calls first (the warm-up's, __main__.WARM): what
# the engine's providers and the account layer's resources call (a test checks that every service a provider makes a
# client of is in one or the other). Each model is parsed once here instead of in every cloud that needs it.
MORE_MODELS = ("securityhub", "guardduty", "accessanalyzer", "s3control", "organizations")


def preload() -> None:
    """Everything a local cloud imports and parses before its first deploy that is the same for every cloud: modules,
    and the service models (pure data) in moto's loader and in the providers' session's. No client, credentials,
    config file, backend or thread: those are each cloud's own."""
    from .__main__ import ENV_DEFAULTS

    for name, value in ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    import boto3
    import botocore.loaders
    import cfnlint.schema  # noqa: F401 - the registry schemas' modules
    import moto.backends
    import moto.core.routing
    import moto.core.utils
    import moto.moto_server.werkzeug_app
    import moto.server
    import samtranslator.translator.transform  # noqa: F401
    import werkzeug.serving  # noqa: F401

    from . import __main__, dataplane, moto_patches, services  # noqa: F401 - imported for what they import
    from .cfn import api, context  # noqa: F401

    moto_patches.core.aws_managed_policies()  # parsed once for every account of every cloud
    # The providers' session's loader, made as boto3.Session makes it (botocore's data, then boto3's), without the
    # session: a session reads the configuration file and credentials of the environment it is made in, the cloud's.
    loader = botocore.loaders.create_loader()
    loader.search_paths.append(str(Path(boto3.__file__).parent / "data"))
    for name in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        with contextlib.suppress(Exception):
            loader.load_data_with_path(name)  # what load_data and the endpoint resolver read
    for service in (*__main__.WARM, *MORE_MODELS):
        with contextlib.suppress(Exception):  # what is missing here is loaded by the cloud that needs it
            model = moto.core.utils.get_service_model(service)
            moto.backends.get_backend(service)  # type: ignore[call-overload]
            # moto's request router for each of the service's protocols (a REST service's compiles a werkzeug rule per
            # operation), made on a cloud's first request otherwise: pure data, from the model alone
            router = moto.core.routing.get_service_router(service)
            for protocol in model.metadata.get("protocols", [model.protocol]):
                with contextlib.suppress(Exception):
                    router._get_router(protocol)
            for kind in ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2"):
                loader.load_service_model(service, kind)
    context.preloaded_loader = loader
    # The SAM CLI's commands the tests run through strata_local_cloud.sam, and what they import when they run.
    for module in ("samcli.cli.main", "samcli.commands.build.command", "samcli.commands.build.build_context",
                   "samcli.lib.build.app_builder", "samcli.commands.validate.validate", "cfnlint.api", "cfnlint.rules",
                   "samcli.commands.deploy.command", "samcli.commands.deploy.deploy_context",
                   "samcli.commands.deploy.guided_context", "samcli.commands.package.package_context", "samcli.commands.delete.command",
                   "samcli.commands.delete.delete_context", "samcli.lib.observability.util", "samcli.lib.deploy.deployer",
                   "samcli.lib.providers.sam_stack_provider", "samcli.lib.samlib.wrapper"):
        importlib.import_module(module)


def serve(path: Path) -> None:
    # The socket listens before the preload: a stand-in that connects meanwhile (the test command starts the zygote
    # beside the lint, and the first jest suites start their clouds a second or two later) waits in the listen queue
    # for its fork, where it found no socket and started on its own before (about 2.5 s of CPU more each, for seven
    # clouds of the jest phase). Only the connection waits, as for any busy server: if the preload fails, the zygote
    # exits, each waiting stand-in's connection is reset and it starts on its own. Nothing else changes before the
    # preload.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pending = path.with_name(path.name + ".pending")
    for stale in (path, pending):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    listener.bind(str(pending))
    listener.listen(64)
    pending.replace(path)  # the socket appears under its name listening: a stand-in never finds it refusing
    # stopped during the preload: the socket goes too (SystemExit runs the finally below, SIGTERM's default would not)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        _serve(listener, path)
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    # The clouds still running end with the zygote (their parent-death signal, SIGTERM: a normal stop).


def _serve(listener: socket.socket, path: Path) -> None:
    gc.disable()  # while it imports: full collections of a growing heap that find next to nothing to free
    preload()
    # What the zygote holds is read, never freed, by every process it forks: out of the collector's sight (gc.freeze),
    # a collection in a fork walks only what that process made, instead of the zygote's hundreds of megabytes (which
    # also copies every page it touches: copy-on-write), and costs what it costs in a process started on its own.
    gc.collect()
    gc.freeze()
    gc.enable()
    # No thread may run at a fork (the child would hold locks no thread releases): nothing above starts one.
    assert threading.active_count() == 1, [t.name for t in threading.enumerate()]
    base_env = import_time_env(dict(os.environ))
    children: dict[int, socket.socket] = {}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop (set_wakeup_fd) to reap
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    print(f"STRATA_LOCAL_CLOUD_ZYGOTE={path}", flush=True)
    while not stopping:
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is listener:
                _accept(listener, selector, wake_r, wake_w, base_env, children)
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 512)
        _reap(children)


def _accept(listener: socket.socket, selector: selectors.BaseSelector, wake_r: int, wake_w: int, base_env: dict[str, str],
            children: dict[int, socket.socket]) -> None:
    conn, _ = listener.accept()
    fds: list[int] = []
    try:
        conn.settimeout(10)
        data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
        while not data.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                raise ValueError("the request ended early")
            data += more
        request = json.loads(data)
        if len(fds) != 3:
            raise ValueError(f"expected the 3 standard streams, got {len(fds)} descriptors")
        if request.get("kind", "local-cloud") not in KINDS:
            raise ValueError(f"no such kind: {request.get('kind')}")
        differing = sorted(k for k in set(base_env) | set(import_time_env(request["env"]))
                           if base_env.get(k) != import_time_env(request["env"]).get(k))
        if differing:
            conn.sendall(json.dumps({"declined": f"variables read at import differ from the zygote's: {', '.join(differing)}"}).encode() + b"\n")
            conn.close()
            return
        conn.settimeout(None)
    except (OSError, ValueError, KeyError) as error:
        LOG.warning("a request was refused: %s", error)
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"declined": str(error)}).encode() + b"\n")
        conn.close()
        for fd in fds:
            os.close(fd)
        return
    pid = os.fork()
    if pid == 0:
        selector.close()
        listener.close()
        for other in children.values():
            other.close()
        for fd in (wake_r, wake_w):
            os.close(fd)
        _child(conn, request, fds)
    for fd in fds:
        os.close(fd)
    children[pid] = conn
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        end = {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"exit": os.waitstatus_to_exitcode(status)}
        with contextlib.suppress(OSError):  # the stand-in may be gone already (it was killed: so was the cloud)
            conn.sendall(json.dumps(end).encode() + b"\n")
        conn.close()


def _child(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> NoReturn:
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        for signum in request.get("ignored", []):  # what the stand-in's caller had it ignore
            signal.signal(signum, signal.SIG_IGN)
        _parent_death_signal(signal.SIGTERM)  # a zygote that ends stops its clouds as `kill` would
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        _rebind_std_streams()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        import tempfile

        tempfile.tempdir = None  # gettempdir() again from this cloud's TMPDIR
        from moto.moto_api._internal import mock_random

        mock_random.seed()  # the zygote's random state is every child's: draw fresh (os.urandom) for this cloud

        def watch() -> None:
            # The stand-in closes its end only when it ends; killed (SIGKILL included), it cannot pass that on, so the
            # cloud ends the way it would have if it had been killed itself.
            with contextlib.suppress(OSError):
                while conn.recv(4096):
                    pass
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=watch, daemon=True, name="stand-in").start()
        if request.get("kind") in ("sam", "script"):
            from .cfn import context
            from .models import share_models

            share_models(seed=context.preloaded_loader)  # their botocore sessions read the models parsed in preload()
        if request.get("kind") == "sam":
            from .sam import run

            code = run(sys.argv[1:])
        elif request.get("kind") == "script":
            from .script import run_forked

            code = run_forked(sys.argv[1:])
        else:
            from .__main__ import serve

            serve(sys.argv[1:])
            code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever ends the cloud is printed to its log and becomes exit code 1
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(code)


def _rebind_std_streams() -> None:
    """sys.stdin, stdout and stderr anew on the descriptors the caller sent. The zygote's were opened on its own (its
    log, a file) and keep what they found then: given a pipe in its place, such a stream still thinks it can seek,
    and the first tell() fails with ESPIPE ("Illegal seek", as sam build did). Made as the interpreter makes them:
    stdout line-buffered on a terminal only, stderr always, with backslashreplace."""
    old = (sys.stdin, sys.stdout, sys.stderr)
    sys.stdin = open(0, encoding=old[0].encoding, errors=old[0].errors, closefd=False)  # noqa: SIM115 - lives as long as the process
    # buffering 1: line-buffered (text mode); -1: the default block buffering
    sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1, encoding=old[1].encoding, errors=old[1].errors, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding=old[2].encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]


def _parent_death_signal(signum: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG (Linux)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m strata_local_cloud.zygote", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", type=Path, required=True, help="the Unix socket to listen on")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("STRATA_LOCAL_CLOUD_LOG", "WARNING"), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.socket)


if __name__ == "__main__":
    main()
