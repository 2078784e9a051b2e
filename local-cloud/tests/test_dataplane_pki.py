"""The local cloud's certificate authority: server certificates for the endpoints it emulates (dataplane.Pki)."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from strata_local_cloud.dataplane import Pki

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
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)

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
