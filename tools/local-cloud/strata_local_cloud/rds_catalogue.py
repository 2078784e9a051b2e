"""RDS MySQL engine catalogue for moto.

moto 5.2.5 answers DescribeDBEngineVersions with an HTTP 500 and DescribeOrderableDBInstanceOptions only for
aurora-postgresql and neptune. This extension answers both for MySQL from catalogue/rds-mysql.json, in the
shapes RDS uses, so the engine-version lookup and the AZ discovery run against the emulator as against AWS.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from moto.core.responses import PaginatedResult
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse

CATALOGUE = Path(__file__).parent / "catalogue" / "rds-mysql.json"


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
                "SupportsPerformanceInsights": not name.startswith(("db.t4g.micro", "db.t4g.small")),
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


def install() -> None:
    """Adds the catalogue to moto's RDS responses (idempotent)."""
    RDSResponse.describe_db_engine_versions = _describe_db_engine_versions  # type: ignore[attr-defined]
    RDSResponse.describe_orderable_db_instance_options = _describe_orderable_db_instance_options  # type: ignore[method-assign]
