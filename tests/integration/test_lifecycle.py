"""Lifecycle against the local cloud with the SAM CLI, each environment on its account layer: deploy dev, update
one layer, tear down to nothing but the account layer; deploy prod, where deleting the database is refused while
deletion protection is on; staging refused before the account layer exists, then beside dev in one account, each
torn down without stopping the other's compliance evaluation."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from deployment import REPO, SAMCONFIG, Baseline, Deployment, check_vpc_endpoints, overrides
from strata_testing import wait_stack as wait


def inventory(c: Callable[[str], Any]) -> dict[str, list[str]]:
    """What exists in one region of the local cloud, by kind: compared before and after an environment's life."""
    kms = c("kms")
    return {
        "buckets": sorted(b["Name"] for b in c("s3").list_buckets()["Buckets"]),
        "vpcs": sorted(v["VpcId"] for v in c("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")),
        "addresses": sorted(a["AllocationId"] for a in c("ec2").describe_addresses()["Addresses"]),
        "nat gateways": sorted(n["NatGatewayId"] for n in c("ec2").describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"),
        "instances": sorted(i["InstanceId"] for r in c("ec2").describe_instances()["Reservations"] for i in r["Instances"]
                            if i["State"]["Name"] != "terminated"),
        "databases": sorted(d["DBInstanceIdentifier"] for d in c("rds").describe_db_instances()["DBInstances"]),
        "secrets": sorted(x["Name"] for x in c("secretsmanager").list_secrets()["SecretList"]),
        "roles": sorted(r["RoleName"] for r in c("iam").list_roles()["Roles"]),
        "log groups": sorted(g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]),
        "alarms": sorted(a["AlarmName"] for a in c("cloudwatch").describe_alarms(MaxRecords=100)["MetricAlarms"]),
        "config rules": sorted(r["ConfigRuleName"] for r in c("config").describe_config_rules()["ConfigRules"]),
        "recorders": sorted(r["name"] for r in c("config").describe_configuration_recorders()["ConfigurationRecorders"]),
        "trails": sorted(t["Name"] for t in c("cloudtrail").describe_trails()["trailList"]),
        "topics": sorted(t["TopicArn"] for t in c("sns").list_topics()["Topics"]),
        "functions": sorted(f["FunctionName"] for f in c("lambda").list_functions()["Functions"]),
        "load balancers": sorted(lb["LoadBalancerName"] for lb in c("elbv2").describe_load_balancers()["LoadBalancers"]),
        "auto scaling groups": sorted(g["AutoScalingGroupName"] for g in c("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]),
        # as in AWS, a key is scheduled for deletion, never deleted at once
        "keys": sorted(k["KeyId"] for k in kms.list_keys()["Keys"]
                       if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"),
        "stacks": sorted(x["StackName"] for x in c("cloudformation").list_stacks()["StackSummaries"] if x["StackStatus"] != "DELETE_COMPLETE"),
    }


def nested(cf: Any, stack: str) -> dict[str, dict[str, Any]]:
    items = cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: cf.describe_stacks(StackName=r["PhysicalResourceId"])["Stacks"][0]
            for r in items if r["ResourceType"] == "AWS::CloudFormation::Stack"}


@pytest.fixture(scope="module")
def dev(sam_build, account_build) -> Iterator[Deployment]:
    deployment = Deployment("lifecycle-dev")
    try:
        deployment.deploy_account()
        deployment.before = inventory(deployment.client)  # type: ignore[attr-defined]
        deployment.sam("deploy", "--config-env", "local")
        yield deployment
    finally:
        deployment.stop()


def test_a_parameter_only_one_layer_uses_updates_only_that_nested_stack(dev: Deployment):
    cf = dev.client("cloudformation")
    before = nested(cf, "strata-local")
    dev.sam("deploy", "--config-env", "local", "--parameter-overrides", overrides("local", AlarmEmail="ops@example.com"))
    after = nested(cf, "strata-local")
    assert cf.describe_stacks(StackName="strata-local")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    changed = sorted(k for k in after if after[k].get("LastUpdatedTime") != before[k].get("LastUpdatedTime"))
    assert changed == ["SecurityStack"]
    assert after["SecurityStack"]["StackStatus"] == "UPDATE_COMPLETE"
    topic = {o["OutputKey"]: o["OutputValue"] for o in after["SecurityStack"]["Outputs"]}["AlarmTopicArn"]
    subscriptions = dev.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "ops@example.com")]


