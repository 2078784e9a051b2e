"""AWS Config: a rule's tag scope read back as AWS returns it.

moto 5.2.5 keeps a tag scope as `{key: value}` and answers DescribeConfigRules with `Scope: {"Tags": {...}}`;
AWS answers with `Scope: {"TagKey": ..., "TagValue": ...}`, the shape PutConfigRule takes
(https://docs.aws.amazon.com/config/latest/APIReference/API_Scope.html), so a rule scoped to one environment's
resources could not be checked through the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def install(plane: DataPlane) -> None:
    from moto.config.models import Scope

    original = Scope.to_dict

    def to_dict(self: Any) -> dict[str, Any]:
        data = original(self)
        tags = data.pop("Tags", None)
        if tags:
            [(key, value)] = tags.items()
            data["TagKey"] = key
            if value is not None:
                data["TagValue"] = value
        return data

    Scope.to_dict = to_dict  # type: ignore[method-assign]
