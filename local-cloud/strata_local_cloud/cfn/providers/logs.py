"""CloudWatch Logs log groups and metric filters."""

from __future__ import annotations

from . import Provider, changed, compact, register


@register
class LogGroup(Provider):
    type = "AWS::Logs::LogGroup"
    in_place = frozenset({"RetentionInDays", "KmsKeyId", "Tags"})

    name_property = "LogGroupName"

    def exists(self, p, name):
        groups = p.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return any(g["logGroupName"] == name for g in groups)

    def create(self, p, logical_id, props):
        logs = p.client("logs")
        name = props.get("LogGroupName") or p.name(512)
        logs.create_log_group(**compact({"logGroupName": name, "kmsKeyId": props.get("KmsKeyId"),
                                         "tags": {t["Key"]: t["Value"] for t in p.tags(props.get("Tags"))} or None}))
        p.created(name)
        if props.get("RetentionInDays") is not None:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        return name, {"Arn": self.arn(p, name)}

    def arn(self, p, name):
        return f"arn:aws:logs:{p.region}:{p.account}:log-group:{name}:*"

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        logs = p.client("logs")
        if "RetentionInDays" in diff:
            if new.get("RetentionInDays") is None:
                logs.delete_retention_policy(logGroupName=physical)
            else:
                logs.put_retention_policy(logGroupName=physical, retentionInDays=int(new["RetentionInDays"]))
        if "KmsKeyId" in diff:
            if new.get("KmsKeyId"):
                logs.associate_kms_key(logGroupName=physical, kmsKeyId=new["KmsKeyId"])
            else:
                logs.disassociate_kms_key(logGroupName=physical)
        if "Tags" in diff:
            logs.tag_resource(resourceArn=attrs["Arn"].removesuffix(":*"), tags={t["Key"]: t["Value"] for t in p.tags(new.get("Tags"))})
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("logs").delete_log_group(logGroupName=physical)


@register
class MetricFilter(Provider):
    type = "AWS::Logs::MetricFilter"
    upsert = True

    def create(self, p, logical_id, props):
        name = props.get("FilterName") or p.name(512)
        self._put(p, name, props)
        return name, {}

    def create_named(self, p, physical, props):
        self._put(p, physical, props)
        return physical, {}

    def _put(self, p, name, props):
        transforms = []
        for t in props["MetricTransformations"]:
            transforms.append(compact({"metricName": t["MetricName"], "metricNamespace": t["MetricNamespace"], "metricValue": str(t["MetricValue"]),
                                       "defaultValue": float(t["DefaultValue"]) if "DefaultValue" in t else None, "unit": t.get("Unit"),
                                       "dimensions": {d["Key"]: d["Value"] for d in t.get("Dimensions", [])} or None}))
        p.client("logs").put_metric_filter(logGroupName=props["LogGroupName"], filterName=name, filterPattern=props["FilterPattern"],
                                           metricTransformations=transforms)

    def delete(self, p, physical, props, attrs):
        p.client("logs").delete_metric_filter(logGroupName=props["LogGroupName"], filterName=physical)
