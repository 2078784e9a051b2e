"""`python -m strata_local_cloud.sam ARGS`: the pinned SAM CLI, unchanged, except that its waits poll the local cloud
every SAM_CLI_POLL_DELAY seconds. For a local cloud only: it refuses to run unless AWS_ENDPOINT_URL is one on loopback,
or the command makes no AWS call at all (`sam build`, `sam validate --lint`: OFFLINE), which runs anywhere. In a test
run each is forked from the run's zygote (zygote.py), its modules already imported. Each template text is parsed once
per command (memo_yaml_parse), where the SAM CLI parses it a dozen times, each template's data is written out as YAML
once (memo_yaml_dump), and the SAM translator's bundled policy templates are checked against their schema once
(memo_policy_template_check), where it checks them for every template. With STRATA_SHARED_CACHE set to a directory
(the test run sets one of its own, removed when it ends), what a parse, a dump and a function's zip make is kept there
for the run's other SAM commands (shared_cache.py): the same bytes, made once.

Why: `sam deploy` waits at SAM_CLI_POLL_DELAY ("configure how often SAM CLI checks the Stack state", `sam deploy
--help`; the local cloud's environments set 0.5 s, see launch.SAM_POLL_DELAY), but `sam delete` waits for
DELETE_COMPLETE through botocore's `stack_delete_complete` waiter with a fixed 30 s delay that no setting changes
(samcli/lib/delete/cfn_utils.py, `waiter_config = {"Delay": 30}`). A delete the local cloud finishes in a second
then takes 30 s; the tests' deletes spent most of their time asleep there. Here every botocore waiter in the SAM CLI
polls at SAM_CLI_POLL_DELAY and keeps its whole time budget (the attempts grow as the delay shrinks), so what SAM
waits for, and what it does when the wait ends, is unchanged. Not an AWS behaviour: only how often a client asks.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import pickle
import shutil
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from .launch import SAM_POLL_DELAY
from .shared_cache import SharedCache, shared_cache


def is_local(endpoint: str) -> bool:
    """An endpoint on loopback: a local cloud's."""
    host = urllib.parse.urlsplit(endpoint).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def fast_waiters(delay: float) -> None:
    """Every botocore waiter polls every `delay` seconds at most, within the time budget it had (delay x attempts)."""
    from botocore.waiter import Waiter

    original = Waiter.wait

    @functools.wraps(original)
    def wait(self: Any, **kwargs: Any) -> Any:
        config = dict(kwargs.pop("WaiterConfig", None) or {})
        given = config.get("Delay", self.config.delay)
        if given > delay:
            attempts = config.get("MaxAttempts", self.config.max_attempts)
            config.update(Delay=delay, MaxAttempts=math.ceil(attempts * given / delay))
        return original(self, WaiterConfig=config, **kwargs)

    Waiter.wait = wait  # type: ignore[method-assign]


def _replace_in_samcli(original: Any, replacement: Any, name: str) -> None:
    # the modules that imported the function by name hold their own reference (`from samcli.yamlhelper import yaml_parse`)
    for module in [m for module_name, m in list(sys.modules.items()) if module_name.startswith("samcli") and m is not None]:
        if getattr(module, name, None) is original:
            setattr(module, name, replacement)


def memo_yaml_parse(cache: SharedCache | None = None) -> None:
    """The SAM CLI parses the same template text many times within one command (its stack provider, the packager,
    the artifact and image checks, the parameter defaults: each template a dozen times in a sam deploy), with PyYAML's
    pure-Python parser each time: a sixth of the CPU the tests' local clouds and SAM CLIs spent. Here the first parse of
    a text is kept, pickled, and each later one gets its own objects from the pickle, the very objects the parser would
    have built again, so nothing the SAM CLI sees changes (the parser is not replaced); a parse that fails is not kept,
    and fails again. With a shared cache, the pickle is kept there too, by the text's digest, for the run's other
    commands (a test run's thirty SAM commands read the same dozen templates)."""
    from samcli import yamlhelper

    original = yamlhelper.yaml_parse
    shared = cache or SharedCache(None)
    parsed: dict[str, bytes] = {}

    def pickled(text: str) -> bytes:
        return pickle.dumps(original(text), protocol=pickle.HIGHEST_PROTOCOL)

    @functools.wraps(original)
    def yaml_parse(yamlstr: Any) -> Any:
        if not isinstance(yamlstr, str):
            return original(yamlstr)
        if yamlstr not in parsed:
            parsed[yamlstr] = shared.get_bytes("yaml", hashlib.sha256(yamlstr.encode()).hexdigest(), lambda: pickled(yamlstr))
        return pickle.loads(parsed[yamlstr])  # pickled by this process, or by the run's own SAM commands

    _replace_in_samcli(original, yaml_parse, "yaml_parse")


