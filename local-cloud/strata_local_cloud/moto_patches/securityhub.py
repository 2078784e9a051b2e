"""Security Hub standards and hub settings, which moto 5.2.5 lacks.

moto enables and describes a hub but knows no standards (BatchEnableStandards, GetEnabledStandards,
BatchDisableStandards, UpdateStandardsControl, DescribeStandardsControls are not implemented), accepts a second
EnableSecurityHub silently, always answers AutoEnableControls true and ControlFindingGenerator SECURITY_CONTROL,
and creates a second GuardDuty detector in a region. Added here on moto's own backends; each rule cites its
source. Not emulated: checks, findings, control catalogues (a control ARN is checked for its standard, region
and account, not for whether the standard has that control), standards statuses other than READY.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..rules import rule
from .core import json_error

if TYPE_CHECKING:
    from ..dataplane import DataPlane

HUB_ONCE = rule(
    "securityhub-hub-once", "service", ("AWS::SecurityHub::Hub",),
    "enabling Security Hub in a region where it is already enabled (ResourceConflictException)",
    "https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_EnableSecurityHub.html (Errors: ResourceConflictException)")
STANDARDS_NEED_HUB = rule(
    "securityhub-standards-need-hub", "service", ("AWS::SecurityHub::Standard",),
    "enabling a standard where Security Hub is not enabled, or a standard ARN Security Hub does not offer in that region",
    "https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchEnableStandards.html (InvalidAccessException, InvalidInputException)")
CONTROL_OF_STANDARD = rule(
    "securityhub-control-of-enabled-standard", "service", ("AWS::SecurityHub::Standard",),
    "disabling a control whose ARN is not a control of an enabled standard in this account and region, or without a reason",
    "https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_UpdateStandardsControl.html; "
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-securityhub-standard-standardscontrol.html "
    "(\"If you are disabling a control, then this property is required\")")
# The standards Security Hub offers (DescribeStandards), by the path after "standards/" or "ruleset/"
# (https://docs.aws.amazon.com/securityhub/latest/userguide/standards-reference.html). CIS v1.2.0 is a global ruleset ARN.
STANDARDS = {
    "aws-foundational-security-best-practices/v/1.0.0": "standards",
    "cis-aws-foundations-benchmark/v/1.2.0": "ruleset",
    "cis-aws-foundations-benchmark/v/1.4.0": "standards",
    "cis-aws-foundations-benchmark/v/3.0.0": "standards",
    "cis-aws-foundations-benchmark/v/5.0.0": "standards",
    "nist-800-53/v/5.0.0": "standards",
    "pci-dss/v/3.2.1": "standards",
    "pci-dss/v/4.0.1": "standards",
    "aws-resource-tagging-standard/v/1.0.0": "standards",
}
# "EnableDefaultStandards ... the default standards are AWS Foundational Security Best Practices and CIS AWS
# Foundations Benchmark v1.2.0" (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_EnableSecurityHub.html).
DEFAULT_STANDARDS = ("aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/1.2.0")


def standard_of(backend: Any, standards_arn: str) -> str:
    """The standard's path (see STANDARDS) for an ARN Security Hub offers in this region, else InvalidInputException."""
    m = re.fullmatch(r"arn:aws[a-z-]*:securityhub:(?P<region>[a-z0-9-]*)::(?P<kind>standards|ruleset)/(?P<path>.+)", standards_arn)
    if m is None or STANDARDS.get(m["path"]) != m["kind"] or (m["kind"] == "standards" and m["region"] != backend.region_name) \
            or (m["kind"] == "ruleset" and m["region"] != ""):
        raise json_error("InvalidInputException", f"Invalid StandardsArn: {standards_arn} is not a standard Security Hub offers in {backend.region_name}")
    return m["path"]


def subscription_arn(backend: Any, path: str) -> str:
    return f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:subscription/{path}"


