"""Elastic Load Balancing v2: deletion protection enforced, and every listener backed by a local server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules import rule

DELETION_PROTECTION = rule(
    "elbv2-deletion-protection", "protection", ("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    "deleting a load balancer with deletion_protection.enabled (the stack delete ends DELETE_FAILED)",
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection")

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _delete_load_balancer(original: Any) -> Any:
    """Elastic Load Balancing refuses to delete a load balancer with deletion protection on; moto deletes it.
    "Load balancer '<arn>' cannot be deleted because deletion protection is enabled" (OperationNotPermitted;
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection)."""
    from moto.elbv2.exceptions import ELBClientError

    def delete(self: Any, arn: str) -> None:
        lb = self.load_balancers.get(arn)
        if lb is not None and str(lb.attrs.get("deletion_protection.enabled", "false")).lower() == "true":
            raise ELBClientError("OperationNotPermitted",
                                 f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")
        original(self, arn)

    return delete


def install(plane: DataPlane) -> None:
    """Listeners answer on the data plane; deletion protection is checked before anything is torn down."""
    from moto.elbv2.models import ELBv2Backend

    create_listener, delete_listener, delete_lb = ELBv2Backend.create_listener, ELBv2Backend.delete_listener, ELBv2Backend.delete_load_balancer

    def create(self: Any, load_balancer_arn: str, protocol: str, port: str, ssl_policy: str, certificate: str | None,
               actions: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        listener = create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, *args, **kwargs)
        balancer = self.load_balancers[load_balancer_arn]
        pair = None
        if certificate:
            from moto.acm.models import acm_backends

            bundle = acm_backends[self.account_id][self.region_name].get_certificate(certificate)
            pair = (bundle.cert, bundle.key)
        plane.start_listener(listener.arn, balancer.dns_name, int(port), str(protocol).upper(), pair, [a.data for a in listener.default_actions])
        return listener

    def delete(self: Any, listener_arn: str) -> Any:
        result = delete_listener(self, listener_arn)
        plane.stop_listener(listener_arn)
        return result

    def delete_balancer(self: Any, arn: str) -> Any:
        balancer = self.load_balancers.get(arn)
        arns = [item.arn for item in balancer.listeners.values()] if balancer else []
        result = delete_lb(self, arn)
        for listener_arn in arns:
            plane.stop_listener(listener_arn)
        return result

    ELBv2Backend.create_listener = create  # type: ignore[method-assign]
    ELBv2Backend.delete_listener = delete  # type: ignore[method-assign]
    ELBv2Backend.delete_load_balancer = delete_balancer  # type: ignore[method-assign]
    ELBv2Backend.delete_load_balancer = _delete_load_balancer(ELBv2Backend.delete_load_balancer)  # type: ignore[method-assign]
