"""RDS: the MySQL engine catalogue for moto, instances backed by MariaDB (the data plane), and the engine-version rules RDS enforces that moto does not.

moto 5.2.5 answers DescribeDBEngineVersions with an HTTP 500 and DescribeOrderableDBInstanceOptions only for
aurora-postgresql and neptune. This extension answers both for MySQL from catalogue/rds-mysql.json, in the
shapes RDS uses, so the engine-version lookup and the AZ discovery run against the emulator as against AWS.
It also refuses, as RDS does, a create past the end of standard support with Extended Support disabled and a
major-version change without AllowMajorVersionUpgrade (moto accepts both).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.core.responses import PaginatedResult
from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse

from ..rules import rule
from .core import guard

if TYPE_CHECKING:
    from ..dataplane import DataPlane

CATALOGUE = Path(__file__).parent.parent / "catalogue" / "rds-mysql.json"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    return json.loads(CATALOGUE.read_text())


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def engine_versions(engine: str | None, version: str | None, family: str | None, include_all: bool, default_only: bool) -> list[dict[str, Any]]:
    cat = catalogue()
    if engine not in (None, cat["engine"]):
        return []
    rows = [
        v for v in cat["versions"]
        if (include_all or v["status"] == "available")
        and (version is None or v["version"] == version or v["version"].startswith(f"{version}."))
        and (family is None or v["family"] == family)
    ]
    rows.sort(key=lambda v: _version_key(v["version"]))
    if default_only:
        newest: dict[str, dict[str, Any]] = {}
        for v in rows:
            if v["status"] == "available":
                newest[v["family"]] = v
        rows = list(newest.values())
    return [
        {
            "Engine": cat["engine"],
            "EngineVersion": v["version"],
            "DBParameterGroupFamily": v["family"],
            "DBEngineDescription": "MySQL Community Edition",
            "DBEngineVersionDescription": f"MySQL {v['version']}",
            "Status": v["status"],
            "SupportsLogExportsToCloudwatchLogs": True,
            "ExportableLogTypes": ["audit", "error", "general", "slowquery"],
            "SupportsReadReplica": True,
            "SupportedCACertificateIdentifiers": ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"],
        }
        for v in rows
    ]


# "Performance Insights isn't supported for the following DB instance classes" for RDS for MySQL
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Overview.Engines.html).
_NO_PERFORMANCE_INSIGHTS = frozenset({"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"})


def orderable_options(region: str, engine: str, version: str | None, instance_class: str | None) -> list[dict[str, Any]]:
    cat = catalogue()
    if engine != cat["engine"]:
        return []
    options = []
    for v in engine_versions(engine, version, None, include_all=False, default_only=False):
        for name, spec in sorted(cat["classes"].items()):
            if instance_class and name != instance_class:
                continue
            if v["EngineVersion"] in spec["notFor"] or (version and v["EngineVersion"] != version):
                continue
            options.append({
                "Engine": engine,
                "EngineVersion": v["EngineVersion"],
                "DBInstanceClass": name,
                "LicenseModel": "general-public-license",
                "AvailabilityZones": [{"Name": f"{region}{letter}"} for letter in spec["zones"]],
                "MultiAZCapable": spec["multiAz"],
                "ReadReplicaCapable": True,
                "Vpc": True,
                "SupportsStorageEncryption": True,
                "StorageType": "gp3",
                "SupportsIops": True,
                "SupportsIAMDatabaseAuthentication": True,
                "SupportsEnhancedMonitoring": True,
                "SupportsPerformanceInsights": name not in _NO_PERFORMANCE_INSIGHTS,
            })
    return options


_original_orderable = RDSBackend.describe_orderable_db_instance_options


def _describe_db_engine_versions(self: RDSResponse) -> PaginatedResult:
    params = self.params
    rows = engine_versions(
        params.get("Engine"),
        params.get("EngineVersion"),
        params.get("DBParameterGroupFamily"),
        str(params.get("IncludeAll", "false")).lower() == "true",
        str(params.get("DefaultOnly", "false")).lower() == "true",
    )
    return PaginatedResult({"DBEngineVersions": rows})


def _describe_orderable_db_instance_options(self: RDSResponse) -> PaginatedResult:
    params = self.params
    engine = params.get("Engine")
    if engine == catalogue()["engine"]:
        rows = orderable_options(self.region, engine, params.get("EngineVersion"), params.get("DBInstanceClass"))
    else:
        rows = _original_orderable(self.backend, engine, params.get("EngineVersion"))
    return PaginatedResult({"OrderableDBInstanceOptions": rows})


def _major(version: str) -> str:
    return ".".join(version.split(".")[:2])


def check_lifecycle(engine: str | None, version: str | None, lifecycle: str | None, today: dt.date) -> None:
    """CreateDBInstance with EngineLifecycleSupport open-source-rds-extended-support-disabled fails for a major
    version past its end of standard support: "In this case, creating the DB instance will fail if the DB major
    version is past its end of standard support date" (AWS::RDS::DBInstance EngineLifecycleSupport, registry
    schema; docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-creating-db-instance.html).
    The default, open-source-rds-extended-support, enrols the instance in paid Extended Support instead."""
    cat = catalogue()
    if engine != cat["engine"] or not version or lifecycle != "open-source-rds-extended-support-disabled":
        return
    end = cat["endOfStandardSupport"].get(_major(version))
    if end and today > dt.date.fromisoformat(end):
        raise RDSClientError(
            "InvalidParameterCombination",
            f"Cannot create a {engine} {version} DB instance with EngineLifecycleSupport "
            f"open-source-rds-extended-support-disabled: MySQL {_major(version)} reached the end of standard support "
            f"on {end}. Use a major version in standard support, or open-source-rds-extended-support (paid).")


def check_major_upgrade(current: str | None, requested: str | None, allowed: Any) -> None:
    """ModifyDBInstance to another major version needs AllowMajorVersionUpgrade; RDS answers
    InvalidParameterCombination "The AllowMajorVersionUpgrade flag must be present when upgrading to a new
    major version." (docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html,
    AllowMajorVersionUpgrade: "This parameter must be set to true when specifying a value for the
    EngineVersion parameter that is a different major version than the DB instance's current version.")"""
    if not current or not requested or _major(current) == _major(requested):
        return
    if str(allowed).lower() != "true":
        raise RDSClientError("InvalidParameterCombination",
                             "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")