def memo_yaml_dump(cache: SharedCache | None = None) -> None:
    """`sam package` and `sam deploy` write each nested template they upload with PyYAML's pure-Python emitter
    (yamlhelper.yaml_dump, after pointing its code and template URLs at S3): a sixth of a forked SAM CLI's CPU, the same
    templates in every deploy of a test run. The text is a function of the data alone (the emitter and its
    representers are fixed in the pinned SAM CLI and PyYAML): here it is kept by a digest of the data's pickle, which
    holds every key, value, type and shared reference the emitter reads, in order, and equal pickles make equal text.
    Data that does not pickle is dumped as it was. With a shared cache the text is kept for the run's other commands."""
    import yaml
    from samcli import yamlhelper

    original = yamlhelper.yaml_dump
    shared = cache or SharedCache(None)
    dumped: dict[str, str] = {}

    @functools.wraps(original)
    def yaml_dump(dict_to_dump: Any) -> Any:
        try:
            data = pickle.dumps(dict_to_dump, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - anything pickle refuses: no key, SAM's own dump
            return original(dict_to_dump)
        digest = hashlib.sha256(f"{yaml.__version__}\0".encode() + data).hexdigest()
        if digest not in dumped:
            dumped[digest] = shared.get_bytes("yaml-dump", digest, lambda: original(dict_to_dump).encode()).decode()
        return dumped[digest]

    _replace_in_samcli(original, yaml_dump, "yaml_dump")


def memo_zips(cache: SharedCache) -> None:
    """`sam deploy` and `sam package` zip each function's build directory (make_zip_with_permissions: deflate at level 6,
    CPU alone), 0.4 s of a 1.8 s deploy of the baseline, the same directories in every deploy of a test run. The zip
    is a function of what it reads: for each file, in os.walk's order, its path, its mode and its bytes, and the
    permission mappers of the zip method (fixed in the pinned SAM CLI, named by the method). With a shared cache, a zip
    made from the same of all of those is copied from it; otherwise SAM makes the zip, and it is kept. The bytes are
    SAM's either way."""
    if cache.root is None:
        return
    from samcli.lib.package import utils

    for name in ("make_zip", "make_zip_with_lambda_permissions"):
        original = getattr(utils, name)

        def zip_kept(file_name: str, source_root: str, original: Any = original, name: str = name) -> str:
            def make(path: Path) -> None:
                made = original(str(path), source_root)  # SAM names it path + ".zip"
                try:
                    os.replace(made, path)
                finally:
                    Path(made).unlink(missing_ok=True)

            entry = cache.get("zip", _zip_key(name, source_root), make)
            assert entry is not None  # a cache with a directory
            shutil.copyfile(entry, f"{file_name}.zip")
            return f"{file_name}.zip"

        _replace_in_samcli(original, zip_kept, name)


def _zip_key(method: str, source_root: str) -> str:
    """A digest of everything make_zip_with_permissions reads from `source_root`, in the order it reads it."""
    digest = hashlib.sha256(method.encode())
    root = os.path.abspath(source_root)
    for folder, _, files in os.walk(root, followlinks=True):
        for filename in files:
            full_path = os.path.join(folder, filename)
            with open(full_path, "rb") as data:
                content = hashlib.sha256(data.read()).hexdigest()
            digest.update(f"\0{os.path.relpath(full_path, root)}\0{os.stat(full_path).st_mode}\0{content}".encode())
    return digest.hexdigest()


def memo_policy_template_check() -> None:
    """The SAM translator checks its bundled policy templates against their JSON schema each time it makes its
    policy-template plugin: for every template of every stack the SAM CLI reads, 24 times in a `sam deploy` of the
    baseline, 0.19 s of its 1.9 s of CPU. The check is a pure function of the two documents; here a pair that passed is
    not checked again (a pair that fails is checked, and fails, every time). What the translator makes is unchanged."""
    import json

    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

    original = PolicyTemplatesProcessor._is_valid_templates_dict
    passed: set[str] = set()

    def is_valid(policy_templates_dict: dict[Any, Any], schema: dict[Any, Any] | None = None) -> bool:
        key = json.dumps([policy_templates_dict, schema], sort_keys=True, default=repr)
        if key not in passed:
            original(policy_templates_dict, schema)  # raises ValueError naming what fails
            passed.add(key)
        return True

    PolicyTemplatesProcessor._is_valid_templates_dict = staticmethod(is_valid)


def offline(args: list[str]) -> bool:
    """A command that makes no AWS call: `sam build` (it resolves, builds and copies locally; a container build, which
    pulls images, is refused) and `sam validate --lint` (cfn-lint alone; without --lint, validate may ask IAM for the
    managed policies a template names)."""
    command = args[0] if args else ""
    return (command == "build" and "--use-container" not in args) or (command == "validate" and "--lint" in args)


def main(argv: list[str] | None = None) -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    args = sys.argv[1:] if argv is None else argv
    if not (is_local(endpoint) or (offline(args) and not endpoint)):
        print("strata_local_cloud.sam runs the SAM CLI against a local cloud only: AWS_ENDPOINT_URL must be a loopback URL "
              f"(it is {endpoint!r}); against AWS, run sam itself", file=sys.stderr)
        return 2
    from .zygote import run_in_zygote

    code = run_in_zygote(args, kind="sam")  # forked, already imported, from the test run's zygote if there is one
    return run(args) if code is None else code


def run(args: list[str]) -> int:
    """The SAM CLI in this process, its waiters polling at SAM_CLI_POLL_DELAY, each template text parsed once."""
    fast_waiters(float(os.environ.get("SAM_CLI_POLL_DELAY", SAM_POLL_DELAY)))
    from samcli.cli.main import cli

    from .models import share_models

    share_models()  # its sessions share one loader (forked from the zygote: the zygote's, installed already)

    cache = shared_cache()
    memo_yaml_parse(cache)
    memo_yaml_dump(cache)
    memo_zips(cache)
    memo_policy_template_check()

    sys.argv = ["sam", *args]
    try:
        cli()
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
