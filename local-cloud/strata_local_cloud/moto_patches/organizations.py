"""Organizations: changes to an account's place in the organization reported to whoever listens (StackSets'
automatic deployment, cfn/stacksets.py). moto 5.2.5 has no such notification; AWS's StackSets reacts to an account
created in, moved into, moved out of or removed from a target OU
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html)."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane

LOG = logging.getLogger("strata.organizations")
# (management account, account) -> None, called after the account's place changed
LISTENERS: list[Callable[[str, str], None]] = []


def management_account(account: str) -> str | None:
    """The management account of the organization `account` belongs to (itself, when it manages one), or None: moto
    keeps an organization in its management account's backend and maps each member to it."""
    from moto.organizations.models import organizations_backends

    if organizations_backends[account]["aws"].org is not None:
        return account
    found = organizations_backends.master_accounts.get(account)
    return found[0] if found else None


def organization_id(account: str) -> str | None:
    """The ID of the organization `account` belongs to (aws:PrincipalOrgID), or None."""
    from moto.organizations.models import organizations_backends

    master = management_account(account)
    org = organizations_backends[master]["aws"].org if master else None
    return str(org.id) if org is not None else None


def _notify(master: str, account: str) -> None:
    for listener in LISTENERS:
        try:
            listener(master, account)
        except Exception:  # noqa: BLE001 - a listener's failure must not fail the Organizations call that succeeded
            LOG.error("an Organizations listener failed:\n%s", traceback.format_exc())


def install(plane: DataPlane) -> None:
    from moto.organizations.models import OrganizationsBackend

    def after(original: Callable[..., Any], account_of: Callable[[Any, dict[str, Any]], str | None]) -> Callable[..., Any]:
        @functools.wraps(original)
        def patched(self: Any, **kwargs: Any) -> Any:
            result = original(self, **kwargs)
            account = account_of(result, kwargs)
            if account:
                _notify(self.account_id, account)
            return result
        return patched

    OrganizationsBackend.move_account = after(OrganizationsBackend.move_account, lambda _r, k: k["AccountId"])  # type: ignore[method-assign]
    OrganizationsBackend.remove_account_from_organization = after(  # type: ignore[method-assign]
        OrganizationsBackend.remove_account_from_organization, lambda _r, k: k["AccountId"])
    OrganizationsBackend.close_account = after(OrganizationsBackend.close_account, lambda _r, k: k["AccountId"])  # type: ignore[method-assign]
    OrganizationsBackend.create_account = after(  # type: ignore[method-assign]
        OrganizationsBackend.create_account, lambda r, _k: (r or {}).get("CreateAccountStatus", {}).get("AccountId"))