SUBNET_GROUP_AZS = rule(
    "rds-subnet-group-azs", "service", ("AWS::RDS::DBSubnetGroup",),
    "a DB subnet group whose subnets are in fewer than two Availability Zones (DBSubnetGroupDoesNotCoverEnoughAZs)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html (Errors)")
PARAMETER_GROUP_FAMILY = rule(
    "rds-parameter-group-family", "service", ("AWS::RDS::DBInstance", "AWS::RDS::DBParameterGroup"),
    "an instance whose DB parameter group's family is not its engine version's (mysql8.0 group on 8.4)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html")
PERFORMANCE_INSIGHTS_CLASS = rule(
    "rds-performance-insights-class", "service", ("AWS::RDS::DBInstance",),
    "Performance Insights on a MySQL micro or small instance class",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Overview.Engines.html")
STORAGE_SIZE = rule(
    "rds-storage-size", "service", ("AWS::RDS::DBInstance",),
    "MySQL general-purpose storage outside 20-65536 GiB, or MaxAllocatedStorage not above AllocatedStorage",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (AllocatedStorage, MaxAllocatedStorage)")
STORAGE_DECREASE = rule(
    "rds-storage-decrease", "updates", ("AWS::RDS::DBInstance",),
    "an update that lowers AllocatedStorage (storage only grows)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html "
    "(\"you can't reduce the amount of storage for a DB instance after storage has been allocated\")")
MAJOR_UPGRADE = rule(
    "rds-major-upgrade", "updates", ("AWS::RDS::DBInstance",),
    "an EngineVersion change to another major version without AllowMajorVersionUpgrade",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html (AllowMajorVersionUpgrade)")
ORDERABLE = rule(
    "rds-orderable-combination", "service", ("AWS::RDS::DBInstance",),
    "an engine version RDS does not offer, or an instance class, version and zone (or Multi-AZ) combination that is not orderable",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html; "
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html")
KMS_KEY_ACCESS = rule(
    "rds-kms-key-access", "permissions", ("AWS::RDS::DBInstance",),
    "storage or a managed master secret encrypted with a key that does not exist, is not enabled, or whose key policy "
    "does not let this account create grants on it (KMSKeyNotAccessibleFault)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html (\"the key policy ... kms:CreateGrant\"); "
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (KMSKeyNotAccessibleFault)")
DELETION_PROTECTION = rule(
    "rds-deletion-protection", "protection", ("AWS::RDS::DBInstance",),
    "deleting an instance with DeletionProtection on (moto's own check, kept)",
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeleteInstance.DeletionProtection")



def check_subnet_group(backend: RDSBackend, args: dict[str, Any]) -> None:
    """"Subnets in the DB subnet group should cover at least two Availability Zones"; the error names the zones."""
    zones = sorted({getattr(sn, "availability_zone", "") for sn in args.get("subnets") or []})
    if len(zones) < 2:
        raise RDSClientError("DBSubnetGroupDoesNotCoverEnoughAZs",
                             "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: "
                             f"{', '.join(zones)}. Add subnets to cover at least 2 AZs.")


def check_instance(backend: RDSBackend, kw: dict[str, Any]) -> None:
    engine, version = kw.get("engine"), kw.get("engine_version")
    family = next((v["family"] for v in catalogue()["versions"] if v["version"] == version), None) if version else None
    group_name = kw.get("db_parameter_group_name")
    group = backend.db_parameter_groups.get(group_name) if group_name else None
    if family and group is not None and group.family != family:
        raise RDSClientError("InvalidParameterCombination",
                             f"The parameter group {group_name} with DBParameterGroupFamily {group.family} can't be used for this "
                             f"instance. Use a parameter group with DBParameterGroupFamily {family}.")
    if str(kw.get("enable_performance_insights", "")).lower() == "true" and kw.get("db_instance_class") in _NO_PERFORMANCE_INSIGHTS:
        raise RDSClientError("InvalidParameterCombination", "Performance Insights not supported for this configuration.")
    storage, storage_type = kw.get("allocated_storage"), kw.get("storage_type") or "gp2"
    if engine in ("mysql", "mariadb") and storage is not None and storage_type in ("gp2", "gp3") and not 20 <= int(storage) <= 65536:
        raise RDSClientError("InvalidParameterCombination", f"Invalid storage size for engine name {engine} and storage type {storage_type}: {storage}")
    check_orderable(backend, kw)
    check_key(backend, kw.get("kms_key_id"))
    check_key(backend, kw.get("master_user_secret_kms_key_id"))
    ceiling = kw.get("max_allocated_storage")
    if ceiling is not None and storage is not None and int(ceiling) <= int(storage):
        raise RDSClientError("InvalidParameterCombination", "Max storage size must be greater than storage size")


def check_orderable(backend: RDSBackend, kw: dict[str, Any]) -> None:
    """CreateDBInstance refuses what DescribeOrderableDBInstanceOptions does not list (the catalogue answers both)."""
    engine, version, cls = kw.get("engine"), kw.get("engine_version"), kw.get("db_instance_class")
    if engine != catalogue()["engine"] or not version or not cls:
        return
    if not engine_versions(engine, version, None, include_all=False, default_only=False):
        raise RDSClientError("InvalidParameterCombination", f"Cannot find version {version} for {engine}")
    options = [o for o in orderable_options(backend.region_name, engine, version, cls) if o["EngineVersion"] == version]
    zone = kw.get("availability_zone")
    multi_az = str(kw.get("multi_az", "")).lower() == "true"
    if not options or (zone and zone not in {z["Name"] for z in options[0]["AvailabilityZones"]}) or (multi_az and not options[0]["MultiAZCapable"]):
        raise RDSClientError("InvalidParameterCombination",
                             f"RDS does not support creating a DB instance with the following combination: DBInstanceClass={cls}, "
                             f"Engine={engine}, EngineVersion={version}, LicenseModel=general-public-license. For supported "
                             "combinations of instance class and database engine version, see the documentation.")


def check_key(backend: RDSBackend, key_id: str | None) -> None:
    """RDS encrypts through grants it creates with the caller's permissions: the key must be enabled and its policy
    must let this account's principals call kms:CreateGrant (the usual root statement does)."""
    if not key_id:
        return
    from moto.kms.models import kms_backends

    from ..iam_eval import Principal, Request, evaluate

    account = backend.account_id
    try:
        key = kms_backends[account][backend.region_name].describe_key(key_id)
    except Exception:  # noqa: BLE001 - NotFoundException: the key does not exist
        key = None
    caller = Principal(arn=f"arn:aws:iam::{account}:root", account=account)
    if key is None or key.key_state != "Enabled" or evaluate(key.policy, Request(caller, "kms:CreateGrant", key.arn)) != "PERMITTED":
        raise RDSClientError("KMSKeyNotAccessibleFault",
                             f"The specified KMS key [{key_id}] does not exist, is not enabled or you do not have permissions to access it.")


def check_modify(backend: RDSBackend, identifier: str, kw: dict[str, Any]) -> None:
    current = backend.describe_db_instances(identifier)[0]
    if kw.get("engine_version") or kw.get("db_instance_class"):
        # The combination the modification leads to must be orderable, as on create.
        check_orderable(backend, {"engine": current.engine, "engine_version": kw.get("engine_version") or current.engine_version,
                                  "db_instance_class": kw.get("db_instance_class") or current.db_instance_class,
                                  "multi_az": kw.get("multi_az", current.multi_az)})
    storage = kw.get("allocated_storage")
    if storage is not None and int(storage) < int(current.allocated_storage):
        # Wording ours (the rule is the documentation's): RDS refuses the decrease with InvalidParameterCombination.
        raise RDSClientError("InvalidParameterCombination",
                             f"Invalid storage size for DB instance {identifier}: {storage} GiB is below its allocated "
                             f"{current.allocated_storage} GiB, and allocated storage can't be reduced.")


def _create_auto_snapshot(original: Any) -> Any:
    """moto names an instance's automated snapshot rds:<id>-<minute> and fails the create with DBSnapshotAlreadyExists
    when an instance of the same identifier was deleted in the same minute keeping its automated backups
    (DeleteAutomatedBackups false). RDS keeps retained backups apart from a new instance's
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html#USER_WorkingWithAutomatedBackups-Retaining),
    and a create never fails on them: the new snapshot gets a name of its own."""

    def create(self: RDSBackend, db_instance_identifier: str, db_snapshot_identifier: str) -> Any:
        name, n = db_snapshot_identifier, 1
        while name in self.database_snapshots:
            n += 1
            name = f"{db_snapshot_identifier}-{n}"
        return original(self, db_instance_identifier, name)

    return create


def _with_rules(create: Any, modify: Any) -> tuple[Any, Any]:
    """Wraps whatever create/modify are installed now (the data plane wraps them too), so no patch is lost."""

    def create_db_instance(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        check_lifecycle(db_kwargs.get("engine"), db_kwargs.get("engine_version"), db_kwargs.get("engine_lifecycle_support"),
                        dt.datetime.now(dt.UTC).date())
        check_instance(self, db_kwargs)
        return create(self, db_kwargs)

    def modify_db_instance(self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> Any:
        check_modify(self, db_instance_identifier, db_kwargs)
        if db_kwargs.get("engine_version"):
            current = self.describe_db_instances(db_instance_identifier)[0]
            check_major_upgrade(getattr(current, "engine_version", None), db_kwargs["engine_version"],
                                db_kwargs.get("allow_major_version_upgrade"))
        return modify(self, db_instance_identifier, db_kwargs)

    create_db_instance.strata_rules = True  # type: ignore[attr-defined]
    return create_db_instance, modify_db_instance


def _master_secret_string(self: Any) -> str:
    """moto writes {"username": "admin", "password": "P@55w0rd!"} into every RDS-managed master secret; RDS writes
    the instance's own master user name and a generated password."""
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits + "!#$%^&*()-_=+[]{}:,.<>?~"  # RDS never uses / @ " or space
    password = "".join(secrets.choice(alphabet) for _ in range(32))
    return json.dumps({"username": getattr(self.resource, "master_username", None) or "admin", "password": password})


def _modify_db_subnet_group(original: Any) -> Any:
    """moto 5.2.5 pops the group out of the backend and never puts it back, so a modified group vanishes;
    ModifyDBSubnetGroup keeps it (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSubnetGroup.html)."""

    def modify(self: RDSBackend, subnet_name: str, description: str, subnets: Any) -> Any:
        group = original(self, subnet_name, description, subnets)
        self.subnet_groups[subnet_name] = group
        return group

    return modify


def _modify_event_subscription(self: RDSResponse) -> Any:
    """ModifyEventSubscription, which moto 5.2.5 does not implement: the topic, source type, categories and Enabled
    change in place; the source IDs go through Add/RemoveSourceIdentifierToSubscription
    (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyEventSubscription.html)."""
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import SubscriptionNotFoundError

    params = self.params
    name = params.get("SubscriptionName")
    subscription = self.backend.event_subscriptions.get(name)
    if subscription is None:
        raise SubscriptionNotFoundError(name)
    for key, attr in (("SnsTopicArn", "sns_topic_arn"), ("SourceType", "source_type"), ("EventCategories", "event_categories")):
        if key in params:
            setattr(subscription, attr, params[key])
    if "Enabled" in params:
        subscription.enabled = str(params["Enabled"]).lower() == "true"
    return ActionResult({"EventSubscription": subscription})


def _source_identifier(add: bool) -> Any:
    """Add/RemoveSourceIdentifierToSubscription, which moto 5.2.5 does not implement."""

    def handle(self: RDSResponse) -> Any:
        from moto.core.responses import ActionResult
        from moto.rds.exceptions import SubscriptionNotFoundError

        name, source = self.params.get("SubscriptionName"), self.params.get("SourceIdentifier")
        subscription = self.backend.event_subscriptions.get(name)
        if subscription is None:
            raise SubscriptionNotFoundError(name)
        ids = [s for s in subscription.source_ids if s != source]
        subscription.source_ids = [*ids, source] if add else ids
        return ActionResult({"EventSubscription": subscription})

    return handle


BACKUP_REPLICATION = rule(
    "rds-backup-replication", "service", ("AWS::RDS::DBInstance",),
    "cross-Region automated backup replication with a KMS key that does not exist (or is not enabled) in the destination "
    "Region, into the source's own Region, or from an instance without automated backups",
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartDBInstanceAutomatedBackupsReplication.html "
    "(KmsKeyId: \"the Amazon Resource Name (ARN) for the KMS encryption key in the destination AWS Region\"; "
    "KMSKeyNotAccessibleFault, DBInstanceNotFound, InvalidDBInstanceState; the messages are the local cloud's)")


def _replicated(backend: Any) -> dict[str, dict[str, Any]]:
    """The automated backups replicated into this Region, by source instance ARN (moto 5.2.5 has no such state)."""
    found: dict[str, dict[str, Any]] | None = getattr(backend, "strata_replicated_backups", None)
    if found is None:
        found = {}
        backend.strata_replicated_backups = found
    return found


def _start_backup_replication(self: RDSResponse) -> Any:
    """StartDBInstanceAutomatedBackupsReplication, which moto 5.2.5 does not implement: called in the destination
    Region with the source instance's ARN; RDS then keeps the source's automated backups there, encrypted with a key
    of the destination Region (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html)."""
    from moto.core.responses import ActionResult
    from moto.kms.models import kms_backends
    from moto.rds.models import rds_backends

    params = self.params
    arn = str(params.get("SourceDBInstanceArn", ""))
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "rds" or parts[5] != "db":
        raise RDSClientError("InvalidParameterValue", f"SourceDBInstanceArn {arn!r} is not a DB instance ARN")
    region, account, name = parts[3], parts[4], parts[6]
    if region == self.region:
        raise RDSClientError("InvalidParameterCombination",
                             f"The source DB instance {name} is in {region}, the Region this request was sent to: backups are "
                             "replicated to another Region (send the request to the destination Region)")
    source = rds_backends[account][region].databases.get(name)
    if source is None:
        raise RDSClientError("DBInstanceNotFound", f"DBInstance {name} not found.")
    if int(source.backup_retention_period or 0) == 0:
        raise RDSClientError("InvalidDBInstanceState",
                             f"DB instance {name} has automated backups disabled (BackupRetentionPeriod 0): there is nothing to replicate")
    key_id = str(params.get("KmsKeyId", ""))
    keys = kms_backends[account][self.region].keys
    # A key ID, or the ARN of a key of this Region and account; any other ARN names no key here.
    arn_prefix = f"arn:aws:kms:{self.region}:{account}:key/"
    key = keys.get(key_id.removeprefix(arn_prefix)) if key_id.startswith(arn_prefix) or "/" not in key_id else None
    if source.storage_encrypted and (key is None or key.key_state != "Enabled"):
        raise RDSClientError("KMSKeyNotAccessibleFault",
                             f"The KMS key {key_id or '(none given)'} does not exist, is not enabled or cannot be used in {self.region}: "
                             f"replicating the backups of an encrypted instance needs a key of the destination Region")
    retention = int(params.get("BackupRetentionPeriod") or 7)
    backup = {
        "DBInstanceArn": arn, "DbiResourceId": getattr(source, "dbi_resource_id", name), "Region": region,
        "DBInstanceIdentifier": name, "Status": "replicating", "Engine": source.engine, "EngineVersion": source.engine_version,
        "Encrypted": bool(source.storage_encrypted), "KmsKeyId": key.arn if key else None, "BackupRetentionPeriod": retention,
        "DBInstanceAutomatedBackupsArn": f"arn:aws:rds:{self.region}:{account}:auto-backup:ab-{name}",
    }
    _replicated(self.backend)[arn] = {k: v for k, v in backup.items() if v is not None}
    return ActionResult({"DBInstanceAutomatedBackup": _replicated(self.backend)[arn]})


def _stop_backup_replication(self: RDSResponse) -> Any:
    """StopDBInstanceAutomatedBackupsReplication (in the destination Region), which moto 5.2.5 does not implement."""
    from moto.core.responses import ActionResult

    arn = str(self.params.get("SourceDBInstanceArn", ""))
    backup = _replicated(self.backend).pop(arn, None)
    if backup is None:
        raise RDSClientError("DBInstanceAutomatedBackupNotFound", f"No replicated automated backups of {arn} in {self.region}.")
    return ActionResult({"DBInstanceAutomatedBackup": {**backup, "Status": "stopped"}})


def _describe_automated_backups(self: RDSResponse) -> Any:
    """DescribeDBInstanceAutomatedBackups: moto 5.2.5's (this Region's own instances) plus the backups replicated
    into this Region, which it does not model."""
    from moto.core.responses import ActionResult

    own = list(self.backend.describe_db_instance_automated_backups(**self.params))
    name = self.params.get("DBInstanceIdentifier")
    replicated = [b for b in _replicated(self.backend).values() if name in (None, b["DBInstanceIdentifier"])]
    return ActionResult({"DBInstanceAutomatedBackups": own + replicated})


def install(plane: DataPlane) -> None:
    """The catalogue, RDS-managed master secrets as RDS writes them, MySQL instances backed by MariaDB, then the
    engine-version rules around all of it (so a refused create never starts a server)."""
    from moto.rds.models import MasterUserSecret

    MasterUserSecret._generate_secret_string = _master_secret_string  # type: ignore[method-assign]
    RDSResponse.describe_db_engine_versions = _describe_db_engine_versions  # type: ignore[attr-defined]
    RDSResponse.describe_orderable_db_instance_options = _describe_orderable_db_instance_options  # type: ignore[method-assign]
    RDSResponse.modify_event_subscription = _modify_event_subscription  # type: ignore[attr-defined]
    RDSResponse.start_db_instance_automated_backups_replication = _start_backup_replication  # type: ignore[attr-defined]
    RDSResponse.stop_db_instance_automated_backups_replication = _stop_backup_replication  # type: ignore[attr-defined]
    RDSResponse.describe_db_instance_automated_backups = _describe_automated_backups  # type: ignore[method-assign]
    RDSResponse.add_source_identifier_to_subscription = _source_identifier(add=True)  # type: ignore[attr-defined]
    RDSResponse.remove_source_identifier_from_subscription = _source_identifier(add=False)  # type: ignore[attr-defined]
    RDSBackend.modify_db_subnet_group = _modify_db_subnet_group(RDSBackend.modify_db_subnet_group)  # type: ignore[method-assign]
    create_db, delete_db = RDSBackend.create_db_instance, RDSBackend.delete_db_instance

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        db = create_db(self, db_kwargs)
        if str(db.engine).startswith(("mysql", "mariadb")):
            group = self.db_parameter_groups.get(db.db_parameter_group_name) if db.db_parameter_group_name else None
            params = {k: str(v.get("ParameterValue", "")) for k, v in (group.parameters.items() if group else [])}
            secret = getattr(getattr(db, "master_user_secret", None), "secret", None)

            def password() -> str:
                if secret is not None:
                    return json.loads(secret.secret_string)["password"]
                # moto keeps a given password where its models cannot read it back (the property raises "Password
                # not retrievable", as RDS's API never answers it): the server behind the instance needs it
                return str(getattr(db, "_master_user_password", "") or "")

            plane.start_database(db.db_instance_identifier, db.address, int(db.port or 3306), db.master_username or "admin", password, params)
        return db

    def delete_db_instance(self: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
        db = self.databases.get(db_instance_identifier)
        result = delete_db(self, db_instance_identifier, *args, **kwargs)
        if db is not None:
            plane.stop_database(db_instance_identifier, db.address, int(db.port))
        return result

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.delete_db_instance = delete_db_instance  # type: ignore[method-assign]
    guard(RDSBackend, "create_subnet_group", check_subnet_group)
    RDSBackend.create_auto_snapshot = _create_auto_snapshot(RDSBackend.create_auto_snapshot)  # type: ignore[method-assign]
    RDSBackend.create_db_instance, RDSBackend.modify_db_instance = _with_rules(  # type: ignore[method-assign]
        RDSBackend.create_db_instance, RDSBackend.modify_db_instance)
