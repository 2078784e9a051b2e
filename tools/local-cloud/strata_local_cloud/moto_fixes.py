"""Fixes to moto 5.2.5 behaviour that would make the local cloud reject valid requests.

Each fix names the moto function it replaces and why; remove it when the pinned moto has the fix.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.models import FakeBucket
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL


def _log_permissions_enabled_policy(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
    """moto's version calls .get() on Principal and fails with HTTP 500 when a statement has `Principal: "*"`
    (as every TLS-only deny statement does). Same rule otherwise: an Allow of s3:PutObject to the logging
    service on the target bucket's objects."""
    if not target_bucket.policy:
        return False
    wanted = {f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}*",
              f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/*", f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"}
    for stmt in json.loads(target_bucket.policy.decode())["Statement"]:
        principal: Any = stmt.get("Principal", {})
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = services if isinstance(services, list) else [services]
        actions = stmt.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = stmt.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if LOGGING_SERVICE_PRINCIPAL in services and stmt.get("Effect") == "Allow" and "s3:PutObject" in actions and wanted & set(resources):
            return True
    return False


def _master_secret_string(self: Any) -> str:
    """moto writes {"username": "admin", "password": "P@55w0rd!"} into every RDS-managed master secret; RDS writes
    the instance's own master user name and a generated password."""
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits + "!#$%^&*()-_=+[]{}:,.<>?~"  # RDS never uses / @ " or space
    password = "".join(secrets.choice(alphabet) for _ in range(32))
    return json.dumps({"username": getattr(self.resource, "master_username", None) or "admin", "password": password})


def _acm_describe(original: Any) -> Any:
    """ACM prints a certificate's serial as colon-separated hex pairs (0a:1b:...); moto prints the decimal integer."""

    def describe(self: Any) -> dict[str, Any]:
        result = original(self)
        serial = format(self._cert.serial_number, "x")
        serial = serial.zfill(len(serial) + len(serial) % 2)
        result["Certificate"]["Serial"] = ":".join(serial[i:i + 2] for i in range(0, len(serial), 2))
        return result

    return describe


def install() -> None:
    from moto.acm.models import CertBundle
    from moto.rds.models import MasterUserSecret

    MasterUserSecret._generate_secret_string = _master_secret_string  # type: ignore[method-assign]
    CertBundle.describe = _acm_describe(CertBundle.describe)  # type: ignore[method-assign]
    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)  # type: ignore[method-assign]
