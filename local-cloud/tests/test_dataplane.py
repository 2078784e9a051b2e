"""The local cloud's data plane: the certificates of the endpoints it emulates (dataplane.Pki), and a MariaDB behind
an RDS instance whatever the length of its name and of the directory the cloud runs in, each from a copy of one
initial data directory."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from strata_local_cloud.dataplane import DataPlane, Pki
from strata_local_cloud.launch import LocalCloud
from strata_local_cloud.testing import until

CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"

# An RDS endpoint as long as AWS makes them: a 63-character identifier, then the account's and the Region's labels.
LONG = f"{'a' * 63}.c9akciq32.eu-west-1.rds.amazonaws.com"
SHORT = "strata-dev-mysql.c9akciq32.us-east-1.rds.amazonaws.com"


def handshake(pki: Pki, cert: Path, key: Path, name: str) -> str:
    """A TLS handshake against a server holding this certificate, the client checking `name` as Node's tls does."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(pki.ca_file))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server_ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except ssl.SSLError:  # the client refused the certificate: its side says so
                conn.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with socket.create_connection(("127.0.0.1", port)) as raw, client_ctx.wrap_socket(raw, server_hostname=name) as tls:
            version = tls.version() or ""
            tls.sendall(b"x")
        thread.join(5)
    return version


@pytest.mark.parametrize("name", [LONG, SHORT], ids=["longer-than-a-common-name", "short"])
def test_an_endpoint_of_any_length_gets_a_certificate_its_clients_accept(tmp_path: Path, name: str) -> None:
    pki = Pki(tmp_path)
    cert_file, key_file = pki.issue([name], "rds-db")
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    [common] = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert len(str(common.value)) <= 64 and str(common.value) == (name if len(name) <= 64 else "a" * 63)
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [name]
    assert handshake(pki, cert_file, key_file, name).startswith("TLSv1.")


def test_a_client_that_asks_for_another_name_is_refused(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    cert_file, key_file = pki.issue([LONG], "rds-db")
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        handshake(pki, cert_file, key_file, SHORT)


@pytest.mark.skipif(not Path(CLIENT).exists(), reason="MariaDB is installed by tools/setup.sh")
def test_an_instance_with_a_63_character_name_in_a_deep_directory_has_its_mariadb(tmp_path: Path) -> None:
    """Its certificate's name and its server's socket path once failed on such names (the Common Name's 64 characters,
    sun_path's 107 bytes): the endpoint answered nothing. A login over TLS to the server behind it works."""
    deep = tmp_path / ("d" * 60)
    deep.mkdir()
    cloud = LocalCloud(log=tmp_path / "cloud.log", env={**os.environ, "TMPDIR": str(deep)})
    try:
        rds = boto3.client("rds", endpoint_url=cloud.url, region_name="eu-central-1", aws_access_key_id="t", aws_secret_access_key="t")
        name = "a" + "b" * 62
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="mysql", EngineVersion="8.4.6", DBInstanceClass="db.t4g.small",
                               MasterUsername="admin", MasterUserPassword="not-a-secret-1", AllocatedStorage=20)
        endpoint = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["Endpoint"]
        assert len(endpoint["Address"]) > 64
        [routes_file] = deep.glob("strata-local-cloud-run-*/dataplane/routes.json")

        def routed() -> dict[str, object] | None:
            table = json.loads(routes_file.read_text()) if routes_file.exists() else {}
            key = f"{endpoint['Address']}:{endpoint['Port']}"
            assert key not in table.get("unavailable", {}), table["unavailable"][key]
            return table.get("routes", {}).get(key)

        assert until(routed, 120), "the instance was never routed to a MariaDB"
        port = routed()["port"]  # type: ignore[index]
        login = subprocess.run([CLIENT, "--no-defaults", "--host=127.0.0.1", f"--port={port}", "--user=admin", "--password=not-a-secret-1",
                                "--ssl", "--skip-ssl-verify-server-cert", "-N", "-e", "SELECT @@have_ssl"],
                               capture_output=True, text=True, timeout=60)
        assert (login.returncode, login.stdout.strip()) == (0, "YES"), login.stderr
    finally:
        cloud.stop()


def _sql(port: int, user: str, password: str, statement: str) -> str:
    done = subprocess.run([CLIENT, "--no-defaults", "--host=127.0.0.1", f"--port={port}", f"--user={user}", f"--password={password}",
                           "--ssl", "--skip-ssl-verify-server-cert", "-N", "-e", statement], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not Path(CLIENT).exists(), reason="MariaDB is installed by tools/setup.sh")
