"""moto_patches/core.py: work moto repeats that the local cloud does once, with moto's own results."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from strata_local_cloud.moto_patches import core


def test_each_account_gets_the_aws_managed_policies_moto_itself_would_make(monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_without_the_setting_an_account_has_no_aws_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES", raising=False)
    assert core._init_aws_policies(SimpleNamespace(account_id="111122223333", region_name="global")) == []
