"""WAFv2 web ACLs, their associations and logging."""

from __future__ import annotations

from . import Provider, changed, compact, dropped_tags, register


@register
class WebAcl(Provider):
    type = "AWS::WAFv2::WebACL"
    in_place = frozenset({"DefaultAction", "Rules", "VisibilityConfig", "Description", "Tags"})

    def create(self, p, logical_id, props):
        name = props.get("Name") or p.name(128)
        summary = p.client("wafv2").create_web_acl(**compact({
            "Name": name, "Scope": props["Scope"], "DefaultAction": props["DefaultAction"], "Description": props.get("Description"),
            "Rules": props.get("Rules", []), "VisibilityConfig": props["VisibilityConfig"], "Tags": p.tags(props.get("Tags")) or None}))["Summary"]
        return f"{name}|{summary['Id']}|{props['Scope']}", {"Arn": summary["ARN"], "Id": summary["Id"]}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        name, acl_id, scope = physical.split("|")
        waf = p.client("wafv2")
        if diff - {"Tags"}:
            token = waf.get_web_acl(Name=name, Id=acl_id, Scope=scope)["LockToken"]
            waf.update_web_acl(**compact({"Name": name, "Id": acl_id, "Scope": scope, "LockToken": token, "DefaultAction": new["DefaultAction"],
                                          "Rules": new.get("Rules", []), "VisibilityConfig": new["VisibilityConfig"],
                                          "Description": new.get("Description")}))
        if "Tags" in diff:
            gone = dropped_tags(old, new)
            if gone:
                waf.untag_resource(ResourceARN=attrs["Arn"], TagKeys=gone)
            waf.tag_resource(ResourceARN=attrs["Arn"], Tags=p.tags(new.get("Tags")))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        name, acl_id, scope = physical.split("|")
        waf = p.client("wafv2")
        token = waf.get_web_acl(Name=name, Id=acl_id, Scope=scope)["LockToken"]
        waf.delete_web_acl(Name=name, Id=acl_id, Scope=scope, LockToken=token)


@register
class WebAclAssociation(Provider):
    type = "AWS::WAFv2::WebACLAssociation"

    def create(self, p, logical_id, props):
        p.client("wafv2").associate_web_acl(WebACLArn=props["WebACLArn"], ResourceArn=props["ResourceArn"])
        return f"{props['ResourceArn']}|{props['WebACLArn']}", {}

    def delete(self, p, physical, props, attrs):
        p.client("wafv2").disassociate_web_acl(ResourceArn=props["ResourceArn"])


@register
class LoggingConfiguration(Provider):
    type = "AWS::WAFv2::LoggingConfiguration"
    upsert = True

    def create(self, p, logical_id, props):
        p.client("wafv2").put_logging_configuration(LoggingConfiguration=compact({
            "ResourceArn": props["ResourceArn"], "LogDestinationConfigs": props["LogDestinationConfigs"],
            "RedactedFields": props.get("RedactedFields"), "LoggingFilter": props.get("LoggingFilter")}))
        return props["ResourceArn"], {}

    def delete(self, p, physical, props, attrs):
        p.client("wafv2").delete_logging_configuration(ResourceArn=physical)