def _state(backend: Any) -> dict[str, Any]:
    if not hasattr(backend, "strata_standards"):
        backend.strata_standards = {}  # standard path -> {"arn": standards ARN, "controls": {control ARN: (status, reason)}}
        backend.strata_hub = {"AutoEnableControls": True, "ControlFindingGenerator": "SECURITY_CONTROL"}
    return backend.strata_standards


def _require_hub(backend: Any) -> None:
    if not backend.enabled:
        raise json_error("InvalidAccessException", f"Account {backend.account_id} is not subscribed to AWS Security Hub", 401)


def _subscription(backend: Any, path: str) -> dict[str, Any]:
    return {"StandardsSubscriptionArn": subscription_arn(backend, path), "StandardsArn": _state(backend)[path]["arn"],
            "StandardsInput": {}, "StandardsStatus": "READY", "StandardsControlsUpdatable": "READY_FOR_UPDATES"}


def subscribed(backend: Any, arn: str) -> str:
    """The path of the enabled standard with this subscription ARN, else InvalidInputException."""
    path = next((p for p in _state(backend) if subscription_arn(backend, p) == arn), None)
    if path is None:
        raise json_error("InvalidInputException", f"Invalid StandardsSubscriptionArn: {arn} is not enabled")
    return path


def enable_standards(backend: Any, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    _require_hub(backend)
    paths = [standard_of(backend, r.get("StandardsArn", "")) for r in requests]
    state = _state(backend)
    for r, path in zip(requests, paths, strict=True):
        state.setdefault(path, {"arn": r["StandardsArn"], "controls": {}})
    return [_subscription(backend, p) for p in paths]


def install(plane: DataPlane) -> None:
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    enable = SecurityHubBackend.enable_security_hub
    disable = SecurityHubBackend.disable_security_hub
    describe = SecurityHubBackend.describe_hub

    def enable_security_hub(self: Any, enable_default_standards: bool = True, tags: dict[str, str] | None = None) -> dict[str, Any]:
        if self.enabled:
            raise json_error("ResourceConflictException", f"Account {self.account_id} is already subscribed to Security Hub", 409)
        result = enable(self, enable_default_standards=enable_default_standards, tags=tags)
        _state(self).clear()
        if enable_default_standards:
            enable_standards(self, [{"StandardsArn": (f"arn:aws:securityhub:{self.region_name}::standards/{p}" if STANDARDS[p] == "standards"
                                                      else f"arn:aws:securityhub:::ruleset/{p}")} for p in DEFAULT_STANDARDS])
        return result

    def disable_security_hub(self: Any) -> dict[str, Any]:
        result = disable(self)
        _state(self).clear()  # "standards that are enabled are disabled" (API_DisableSecurityHub)
        return result

    def describe_hub(self: Any, hub_arn: str | None = None) -> dict[str, Any]:
        _state(self)
        return {**describe(self, hub_arn=hub_arn), **self.strata_hub}

    SecurityHubBackend.enable_security_hub = enable_security_hub  # type: ignore[method-assign]
    SecurityHubBackend.disable_security_hub = disable_security_hub  # type: ignore[method-assign]
    SecurityHubBackend.describe_hub = describe_hub  # type: ignore[method-assign]

    def body(self: Any) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def enable_security_hub_response(self: Any) -> str:
        params = body(self)
        hub = self.securityhub_backend
        hub.enable_security_hub(enable_default_standards=params.get("EnableDefaultStandards", True), tags=params.get("Tags", {}))
        if "ControlFindingGenerator" in params:
            hub.strata_hub["ControlFindingGenerator"] = params["ControlFindingGenerator"]
        return json.dumps({})

    def update_security_hub_configuration(self: Any) -> str:
        params, hub = body(self), self.securityhub_backend
        _require_hub(hub)
        _state(hub)
        for key in ("AutoEnableControls", "ControlFindingGenerator"):
            if key in params:
                hub.strata_hub[key] = params[key]
        return json.dumps({})

    def batch_enable_standards(self: Any) -> str:
        return json.dumps({"StandardsSubscriptions": enable_standards(self.securityhub_backend, body(self).get("StandardsSubscriptionRequests", []))})

    def get_enabled_standards(self: Any) -> str:
        hub = self.securityhub_backend
        _require_hub(hub)
        wanted = set(body(self).get("StandardsSubscriptionArns") or [])
        subs = [_subscription(hub, p) for p in _state(hub)]
        return json.dumps({"StandardsSubscriptions": [s for s in subs if not wanted or s["StandardsSubscriptionArn"] in wanted]})

    def batch_disable_standards(self: Any) -> str:
        hub = self.securityhub_backend
        _require_hub(hub)
        out = []
        for arn in body(self).get("StandardsSubscriptionArns", []):
            path = subscribed(hub, arn)
            out.append({**_subscription(hub, path), "StandardsStatus": "DELETING"})
            del _state(hub)[path]
        return json.dumps({"StandardsSubscriptions": out})

    def update_standards_control(self: Any) -> str:
        hub = self.securityhub_backend
        _require_hub(hub)
        params = body(self)
        arn = unquote(self.path.split("/standards/control/", 1)[1])
        m = re.fullmatch(r"arn:aws[a-z-]*:securityhub:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):control/(?P<path>.+)/(?P<control>[^/]+)", arn)
        state = _state(hub)
        if m is None or m["region"] != hub.region_name or m["account"] != hub.account_id or m["path"] not in state:
            raise json_error("InvalidInputException", f"Invalid StandardsControlArn: {arn} is not a control of a standard enabled in this account and region")
        status = params.get("ControlStatus", "")
        if status not in ("ENABLED", "DISABLED"):
            raise json_error("InvalidInputException", "ControlStatus must be ENABLED or DISABLED")
        if status == "DISABLED" and not str(params.get("DisabledReason") or "").strip():
            raise json_error("InvalidInputException", "DisabledReason is required when ControlStatus is DISABLED")
        state[m["path"]]["controls"][arn] = (status, params.get("DisabledReason"))
        return json.dumps({})

    def describe_standards_controls(self: Any) -> str:
        """Only the controls whose status was changed: the local cloud has no control catalogue (see above)."""
        hub = self.securityhub_backend
        _require_hub(hub)
        path = subscribed(hub, unquote(self.path.split("/standards/controls/", 1)[1]))
        controls = [{"StandardsControlArn": c, "ControlStatus": s, "DisabledReason": r or "", "ControlId": c.rsplit("/", 1)[1]}
                    for c, (s, r) in sorted(_state(hub)[path]["controls"].items())]
        return json.dumps({"Controls": controls})

    for name, fn in (("enable_security_hub", enable_security_hub_response), ("update_security_hub_configuration", update_security_hub_configuration),
                     ("batch_enable_standards", batch_enable_standards), ("get_enabled_standards", get_enabled_standards),
                     ("batch_disable_standards", batch_disable_standards), ("update_standards_control", update_standards_control),
                     ("describe_standards_controls", describe_standards_controls)):
        setattr(SecurityHubResponse, name, fn)
    # The REST paths of the operations above moto does not route yet (botocore's securityhub model, requestUri;
    # EnableSecurityHub and UpdateSecurityHubConfiguration share /accounts with moto's own DescribeHub).
    urls.url_paths.update({
        "{0}/standards/register$": SecurityHubResponse.dispatch,
        "{0}/standards/get$": SecurityHubResponse.dispatch,
        "{0}/standards/deregister$": SecurityHubResponse.dispatch,
        "{0}/standards/control/(?P<arn>.+)$": SecurityHubResponse.dispatch,
        "{0}/standards/controls/(?P<arn>.+)$": SecurityHubResponse.dispatch,
    })
