"""KMS: a key's private key is made when first read, not when the key is created.

moto 5.2.5 makes an RSA private key for every key it creates (moto/kms/utils.py, generate_private_key: a key spec
that is not RSA or ECC, SYMMETRIC_DEFAULT and HMAC included, gets an RSA 2048 key), 34 ms of CPU each, and only
GetPublicKey, Sign and Verify ever read it (moto/kms/models.py). A test run creates a few dozen keys, an environment's
key and the AWS managed keys among them, and none is asymmetric. Here the same call makes the same kind of key, on
first use, once; what every KMS API answers is unchanged. ECC keys are cheap and made as moto makes them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


class DeferredKey:
    """Stands in for moto's private key object (RSAPrivateKey) and makes it on first attribute access."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._made: Any = None
        self._lock = threading.Lock()

    def key(self) -> Any:
        with self._lock:
            if self._make is not None:
                self._made, self._make = self._make(), None
            return self._made

    def __getattr__(self, name: str) -> Any:  # only for what the instance itself lacks: the key's own attributes
        return getattr(self.key(), name)


def install(plane: DataPlane) -> None:
    from moto.kms import models, utils

    original = utils.generate_private_key
    ecc = set(utils.KeySpec.ecc_key_specs())

    def generate_private_key(key_spec: str) -> Any:
        if key_spec in ecc:
            return original(key_spec)
        return DeferredKey(lambda: original(key_spec))

    models.generate_private_key = generate_private_key  # models imported it by name
