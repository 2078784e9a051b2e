"""`python -m strata_local_cloud.script PATH [ARGS...]`: `python PATH ARGS...`, forked from the test run's zygote when
there is one (zygote.py), else run here. For the tests that run the project's Python tools (tools/deploy.py, plan.py,
summary.py, teardown.py, organization.py, connect.py, local.py) to check what they print and do: each such run spent
about 0.3 s of CPU importing boto3 and parsing the botocore models it reads, some forty times in a test run. The
user's own commands (npm start, the README's) run the tools with python itself.

What a script sees is what `python PATH` gives it: sys.argv (PATH, then ARGS), its directory first on sys.path,
__name__ "__main__" (and sys.modules["__main__"] its module), Python's SIGINT handler (KeyboardInterrupt) unless
SIGINT was ignored when it started (a shell's background job), and at its end what the interpreter does at exit:
the non-daemon threads joined, then the atexit handlers, then exit with SystemExit's code, 1 after an uncaught
exception (its traceback from the script's frames), or by SIGINT after an uncaught KeyboardInterrupt. Forked, the
modules the zygote imported are imported already, and its botocore sessions read the service models through the
zygote's loader (models.share_models).
"""

from __future__ import annotations

import builtins
import importlib.machinery
import io
import os
import signal
import sys
import traceback
import types
from types import TracebackType

USAGE = "usage: python -m strata_local_cloud.script PATH [ARGS...]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    from .zygote import run_in_zygote

    code = run_in_zygote(args, kind="script")
    return run(args) if code is None else code


def run(args: list[str]) -> int:
    """Runs the script `args[0]` with the arguments after it in this process, as `python` would; returns its exit
    code. A KeyboardInterrupt that ends it is raised again (the caller ends by SIGINT, as python does)."""
    path = os.path.abspath(args[0])
    sys.argv = [args[0], *args[1:]]
    sys.path[0] = os.path.dirname(path)  # python puts the script's directory first (here it was the launcher's)
    if signal.getsignal(signal.SIGINT) == signal.SIG_DFL:  # forked; python's own start leaves an ignored SIGINT ignored
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _run_main(path)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)  # as python prints a non-integer code
        return 1
    except KeyboardInterrupt:
        _print_uncaught(path)
        raise
    except BaseException:  # noqa: BLE001 - python prints any uncaught exception and exits with 1
        _print_uncaught(path)
        return 1
    return 0


def _run_main(path: str) -> None:
    """The script at `path` as python runs a script: compiled from its bytes (its encoding declaration honoured) under
    its absolute path, which is also its __file__ (python 3.9+), executed as the module __main__ (runpy.run_path
    would make argv[0] absolute too, and restore the launcher's __main__ before the atexit handlers run)."""
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __package__=None, __spec__=None, __builtins__=builtins,
                         __loader__=importlib.machinery.SourceFileLoader("__main__", path))
    with io.open_code(path) as source:
        code = compile(source.read(), path, "exec", dont_inherit=True)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _print_uncaught(path: str) -> None:
    """The traceback python prints for an exception the script did not catch: from the script's own frame on."""
    kind, error, tb = sys.exc_info()
    assert kind is not None and error is not None
    frames: TracebackType | None = tb
    while frames is not None and frames.tb_frame.f_code.co_filename != path:
        frames = frames.tb_next
    shown = frames or tb
    sys.excepthook(kind, error.with_traceback(shown), shown)  # the hook prints the exception's own traceback


def finish(code: int) -> int:
    """What the interpreter does when a script's main thread ends, for a script run in a forked process (which ends
    with os._exit): its non-daemon threads joined, then its atexit handlers. Returns the exit code."""
    import atexit
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]  # the interpreter's own call at exit
    except BaseException:  # noqa: BLE001 - as at exit: printed, and the exit goes on
        traceback.print_exc()
    atexit._run_exitfuncs()
    return code


def exit_by_sigint() -> None:
    """Ends this process by SIGINT, as python does after an uncaught KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def run_forked(args: list[str]) -> int:
    """run() in a process forked from the zygote, which ends with os._exit: then what the interpreter does at exit."""
    try:
        code = run(args)
    except KeyboardInterrupt:
        finish(130)
        sys.stdout.flush()
        sys.stderr.flush()
        exit_by_sigint()
        return 130  # not reached: SIGINT ends the process
    return finish(code)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        finish(130)
        exit_by_sigint()
