"""moto_patches/kms.py: a KMS key's private key is made on first use; every KMS answer is what moto gives without it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest


@pytest.fixture()
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The RSA keys made, by size, with the patch installed in this process (and taken out after the test), moto mocking
    AWS meanwhile. moto and the patches are imported here, not while collecting: each worker would import them."""
    from moto import mock_aws
    from moto.kms import models, utils

    from strata_local_cloud.moto_patches import kms

    monkeypatch.setattr(models, "generate_private_key", models.generate_private_key)
    sizes: list[int] = []
    real = utils.rsa.generate_private_key

    def counted(**kwargs: Any) -> Any:
        sizes.append(kwargs["key_size"])
        return real(**kwargs)

    monkeypatch.setattr(utils.rsa, "generate_private_key", counted)
    kms.install(None)  # type: ignore[arg-type] - KMS's patch reads nothing of the data plane
    with mock_aws():
        yield sizes


def test_a_symmetric_key_encrypts_and_decrypts_and_no_rsa_key_is_made_for_it(made: list[int]) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    key = client.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    client.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert made == []


@pytest.mark.parametrize(("spec", "size"), [("RSA_2048", 2048), ("RSA_4096", 4096)])
def test_an_rsa_key_is_made_once_on_first_use_and_signs_and_verifies_with_its_public_key(made: list[int], spec: str, size: int) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    client = boto3.client("kms", region_name="us-east-1")
    key_id = client.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert made == []
    public = client.get_public_key(KeyId=key_id)
    assert made == [size]
    signature = client.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    assert client.verify(KeyId=key_id, Message=b"m", Signature=signature, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["SignatureValid"]
    loaded: Any = serialization.load_der_public_key(public["PublicKey"])
    loaded.verify(signature, b"m", padding.PKCS1v15(), hashes.SHA256())  # the key that signed is the key GetPublicKey gave
    assert client.get_public_key(KeyId=key_id)["PublicKey"] == public["PublicKey"] and made == [size]  # made once


def test_an_ecc_key_is_made_as_moto_makes_it(made: list[int]) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    key_id = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = client.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert client.verify(KeyId=key_id, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    assert made == []
