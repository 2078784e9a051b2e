"""The main job (`npm start`, tools/main.sh) in a copy of the checkout: a run that succeeds deploys, says what it
deployed and stops its local cloud; a template with a YAML error is refused by cfn-lint, which names the file and the
line (sam build alone would say only "line 60" of some template), before anything is deployed, and the local cloud
started meanwhile is stopped. Between the two runs one layer's template changed, so it and the root template are linted
again, and only they."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from strata_testing import REPO

pytestmark = pytest.mark.integration

# What set-up installs, shared with the checkout (their stamps match, so set-up in the copy installs nothing).
SHARED = ("node_modules", ".venv", ".venv-checkov", ".strata/uv")


def _copy_if_still_there(source: str, target: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.copy2(source, target)


def copy_checkout(dest: Path) -> Path:
    """The checkout's tracked files as they are in the working tree, its built bundles and turbo's cache."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for dist in REPO.glob("packages/*/dist"):
        shutil.copytree(dist, dest / dist.relative_to(REPO))
    if (REPO / ".turbo").is_dir():
        # turbo's cache, which the test command's jest phase writes meanwhile: an entry is written to a .tmp file and
        # renamed, so a file listed a moment before may be gone (or renamed) when it is copied
        shutil.copytree(REPO / ".turbo", dest / ".turbo", ignore=shutil.ignore_patterns("*.tmp"), copy_function=_copy_if_still_there)
    for name in SHARED:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).symlink_to(REPO / name)
    return dest


def main_job(checkout: Path) -> tuple[int, str, int]:
    """Runs the main job; returns its exit status, its output and the pid of the local cloud it started."""
    # The user's environment: no AWS_ variables and none of the test run's, except the zygote the test command runs
    # (STRATA_LOCAL_CLOUD_ZYGOTE): the main job's local clouds are forked from it, as fresh as ones started on their
    # own (local-cloud/tests/test_zygote.py shows they behave the same), for about 7 s of CPU less.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PYTEST_", "STRATA_")) or k == "STRATA_LOCAL_CLOUD_ZYGOTE"}
    result = subprocess.run(["bash", "tools/main.sh"], cwd=checkout, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    started = re.search(r"starting the local cloud \(pid (\d+)\)", output)
    assert started, output[-3000:]
    return result.returncode, output, int(started.group(1))


def passed(checkout: Path) -> set[str]:
    """The templates main.sh's lint stamp lists as passed ("<key> <template>" lines)."""
    stamp = checkout / ".strata" / "lint-passed"
    return {line.split(" ", 1)[1] for line in stamp.read_text().splitlines()} if stamp.exists() else set()


def running(pid: int) -> bool:
    try:
        return b"strata-local-cloud" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_the_main_job_deploys_and_a_yaml_error_is_named_by_file_and_line_before_anything_is_deployed(tmp_path: Path) -> None:
    checkout = copy_checkout(tmp_path / "checkout")

    # a run that succeeds: linted, built, deployed, summarised, its local cloud stopped
    status, output, cloud = main_job(checkout)
    assert status == 0, output[-4000:]
    assert "cfn-lint: no findings\n" in output  # run, not skipped: nothing had passed in this copy before
    assert "strata-local: CREATE_COMPLETE" in output and "TLS verification  report: 4 passed, 0 failed" in output
    assert re.search(r"== done in \d+ s", output)
    assert not running(cloud)
    templates = {"template.yaml", "account/template.yaml", *(f"nested/{p.name}" for p in (checkout / "nested").glob("*.yaml"))}
    assert passed(checkout) == templates

    # a YAML error in a nested template: cfn-lint runs again (its input changed) and names the file and the line
    network = checkout / "nested" / "network.yaml"
    lines = network.read_text().splitlines(keepends=True)
    network.write_text("".join([*lines[:59], "  Broken: [unclosed\n", *lines[59:]]))
    status, output, cloud = main_job(checkout)
    assert status == 1, output[-4000:]
    assert re.search(r"^nested/network\.yaml:6[01]:\d+$", output, re.M), output[-4000:]
    assert "cfn-lint found the problems above" in output
    assert "== deploy" not in output  # nothing deployed
    assert not running(cloud)  # the local cloud started during the build is stopped
    # only the changed layer and the root (which cfn-lint reads the nested templates from) were linted; the others
    # still count as passed, the two linted now do not
    assert passed(checkout) == templates - {"template.yaml", "nested/network.yaml"}
