"""CloudTrail: a trail's event selectors are basic or advanced, never both, which moto 5.2.5 does not enforce (it
keeps the basic ones and drops the advanced ones silently, and keeps advanced ones after basic ones replace them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules import rule
from .core import guard, json_error

if TYPE_CHECKING:
    from ..dataplane import DataPlane

ONE_KIND_OF_SELECTORS = rule(
    "cloudtrail-selectors-one-kind", "service", ("AWS::CloudTrail::Trail",),
    "a trail given both EventSelectors and AdvancedEventSelectors",
    "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html "
    "(\"You can use either AdvancedEventSelectors or EventSelectors, but not both\"; the code is the API's "
    "InvalidParameterCombinationException, the message the local cloud's)")


def install(plane: DataPlane) -> None:
    from moto.cloudtrail.models import CloudTrailBackend, Trail

    def _one_kind(backend: Any, args: dict[str, Any]) -> None:
        if args.get("event_selectors") and args.get("advanced_event_selectors"):
            raise json_error("InvalidParameterCombinationException",
                             "You can use either AdvancedEventSelectors or EventSelectors, but not both.")

    guard(CloudTrailBackend, "put_event_selectors", _one_kind)

    # Either kind replaces the other ("If you apply AdvancedEventSelectors to a trail, any existing EventSelectors are
    # overwritten", API_PutEventSelectors), so what GetEventSelectors returns is what was put last.
    def put_event_selectors(self: Any, event_selectors: list[dict[str, Any]], advanced_event_selectors: list[dict[str, Any]]) -> None:
        self.event_selectors = list(event_selectors or [])
        self.advanced_event_selectors = list(advanced_event_selectors or [])

    Trail.put_event_selectors = put_event_selectors  # type: ignore[method-assign]
