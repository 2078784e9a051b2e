"""Lifecycle against the local cloud with the SAM CLI, each environment on its account layer.

On the shared dev deployment (conftest.py), after every test that only reads it: a parameter one layer uses updates
that layer alone, bad input changes nothing, and `sam delete` leaves the account layer exactly as it was.

In an account of its own, in the region samconfig.toml gives dev, staging and prod: an environment is refused before
the account layer exists; prod deploys with HTTPS, Multi-AZ and replicated backups, its deletion is refused while
deletion protection is on and the deliberate teardown keeps its data; a failed first create of prod rolls back to
nothing; staging deploys beside dev on the one account layer and outlives dev's deletion."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from deployment import REPO, SAMCONFIG, Baseline, Deployment, check_nat_gateways, check_vpc_endpoints, inventory, overrides
from strata_testing import SCRIPT
from strata_testing import wait_stack as wait


def nested(cf: Any, stack: str) -> dict[str, dict[str, Any]]:
    items = cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: cf.describe_stacks(StackName=r["PhysicalResourceId"])["Stacks"][0]
            for r in items if r["ResourceType"] == "AWS::CloudFormation::Stack"}


@pytest.mark.mutates_shared_deployment
def test_a_parameter_only_one_layer_uses_updates_only_that_nested_stack(deployed: Deployment):
    dev = deployed
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


@pytest.mark.mutates_shared_deployment
def test_bad_input_is_refused_with_the_field_and_the_fix_and_changes_nothing(deployed: Deployment):
    dev = deployed
    cf = dev.client("cloudformation")
    before = cf.describe_stacks(StackName="strata-local")["Stacks"][0]
    result = dev.sam("deploy", "--config-env", "local", "--parameter-overrides", overrides("local", AlarmEmail="not-an-address"), check=False)
    assert result.returncode != 0
    assert "AlarmEmail" in result.stdout + result.stderr and "ops@example.com" in result.stdout + result.stderr
    after = cf.describe_stacks(StackName="strata-local")["Stacks"][0]
    assert (after["StackStatus"], after.get("LastUpdatedTime")) == (before["StackStatus"], before.get("LastUpdatedTime"))


@pytest.mark.mutates_shared_deployment
def test_sam_delete_leaves_nothing_behind_even_with_logs_in_every_bucket(deployed: Deployment):
    dev = deployed
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
    assert inventory(c) == dev.before
    assert all(s["recording"] for s in c("config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"])


REGION = SAMCONFIG["prod"]["deploy"]["parameters"]["region"]
BACKUP_REGION = "eu-central-1"
# An artifact bucket of our own instead of resolve_s3: SAM's managed bucket denies plain-HTTP requests
# (aws:SecureTransport), and the local cloud listens on plain HTTP on loopback.
ARTIFACTS = "strata-eu-artifacts"


@pytest.fixture(scope="module")
def account(sam_build, account_build) -> Iterator[Deployment]:
    """An account of its own in the region of samconfig.toml's dev, staging and prod, its account layer not deployed
    yet: the tests below deploy it (`account_layer`) once the first of them has seen an environment refused without it."""
    assert SAMCONFIG["dev"]["deploy"]["parameters"]["region"] == SAMCONFIG["staging"]["deploy"]["parameters"]["region"] == REGION
    deployment = Deployment("lifecycle")
    deployment.env.update(AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)
    try:
        deployment.client = deployment.clients(REGION)
        deployment.client("s3").create_bucket(Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield deployment
    finally:
        deployment.stop()


def account_layer(account: Deployment) -> Deployment:
    """The account layer in this account and region, deployed by the first test that needs it."""
    stacks = account.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])["StackSummaries"]
    if "strata-account" not in {x["StackName"] for x in stacks}:
        account.deploy_account(REGION, ARTIFACTS)
    return account


def deploy(deployment: Deployment, env: str, *extra: str, stack: str | None = None, check: bool = True,
           **named: str) -> subprocess.CompletedProcess[str]:
    """`sam deploy --config-env <env>` into this account, with the config-env's overrides plus these."""
    name = ["--stack-name", stack] if stack else []
    return deployment.sam("deploy", "--config-env", env, "--no-confirm-changeset", "--no-resolve-s3", "--s3-bucket", ARTIFACTS, *name,
                          "--parameter-overrides", overrides(env, *extra, **named), check=check)


