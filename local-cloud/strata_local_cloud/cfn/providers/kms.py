"""KMS keys and aliases."""

from __future__ import annotations

import json

from . import Provider, as_bool, changed, compact, register


@register
class Key(Provider):
    type = "AWS::KMS::Key"
    in_place = frozenset({"KeyPolicy", "EnableKeyRotation", "Description", "Tags", "PendingWindowInDays"})
    applied_later = frozenset({"PendingWindowInDays"})  # the waiting period of ScheduleKeyDeletion, at delete

    def create(self, p, logical_id, props):
        kms = p.client("kms")
        key = kms.create_key(**compact({
            "Description": props.get("Description"), "Policy": json.dumps(props["KeyPolicy"]) if props.get("KeyPolicy") else None,
            "KeyUsage": props.get("KeyUsage"), "KeySpec": props.get("KeySpec"), "MultiRegion": props.get("MultiRegion"),
            "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in p.tags(props.get("Tags"))] or None}))["KeyMetadata"]
        p.created(key["KeyId"])
        if as_bool(props.get("EnableKeyRotation", False)):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        return key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        kms = p.client("kms")
        if "KeyPolicy" in diff:
            kms.put_key_policy(KeyId=physical, PolicyName="default", Policy=json.dumps(new["KeyPolicy"]))
        if "EnableKeyRotation" in diff:
            (kms.enable_key_rotation if as_bool(new.get("EnableKeyRotation")) else kms.disable_key_rotation)(KeyId=physical)
        if "Description" in diff:
            kms.update_key_description(KeyId=physical, Description=new.get("Description", ""))
        if "Tags" in diff:
            kms.tag_resource(KeyId=physical, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in p.tags(new.get("Tags"))])
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        # As in AWS: a key is never deleted at once, it is scheduled for deletion after its waiting period.
        p.client("kms").schedule_key_deletion(KeyId=physical, PendingWindowInDays=int(props.get("PendingWindowInDays", 30)))


@register
class Alias(Provider):
    type = "AWS::KMS::Alias"
    in_place = frozenset({"TargetKeyId"})

    name_property = "AliasName"

    def exists(self, p, name):
        aliases = p.client("kms").list_aliases()["Aliases"]
        return any(a["AliasName"] == name for a in aliases)

    def create(self, p, logical_id, props):
        p.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        return props["AliasName"], {}

    def update(self, p, physical, old, new, attrs):
        p.client("kms").update_alias(AliasName=physical, TargetKeyId=new["TargetKeyId"])
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("kms").delete_alias(AliasName=physical)
