"""Auto Scaling groups and scaling policies."""

from __future__ import annotations

from . import Provider, as_bool, changed, compact, dropped_tags, register


def _group_args(props):
    lt = props.get("LaunchTemplate")
    return compact({
        "LaunchTemplate": compact({"LaunchTemplateId": lt.get("LaunchTemplateId"), "LaunchTemplateName": lt.get("LaunchTemplateName"),
                                   "Version": str(lt["Version"])}) if lt else None,
        "MinSize": int(props["MinSize"]), "MaxSize": int(props["MaxSize"]),
        "DesiredCapacity": int(props["DesiredCapacity"]) if "DesiredCapacity" in props else None,
        "VPCZoneIdentifier": ",".join(props["VPCZoneIdentifier"]) if "VPCZoneIdentifier" in props else None,
        "AvailabilityZones": props.get("AvailabilityZones"),
        "HealthCheckType": props.get("HealthCheckType"),
        "HealthCheckGracePeriod": int(props["HealthCheckGracePeriod"]) if "HealthCheckGracePeriod" in props else None,
        "CapacityRebalance": as_bool(props["CapacityRebalance"]) if "CapacityRebalance" in props else None,
        "DefaultInstanceWarmup": int(props["DefaultInstanceWarmup"]) if "DefaultInstanceWarmup" in props else None})


@register
class Group(Provider):
    type = "AWS::AutoScaling::AutoScalingGroup"
    in_place = frozenset({"LaunchTemplate", "MinSize", "MaxSize", "DesiredCapacity", "VPCZoneIdentifier", "AvailabilityZones", "HealthCheckType",
                          "HealthCheckGracePeriod", "CapacityRebalance", "MetricsCollection", "TargetGroupARNs", "Tags"})

    def create(self, p, logical_id, props):
        asg = p.client("autoscaling")
        name = props.get("AutoScalingGroupName") or p.name(255)
        tags = [{"Key": t["Key"], "Value": str(t["Value"]), "PropagateAtLaunch": as_bool(t.get("PropagateAtLaunch", False))}
                for t in props.get("Tags", [])]
        known = {t["Key"] for t in tags}
        tags += [{"Key": t["Key"], "Value": t["Value"], "PropagateAtLaunch": True} for t in p.tags([]) if t["Key"] not in known]
        asg.create_auto_scaling_group(AutoScalingGroupName=name, TargetGroupARNs=props.get("TargetGroupARNs", []),
                                      Tags=[{**t, "ResourceId": name, "ResourceType": "auto-scaling-group"} for t in tags], **_group_args(props))
        p.created(name)
        self._metrics(asg, name, props.get("MetricsCollection"))
        return name, {}

    def _metrics(self, asg, name, collection):
        for item in collection or []:
            asg.enable_metrics_collection(AutoScalingGroupName=name, Granularity=item["Granularity"], **compact({"Metrics": item.get("Metrics")}))

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        asg = p.client("autoscaling")
        asg.update_auto_scaling_group(AutoScalingGroupName=physical, **_group_args(new))
        if "TargetGroupARNs" in diff:
            gone = set(old.get("TargetGroupARNs", [])) - set(new.get("TargetGroupARNs", []))
            added = set(new.get("TargetGroupARNs", [])) - set(old.get("TargetGroupARNs", []))
            if gone:
                asg.detach_load_balancer_target_groups(AutoScalingGroupName=physical, TargetGroupARNs=sorted(gone))
            if added:
                asg.attach_load_balancer_target_groups(AutoScalingGroupName=physical, TargetGroupARNs=sorted(added))
        if "MetricsCollection" in diff:
            self._metrics(asg, physical, new.get("MetricsCollection"))
        if "Tags" in diff:
            stale = dropped_tags(old, new)
            if stale:
                asg.delete_tags(Tags=[{"Key": k, "ResourceId": physical, "ResourceType": "auto-scaling-group"} for k in stale])
            asg.create_or_update_tags(Tags=[{"Key": t["Key"], "Value": str(t["Value"]), "ResourceId": physical, "ResourceType": "auto-scaling-group",
                                             "PropagateAtLaunch": as_bool(t.get("PropagateAtLaunch", False))} for t in new.get("Tags", [])])
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=physical, ForceDelete=True)


@register
class Policy(Provider):
    type = "AWS::AutoScaling::ScalingPolicy"
    upsert = True

    def create(self, p, logical_id, props):
        return self.create_named(p, p.name(255), props)

    def create_named(self, p, physical, props):
        name = physical.rsplit("/", 1)[-1] if physical.startswith("arn:") else physical
        target = props.get("TargetTrackingConfiguration")
        if target:
            target = {**target, "TargetValue": float(target["TargetValue"])}
            if "DisableScaleIn" in target:
                target["DisableScaleIn"] = as_bool(target["DisableScaleIn"])
        out = p.client("autoscaling").put_scaling_policy(**compact({
            "AutoScalingGroupName": props["AutoScalingGroupName"], "PolicyName": name, "PolicyType": props.get("PolicyType"),
            "EstimatedInstanceWarmup": int(props["EstimatedInstanceWarmup"]) if "EstimatedInstanceWarmup" in props else None,
            "TargetTrackingConfiguration": target, "AdjustmentType": props.get("AdjustmentType"),
            "ScalingAdjustment": int(props["ScalingAdjustment"]) if "ScalingAdjustment" in props else None}))
        arn = out.get("PolicyARN") or p.client("autoscaling").describe_policies(
            AutoScalingGroupName=props["AutoScalingGroupName"], PolicyNames=[name])["ScalingPolicies"][0]["PolicyARN"]
        return arn, {"Arn": arn, "PolicyName": name}

    def update(self, p, physical, old, new, attrs):
        if old.get("AutoScalingGroupName") != new.get("AutoScalingGroupName"):
            return super().update(p, physical, old, new, attrs)
        return self.create_named(p, attrs["PolicyName"], new)

    def delete(self, p, physical, props, attrs):
        p.client("autoscaling").delete_policy(AutoScalingGroupName=props["AutoScalingGroupName"], PolicyName=attrs["PolicyName"])
