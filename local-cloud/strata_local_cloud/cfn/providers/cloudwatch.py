"""CloudWatch alarms."""

from __future__ import annotations

from . import Provider, compact, register


@register
class Alarm(Provider):
    type = "AWS::CloudWatch::Alarm"
    upsert = True

    name_property = "AlarmName"

    def exists(self, p, name):
        return bool(p.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"])

    def create(self, p, logical_id, props):
        name = props.get("AlarmName") or p.name(255)
        return self.create_named(p, name, props)

    def create_named(self, p, physical, props):
        cw = p.client("cloudwatch")
        cw.put_metric_alarm(**compact({
            "AlarmName": physical, "AlarmDescription": props.get("AlarmDescription"), "ActionsEnabled": props.get("ActionsEnabled"),
            "OKActions": props.get("OKActions"), "AlarmActions": props.get("AlarmActions"),
            "InsufficientDataActions": props.get("InsufficientDataActions"), "MetricName": props.get("MetricName"),
            "Namespace": props.get("Namespace"), "Statistic": props.get("Statistic"), "ExtendedStatistic": props.get("ExtendedStatistic"),
            "Dimensions": props.get("Dimensions"), "Period": int(props["Period"]) if "Period" in props else None,
            "Unit": props.get("Unit"), "EvaluationPeriods": int(props["EvaluationPeriods"]),
            "DatapointsToAlarm": int(props["DatapointsToAlarm"]) if "DatapointsToAlarm" in props else None,
            "Threshold": float(props["Threshold"]) if "Threshold" in props else None, "ComparisonOperator": props["ComparisonOperator"],
            "TreatMissingData": props.get("TreatMissingData"), "Metrics": props.get("Metrics"), "Tags": p.tags(props.get("Tags")) or None}))
        arn = f"arn:aws:cloudwatch:{p.region}:{p.account}:alarm:{physical}"
        return physical, {"Arn": arn}

    def delete(self, p, physical, props, attrs):
        p.client("cloudwatch").delete_alarms(AlarmNames=[physical])
