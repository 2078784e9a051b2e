"""Security Hub: the hub and its standards (the API behind them: moto_patches/securityhub.py).

As the registry schemas say: a Hub's Ref is its ARN; a Standard's Ref is its StandardsSubscriptionArn, its
StandardsArn is create-only and DisabledStandardsControls updates in place
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityhub-standard.html).
"""

from __future__ import annotations

import contextlib

from . import Provider, as_bool, changed, register


def _tag_map(tags):
    # The Hub's Tags are a map (the registry schema), not a list of Key/Value pairs.
    return {str(k): str(v) for k, v in (tags or {}).items()}


@register
class Hub(Provider):
    type = "AWS::SecurityHub::Hub"
    in_place = frozenset({"AutoEnableControls", "ControlFindingGenerator", "Tags"})

    def create(self, p, logical_id, props):
        hub = p.client("securityhub")
        hub.enable_security_hub(EnableDefaultStandards=as_bool(props.get("EnableDefaultStandards", True)),
                                Tags={**{t["Key"]: t["Value"] for t in p.tags(None)}, **_tag_map(props.get("Tags"))},
                                **({"ControlFindingGenerator": props["ControlFindingGenerator"]} if "ControlFindingGenerator" in props else {}))
        if "AutoEnableControls" in props:
            hub.update_security_hub_configuration(AutoEnableControls=as_bool(props["AutoEnableControls"]))
        described = hub.describe_hub()
        return described["HubArn"], {"ARN": described["HubArn"], "SubscribedAt": described["SubscribedAt"]}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        settings = {}
        if "AutoEnableControls" in diff:
            settings["AutoEnableControls"] = as_bool(new.get("AutoEnableControls", True))
        if "ControlFindingGenerator" in diff:
            settings["ControlFindingGenerator"] = new.get("ControlFindingGenerator", "SECURITY_CONTROL")
        if settings:
            p.client("securityhub").update_security_hub_configuration(**settings)
        if "Tags" in diff:
            p.client("securityhub").tag_resource(ResourceArn=physical, Tags=_tag_map(new.get("Tags")))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("securityhub").disable_security_hub()


@register
class Standard(Provider):
    type = "AWS::SecurityHub::Standard"
    in_place = frozenset({"DisabledStandardsControls"})

    def create(self, p, logical_id, props):
        hub = p.client("securityhub")
        sub = hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": props["StandardsArn"]}])["StandardsSubscriptions"][0]
        self._controls(hub, {}, props.get("DisabledStandardsControls") or [])
        arn = sub["StandardsSubscriptionArn"]
        return arn, {"StandardsSubscriptionArn": arn}

    def update(self, p, physical, old, new, attrs):
        self._controls(p.client("securityhub"), {c["StandardsControlArn"]: c for c in old.get("DisabledStandardsControls") or []},
                       new.get("DisabledStandardsControls") or [])
        return physical, attrs

    @staticmethod
    def _controls(hub, before, disabled):
        wanted = {c["StandardsControlArn"]: c for c in disabled}
        for arn in sorted(set(before) - set(wanted)):
            hub.update_standards_control(StandardsControlArn=arn, ControlStatus="ENABLED")
        for arn, control in wanted.items():
            if before.get(arn) != control:
                hub.update_standards_control(StandardsControlArn=arn, ControlStatus="DISABLED", DisabledReason=control.get("Reason", ""))

    def delete(self, p, physical, props, attrs):
        hub = p.client("securityhub")
        # Security Hub already off in this region took its standards with it.
        with contextlib.suppress(hub.exceptions.InvalidAccessException):
            hub.batch_disable_standards(StandardsSubscriptionArns=[physical])