def test_bad_input_is_refused_with_the_field_and_the_fix_and_changes_nothing(dev: Deployment):
    cf = dev.client("cloudformation")
    before = cf.describe_stacks(StackName="strata-local")["Stacks"][0]
    result = dev.sam("deploy", "--config-env", "local", "--parameter-overrides", overrides("local", AlarmEmail="not-an-address"), check=False)
    assert result.returncode != 0
    assert "AlarmEmail" in result.stdout + result.stderr and "ops@example.com" in result.stdout + result.stderr
    after = cf.describe_stacks(StackName="strata-local")["Stacks"][0]
    assert (after["StackStatus"], after.get("LastUpdatedTime")) == (before["StackStatus"], before.get("LastUpdatedTime"))


def test_sam_delete_leaves_nothing_behind_even_with_logs_in_every_bucket(dev: Deployment):
    # Log buckets fill within minutes on AWS; S3 refuses to delete a bucket that holds any object version.
    # Versions and a delete marker in every log bucket: only Custom::EmptyBucketOnDelete lets the delete pass.
    c = dev.client
    s3 = c("s3")
    storage = Baseline.read(c, "strata-local").resources("Storage", "AWS::S3::Bucket")
    assert len(storage) == 2
    for bucket in storage.values():
        for body in (b"one", b"two"):
            s3.put_object(Bucket=bucket, Key="AWSLogs/late-delivery.log", Body=body)
        s3.delete_object(Bucket=bucket, Key="AWSLogs/late-delivery.log")
    result = dev.sam("delete", "--config-env", "local", "--no-prompts", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # nothing of the environment is left; the account layer it stood on is exactly as it was, and still recording
    assert inventory(c) == dev.before  # type: ignore[attr-defined]
    assert all(s["recording"] for s in c("config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"])


BACKUP_REGION = "eu-central-1"


@pytest.fixture(scope="module")
def prod(sam_build, account_build) -> Iterator[Deployment]:
    deployment = Deployment("lifecycle-prod")
    deployment.env.update(AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-west-1")
    try:
        region = SAMCONFIG["prod"]["deploy"]["parameters"]["region"]
        deployment.client = deployment.clients(region)
        certificate = deployment.client("acm").request_certificate(DomainName="app.example.com")["CertificateArn"]
        # An artifact bucket of our own instead of resolve_s3: SAM's managed bucket denies plain-HTTP requests
        # (aws:SecureTransport), and the local cloud listens on plain HTTP on loopback.
        deployment.client("s3").create_bucket(Bucket="strata-prod-artifacts", CreateBucketConfiguration={"LocationConstraint": region})
        deployment.deploy_account(region, "strata-prod-artifacts")
        # The backups' second Region and its key (in an account, the account layer's AccountKeyArn there).
        backup_key = deployment.clients(BACKUP_REGION)("kms").create_key(Description="strata account key")["KeyMetadata"]["Arn"]
        deployment.sam("deploy", "--config-env", "prod", "--no-confirm-changeset", "--no-resolve-s3", "--s3-bucket", "strata-prod-artifacts",
                       "--parameter-overrides", overrides("prod", CertificateArn=certificate, AlarmEmail="oncall@example.com",
                                                          DbBackupReplicationRegion=BACKUP_REGION, DbBackupReplicationKmsKeyArn=backup_key))
        deployment.backup_key = backup_key  # type: ignore[attr-defined]
        yield deployment
    finally:
        deployment.stop()


def test_prod_is_deployed_with_https_multi_az_and_deletion_protection(prod: Deployment):
    cf = prod.client("cloudformation")
    root = cf.describe_stacks(StackName="strata-prod")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in root["Outputs"]}
    assert root["StackStatus"] == "CREATE_COMPLETE"
    assert outputs["LoadBalancerUrl"].startswith("https://")
    # enforce mode: the deploy succeeded only because every check passed against the local MariaDB and listeners
    assert outputs["TlsVerification"] == "enforce: 6 passed, 0 failed, 0 skipped"
    [db] = prod.client("rds").describe_db_instances()["DBInstances"]
    assert db["MultiAZ"] and db["DeletionProtection"]  # switched on last, by Custom::DeletionProtection
    [lb] = prod.client("elbv2").describe_load_balancers()["LoadBalancers"]
    attrs = prod.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    assert {"Key": "deletion_protection.enabled", "Value": "true"} in attrs


def test_prods_automated_backups_are_replicated_to_the_second_region_under_its_key(prod: Deployment):
    db = Baseline.read(prod.client, "strata-prod").resources("Database", "AWS::RDS::DBInstance")["DbInstance"]
    [backup] = prod.clients(BACKUP_REGION)("rds").describe_db_instance_automated_backups(DBInstanceIdentifier=db)["DBInstanceAutomatedBackups"]
    assert backup["Region"] == "eu-west-1" and backup["Status"] == "replicating"
    assert backup["KmsKeyId"] == prod.backup_key  # type: ignore[attr-defined]
    assert backup["BackupRetentionPeriod"] == 35  # prod's own retention (EnvironmentConfig.DbBackupRetentionDays)


def test_prod_without_a_backup_region_is_refused_before_anything_is_created(prod: Deployment):
    out = prod.sam("deploy", "--config-env", "prod", "--no-confirm-changeset", "--no-resolve-s3", "--s3-bucket", "strata-prod-artifacts",
                   "--stack-name", "strata-prod-norepl", "--parameter-overrides",
                   overrides("prod", "EnvironmentSuffix=prodnr", CertificateArn="arn:aws:acm:eu-west-1:123456789012:certificate/"
                             "00000000-0000-0000-0000-000000000000", AlarmEmail="oncall@example.com"), check=False)
    assert out.returncode != 0
    assert "DbBackupReplicationRegion is empty but prod keeps its database backups in a second Region" in out.stdout + out.stderr
    with pytest.raises(prod.client("cloudformation").exceptions.ClientError):
        prod.client("cloudformation").describe_stacks(StackName="strata-prod-norepl")


def test_prod_reaches_s3_and_the_aws_apis_through_its_vpc_endpoints(prod: Deployment):
    check_vpc_endpoints(Baseline.read(prod.client, "strata-prod"))


def test_prods_application_url_opens_locally_over_https_and_http_redirects(prod: Deployment):
    """The summary's local URLs: HTTPS with the certificate of the application's domain (through --connect-to, as a
    browser reaches the load balancer by that domain), 503 while no target is healthy; HTTP redirects to HTTPS."""
    import http.client
    import ssl

    text = subprocess.run([sys.executable, str(REPO / "tools" / "summary.py"), "--stack", "strata-prod", "--region", "eu-west-1"],
                          env=prod.env, capture_output=True, text=True, timeout=120, check=True).stdout
    curl = re.search(r"curl --cacert (\S+) --connect-to (app\.example\.com):443:127\.0\.0\.1:(\d+) https://app\.example\.com/", text)
    redirect = re.search(r"http://127\.0\.0\.1:(\d+)/ : the HTTP listener's redirect to HTTPS", text)
    assert curl and redirect, text
    ca, domain, port = curl.group(1), curl.group(2), int(curl.group(3))
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, context.wrap_socket(raw, server_hostname=domain) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n".encode())
        status_line = tls.recv(64).split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1] == b"503", status_line
    plain = http.client.HTTPConnection("127.0.0.1", int(redirect.group(1)), timeout=10)
    plain.request("GET", "/health", headers={"Host": domain})
    answer = plain.getresponse()
    assert answer.status == 301 and answer.getheader("Location") == f"https://{domain}/health"


