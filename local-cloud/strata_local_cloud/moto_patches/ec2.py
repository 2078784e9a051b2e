"""EC2: the account's default KMS key for EBS encryption by default, which moto 5.2.5 can change but not read or reset;
regional NAT gateways, which moto does not have; and the Elastic IP addresses of deleted NAT gateways.

moto answers ModifyEbsDefaultKmsKeyId and Enable/Disable/GetEbsEncryptionByDefault; GetEbsDefaultKmsKeyId and
ResetEbsDefaultKmsKeyId are not implemented, so a resource that reads the key before changing it, or puts the
AWS managed key back, could not run. Both are added here on moto's own per-region state (`default_kms_key_id`).

moto's CreateNatGateway makes zonal gateways only (AvailabilityMode=regional fails looking up subnet None). A regional
NAT gateway (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html) is added in manual mode: at
the VPC, in the zones AvailabilityZoneAddresses lists, with those addresses. Automatic mode (no addresses: AWS adds
zones and allocates addresses as network interfaces appear) is not emulated and is refused naming it. moto also keeps
a deleted NAT gateway's address associated, so the address could not serve another gateway; AWS disassociates it
("When you delete a NAT gateway, its Elastic IP address is disassociated, but not released":
https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules import rule

if TYPE_CHECKING:
    from ..dataplane import DataPlane

NAT_ADDRESS_IN_USE = rule(
    "ec2-nat-address-in-use", "service", ("AWS::EC2::NatGateway",),
    "a NAT gateway (zonal or regional) given an Elastic IP address another resource holds; a deleted gateway's address is free again",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNatGateway.html (AllocationId: \"If the Elastic IP "
    "address is associated with another resource, you must first disassociate it\"); Resource.AlreadyAssociated "
    "(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)")
REGIONAL_NAT_VPC = rule(
    "ec2-regional-nat-vpc", "service", ("AWS::EC2::NatGateway",),
    "a regional NAT gateway without the VPC it is created in (VpcId), or in zones outside the Region",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNatGateway.html (VpcId: \"The ID of the VPC where "
    "you want to create a regional NAT gateway\"); MissingParameter, InvalidParameterValue "
    "(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)")
NAT_ASSOCIATION_UNKNOWN = rule(
    "ec2-nat-association-unknown", "service", ("AWS::EC2::NatGateway",),
    "DisassociateNatGatewayAddress naming an association the gateway does not have; its own association is disassociated",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateNatGatewayAddress.html (AssociationIds: \"The "
    "association IDs of EIPs that have been associated with the NAT gateway\"); InvalidAssociationID.NotFound: \"The "
    "specified association ID does not exist\" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)")
ZONAL_NAT_ADDRESS = rule(
    "loud-zonal-nat-address", "loud", ("AWS::EC2::NatGateway",),
    "AssociateNatGatewayAddress or DisassociateNatGatewayAddress on a zonal NAT gateway (its secondary addresses): not emulated, refused naming it",
    "the local cloud's own rule (local-cloud/README.md): a zonal gateway's secondary addresses (SecondaryAllocationIds) are not emulated")
REGIONAL_NAT_AUTOMATIC = rule(
    "loud-regional-nat-automatic", "loud", ("AWS::EC2::NatGateway",),
    "a regional NAT gateway in automatic mode (no AvailabilityZoneAddresses) or given a subnet: not emulated, refused naming it",
    "the local cloud's own rule (local-cloud/README.md): manual mode is emulated, automatic mode is not")


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
    _install_regional_nat()


def _install_regional_nat() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError, MissingParameterError, ResourceAlreadyAssociatedError
    from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
    from moto.ec2.responses.nat_gateways import NatGateways
    from moto.ec2.utils import add_tag_specification, random_eip_association_id, random_nat_gateway_id

    class RegionalNatGateway(NatGateway):
        """A regional NAT gateway in manual mode: in no subnet, with one address per listed zone (DescribeNatGateways'
        NatGatewayAddresses carry the zone: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGatewayAddress.html)."""

        def __init__(self, backend: Any, vpc_id: str, tags: dict[str, str]) -> None:
            from moto.core.utils import utcnow

            self.id = random_nat_gateway_id()
            self.ec2_backend = backend
            self.subnet_id = None  # type: ignore[assignment]  # moto's zonal gateways always have one; a regional one has none
            self.vpc_id = vpc_id
            self.availability_mode = "regional"
            self.auto_provision_zones = "disabled"  # manual mode: the zones are the ones listed
            self.connectivity_type = "public"
            self.state = "available"
            self.private_ip = None  # type: ignore[assignment]  # its private addresses are AWS's, per zone
            self._created_at = utcnow()
            self.address_set = []
            self.add_tags(tags)

        def associate(self, eip: Any, zone: tuple[str, str]) -> dict[str, Any]:
            """The address serves this gateway in the zone (name, ID); its NatGatewayAddress entry."""
            eip.association_id = random_eip_association_id()
            address = {"allocationId": eip.allocation_id, "publicIp": eip.public_ip, "associationId": eip.association_id,
                       "availabilityZone": zone[0], "availabilityZoneId": zone[1], "isPrimary": True, "status": "succeeded"}
            self.address_set.append(address)
            return address

        def disassociate(self, associations: set[str]) -> list[dict[str, Any]]:
            """The addresses of these associations leave the gateway, disassociated, not released; their entries."""
            gone = [a for a in self.address_set if a["associationId"] in associations]
            self.address_set = [a for a in self.address_set if a["associationId"] not in associations]
            for address in gone:
                for eip in self.ec2_backend.address_by_allocation([address["allocationId"]]):
                    eip.association_id = None
            return gone

    def _zone(backend: Any, name: str | None, zone_id: str | None) -> tuple[str, str]:
        """(name, ID) of a zone of this Region given by either; anything else is refused as EC2 refuses an unknown zone."""
        known = {z.name: z.zone_id for z in backend.describe_availability_zones()}
        found = name or next((n for n, i in known.items() if i == zone_id), "")
        if found not in known:
            raise EC2ClientError("InvalidParameterValue", f"Invalid availability zone: [{name or zone_id}]")
        return found, known[found]

    def _free(backend: Any, allocation: str) -> Any:
        """The Elastic IP address of this allocation, if nothing holds it (Resource.AlreadyAssociated otherwise)."""
        [eip] = backend.address_by_allocation([allocation])  # InvalidAllocationID.NotFound
        if eip.association_id or eip.eni or eip.instance:
            raise ResourceAlreadyAssociatedError(eip.public_ip)
        return eip

    original_create = NatGateways.create_nat_gateway
    original_delete = NatGatewayBackend.delete_nat_gateway

    def create_nat_gateway(self: Any) -> ActionResult:
        if self._get_param("AvailabilityMode") != "regional":
            return original_create(self)  # zonal: moto's own, which refuses an address in use (Resource.AlreadyAssociated)
        backend = self.ec2_backend
        addresses = self._get_param("AvailabilityZoneAddresses") or []
        if not addresses or self._get_param("SubnetId"):
            given = "SubnetId" if self._get_param("SubnetId") else "no AvailabilityZoneAddresses (automatic mode)"
            raise EC2ClientError("UnsupportedOperation", f"the local cloud emulates regional NAT gateways in manual mode only, given {given}: "
                                 "list each zone and its Elastic IP address in AvailabilityZoneAddresses (local-cloud/README.md)")
        vpc_id = self._get_param("VpcId")
        if not vpc_id:
            raise MissingParameterError("VpcId")
        backend.get_vpc(vpc_id)  # InvalidVpcID.NotFound
        # every zone and address checked before any is associated: a refused request changes nothing
        wanted = [(_zone(backend, entry.get("AvailabilityZone"), entry.get("AvailabilityZoneId")), _free(backend, allocation))
                  for entry in addresses for allocation in entry.get("AllocationIds") or []]
        # Any: moto's CloudFormation hooks, abstract on its models, are never called here (the engine's providers create it)
        make: Any = RegionalNatGateway
        gateway = make(backend, vpc_id, add_tag_specification(self._get_param("TagSpecifications", [])))
        for zone, eip in wanted:
            gateway.associate(eip, zone)
        backend.nat_gateways[gateway.id] = gateway
        return ActionResult({"NatGateway": gateway})

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        gateway = original_delete(self, nat_gateway_id)
        if isinstance(gateway, RegionalNatGateway):
            gateway.disassociate({a["associationId"] for a in gateway.address_set})
        eni = getattr(gateway, "_eni", None)
        for eip in self.addresses:  # a zonal gateway's address, on its network interface
            if eni is not None and eip.eni is eni:
                eip.eni, eip.association_id = None, None
        return gateway

    def _regional(self: Any) -> Any:
        gateway = self.ec2_backend.nat_gateways.get(self._get_param("NatGatewayId"))
        if gateway is None:
            raise EC2ClientError("NatGatewayNotFound", f"The Nat Gateway {self._get_param('NatGatewayId')} was not found")
        if not isinstance(gateway, RegionalNatGateway):  # ZONAL_NAT_ADDRESS
            raise EC2ClientError("UnsupportedOperation", "the local cloud emulates AssociateNatGatewayAddress and DisassociateNatGatewayAddress "
                                 "for regional NAT gateways only (local-cloud/README.md)")
        return gateway

    def associate_nat_gateway_address(self: Any) -> ActionResult:
        """A regional gateway takes an address in a zone: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateNatGatewayAddress.html
        (AvailabilityZone: "For regional NAT gateways only: The Availability Zone where you want to associate an Elastic IP address")."""
        gateway = _regional(self)
        zone = _zone(self.ec2_backend, self._get_param("AvailabilityZone"), self._get_param("AvailabilityZoneId"))
        eips = [_free(self.ec2_backend, allocation) for allocation in self._get_param("AllocationIds") or []]
        added = [gateway.associate(eip, zone) for eip in eips]
        return ActionResult({"NatGatewayId": gateway.id, "NatGatewayAddresses": added})

    def disassociate_nat_gateway_address(self: Any) -> ActionResult:
        """https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateNatGatewayAddress.html: the address is
        disassociated (not released); it drains at once here, no connections being in progress."""
        gateway = _regional(self)
        wanted = set(self._get_param("AssociationIds") or [])
        unknown = wanted - {a["associationId"] for a in gateway.address_set}
        if unknown:  # NAT_ASSOCIATION_UNKNOWN
            raise EC2ClientError("InvalidAssociationID.NotFound", f"The association ID '{sorted(unknown)[0]}' does not exist")
        gone = gateway.disassociate(wanted)
        return ActionResult({"NatGatewayId": gateway.id, "NatGatewayAddresses": [{**a, "status": "disassociating"} for a in gone]})

    NatGateways.create_nat_gateway = create_nat_gateway  # type: ignore[method-assign]
    NatGateways.associate_nat_gateway_address = associate_nat_gateway_address  # type: ignore[attr-defined]
    NatGateways.disassociate_nat_gateway_address = disassociate_nat_gateway_address  # type: ignore[attr-defined]
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway  # type: ignore[method-assign]