def test_an_environment_is_refused_before_its_account_layer_exists_and_nothing_is_created(account: Deployment):
    """Refused before anything exists, naming the SSM parameter the account layer writes."""
    cf = account.client("cloudformation")
    assert [x for x in cf.list_stacks()["StackSummaries"] if x["StackStatus"] != "DELETE_COMPLETE"] == [], "needs an account without its layer"
    certificate = account.client("acm").request_certificate(DomainName="staging.example.com")["CertificateArn"]
    refused = deploy(account, "staging", check=False, CertificateArn=certificate, AlarmEmail="oncall@example.com")
    assert refused.returncode != 0
    assert ("Unable to fetch parameters [/strata/account/config/recorder-name] from parameter store for this account"
            in refused.stdout + refused.stderr), refused.stdout[-2000:] + refused.stderr[-2000:]
    assert [x for x in cf.list_stacks()["StackSummaries"] if x["StackStatus"] != "DELETE_COMPLETE"] == []


@pytest.fixture(scope="module")
def prod(account: Deployment) -> Deployment:
    account_layer(account)
    certificate = account.client("acm").request_certificate(DomainName="app.example.com")["CertificateArn"]
    # The backups' second Region and its key (in an account, the account layer's AccountKeyArn there).
    backup_key = account.clients(BACKUP_REGION)("kms").create_key(Description="strata account key")["KeyMetadata"]["Arn"]
    deploy(account, "prod", CertificateArn=certificate, AlarmEmail="oncall@example.com", DbBackupReplicationRegion=BACKUP_REGION,
           DbBackupReplicationKmsKeyArn=backup_key)
    account.backup_key = backup_key  # type: ignore[attr-defined]
    return account


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
    out = deploy(prod, "prod", "EnvironmentSuffix=prodnr", stack="strata-prod-norepl", check=False,
                 CertificateArn="arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
                 AlarmEmail="oncall@example.com")
    assert out.returncode != 0
    assert "DbBackupReplicationRegion is empty but prod keeps its database backups in a second Region" in out.stdout + out.stderr
    with pytest.raises(prod.client("cloudformation").exceptions.ClientError):
        prod.client("cloudformation").describe_stacks(StackName="strata-prod-norepl")


def test_prod_reaches_s3_and_the_aws_apis_through_its_vpc_endpoints(prod: Deployment):
    check_vpc_endpoints(Baseline.read(prod.client, "strata-prod"))


def test_prod_leaves_each_zone_through_its_own_nat_gateway(prod: Deployment):
    assert len(check_nat_gateways(Baseline.read(prod.client, "strata-prod"), "per-az")) == 3


