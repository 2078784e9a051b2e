"""IAM Access Analyzer: the analyzer (the API behind it: services/accessanalyzer.py).

Ref and Arn are the analyzer's ARN; AnalyzerName and Type are create-only; Tags update in place
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-accessanalyzer-analyzer.html).
"""

from __future__ import annotations

from ..errors import Unsupported
from . import Provider, changed, register


@register
class Analyzer(Provider):
    type = "AWS::AccessAnalyzer::Analyzer"
    # No name_property: the registry schema's primaryIdentifier is Arn, not AnalyzerName, so a taken name is the
    # service's ConflictException at create, not CloudFormation's "already exists" check.
    in_place = frozenset({"Tags"})

    def create(self, p, logical_id, props):
        name = props.get("AnalyzerName") or p.name(255)
        if props.get("ArchiveRules"):
            raise Unsupported("the local cloud does not apply ArchiveRules of AWS::AccessAnalyzer::Analyzer (CloudFormation does)")
        configuration = props.get("AnalyzerConfiguration")
        arn = p.client("accessanalyzer").create_analyzer(
            analyzerName=name, type=props["Type"], tags={t["Key"]: t["Value"] for t in p.tags(props.get("Tags"))},
            **({"configuration": configuration} if configuration else {}))["arn"]
        return arn, {"Arn": arn}

    def update(self, p, physical, old, new, attrs):
        if "Tags" in changed(old, new):
            aa = p.client("accessanalyzer")
            kept = {t["Key"] for t in new.get("Tags") or []}
            gone = [t["Key"] for t in old.get("Tags") or [] if t["Key"] not in kept]
            if gone:
                aa.untag_resource(resourceArn=physical, tagKeys=gone)
            aa.tag_resource(resourceArn=physical, tags={t["Key"]: t["Value"] for t in p.tags(new.get("Tags"))})
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("accessanalyzer").delete_analyzer(analyzerName=physical.rsplit("/", 1)[1])
