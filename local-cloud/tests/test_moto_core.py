"""moto_patches/core.py: work moto repeats that the local cloud does once, with moto's own results."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

import pytest


@pytest.fixture(scope="module")
def core() -> Any:
    """moto_patches.core, imported by the tests that use it: importing the patches imports moto's EC2 and RDS models, which
    each of a test run's workers would otherwise do while collecting (0.45 s of CPU each)."""
    from strata_local_cloud.moto_patches import core

    return core


def test_each_account_gets_the_aws_managed_policies_moto_itself_would_make(monkeypatch: pytest.MonkeyPatch, core: Any) -> None:
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    monkeypatch.setitem(os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    account = SimpleNamespace(account_id="111122223333", region_name="global")
    made = core._init_aws_policies(account)
    expected = [AWSManagedPolicy.from_data(name, "111122223333", "global", d) for name, d in json.loads(aws_managed_policies_data).items()]
    assert len(made) == len(expected) > 1000

    def key(p: AWSManagedPolicy) -> tuple:
        return (p.arn, p.name, p.path, p.default_version_id, [(v.document, v.version_id, v.is_default) for v in p.versions], p.create_date,
                p.update_date, p.account_id)

    assert [key(p) for p in made] == [key(p) for p in expected]
    assert "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole" in {p.arn for p in made}
    # each account its own objects (attachments are counted per policy object), made from data parsed once
    other = core._init_aws_policies(SimpleNamespace(account_id="444455556666", region_name="global"))
    assert made[0] is not other[0] and other[0].account_id == "444455556666"


def test_without_the_setting_an_account_has_no_aws_managed_policies(monkeypatch: pytest.MonkeyPatch, core: Any) -> None:
    monkeypatch.delitem(os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES", raising=False)
    assert core._init_aws_policies(SimpleNamespace(account_id="111122223333", region_name="global")) == []


def test_the_account_of_an_access_key_is_found_without_making_iam_backends(monkeypatch: pytest.MonkeyPatch, core: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from, iam_backends

    monkeypatch.delitem(os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES", raising=False)
    account = "210987654321"
    try:
        backend = iam_backends[account]["aws"]
        backend.create_user(region_name="us-east-1", user_name="someone")
        key = backend.create_access_key("someone").access_key_id
        assert core._account_of(key) == account
        assert core._account_of("AKIAIOSFODNN7EXAMPLE") == DEFAULT_ACCOUNT_ID
        # nothing made by looking: the account still has its one partition's backend
        assert list(dict.keys(iam_backends[account])) == ["aws"]
        assert get_account_id_from is not core._account_of, "test processes run moto unpatched (only a cloud installs the patches)"
        # moto's own search gives the same answers (and makes the other partitions' backends as it looks)
        assert get_account_id_from(key) == account and get_account_id_from("AKIAIOSFODNN7EXAMPLE") == DEFAULT_ACCOUNT_ID
        assert len(dict.keys(iam_backends[account])) > 1
    finally:
        iam_backends.pop(account, None)
