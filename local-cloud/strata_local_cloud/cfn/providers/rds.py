"""RDS: subnet groups, parameter groups, instances, event subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from . import Provider, as_bool, changed, compact, found, register


def _tags(p, props):
    return p.tags(props.get("Tags")) or None


@register
class SubnetGroup(Provider):
    type = "AWS::RDS::DBSubnetGroup"
    in_place = frozenset({"DBSubnetGroupDescription", "SubnetIds", "Tags"})

    name_property = "DBSubnetGroupName"

    def exists(self, p, name):
        rds = p.client("rds")
        return found(lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=name), rds.exceptions.DBSubnetGroupNotFoundFault)

    def create(self, p, logical_id, props):
        name = (props.get("DBSubnetGroupName") or p.name(255, lower=True)).lower()
        p.client("rds").create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=props["DBSubnetGroupDescription"],
                                               SubnetIds=props["SubnetIds"], Tags=_tags(p, props) or [])
        return name, {}

    def update(self, p, physical, old, new, attrs):
        p.client("rds").modify_db_subnet_group(DBSubnetGroupName=physical, DBSubnetGroupDescription=new["DBSubnetGroupDescription"],
                                               SubnetIds=new["SubnetIds"])
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("rds").delete_db_subnet_group(DBSubnetGroupName=physical)


def _parameters(values: dict[str, Any]) -> list[dict[str, str]]:
    return [{"ParameterName": k, "ParameterValue": str(v), "ApplyMethod": "pending-reboot"} for k, v in values.items()]


@register
class ParameterGroup(Provider):
    type = "AWS::RDS::DBParameterGroup"
    in_place = frozenset({"Parameters", "Tags"})

    name_property = "DBParameterGroupName"

    def exists(self, p, name):
        rds = p.client("rds")
        return found(lambda: rds.describe_db_parameter_groups(DBParameterGroupName=name), rds.exceptions.DBParameterGroupNotFoundFault)

    def create(self, p, logical_id, props):
        rds = p.client("rds")
        name = (props.get("DBParameterGroupName") or p.name(255, lower=True)).lower()
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=props["Family"], Description=props["Description"],
                                      Tags=_tags(p, props) or [])
        p.created(name)
        if props.get("Parameters"):
            rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=_parameters(props["Parameters"]))
        return name, {"DBParameterGroupName": name}

    def update(self, p, physical, old, new, attrs):
        rds = p.client("rds")
        removed = [k for k in (old.get("Parameters") or {}) if k not in (new.get("Parameters") or {})]
        if removed:
            rds.reset_db_parameter_group(DBParameterGroupName=physical,
                                         Parameters=[{"ParameterName": k, "ApplyMethod": "pending-reboot"} for k in removed])
        if new.get("Parameters"):
            rds.modify_db_parameter_group(DBParameterGroupName=physical, Parameters=_parameters(new["Parameters"]))
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("rds").delete_db_parameter_group(DBParameterGroupName=physical)


# CloudFormation property -> (API parameter, converter); the names differ only here and there.
_INSTANCE: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "Engine": ("Engine", str), "EngineVersion": ("EngineVersion", str), "DBInstanceClass": ("DBInstanceClass", str), "DBName": ("DBName", str),
    "Port": ("Port", int), "MasterUsername": ("MasterUsername", str), "ManageMasterUserPassword": ("ManageMasterUserPassword", as_bool),
    "StorageType": ("StorageType", str), "AllocatedStorage": ("AllocatedStorage", int), "MaxAllocatedStorage": ("MaxAllocatedStorage", int),
    "StorageEncrypted": ("StorageEncrypted", as_bool), "KmsKeyId": ("KmsKeyId", str), "MultiAZ": ("MultiAZ", as_bool),
    "DBSubnetGroupName": ("DBSubnetGroupName", str), "VPCSecurityGroups": ("VpcSecurityGroupIds", list),
    "PubliclyAccessible": ("PubliclyAccessible", as_bool), "DBParameterGroupName": ("DBParameterGroupName", str),
    "CACertificateIdentifier": ("CACertificateIdentifier", str), "DeletionProtection": ("DeletionProtection", as_bool),
    "BackupRetentionPeriod": ("BackupRetentionPeriod", int), "PreferredBackupWindow": ("PreferredBackupWindow", str),
    "PreferredMaintenanceWindow": ("PreferredMaintenanceWindow", str), "CopyTagsToSnapshot": ("CopyTagsToSnapshot", as_bool),
    "AutoMinorVersionUpgrade": ("AutoMinorVersionUpgrade", as_bool),
    "EnableIAMDatabaseAuthentication": ("EnableIAMDatabaseAuthentication", as_bool), "MonitoringInterval": ("MonitoringInterval", int),
    "MonitoringRoleArn": ("MonitoringRoleArn", str), "EnableCloudwatchLogsExports": ("EnableCloudwatchLogsExports", list),
    "EnablePerformanceInsights": ("EnablePerformanceInsights", as_bool), "PerformanceInsightsKMSKeyId": ("PerformanceInsightsKMSKeyId", str),
    "PerformanceInsightsRetentionPeriod": ("PerformanceInsightsRetentionPeriod", int), "AvailabilityZone": ("AvailabilityZone", str),
    "Iops": ("Iops", int), "StorageThroughput": ("StorageThroughput", int), "LicenseModel": ("LicenseModel", str),
    "EngineLifecycleSupport": ("EngineLifecycleSupport", str), "AllowMajorVersionUpgrade": ("AllowMajorVersionUpgrade", as_bool),
}
# ModifyDBInstance-only: CreateDBInstance has no AllowMajorVersionUpgrade (API_CreateDBInstance.html).
_CREATE_SKIP = {"AllowMajorVersionUpgrade"}
# Applied by CloudFormation at delete time, not sent on create.
_DELETE_ONLY = {"DeleteAutomatedBackups"}
# Cross-Region automated backups: not CreateDBInstance parameters; CloudFormation starts (and stops) the replication
# with StartDBInstanceAutomatedBackupsReplication in the destination Region once the instance exists.
_REPLICATION = ("AutomaticBackupReplicationRegion", "AutomaticBackupReplicationKmsKeyId", "AutomaticBackupReplicationRetentionPeriod")
_MODIFY_SKIP = {"Engine", "DBName", "MasterUsername", "StorageEncrypted", "KmsKeyId", "DBSubnetGroupName", "AvailabilityZone"}


def _instance_args(props: dict[str, Any], modify: bool = False) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key, value in props.items():
        if key in _DELETE_ONLY or key in _REPLICATION or key in ("Tags", "DBInstanceIdentifier", "MasterUserSecret") or (modify and key in _MODIFY_SKIP):
            continue
        if not modify and key in _CREATE_SKIP:
            continue
        if key not in _INSTANCE:
            from ..errors import Unsupported

            raise Unsupported(f"AWS::RDS::DBInstance property {key} is not supported by the local cloud")
        api, convert = _INSTANCE[key]
        args[api] = convert(value)
    if props.get("MasterUserSecret", {}).get("KmsKeyId"):
        args["MasterUserSecretKmsKeyId"] = props["MasterUserSecret"]["KmsKeyId"]
    if modify and "EnableCloudwatchLogsExports" in args:
        args["CloudwatchLogsExportConfiguration"] = {"EnableLogTypes": args.pop("EnableCloudwatchLogsExports")}
    return args


def _attrs(db: dict[str, Any]) -> dict[str, Any]:
    endpoint = db.get("Endpoint", {})
    return {"Endpoint.Address": endpoint.get("Address", ""), "Endpoint.Port": str(endpoint.get("Port", "")),
            "Endpoint.HostedZoneId": endpoint.get("HostedZoneId", ""), "DBInstanceArn": db["DBInstanceArn"],
            "DbiResourceId": db.get("DbiResourceId", ""), "MasterUserSecret.SecretArn": (db.get("MasterUserSecret") or {}).get("SecretArn", "")}


def _replicate(p, arn, old, new):
    """Starts, moves or stops the replication of the instance's automated backups to another Region, in that Region
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html). Stopping keeps the backups
    already replicated until their retention ends, as RDS does; deleting the instance leaves them too (retained data)."""
    from ..context import client_for

    def rds_in(region):
        return client_for("rds", region, p.services.endpoint(), p.account)

    before, after = old.get("AutomaticBackupReplicationRegion"), new.get("AutomaticBackupReplicationRegion")
    if before and (before != after or not after):
        rds_in(before).stop_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)
    if after:
        if before == after:  # the key or the retention changed: replication is restarted with them
            rds_in(after).stop_db_instance_automated_backups_replication(SourceDBInstanceArn=arn)
        rds_in(after).start_db_instance_automated_backups_replication(**compact({
            "SourceDBInstanceArn": arn, "KmsKeyId": new.get("AutomaticBackupReplicationKmsKeyId"),
            "BackupRetentionPeriod": int(new["AutomaticBackupReplicationRetentionPeriod"]) if "AutomaticBackupReplicationRetentionPeriod" in new else None}))


@register
class Instance(Provider):
    type = "AWS::RDS::DBInstance"
    # ModifyDBInstance takes every property _INSTANCE maps (the rest are create-only, or refused there by name).
    in_place = frozenset(set(_INSTANCE) | set(_REPLICATION) | {"Tags", "AllowMajorVersionUpgrade", "DeleteAutomatedBackups", "ApplyImmediately"})

    name_property = "DBInstanceIdentifier"

    def exists(self, p, name):
        rds = p.client("rds")
        return found(lambda: rds.describe_db_instances(DBInstanceIdentifier=name), rds.exceptions.DBInstanceNotFoundFault)

    def create(self, p, logical_id, props):
        # CreateDBInstance goes to moto's RDS backend through the API, as CloudFormation calls RDS. The database server
        # behind the instance (a real MariaDB on the instance's endpoint, TLS-only as the parameter group says, the
        # managed secret's password) is started by moto_patches/rds.py's create_db_instance, through
        # dataplane.py's DataPlane.start_database; deleting the instance stops it.
        name = (props.get("DBInstanceIdentifier") or p.name(63, lower=True)).lower()
        db = p.client("rds").create_db_instance(DBInstanceIdentifier=name, Tags=_tags(p, props) or [], **_instance_args(props))["DBInstance"]
        p.created(name, _attrs(db))
        _replicate(p, db["DBInstanceArn"], {}, props)
        return name, _attrs(db)

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        # CloudFormation sends the template's AllowMajorVersionUpgrade with an engine-version change, changed or not.
        sent = diff | ({"AllowMajorVersionUpgrade"} if "EngineVersion" in diff and "AllowMajorVersionUpgrade" in new else set())
        args = _instance_args({k: new[k] for k in sent if k in new}, modify=True)
        rds = p.client("rds")
        if args:
            db = rds.modify_db_instance(DBInstanceIdentifier=physical, ApplyImmediately=True, **args)["DBInstance"]
        else:
            db = rds.describe_db_instances(DBInstanceIdentifier=physical)["DBInstances"][0]
        if "Tags" in diff:
            rds.add_tags_to_resource(ResourceName=attrs["DBInstanceArn"], Tags=p.tags(new.get("Tags")))
        if diff & set(_REPLICATION):
            _replicate(p, attrs["DBInstanceArn"], old, new)
        return physical, _attrs(db)

    def delete(self, p, physical, props, attrs):
        p.client("rds").delete_db_instance(DBInstanceIdentifier=physical, SkipFinalSnapshot=True,
                                           DeleteAutomatedBackups=as_bool(props.get("DeleteAutomatedBackups", True)))

    def delete_with_snapshot(self, p, physical, props, attrs):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        p.client("rds").delete_db_instance(DBInstanceIdentifier=physical, SkipFinalSnapshot=False,
                                           FinalDBSnapshotIdentifier=f"{physical}-final-{stamp}"[:255],
                                           DeleteAutomatedBackups=as_bool(props.get("DeleteAutomatedBackups", True)))


@register
class EventSubscription(Provider):
    type = "AWS::RDS::EventSubscription"
    in_place = frozenset({"SnsTopicArn", "SourceType", "EventCategories", "Enabled", "SourceIds", "Tags"})

    name_property = "SubscriptionName"

    def exists(self, p, name):
        rds = p.client("rds")
        return found(lambda: rds.describe_event_subscriptions(SubscriptionName=name), rds.exceptions.SubscriptionNotFoundFault)

    def create(self, p, logical_id, props):
        name = props.get("SubscriptionName") or p.name(255)
        p.client("rds").create_event_subscription(**compact({
            "SubscriptionName": name, "SnsTopicArn": props["SnsTopicArn"], "SourceType": props.get("SourceType"),
            "SourceIds": props.get("SourceIds"), "EventCategories": props.get("EventCategories"),
            "Enabled": as_bool(props.get("Enabled", True)), "Tags": _tags(p, props)}))
        return name, {}

    def update(self, p, physical, old, new, attrs):
        diff = changed(old, new)
        rds = p.client("rds")
        rds.modify_event_subscription(**compact({
            "SubscriptionName": physical, "SnsTopicArn": new["SnsTopicArn"], "SourceType": new.get("SourceType"),
            "EventCategories": new.get("EventCategories"), "Enabled": as_bool(new.get("Enabled", True))}))
        if "SourceIds" in diff:
            for source in set(old.get("SourceIds") or []) - set(new.get("SourceIds") or []):
                rds.remove_source_identifier_from_subscription(SubscriptionName=physical, SourceIdentifier=source)
            for source in set(new.get("SourceIds") or []) - set(old.get("SourceIds") or []):
                rds.add_source_identifier_to_subscription(SubscriptionName=physical, SourceIdentifier=source)
        if "Tags" in diff:
            arn = f"arn:aws:rds:{p.region}:{p.account}:es:{physical}"
            rds.add_tags_to_resource(ResourceName=arn, Tags=_tags(p, new) or [])
        return physical, attrs

    def delete(self, p, physical, props, attrs):
        p.client("rds").delete_event_subscription(SubscriptionName=physical)