def test_deleting_prod_is_refused_while_the_database_is_protected(prod: Deployment):
    cf, rds = prod.client("cloudformation"), prod.client("rds")
    stack_id = cf.describe_stacks(StackName="strata-prod")["Stacks"][0]["StackId"]
    cf.delete_stack(StackName=stack_id)
    stack = wait(cf, stack_id)
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert "DatabaseStack" in stack["StackStatusReason"] and "DbInstance" in stack["StackStatusReason"]
    assert "deletion protection" in stack["StackStatusReason"]
    [db] = rds.describe_db_instances()["DBInstances"]
    assert db["DBInstanceStatus"] == "available" and db["DeletionProtection"]
    assert "LoadBalancer" in stack["StackStatusReason"]  # the load balancer is protected too
    storage = Baseline.read(prod.client, "strata-prod").resources("Storage", "AWS::S3::Bucket")
    buckets = {b["Name"] for b in prod.client("s3").list_buckets()["Buckets"]}
    assert set(storage.values()) <= buckets  # retained data is still there


def test_teardown_with_confirm_turns_protection_off_and_deletes_prod_keeping_retained_data(prod: Deployment):
    refused = subprocess.run([sys.executable, str(REPO / "tools" / "teardown.py"), "--stack", "strata-prod", "--region", "eu-west-1"],
                             env=prod.env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--confirm strata-prod" in refused.stderr
    done = subprocess.run([sys.executable, str(REPO / "tools" / "teardown.py"), "--stack", "strata-prod", "--region", "eu-west-1",
                           "--confirm", "strata-prod", "--timeout", "240"], env=prod.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deletion protection turned off: load balancer" in done.stdout and "deletion protection turned off: DB instance" in done.stdout
    assert prod.client("rds").describe_db_instances()["DBInstances"] == []
    assert prod.client("rds").describe_db_snapshots()["DBSnapshots"]  # the final snapshot
    assert any("-alb-logs-" in b["Name"] for b in prod.client("s3").list_buckets()["Buckets"])  # retained buckets


def _self_signed(domain: str) -> tuple[bytes, bytes]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def test_a_failed_first_create_of_prod_rolls_back_to_nothing(sam_build, account_build):
    """The last check fails (the listener serves a certificate no client can validate), after the database and
    the load balancer exist: deletion protection is not on yet, so the rollback removes everything."""
    deployment = Deployment("lifecycle-prod-failed")
    deployment.env.update(AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-west-1")
    try:
        region = SAMCONFIG["prod"]["deploy"]["parameters"]["region"]
        c = deployment.client = deployment.clients(region)
        cert, key = _self_signed("app.example.com")
        certificate = c("acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        c("s3").create_bucket(Bucket="strata-prod-artifacts", CreateBucketConfiguration={"LocationConstraint": region})
        deployment.deploy_account(region, "strata-prod-artifacts")
        backup_key = deployment.clients(BACKUP_REGION)("kms").create_key(Description="strata account key")["KeyMetadata"]["Arn"]
        before = inventory(c)
        result = deployment.sam("deploy", "--config-env", "prod", "--no-confirm-changeset", "--no-resolve-s3", "--s3-bucket",
                                "strata-prod-artifacts", "--parameter-overrides",
                                overrides("prod", CertificateArn=certificate, AlarmEmail="oncall@example.com",
                                          DbBackupReplicationRegion=BACKUP_REGION, DbBackupReplicationKmsKeyArn=backup_key), check=False)
        assert result.returncode != 0
        cf = c("cloudformation")
        root = cf.describe_stacks(StackName="strata-prod")["Stacks"][0]
        assert root["StackStatus"] == "ROLLBACK_COMPLETE"
        failures = [e for e in cf.describe_stack_events(StackName=root["StackId"])["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED"]
        assert any(e["LogicalResourceId"] == "VerificationStack" and "AlbTls" in e.get("ResourceStatusReason", "") for e in failures)
        # nothing left but the account layer (RetainExceptOnCreate retains nothing a rolled-back create made)
        after = inventory(c)
        after["stacks"].remove("strata-prod")  # ROLLBACK_COMPLETE until deleted, as in AWS
        assert after == before
    finally:
        deployment.stop()


def test_staging_needs_the_account_layer_and_outlives_dev_in_one_account(sam_build, account_build):
    """An environment deployed before its account layer is refused before anything exists, naming the SSM parameter
    the layer writes; with the layer, staging and dev deploy beside each other on its one recorder and trail, and
    tearing dev down leaves staging's Config rules evaluating (each environment once created its own singletons, or
    rode on dev's recorder and lost it with dev)."""
    deployment = Deployment("lifecycle-environments")
    region = SAMCONFIG["staging"]["deploy"]["parameters"]["region"]
    assert SAMCONFIG["dev"]["deploy"]["parameters"]["region"] == region
    deployment.env.update(AWS_DEFAULT_REGION=region, AWS_REGION=region)
    try:
        c = deployment.client = deployment.clients(region)
        c("s3").create_bucket(Bucket="strata-env-artifacts", CreateBucketConfiguration={"LocationConstraint": region})
        certificate = c("acm").request_certificate(DomainName="staging.example.com")["CertificateArn"]

        def deploy(env: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
            return deployment.sam("deploy", "--config-env", env, "--no-confirm-changeset", "--no-resolve-s3", "--s3-bucket",
                                  "strata-env-artifacts", "--parameter-overrides", overrides(env, **extra), check=check)

        cf = c("cloudformation")
        refused = deploy("staging", check=False, CertificateArn=certificate, AlarmEmail="oncall@example.com")
        assert refused.returncode != 0
        assert ("Unable to fetch parameters [/strata/account/config/recorder-name] from parameter store for this account"
                in refused.stdout + refused.stderr), refused.stdout[-2000:] + refused.stderr[-2000:]
        assert [x for x in cf.list_stacks()["StackSummaries"] if x["StackStatus"] != "DELETE_COMPLETE"] == []

        deployment.deploy_account(region, "strata-env-artifacts")
        before = inventory(c)
        deploy("dev")
        deploy("staging", CertificateArn=certificate, AlarmEmail="oncall@example.com")
        assert cf.describe_stacks(StackName="strata-staging")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        assert inventory(c)["recorders"] == ["strata-account"] and inventory(c)["trails"] == ["strata-account"]

        deployment.sam("delete", "--config-env", "dev", "--no-prompts", "--region", region)
        config = c("config")
        staging_rules = Baseline.read(c, "strata-staging").resources("Compliance", "AWS::Config::ConfigRule").values()
        assert set(staging_rules) <= {r["ConfigRuleName"] for r in config.describe_config_rules()["ConfigRules"]}
        assert all(x["recording"] for x in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"])

        # staging protects its database and load balancer, as prod does: the runbook's teardown turns that off first.
        done = subprocess.run([sys.executable, str(REPO / "tools" / "teardown.py"), "--stack", "strata-staging", "--region", region,
                               "--confirm", "strata-staging", "--timeout", "240"], env=deployment.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        after = inventory(c)
        added = {k: sorted(set(after[k]) - set(before[k])) for k in after}
        removed = {k: sorted(set(before[k]) - set(after[k])) for k in after}
        # the account layer is exactly as it was; of staging only its retained data is left (RetainData): its two log
        # buckets, its log groups and its key (the database's final snapshot is not in the inventory)
        assert not any(removed.values()), removed
        assert {k for k, v in added.items() if v} <= {"buckets", "log groups", "keys"}, added
        assert len(added["buckets"]) == 2 and all(b.startswith("strata-staging-") for b in added["buckets"]), added
        assert added["log groups"] and all("strata-staging" in g or "/strata/staging/" in g for g in added["log groups"]), added
        assert len(added["keys"]) == 1, added
    finally:
        deployment.stop()
