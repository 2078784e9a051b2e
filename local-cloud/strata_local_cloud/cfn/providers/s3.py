"""S3 buckets and bucket policies."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ResourceFailure
from . import Provider, compact, register


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle rule shape, converted to the S3 API's."""
    out: dict[str, Any] = compact({"ID": rule.get("Id"), "Status": rule["Status"]})
    out["Filter"] = compact({"Prefix": rule.get("Prefix")}) if "Prefix" in rule else {}
    expiration = compact({"Days": rule.get("ExpirationInDays"), "Date": rule.get("ExpirationDate"),
                          "ExpiredObjectDeleteMarker": rule.get("ExpiredObjectDeleteMarker")})
    if expiration:
        out["Expiration"] = expiration
    if "NoncurrentVersionExpiration" in rule:
        nve = rule["NoncurrentVersionExpiration"]
        out["NoncurrentVersionExpiration"] = compact({"NoncurrentDays": int(nve["NoncurrentDays"]),
                                                      "NewerNoncurrentVersions": nve.get("NewerNoncurrentVersions")})
    elif "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])}
    if "Transitions" in rule:
        out["Transitions"] = [compact({"StorageClass": t["StorageClass"], "Days": t.get("TransitionInDays"), "Date": t.get("TransitionDate")})
                              for t in rule["Transitions"]]
    if "NoncurrentVersionTransitions" in rule:
        out["NoncurrentVersionTransitions"] = [{"StorageClass": t["StorageClass"], "NoncurrentDays": int(t["TransitionInDays"])}
                                               for t in rule["NoncurrentVersionTransitions"]]
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
    return out


@register
class Bucket(Provider):
    type = "AWS::S3::Bucket"
    in_place = frozenset({"BucketEncryption", "PublicAccessBlockConfiguration", "OwnershipControls", "VersioningConfiguration",
                          "LifecycleConfiguration", "LoggingConfiguration", "Tags"})

    name_property = "BucketName"

    def exists(self, p, name):
        try:
            p.client("s3").head_bucket(Bucket=name)
        except Exception:  # noqa: BLE001 - 404 (or 403 for another account's bucket: not ours to know)
            return False
        return True

    def create(self, p, logical_id, props):
        s3 = p.client("s3")
        name = props.get("BucketName") or p.name(63, lower=True)
        args: dict[str, Any] = {"Bucket": name}
        if p.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": p.region}
        if props.get("OwnershipControls"):
            args["ObjectOwnership"] = props["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        s3.create_bucket(**args)
        p.created(name)
        self._apply(p, name, {}, props)
        return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
                      "RegionalDomainName": f"{name}.s3.{p.region}.amazonaws.com", "WebsiteURL": f"http://{name}.s3-website-{p.region}.amazonaws.com"}

    def _apply(self, p, name, old, new):
        s3 = p.client("s3")
        if new.get("BucketEncryption") != old.get("BucketEncryption") and new.get("BucketEncryption"):
            rules = [compact({"ApplyServerSideEncryptionByDefault": r.get("ServerSideEncryptionByDefault"), "BucketKeyEnabled": r.get("BucketKeyEnabled")})
                     for r in new["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if new.get("PublicAccessBlockConfiguration") != old.get("PublicAccessBlockConfiguration"):
            if new.get("PublicAccessBlockConfiguration"):
                s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=new["PublicAccessBlockConfiguration"])
            else:
                s3.delete_public_access_block(Bucket=name)
        if new.get("OwnershipControls") != old.get("OwnershipControls") and new.get("OwnershipControls"):
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=new["OwnershipControls"])
        if new.get("VersioningConfiguration") != old.get("VersioningConfiguration") and new.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": new["VersioningConfiguration"]["Status"]})
        if new.get("LifecycleConfiguration") != old.get("LifecycleConfiguration"):
            if new.get("LifecycleConfiguration"):
                s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={
                    "Rules": [_lifecycle_rule(r) for r in new["LifecycleConfiguration"]["Rules"]]})
            else:
                s3.delete_bucket_lifecycle(Bucket=name)
        if new.get("LoggingConfiguration") != old.get("LoggingConfiguration"):
            logging = new.get("LoggingConfiguration")
            status = {"LoggingEnabled": compact({"TargetBucket": logging.get("DestinationBucketName", name),
                                                 "TargetPrefix": logging.get("LogFilePrefix", "")})} if logging else {}
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=status)
        tags = p.tags(new.get("Tags"))
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})

    def update(self, p, physical, old, new, attrs):
        self._apply(p, physical, old, new)
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        s3 = p.client("s3")
        listing = s3.list_object_versions(Bucket=physical, MaxKeys=1)
        if listing.get("Versions") or listing.get("DeleteMarkers"):
            raise ResourceFailure(f"The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Error Code: BucketNotEmpty; bucket {physical})")
        s3.delete_bucket(Bucket=physical)


@register
class BucketPolicy(Provider):
    type = "AWS::S3::BucketPolicy"
    upsert = True

    def create(self, p, logical_id, props):
        doc = props["PolicyDocument"]
        p.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=doc if isinstance(doc, str) else json.dumps(doc))
        return props["Bucket"], {}

    def delete(self, p, physical, props, attrs):
        p.client("s3").delete_bucket_policy(Bucket=props["Bucket"])
