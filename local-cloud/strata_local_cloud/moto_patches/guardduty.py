"""GuardDuty: one detector per account and region, which moto 5.2.5 does not enforce."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules import rule
from .core import guard, json_error

if TYPE_CHECKING:
    from ..dataplane import DataPlane

ONE_DETECTOR = rule(
    "guardduty-one-detector", "service", ("AWS::GuardDuty::Detector",),
    "a second GuardDuty detector in a region (one per account and region)",
    "https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html "
    "(\"There can only be one detector per account per Region\"; BadRequestException)")


def install(plane: DataPlane) -> None:
    from moto.guardduty.models import GuardDutyBackend

    def _one_detector(backend: Any, args: dict[str, Any]) -> None:
        if backend.detectors:
            raise json_error("BadRequestException", "The request is rejected because a detector already exists for the current account.")

    guard(GuardDutyBackend, "create_detector", _one_detector)
