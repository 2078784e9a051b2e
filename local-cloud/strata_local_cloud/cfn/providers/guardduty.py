"""GuardDuty: the detector (one per account and region: moto_patches/guardduty.py).

Its Ref is the detector ID; every property but Tags updates in place through UpdateDetector
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-guardduty-detector.html).
"""

from __future__ import annotations

from . import Provider, as_bool, changed, register


@register
class Detector(Provider):
    type = "AWS::GuardDuty::Detector"
    in_place = frozenset({"Enable", "FindingPublishingFrequency", "DataSources", "Features", "Tags"})

    def create(self, p, logical_id, props):
        detector = p.client("guardduty").create_detector(**self._settings(props), Tags={t["Key"]: t["Value"] for t in p.tags(props.get("Tags"))})
        return detector["DetectorId"], {"Id": detector["DetectorId"]}

    @staticmethod
    def _settings(props):
        features = [{"Name": f["Name"], "Status": f["Status"], **({"AdditionalConfiguration": f["AdditionalConfiguration"]}
                                                                  if "AdditionalConfiguration" in f else {})} for f in props.get("Features") or []]
        return {"Enable": as_bool(props["Enable"]), **({"FindingPublishingFrequency": props["FindingPublishingFrequency"]}
                                                        if "FindingPublishingFrequency" in props else {}),
                **({"DataSources": props["DataSources"]} if "DataSources" in props else {}), **({"Features": features} if features else {})}

    def update(self, p, physical, old, new, attrs):
        gd = p.client("guardduty")
        settings = self._settings(new)
        gd.update_detector(DetectorId=physical, **settings)
        if "Tags" in changed(old, new):
            arn = f"arn:aws:guardduty:{p.region}:{p.account}:detector/{physical}"
            gd.tag_resource(ResourceArn=arn, Tags={t["Key"]: t["Value"] for t in p.tags(new.get("Tags"))})
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("guardduty").delete_detector(DetectorId=physical)