def test_prods_application_url_opens_locally_over_https_and_http_redirects(prod: Deployment):
    """The summary's local URLs: HTTPS with the certificate of the application's domain (through --connect-to, as a
    browser reaches the load balancer by that domain), 503 while no target is healthy; HTTP redirects to HTTPS."""
    import http.client
    import ssl

    text = subprocess.run([*SCRIPT, str(REPO / "tools" / "summary.py"), "--stack", "strata-prod", "--region", "eu-west-1"],
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
    refused = subprocess.run([*SCRIPT, str(REPO / "tools" / "teardown.py"), "--stack", "strata-prod", "--region", "eu-west-1"],
                             env=prod.env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--confirm strata-prod" in refused.stderr
    done = subprocess.run([*SCRIPT, str(REPO / "tools" / "teardown.py"), "--stack", "strata-prod", "--region", "eu-west-1",
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


def test_a_failed_first_create_of_prod_rolls_back_to_nothing(account: Deployment):
    """The last check fails (the listener serves a certificate no client can validate), after the database and
    the load balancer exist: deletion protection is not on yet, so the rollback removes everything. A prod of its own
    suffix, so that it fails the same whether the prod above is still there or torn down, with the regional NAT gateway
    (the prod above has one per zone, which its teardown deletes): the rollback deletes it and releases its addresses."""
    c = account_layer(account).client
    cert, key = _self_signed("app.example.com")
    certificate = c("acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    backup_key = account.clients(BACKUP_REGION)("kms").create_key(Description="strata account key")["KeyMetadata"]["Arn"]
    before = inventory(c)
    result = deploy(account, "prod", "EnvironmentSuffix=prodfail", stack="strata-prodfail", check=False, CertificateArn=certificate,
                    AlarmEmail="oncall@example.com", DbBackupReplicationRegion=BACKUP_REGION, DbBackupReplicationKmsKeyArn=backup_key,
                    NatGatewayMode="regional")
    assert result.returncode != 0
    cf = c("cloudformation")
    root = cf.describe_stacks(StackName="strata-prodfail")["Stacks"][0]
    assert root["StackStatus"] == "ROLLBACK_COMPLETE"
    events = [e for page in cf.get_paginator("describe_stack_events").paginate(StackName=root["StackId"]) for e in page["StackEvents"]]
    failures = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any(e["LogicalResourceId"] == "VerificationStack" and "AlbTls" in e.get("ResourceStatusReason", "") for e in failures), failures
    # the egress layer was created, its regional NAT gateway with it, and both were rolled back. "For deleted stacks,
    # DescribeStackResources returns resource information for up to 90 days" (its API reference)
    [egress] = cf.describe_stack_resources(StackName=root["StackId"], LogicalResourceId="EgressStack")["StackResources"]
    [regional] = cf.describe_stack_resources(StackName=egress["PhysicalResourceId"], LogicalResourceId="NatGateway1")["StackResources"]
    assert (egress["ResourceStatus"], regional["ResourceStatus"]) == ("DELETE_COMPLETE", "DELETE_COMPLETE")
    # nothing left but what was there before (RetainExceptOnCreate retains nothing a rolled-back create made)
    after = inventory(c)
    after["stacks"].remove("strata-prodfail")  # ROLLBACK_COMPLETE until deleted, as in AWS
    assert after == before


def test_staging_outlives_dev_on_the_one_account_layer(account: Deployment):
    """Staging and dev deploy beside each other on the account layer's one recorder and trail; staging moves from a NAT
    gateway per zone to a regional one in place (NatGatewayMode=regional) and back; tearing dev down removes
    exactly what dev added and leaves staging's Config rules evaluating (each environment once created its own
    singletons, or rode on dev's recorder and lost it with dev); staging's deliberate teardown keeps only its data."""
    c = account_layer(account).client
    cf = c("cloudformation")
    certificate = c("acm").request_certificate(DomainName="staging.example.com")["CertificateArn"]
    before = inventory(c)
    deploy(account, "dev")
    with_dev = inventory(c)
    deploy(account, "staging", CertificateArn=certificate, AlarmEmail="oncall@example.com")
    assert cf.describe_stacks(StackName="strata-staging")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    zonal = check_nat_gateways(Baseline.read(c, "strata-staging"), "per-az")
    # NatGatewayMode=regional on the running staging: one regional gateway replaces the two zonal ones, with addresses
    # of its own (the zonal ones hold theirs until they are deleted), the routes and the load balancer's rules follow
    deploy(account, "staging", CertificateArn=certificate, AlarmEmail="oncall@example.com", NatGatewayMode="regional")
    assert cf.describe_stacks(StackName="strata-staging")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    regional = check_nat_gateways(Baseline.read(c, "strata-staging"), "regional")
    assert not set(regional) & set(zonal)  # new addresses; the zonal gateways' are released
    assert not set(zonal) & {a["PublicIp"] for a in c("ec2").describe_addresses()["Addresses"]}
    # and back: NatGateway1 is replaced by a zonal gateway again (AvailabilityMode is create-only), created before the
    # regional one is deleted, each with an address of its own; the regional gateway's addresses are released
    deploy(account, "staging", CertificateArn=certificate, AlarmEmail="oncall@example.com", NatGatewayMode="per-az")
    assert cf.describe_stacks(StackName="strata-staging")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    zonal_again = check_nat_gateways(Baseline.read(c, "strata-staging"), "per-az")
    assert not set(zonal_again) & set(regional)
    assert not set(regional) & {a["PublicIp"] for a in c("ec2").describe_addresses()["Addresses"]}
    with_both = inventory(c)
    assert with_both["recorders"] == ["strata-account"] and with_both["trails"] == ["strata-account"]

    account.sam("delete", "--config-env", "dev", "--no-prompts", "--region", REGION)
    without_dev = inventory(c)
    # what went is exactly what dev had added; nothing came
    assert {k: sorted(set(with_both[k]) - set(without_dev[k])) for k in with_both} == {
        k: sorted(set(with_dev[k]) - set(before[k])) for k in with_dev}
    assert all(set(without_dev[k]) <= set(with_both[k]) for k in with_both)
    config = c("config")
    staging_rules = Baseline.read(c, "strata-staging").resources("Compliance", "AWS::Config::ConfigRule").values()
    assert set(staging_rules) <= {r["ConfigRuleName"] for r in config.describe_config_rules()["ConfigRules"]}
    assert all(x["recording"] for x in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"])

    # staging protects its database and load balancer, as prod does: the runbook's teardown turns that off first.
    done = subprocess.run([*SCRIPT, str(REPO / "tools" / "teardown.py"), "--stack", "strata-staging", "--region", REGION,
                           "--confirm", "strata-staging", "--timeout", "240"], env=account.env, capture_output=True, text=True, timeout=300)
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
