"""The local cloud's data plane: the certificates of the endpoints it emulates (dataplane.Pki), and a MariaDB behind
an RDS instance whatever the length of its name and of the directory the cloud runs in."""

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

from strata_local_cloud.dataplane import Pki
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
