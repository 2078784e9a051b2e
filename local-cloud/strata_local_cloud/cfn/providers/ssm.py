"""Systems Manager parameters (AWS::SSM::Parameter): the account layer's contract with the environments."""

from __future__ import annotations

import contextlib

from . import Provider, changed, compact, register


@register
class Parameter(Provider):
    type = "AWS::SSM::Parameter"
    # Everything but Name (create-only in the registry schema) is put again with Overwrite.
    in_place = frozenset({"Value", "Type", "Description", "AllowedPattern", "Tier", "Policies", "DataType", "Tags"})
    name_property = "Name"

    def exists(self, p, name):
        ssm = p.client("ssm")
        try:
            ssm.get_parameter(Name=name)
        except ssm.exceptions.ParameterNotFound:
            return False
        return True

    def create(self, p, logical_id, props):
        # A generated name is CFN-<logical id>-<random> (aws-resource-ssm-parameter.html, Name).
        name = props.get("Name") or f"CFN-{logical_id}-{p.name(12).rsplit('-', 1)[-1]}"
        self._put(p, name, props, overwrite=False)
        # Stack tags and the resource's Tags (a map in this schema); AddTagsToResource, as CloudFormation calls it.
        tags = [*p.tags(None), *({"Key": str(k), "Value": str(v)} for k, v in (props.get("Tags") or {}).items())]
        if tags:
            p.client("ssm").add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tags)
        return name, {"Type": props["Type"], "Value": str(props["Value"])}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        if diff - {"Tags"}:
            self._put(p, physical, new, overwrite=True)
        if "Tags" in diff:
            ssm = p.client("ssm")
            gone = sorted(set(old.get("Tags") or {}) - set(new.get("Tags") or {}))
            if gone:
                ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=physical, TagKeys=gone)
            if new.get("Tags"):
                ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=physical,
                                         Tags=[{"Key": str(k), "Value": str(v)} for k, v in new["Tags"].items()])
        return physical, {"Type": new["Type"], "Value": str(new["Value"])}

    def delete(self, p, physical, props, attrs):
        ssm = p.client("ssm")
        with contextlib.suppress(ssm.exceptions.ParameterNotFound):  # deleted outside the stack: the delete succeeds
            ssm.delete_parameter(Name=physical)

    @staticmethod
    def _put(p, name, props, overwrite):
        p.client("ssm").put_parameter(**compact({
            "Name": name, "Type": props["Type"], "Value": str(props["Value"]), "Description": props.get("Description"),
            "AllowedPattern": props.get("AllowedPattern"), "Tier": props.get("Tier"), "Policies": props.get("Policies"),
            "DataType": props.get("DataType")}), Overwrite=overwrite)
