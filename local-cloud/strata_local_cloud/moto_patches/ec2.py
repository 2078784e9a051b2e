"""EC2: the account's default KMS key for EBS encryption by default, which moto 5.2.5 can change but not read or reset.

moto answers ModifyEbsDefaultKmsKeyId and Enable/Disable/GetEbsEncryptionByDefault; GetEbsDefaultKmsKeyId and
ResetEbsDefaultKmsKeyId are not implemented, so a resource that reads the key before changing it, or puts the
AWS managed key back, could not run. Both are added here on moto's own per-region state (`default_kms_key_id`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _managed_key(backend: Any) -> str:
    """Until a key is chosen, EBS encrypts with the AWS managed key aws/ebs: "If this parameter is not specified,
    your KMS key for Amazon EBS is used" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html).
    GetEbsDefaultKmsKeyId answers the ARN of the default key
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetEbsDefaultKmsKeyId.html); for the managed key,
    its alias ARN (the key itself is created by EBS on first use)."""
    return f"arn:aws:kms:{backend.region_name}:{backend.account_id}:alias/aws/ebs"


def install(plane: DataPlane) -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def get_ebs_default_kms_key_id(self: Any) -> ActionResult:
        self.error_on_dryrun()
        return ActionResult({"KmsKeyId": self.ec2_backend.default_kms_key_id or _managed_key(self.ec2_backend)})

    def reset_ebs_default_kms_key_id(self: Any) -> ActionResult:
        """https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ResetEbsDefaultKmsKeyId.html: "Resets the default
        KMS key for EBS encryption for your account in this Region to the Amazon Web Services managed KMS key for EBS"."""
        self.error_on_dryrun()
        self.ec2_backend.default_kms_key_id = ""
        return ActionResult({"KmsKeyId": _managed_key(self.ec2_backend)})

    ElasticBlockStore.get_ebs_default_kms_key_id = get_ebs_default_kms_key_id  # type: ignore[attr-defined]
    ElasticBlockStore.reset_ebs_default_kms_key_id = reset_ebs_default_kms_key_id  # type: ignore[attr-defined]
