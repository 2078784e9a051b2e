"""Patches to moto 5.2.5, one module per service, installed from one list.

Each patch names the moto behaviour it replaces and the AWS behaviour (with its source) it emulates instead:
what moto gets wrong in a way that would make the local cloud accept what AWS refuses, refuse what AWS
accepts, or leave an endpoint with nothing behind it (the data plane). Remove a patch when the pinned moto
has the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import (
    acm,
    awslambda,
    capacity,
    cloudtrail,
    config,
    core,
    ec2,
    elbv2,
    guardduty,
    kms,
    logs,
    names,
    organizations,
    permissions,
    rds,
    s3,
    securityhub,
)

if TYPE_CHECKING:
    from ..dataplane import DataPlane

# Order matters only within a service; each install() runs once per process, before the server starts.
PATCHES: list[Callable[[DataPlane], None]] = [
    core.install, acm.install, awslambda.install, cloudtrail.install, config.install, ec2.install, elbv2.install, guardduty.install, kms.install,
    logs.install, rds.install, s3.install,
    organizations.install, securityhub.install, names.install, capacity.install, permissions.install,
]


def install_all(plane: DataPlane) -> None:
    for install in PATCHES:
        install(plane)