def test_each_instance_gets_its_own_copy_of_one_initial_data_directory_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mariadb-install-db runs once for the run's data planes (STRATA_SHARED_CACHE), and once per plane without it;
    each instance's data is its own: what one writes, the others (and instances started later) never see, and each
    has only its own master user."""
    real = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    assert real
    runs = tmp_path / "install-runs"
    counting = tmp_path / "mariadb-install-db"
    counting.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{real}" "$@"\n')
    counting.chmod(0o755)

    def installs() -> int:
        return len(runs.read_text().splitlines()) if runs.exists() else 0

    def plane_with_databases(directory: Path, names: list[str]) -> tuple[DataPlane, dict[str, int]]:
        plane = DataPlane(directory)
        plane.install_db = str(counting)
        for name in names:
            plane.start_database(name, f"{name}.local", 3306, f"user_{name}", lambda name=name: f"pw-{name}", {})
        plane.wait_ready(timeout=120)
        assert not plane.unavailable, plane.unavailable
        return plane, {name: plane.routes[f"{name}.local:3306"]["port"] for name in names}

    monkeypatch.delenv("STRATA_SHARED_CACHE", raising=False)
    alone, ports = plane_with_databases(tmp_path / "alone", ["one", "two"])
    try:
        assert installs() == 1  # the plane's own cache: once for its two instances
        [pristine] = (tmp_path / "alone" / "cache" / "mariadb-data").iterdir()
        for directory in (pristine, *(db.dir / "data" for db in alone.databases.values())):
            log = (directory / "ib_logfile0").stat()  # the redo log: its size as MariaDB made it, its zeros not copied
            assert log.st_size >= 2**20 and log.st_blocks * 512 < log.st_size / 4, (directory, log)
        _sql(ports["one"], "user_one", "pw-one", "CREATE DATABASE written_by_one")
        assert "written_by_one" not in _sql(ports["two"], "user_two", "pw-two", "SHOW DATABASES").split()
        users = _sql(ports["two"], "user_two", "pw-two", "SELECT user FROM mysql.user ORDER BY user").split()
        assert "user_two" in users and "user_one" not in users
    finally:
        alone.close()

    monkeypatch.setenv("STRATA_SHARED_CACHE", str(tmp_path / "run-cache"))
    first, ports = plane_with_databases(tmp_path / "first", ["three"])
    try:
        _sql(ports["three"], "user_three", "pw-three", "CREATE DATABASE written_by_three")
        second, later = plane_with_databases(tmp_path / "second", ["four"])
        try:
            assert installs() == 2  # once more for the run's cache, then never again
            assert "written_by_three" not in _sql(later["four"], "user_four", "pw-four", "SHOW DATABASES").split()
        finally:
            second.close()
    finally:
        first.close()
    assert [p.name for p in (tmp_path / "run-cache" / "mariadb-data").iterdir()] != []  # kept for the run, no partial left
    assert not [p for p in (tmp_path / "run-cache" / "mariadb-data").iterdir() if p.name.startswith(".")]


def test_an_install_that_makes_no_system_tables_is_reported_not_started(tmp_path: Path) -> None:
    plane = DataPlane(tmp_path / "plane")
    try:
        plane.install_db, plane.mariadbd, plane.client = shutil.which("true"), shutil.which("true"), shutil.which("true")
        plane.start_database("empty", "empty.local", 3306, "admin", lambda: "pw", {})
        plane.wait_ready(timeout=30)
        assert "exited without making the system tables" in plane.unavailable["empty.local:3306"]
        assert not plane.databases
    finally:
        plane.close()


def test_the_local_ca_is_made_when_first_needed_and_is_the_one_every_user_then_gets(tmp_path: Path) -> None:
    plane = DataPlane(tmp_path / "plane")
    try:
        assert not (tmp_path / "plane" / "ca.pem").exists()  # a cloud that deploys no database, listener or function
        ca_file = plane.node_env()["STRATA_LOCAL_CLOUD_CA"]
        assert Path(ca_file).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        assert plane.pki is plane.pki and str(plane.pki.ca_file) == ca_file
        cert_file, _ = plane.pki.issue([SHORT], "rds-db")
        issued = x509.load_pem_x509_certificates(cert_file.read_bytes())[0]
        assert issued.issuer == x509.load_pem_x509_certificate(Path(ca_file).read_bytes()).subject
    finally:
        plane.close()
