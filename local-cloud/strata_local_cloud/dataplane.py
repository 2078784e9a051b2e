"""The local cloud's data plane: what answers on the endpoints the control plane hands out.

moto records an RDS instance and a load balancer but nothing listens on their endpoints. So that the
post-deploy TLS verification runs for real, not against a stub:
- a MySQL-family DB instance is backed by a real MariaDB (Debian's package, installed by tools/setup.sh)
  with TLS: a server certificate for the endpoint host name signed by the local cloud's CA, the master
  user and password from the instance's RDS-managed secret, and `require_secure_transport`/`tls_version`
  from its parameter group;
- an ALB listener is backed by a local server: HTTPS with the listener's ACM certificate (which the local
  cloud's ACM issues from the same CA), HTTP answering the listener's redirect action;
- a Lambda process the local cloud runs (custom resources) gets a preload (lambda_runtime/dataplane_hook.cjs) that routes
  connections for those endpoint names to the local servers and trusts the local CA for them only, the
  way a function in the VPC reaches RDS and the ALB. The function's own code is the code that runs on AWS.
Where MariaDB is not installed the instance has no backing and the verification reports exactly that.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import http.server
import ipaddress
import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .shared_cache import shared_cache
from .workdir import dying_with_parent

LOG = logging.getLogger("strata.dataplane")
HOOK = Path(__file__).parent / "lambda_runtime" / "dataplane_hook.cjs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class Pki:
    """The local cloud's certificate authority (stands in for the RDS and Amazon CAs, for the local endpoints only)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Strata local cloud"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "Strata local cloud CA")])
        now = dt.datetime.now(dt.UTC)
        self.name = name
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                     .not_valid_after(now + dt.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                                  key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(_pem(self.cert))

    def sign(self, subject: x509.Name, names: list[str], public_key: Any) -> x509.Certificate:
        now = dt.datetime.now(dt.UTC)
        alt = [x509.IPAddress(ipaddress.ip_address(n)) if n.replace(".", "").isdigit() else x509.DNSName(n) for n in names]
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name).public_key(public_key)
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=30)).add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.key, hashes.SHA256()))

    def issue(self, names: list[str], stem: str) -> tuple[Path, Path]:
        """A server certificate for these host names. A Common Name holds at most 64 characters (RFC 5280,
        ub-common-name) and an RDS endpoint can be longer (a 63-character identifier, then the account's and the
        Region's labels): such a name's first label is the Common Name. Clients check the host name against the subject
        alternative names, which hold every name whole (RFC 6125 6.4.4: the CN only when there is no DNS-ID)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        common = names[0] if len(names[0]) <= 64 else names[0].split(".", 1)[0][:64]
        cert = self.sign(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]), names, key.public_key())
        cert_file, key_file = self.dir / f"{stem}.pem", self.dir / f"{stem}.key"
        cert_file.write_bytes(_pem(cert) + _pem(self.cert))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                               serialization.NoEncryption()))
        return cert_file, key_file


def _copy_tree(source: Path, target: Path, sparse: str) -> None:
    """cp -a: coreutils finds the holes (SEEK_DATA) and makes them (--sparse); shutil.copytree writes every byte."""
    subprocess.run(["cp", "-a", sparse, "--", str(source), str(target)], check=True, capture_output=True, timeout=120)


class MariaDb:
    def __init__(self, plane: DataPlane, name: str, host: str, port: int, user: str, password: str, params: dict[str, str]) -> None:
        if not (plane.install_db and plane.mariadbd and plane.client):
            raise RuntimeError("MariaDB is not installed on this machine (run bash tools/setup.sh)")
        mariadbd, client = plane.mariadbd, plane.client
        self.dir = Path(tempfile.mkdtemp(prefix=f"rds-{name[:16]}-", dir=plane.dir))
        self.port = _free_port()
        cert, key = plane.pki.issue([host], f"rds-{name}")
        # The socket by a relative path, which mariadbd binds in the data directory it changes into and the client
        # reaches from there: a Unix socket's path holds at most 107 bytes (sun_path), and the absolute one under a
        # long TMPDIR and a 63-character instance name does not fit ("The socket file path is too long").
        data, sock = self.dir / "data", "mysqld.sock"
        limit = plane.start_timeout
        plane.initial_data(data, name)
        require = str(params.get("require_secure_transport", "0")).upper() in ("1", "ON", "TRUE")
        argv, preexec = dying_with_parent([
            mariadbd, "--no-defaults", f"--datadir={data}", "--user=root", f"--port={self.port}", "--bind-address=127.0.0.1",
            f"--socket={sock}", f"--pid-file={self.dir / 'pid'}", f"--log-error={self.dir / 'error.log'}", "--skip-name-resolve",
            f"--ssl-ca={plane.pki.ca_file}", f"--ssl-cert={cert}", f"--ssl-key={key}",
            f"--require-secure-transport={'ON' if require else 'OFF'}", f"--tls-version={params.get('tls_version', 'TLSv1.2,TLSv1.3')}"])
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=preexec)
        deadline = time.monotonic() + limit
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"MariaDB for {name} exited while starting: {self._log_tail()}") from None
                if time.monotonic() > deadline:
                    # A start that hangs is killed and reported, never left running or waited on forever.
                    self.proc.kill()
                    self.proc.wait()
                    raise RuntimeError(f"MariaDB for {name} did not accept connections within {limit:g} s and was killed: "
                                       f"{self._log_tail()}") from None
                time.sleep(0.1)
        quoted = password.replace("\\", "\\\\").replace("'", "\\'")
        subprocess.run([client, "--no-defaults", "--skip-ssl", f"--socket={sock}", "-uroot", "-e",
                        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{quoted}'; GRANT ALL ON *.* TO '{user}'@'%' WITH GRANT OPTION;"],
                       check=True, capture_output=True, timeout=limit, cwd=data)

    def _log_tail(self) -> str:
        log = self.dir / "error.log"
        return log.read_text(errors="replace")[-1500:] if log.exists() else "(no error log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Listener:
    """One ALB listener: HTTPS with the ACM certificate, or HTTP answering the default redirect action."""

    def __init__(self, plane: DataPlane, protocol: str, certificate: tuple[bytes, bytes] | None, actions: list[dict[str, Any]]) -> None:
        redirect = next((a.get("RedirectConfig") or a.get("redirect_config") for a in actions
                         if (a.get("Type") or a.get("type")) == "redirect"), None)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if redirect:
                    host = (self.headers.get("Host") or "").split(":")[0]
                    port = redirect.get("Port", "#{port}")
                    target = f"{redirect.get('Protocol', 'HTTPS').lower()}://{host}{'' if port in ('443', '#{port}') else ':' + port}{self.path}"
                    self.send_response(301 if redirect.get("StatusCode", "HTTP_301") == "HTTP_301" else 302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"no healthy targets in the local cloud\n"
                self.send_response(503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if protocol == "HTTPS" and certificate:
            cert_file = Path(tempfile.mkstemp(dir=plane.dir, suffix=".pem")[1])
            key_file = Path(tempfile.mkstemp(dir=plane.dir, suffix=".key")[1])
            cert_file.write_bytes(certificate[0])
            key_file.write_bytes(certificate[1])
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(cert_file, key_file)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DataPlane:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory or Path(tempfile.mkdtemp(prefix="strata-local-cloud-dataplane-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self._pki: Pki | None = None
        self._pki_lock = threading.Lock()
        self.routes_file = self.dir / "routes.json"
        self.routes: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        # One long-lived worker starts the servers: Linux sends the parent-death signal when the *thread* that
        # started a child ends, so a short-lived thread would take its MariaDB with it.
        self.spawner = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataplane")
        self.pending: list[concurrent.futures.Future[None]] = []
        self.databases: dict[str, MariaDb] = {}
        self.listeners: dict[str, tuple[str, Listener]] = {}
        self.mariadbd = shutil.which("mariadbd") or shutil.which("mysqld") or next(
            (p for p in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld") if Path(p).exists()), None)
        self.install_db = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        self.client = shutil.which("mariadb") or shutil.which("mysql")
        self.unavailable: dict[str, str] = {}
        # How long a MariaDB may take to initialise and accept connections before it is killed and reported.
        self.start_timeout = float(os.environ.get("STRATA_LOCAL_CLOUD_MARIADB_TIMEOUT", "60"))
        self.hook = HOOK
        self._write_routes()

    @property
    def pki(self) -> Pki:
        """The local CA, made when first needed (a database, a listener's or ACM's certificate, a function's
        environment, which is told where the CA is): its RSA key costs 35 ms of CPU, and most of a test run's clouds
        need none."""
        with self._pki_lock:
            if self._pki is None:
                self._pki = Pki(self.dir)
            return self._pki

    def initial_data(self, data: Path, name: str) -> None:
        """A new instance's data directory, as mariadb-install-db makes it (the system tables, root on the socket
        only, no test database). What it makes depends only on the installed MariaDB and these arguments, so it is made
        once, in the run's shared cache (STRATA_SHARED_CACHE) or this data plane's own directory, and each instance
        gets a copy of it: the install took 0.3 s of CPU (a shell script and mariadbd --bootstrap) for each of a test
        run's thirty databases. The copy is sparse: 7 MB of the directory's 113 MB are not zeros (the 96 MB redo log
        is zeros until written), and copying all of it took up to 0.6 s of CPU under a test run's load. Each byte reads
        as mariadb-install-db wrote it; a block is allocated when the server writes it."""
        install_db, mariadbd = self.install_db, self.mariadbd
        assert install_db and mariadbd
        options = ["--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"]
        key = hashlib.sha256(json.dumps([[(p, os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in (install_db, mariadbd)],
                                         options]).encode()).hexdigest()[:32]

        def install(target: Path) -> None:
            installed = target.with_name(f"{target.name}.installed")
            try:
                # --no-defaults must come first (my_print_defaults)
                subprocess.run([install_db, "--no-defaults", f"--datadir={installed}", *options], check=True, capture_output=True,
                               timeout=self.start_timeout)
                if not (installed / "mysql").is_dir():
                    raise RuntimeError(f"MariaDB for {name}: {install_db} exited without making the system tables in {installed}")
                _copy_tree(installed, target, "--sparse=always")  # runs of zeros become holes
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"MariaDB for {name}: {install_db} hung for {self.start_timeout:g} s and was killed") from None
            finally:
                shutil.rmtree(installed, ignore_errors=True)

        pristine = shared_cache(self.dir / "cache").get_dir("mariadb-data", key, install)
        assert pristine is not None  # a cache with a directory: this plane's own at least
        _copy_tree(pristine, data, "--sparse=auto")  # holes stay holes

    @property
    def has_mariadb(self) -> bool:
        return bool(self.mariadbd and self.install_db and self.client)

    def _write_routes(self) -> None:
        tmp = self.routes_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"routes": self.routes, "unavailable": self.unavailable}))
        tmp.replace(self.routes_file)

    def route(self, host: str, port: int, target_port: int, kind: str) -> None:
        with self.lock:
            self.routes[f"{host}:{port}"] = {"port": target_port, "kind": kind}
            self._write_routes()

    def unroute(self, host: str, port: int) -> None:
        with self.lock:
            self.routes.pop(f"{host}:{port}", None)
            self._write_routes()

    def node_env(self) -> dict[str, str]:
        """What the local cloud's Lambda runtime adds to a function's environment."""
        return {"STRATA_LOCAL_CLOUD_ROUTES": str(self.routes_file), "STRATA_LOCAL_CLOUD_CA": str(self.pki.ca_file)}

    def wait_ready(self, timeout: float = 120) -> None:
        """Functions run only once every backing server that was starting is up (or has failed)."""
        deadline = time.monotonic() + timeout
        for future in list(self.pending):
            try:
                future.result(timeout=max(0, deadline - time.monotonic()))
            except concurrent.futures.TimeoutError:
                return

    # -- RDS
    def start_database(self, name: str, host: str, port: int, user: str, password_source: Any, params: dict[str, str]) -> None:
        if not self.has_mariadb:
            self.unavailable[f"{host}:{port}"] = "MariaDB is not installed on this machine (run bash tools/setup.sh)"
            self._write_routes()
            return

        def run() -> None:
            try:
                db = MariaDb(self, name, host, port, user, password_source(), params)
            except Exception as error:  # noqa: BLE001 - reported to the functions that try the endpoint
                LOG.error("backing %s with MariaDB failed: %s", name, error)
                with self.lock:
                    self.unavailable[f"{host}:{port}"] = f"the local MariaDB behind it failed to start: {error}"
                    self._write_routes()
                return
            self.databases[name] = db
            self.route(host, port, db.port, "rds")

        self.pending.append(self.spawner.submit(run))

    def stop_database(self, name: str, host: str, port: int) -> None:
        self.unroute(host, port)
        db = self.databases.pop(name, None)
        if db:
            db.stop()

    # -- ELBv2
    def start_listener(self, arn: str, host: str, port: int, protocol: str, certificate: tuple[bytes, bytes] | None,
                       actions: list[dict[str, Any]]) -> None:
        listener = Listener(self, protocol, certificate, actions)
        self.listeners[arn] = (f"{host}:{port}", listener)
        self.route(host, port, listener.port, "elb")

    def stop_listener(self, arn: str) -> None:
        entry = self.listeners.pop(arn, None)
        if entry:
            key, listener = entry
            host, port = key.rsplit(":", 1)
            self.unroute(host, int(port))
            listener.stop()

    def close(self) -> None:
        self.spawner.shutdown(wait=False, cancel_futures=True)
        for db in list(self.databases.values()):
            db.stop()
        for arn in list(self.listeners):
            self.stop_listener(arn)
        shutil.rmtree(self.dir, ignore_errors=True)
