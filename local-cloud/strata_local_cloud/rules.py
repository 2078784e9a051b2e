"""The registry of the rules the local cloud emulates: each declared next to the code that enforces it.

A rule names its class (the classes of "Local cloud refuses what AWS refuses"), the resource types it
concerns, what it refuses, and its AWS source. The fidelity corpus (tests/corpus/) has at least one refused
case and its accepted twin per rule, a test holds the two together, and the README's table of types is
generated from this registry (`python -m strata_local_cloud.fidelity --readme`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Class = Literal["schema", "service", "permissions", "protection", "updates", "loud"]

CLASSES: dict[Class, str] = {
    "schema": "Template and property validation (registry schemas)",
    "service": "Service rules the schemas do not carry (names, CIDRs, cross-property, uniqueness)",
    "permissions": "Permissions AWS checks on your behalf (IAM, key, bucket and trust policies)",
    "protection": "Protection, deletion and retention",
    "updates": "Update rules",
    "loud": "No silent success",
}

ALL_TYPES = "*"  # a rule that applies to every type with a registry schema


@dataclass(frozen=True)
class Rule:
    id: str
    cls: Class
    types: tuple[str, ...]
    refuses: str
    source: str


RULES: dict[str, Rule] = {}


def rule(id: str, cls: Class, types: tuple[str, ...] | str, refuses: str, source: str) -> Rule:
    """Declares a rule (once; modules are imported once) and returns it for the code that enforces it."""
    found = Rule(id, cls, (types,) if isinstance(types, str) else tuple(types), refuses, source)
    existing = RULES.get(id)
    if existing is not None and existing != found:
        raise ValueError(f"rule {id} is declared twice, differently")
    RULES[id] = found
    return found


def load() -> dict[str, Rule]:
    """Every rule: importing the modules that declare them registers them."""
    from . import moto_patches, services  # noqa: F401 - each service's patch module, and each service of ours, declares its rules
    from .cfn import api, engine  # noqa: F401 - the API, the engine and what they import declare theirs
    from .cfn.providers import supported_types

    supported_types()  # importing the providers declares theirs
    return dict(sorted(RULES.items()))
