"""SNS topics, subscriptions and topic policies."""

from __future__ import annotations

import json

from . import Provider, changed, compact, register


@register
class Topic(Provider):
    type = "AWS::SNS::Topic"
    in_place = frozenset({"DisplayName", "KmsMasterKeyId", "Tags"})

    name_property = "TopicName"

    def exists(self, p, name):
        arn = f"arn:aws:sns:{p.region}:{p.account}:{name}"
        return any(t["TopicArn"] == arn for page in p.client("sns").get_paginator("list_topics").paginate() for t in page["Topics"])

    def create(self, p, logical_id, props):
        name = props.get("TopicName") or p.name(256)
        attributes = compact({"DisplayName": props.get("DisplayName"), "KmsMasterKeyId": props.get("KmsMasterKeyId")})
        arn = p.client("sns").create_topic(Name=name, Attributes=attributes, Tags=p.tags(props.get("Tags")))["TopicArn"]
        for sub in props.get("Subscription", []):
            p.client("sns").subscribe(TopicArn=arn, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"])
        return arn, {"TopicArn": arn, "TopicName": name}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        sns = p.client("sns")
        for key in ("DisplayName", "KmsMasterKeyId"):
            if key in diff:
                sns.set_topic_attributes(TopicArn=physical, AttributeName=key, AttributeValue=new.get(key, ""))
        if "Tags" in diff:
            sns.tag_resource(ResourceArn=physical, Tags=p.tags(new.get("Tags")))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("sns").delete_topic(TopicArn=physical)


@register
class Subscription(Provider):
    type = "AWS::SNS::Subscription"
    in_place = frozenset({"FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy"})

    def update(self, p, physical, old, new, attrs):
        # SetSubscriptionAttributes, one attribute per call; a removed policy is set to the empty value.
        sns = p.client("sns")
        for key in sorted(changed(old, new)):
            value = new.get(key, "")
            sns.set_subscription_attributes(SubscriptionArn=physical, AttributeName=key,
                                            AttributeValue=json.dumps(value) if isinstance(value, dict) else str(value).lower()
                                            if isinstance(value, bool) else str(value))
        return physical, attrs

    def create(self, p, logical_id, props):
        attributes = {k: json.dumps(props[k]) if isinstance(props[k], dict) else str(props[k])
                      for k in ("FilterPolicy", "RawMessageDelivery", "RedrivePolicy") if k in props}
        arn = p.client("sns").subscribe(TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"],
                                        Attributes=attributes, ReturnSubscriptionArn=True)["SubscriptionArn"]
        return arn, {"Arn": arn}

    def delete(self, p, physical, props, attrs):
        p.client("sns").unsubscribe(SubscriptionArn=physical)


@register
class TopicPolicy(Provider):
    type = "AWS::SNS::TopicPolicy"
    upsert = True

    def create(self, p, logical_id, props):
        doc = props["PolicyDocument"]
        for topic in props["Topics"]:
            p.client("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=doc if isinstance(doc, str) else json.dumps(doc))
        return f"{p.stack.name if p.stack else 'stack'}-{logical_id}", {"Id": logical_id}

    def create_named(self, p, physical, props):
        self.create(p, p.logical_id or "", props)
        return physical, {"Id": p.logical_id}

    def delete(self, p, physical, props, attrs):
        # As in AWS: removing the policy resource puts back the topic's default (owner-only) policy.
        for topic in props["Topics"]:
            owner = topic.split(":")[4]
            default = {"Version": "2008-10-17", "Statement": [{"Sid": "__default_statement_ID", "Effect": "Allow",
                       "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
                       "Resource": topic, "Condition": {"StringEquals": {"AWS:SourceOwner": owner}}}]}
            p.client("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(default))
