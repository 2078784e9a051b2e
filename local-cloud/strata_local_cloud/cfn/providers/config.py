"""AWS Config: recorder, delivery channel, rules.

As in AWS, CloudFormation starts the recorder as soon as both it and a delivery channel exist.
"""

from __future__ import annotations

import json

from . import Provider, as_bool, compact, register


def _start_if_ready(p):
    config = p.client("config")
    recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
    channels = config.describe_delivery_channels()["DeliveryChannels"]
    if recorders and channels:
        for rec in recorders:
            config.start_configuration_recorder(ConfigurationRecorderName=rec["name"])


@register
class Recorder(Provider):
    type = "AWS::Config::ConfigurationRecorder"
    upsert = True

    def create(self, p, logical_id, props):
        return self.create_named(p, props.get("Name") or "default", props)

    def create_named(self, p, physical, props):
        group = props.get("RecordingGroup") or {}
        recording = compact({"allSupported": as_bool(group["AllSupported"]) if "AllSupported" in group else None,
                             "includeGlobalResourceTypes": as_bool(group["IncludeGlobalResourceTypes"]) if "IncludeGlobalResourceTypes" in group else None,
                             "resourceTypes": group.get("ResourceTypes")})
        p.client("config").put_configuration_recorder(ConfigurationRecorder=compact({"name": physical, "roleARN": props["RoleARN"],
                                                                                     "recordingGroup": recording or None}))
        _start_if_ready(p)
        return physical, {}

    def delete(self, p, physical, props, attrs):
        config = p.client("config")
        config.stop_configuration_recorder(ConfigurationRecorderName=physical)
        config.delete_configuration_recorder(ConfigurationRecorderName=physical)


@register
class DeliveryChannel(Provider):
    type = "AWS::Config::DeliveryChannel"
    upsert = True

    def create(self, p, logical_id, props):
        return self.create_named(p, props.get("Name") or "default", props)

    def create_named(self, p, physical, props):
        delivery = props.get("ConfigSnapshotDeliveryProperties")
        p.client("config").put_delivery_channel(DeliveryChannel=compact({
            "name": physical, "s3BucketName": props["S3BucketName"], "s3KeyPrefix": props.get("S3KeyPrefix"),
            "s3KmsKeyArn": props.get("S3KmsKeyArn"), "snsTopicARN": props.get("SnsTopicARN"),
            "configSnapshotDeliveryProperties": {"deliveryFrequency": delivery["DeliveryFrequency"]} if delivery else None}))
        _start_if_ready(p)
        return physical, {}

    def delete(self, p, physical, props, attrs):
        config = p.client("config")
        for rec in config.describe_configuration_recorders()["ConfigurationRecorders"]:
            config.stop_configuration_recorder(ConfigurationRecorderName=rec["name"])
        config.delete_delivery_channel(DeliveryChannelName=physical)


@register
class Rule(Provider):
    type = "AWS::Config::ConfigRule"
    upsert = True

    name_property = "ConfigRuleName"

    def exists(self, p, name):
        config = p.client("config")
        try:
            rules = config.describe_config_rules(ConfigRuleNames=[name])["ConfigRules"]
        except config.exceptions.NoSuchConfigRuleException:
            return False
        return any(r["ConfigRuleName"] == name for r in rules)

    def create(self, p, logical_id, props):
        return self.create_named(p, props.get("ConfigRuleName") or p.name(128), props)

    def create_named(self, p, physical, props):
        config = p.client("config")
        params = props.get("InputParameters")
        config.put_config_rule(ConfigRule=compact({
            "ConfigRuleName": physical, "Description": props.get("Description"), "Scope": props.get("Scope"), "Source": props["Source"],
            "InputParameters": params if isinstance(params, str) or params is None else json.dumps(params),
            "MaximumExecutionFrequency": props.get("MaximumExecutionFrequency")}))
        rule = config.describe_config_rules(ConfigRuleNames=[physical])["ConfigRules"][0]
        return physical, {"Arn": rule["ConfigRuleArn"], "ConfigRuleId": rule["ConfigRuleId"], "Compliance.Type": "COMPLIANT"}

    def delete(self, p, physical, props, attrs):
        p.client("config").delete_config_rule(ConfigRuleName=physical)
