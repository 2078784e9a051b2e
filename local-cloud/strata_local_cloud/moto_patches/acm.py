"""ACM: certificates issued by the local cloud's CA (so TLS clients can validate them), serials printed as ACM prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _acm_describe(original: Any) -> Any:
    """ACM prints a certificate's serial as colon-separated hex pairs (0a:1b:...); moto prints the decimal integer."""

    def describe(self: Any) -> dict[str, Any]:
        result = original(self)
        serial = format(self._cert.serial_number, "x")
        serial = serial.zfill(len(serial) + len(serial) % 2)
        result["Certificate"]["Serial"] = ":".join(serial[i:i + 2] for i in range(0, len(serial), 2))
        return result

    return describe


def install(plane: DataPlane) -> None:
    from moto.acm.models import CertBundle

    from ..dataplane import _pem

    CertBundle.describe = _acm_describe(CertBundle.describe)  # type: ignore[method-assign]
    generate = CertBundle.generate_cert.__func__  # type: ignore[attr-defined]

    def generate_cert(cls: Any, domain_name: str, *args: Any, **kwargs: Any) -> Any:
        """ACM's certificates in the local cloud are issued by the local CA, so a TLS client can validate them."""
        bundle = generate(cls, domain_name, *args, **kwargs)
        cert = plane.pki.sign(bundle._cert.subject, [domain_name, *[s for s in bundle.sans if s != domain_name]], bundle._key.public_key())
        bundle.cert = _pem(cert) + _pem(plane.pki.cert)
        bundle._cert = cert
        bundle.issuer_common_name = "Strata local cloud CA"
        return bundle

    CertBundle.generate_cert = classmethod(generate_cert)  # type: ignore[method-assign,assignment]
