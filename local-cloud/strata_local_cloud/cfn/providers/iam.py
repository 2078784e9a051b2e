"""IAM roles, inline policies and instance profiles."""

from __future__ import annotations

import json

from . import Provider, changed, compact, found, register


def _doc(value):
    return value if isinstance(value, str) else json.dumps(value)


@register
class Role(Provider):
    type = "AWS::IAM::Role"
    in_place = frozenset({"AssumeRolePolicyDocument", "ManagedPolicyArns", "Policies", "Description", "Tags", "MaxSessionDuration"})

    name_property = "RoleName"

    def exists(self, p, name):
        iam = p.client("iam")
        return found(lambda: iam.get_role(RoleName=name), iam.exceptions.NoSuchEntityException)

    def create(self, p, logical_id, props):
        iam = p.client("iam")
        name = props.get("RoleName") or p.name(64)
        role = iam.create_role(**compact({
            "RoleName": name, "Path": props.get("Path"), "AssumeRolePolicyDocument": _doc(props["AssumeRolePolicyDocument"]),
            "Description": props.get("Description"), "MaxSessionDuration": props.get("MaxSessionDuration"),
            "PermissionsBoundary": props.get("PermissionsBoundary"), "Tags": p.tags(props.get("Tags")) or None}))["Role"]
        p.created(name)
        self._policies(iam, name, {}, props)
        return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    def _policies(self, iam, name, old, new):
        for arn in set(old.get("ManagedPolicyArns", [])) - set(new.get("ManagedPolicyArns", [])):
            iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        for arn in set(new.get("ManagedPolicyArns", [])) - set(old.get("ManagedPolicyArns", [])):
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        new_inline = {pol["PolicyName"]: pol["PolicyDocument"] for pol in new.get("Policies", [])}
        for pol in old.get("Policies", []):
            if pol["PolicyName"] not in new_inline:
                iam.delete_role_policy(RoleName=name, PolicyName=pol["PolicyName"])
        for pname, doc in new_inline.items():
            iam.put_role_policy(RoleName=name, PolicyName=pname, PolicyDocument=_doc(doc))

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        iam = p.client("iam")
        if "AssumeRolePolicyDocument" in diff:
            iam.update_assume_role_policy(RoleName=physical, PolicyDocument=_doc(new["AssumeRolePolicyDocument"]))
        if {"Description", "MaxSessionDuration"} & diff:
            iam.update_role(**compact({"RoleName": physical, "Description": new.get("Description"), "MaxSessionDuration": new.get("MaxSessionDuration")}))
        if "Tags" in diff:
            iam.tag_role(RoleName=physical, Tags=p.tags(new.get("Tags")))
        self._policies(iam, physical, old, new)
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        iam = p.client("iam")
        for pol in iam.list_attached_role_policies(RoleName=physical)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=physical, PolicyArn=pol["PolicyArn"])
        for pname in iam.list_role_policies(RoleName=physical)["PolicyNames"]:
            iam.delete_role_policy(RoleName=physical, PolicyName=pname)
        iam.delete_role(RoleName=physical)


@register
class RolePolicy(Provider):
    type = "AWS::IAM::RolePolicy"
    upsert = True

    def create(self, p, logical_id, props):
        p.client("iam").put_role_policy(RoleName=props["RoleName"], PolicyName=props["PolicyName"], PolicyDocument=_doc(props["PolicyDocument"]))
        return f"{props['PolicyName']}|{props['RoleName']}", {}

    def delete(self, p, physical, props, attrs):
        p.client("iam").delete_role_policy(RoleName=props["RoleName"], PolicyName=props["PolicyName"])


@register
class InstanceProfile(Provider):
    type = "AWS::IAM::InstanceProfile"
    in_place = frozenset({"Roles"})

    name_property = "InstanceProfileName"

    def exists(self, p, name):
        iam = p.client("iam")
        return found(lambda: iam.get_instance_profile(InstanceProfileName=name), iam.exceptions.NoSuchEntityException)

    def create(self, p, logical_id, props):
        iam = p.client("iam")
        name = props.get("InstanceProfileName") or p.name(128)
        profile = iam.create_instance_profile(**compact({"InstanceProfileName": name, "Path": props.get("Path")}))["InstanceProfile"]
        p.created(name)
        for role in props.get("Roles", []):
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        return name, {"Arn": profile["Arn"]}

    def update(self, p, physical, old, new, attrs):
        iam = p.client("iam")
        for role in set(old.get("Roles", [])) - set(new.get("Roles", [])):
            iam.remove_role_from_instance_profile(InstanceProfileName=physical, RoleName=role)
        for role in set(new.get("Roles", [])) - set(old.get("Roles", [])):
            iam.add_role_to_instance_profile(InstanceProfileName=physical, RoleName=role)
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        iam = p.client("iam")
        for role in props.get("Roles", []):
            iam.remove_role_from_instance_profile(InstanceProfileName=physical, RoleName=role)
        iam.delete_instance_profile(InstanceProfileName=physical)
