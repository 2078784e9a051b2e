"""CloudTrail trails."""

from __future__ import annotations

from . import Provider, as_bool, compact, dropped_tags, register


@register
class Trail(Provider):
    type = "AWS::CloudTrail::Trail"
    in_place = frozenset({"S3BucketName", "S3KeyPrefix", "SnsTopicName", "IncludeGlobalServiceEvents", "IsMultiRegionTrail",
                          "EnableLogFileValidation", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KMSKeyId",
                          "IsOrganizationTrail", "EventSelectors", "AdvancedEventSelectors", "IsLogging", "Tags"})

    name_property = "TrailName"

    def exists(self, p, name):
        return any(t["Name"] == name for t in p.client("cloudtrail").describe_trails(trailNameList=[name])["trailList"])

    def _args(self, name, props):
        return compact({
            "Name": name, "S3BucketName": props["S3BucketName"], "S3KeyPrefix": props.get("S3KeyPrefix"), "SnsTopicName": props.get("SnsTopicName"),
            "IncludeGlobalServiceEvents": as_bool(props["IncludeGlobalServiceEvents"]) if "IncludeGlobalServiceEvents" in props else None,
            "IsMultiRegionTrail": as_bool(props["IsMultiRegionTrail"]) if "IsMultiRegionTrail" in props else None,
            "EnableLogFileValidation": as_bool(props["EnableLogFileValidation"]) if "EnableLogFileValidation" in props else None,
            "CloudWatchLogsLogGroupArn": props.get("CloudWatchLogsLogGroupArn"), "CloudWatchLogsRoleArn": props.get("CloudWatchLogsRoleArn"),
            "KmsKeyId": props.get("KMSKeyId"), "IsOrganizationTrail": as_bool(props["IsOrganizationTrail"]) if "IsOrganizationTrail" in props else None})

    def _after(self, p, name, props):
        ct = p.client("cloudtrail")
        basic = [compact({"ReadWriteType": s.get("ReadWriteType"), "IncludeManagementEvents": as_bool(s.get("IncludeManagementEvents", True)),
                          "DataResources": s.get("DataResources"), "ExcludeManagementEventSources": s.get("ExcludeManagementEventSources")})
                 for s in props.get("EventSelectors") or []]
        advanced = [compact({"Name": s.get("Name"), "FieldSelectors": s["FieldSelectors"]}) for s in props.get("AdvancedEventSelectors") or []]
        if basic or advanced:  # both at once: CloudTrail refuses the call (moto_patches/cloudtrail.py), and so the resource
            ct.put_event_selectors(TrailName=name, **({"EventSelectors": basic} if basic else {}),
                                   **({"AdvancedEventSelectors": advanced} if advanced else {}))
        (ct.start_logging if as_bool(props["IsLogging"]) else ct.stop_logging)(Name=name)

    def create(self, p, logical_id, props):
        name = props.get("TrailName") or p.name(128)
        ct = p.client("cloudtrail")
        trail = ct.create_trail(**self._args(name, props), TagsList=p.tags(props.get("Tags")))
        p.created(name)
        self._after(p, name, props)
        return name, {"Arn": trail["TrailARN"], "SnsTopicArn": trail.get("SnsTopicARN", "")}

    def update(self, p, physical, old, new, attrs):
        ct = p.client("cloudtrail")
        ct.update_trail(**self._args(physical, new))
        self._after(p, physical, new)
        if old.get("Tags") != new.get("Tags"):
            gone = dropped_tags(old, new)
            if gone:
                ct.remove_tags(ResourceId=attrs["Arn"], TagsList=[{"Key": k} for k in gone])
            ct.add_tags(ResourceId=attrs["Arn"], TagsList=p.tags(new.get("Tags")))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("cloudtrail").delete_trail(Name=physical)
