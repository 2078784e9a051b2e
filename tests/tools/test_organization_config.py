"""tools/organization.py's rollout configuration (org/rollout.toml) is checked before any AWS call: a refusal names
the setting and the fix; the committed file passes, and its values reach every stack instance's parameters."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from strata_testing import REPO


def organization() -> Any:
    spec = importlib.util.spec_from_file_location("organization_tool", REPO / "tools" / "organization.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ROLLOUT = (REPO / "org" / "rollout.toml").read_text()


def test_the_committed_rollout_passes_and_reaches_the_layer_parameters() -> None:
    tool = organization()
    config = tool.load_config(REPO / "org" / "rollout.toml")
    params = tool.layer_parameters(config, "s3://artifacts/strata.guard")
    assert params["S3DataEvents"] == "write" and params["CreateTrail"] == "true"


@pytest.mark.parametrize(("line", "named"), [
    ('s3_data_events = "everything"', "s3_data_events must be write, all or none"),
    ('call_as = "ADMIN"', "call_as must be SELF or DELEGATED_ADMIN"),
])
def test_a_bad_setting_is_refused_naming_it(tmp_path: Path, line: str, named: str) -> None:
    key = line.split(" = ")[0]
    text = "\n".join(line if raw.startswith(f"{key} = ") else raw for raw in ROLLOUT.splitlines())
    (tmp_path / "rollout.toml").write_text(text)
    with pytest.raises(SystemExit, match=named):
        organization().load_config(tmp_path / "rollout.toml")


def test_all_is_accepted_for_accounts_that_hold_prod_data(tmp_path: Path) -> None:
    (tmp_path / "rollout.toml").write_text(ROLLOUT.replace('s3_data_events = "write"', 's3_data_events = "all"'))
    tool = organization()
    assert tool.layer_parameters(tool.load_config(tmp_path / "rollout.toml"), "")["S3DataEvents"] == "all"
