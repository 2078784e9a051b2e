"""moto's core: each service model is loaded once, however many requests arrive at the same time.

moto 5.2.5 caches `get_service_model` with functools.cache, which does not stop concurrent first calls: when a
stack operation creates resources in parallel, every request that arrives before the first load finishes
parses the same botocore JSON model again (measured: half the local cloud's busy time in a parallel deploy of
the baseline went to re-parsing models). A lock makes the first load the only one. Not an AWS behaviour; the
answers are unchanged.

moto's server also finds each request's backend from its host name under one process-wide lock, and on every
request lists moto's package directory (an `isdir` per service) and tries its URL patterns in turn. The answer
depends on the host name alone, so it is kept per host: the same backend, without serialising every request
behind a directory listing (measured with py-spy: a tenth of the local cloud's samples in a deploy were there).

moto's IAM backend parses its copy of the AWS managed policies (a 4 MB JSON string) and serialises each policy's
document again for every account it creates (py-spy: 0.7 s of CPU per account, a tenth of a deploy's). The parse and
the documents are the same for every account, so they are made once per process (the zygote makes them before it
forks: zygote.py); each account still gets its own policy objects, as before.

moto finds the account of each request's access key by looking in every account's IAM backend of every partition
(aws, aws-cn, aws-us-gov and the ISO partitions), and looking makes each backend that does not exist yet, with its
1,582 AWS managed policies: seven IAM backends for every account a request arrives from (py-spy: a ninth of a test
run's local-cloud CPU). A key can only be in a backend that exists, so only those are searched: the same account is
found, and no backend is made by looking.

moto's BaseResponse.call_action lists the response class's methods (inspect.getmembers) on every request to find the
action's: 3% of a test run's local-cloud CPU. A class's methods are fixed once the patches are installed, before the
first request, so the list is made once per class.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..dataplane import DataPlane


def _once(load: Callable[[str], Any]) -> Callable[[str], Any]:
    lock = threading.Lock()
    done: dict[str, Any] = {}

    @functools.wraps(load)
    def get(service_name: str) -> Any:
        if service_name in done:
            return done[service_name]
        with lock:
            if service_name not in done:
                done[service_name] = load(service_name)
            return done[service_name]

    return get


def _per_host(find: Callable[[Any, str | None], Any]) -> Callable[[Any, str | None], Any]:
    found: dict[str | None, Any] = {}

    @functools.wraps(find)
    def get(self: Any, host: str | None) -> Any:
        # Read and written under moto's dispatcher lock (get_application holds it around every call).
        if host not in found:
            found[host] = find(self, host)
        return found[host]

    return get


@functools.cache
def aws_managed_policies() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(name, AWSManagedPolicy arguments) for each AWS managed policy moto carries, as its from_data makes them."""
    import json
    from datetime import datetime

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return tuple((name, {"default_version_id": d.get("DefaultVersionId"), "path": d.get("Path"), "document": json.dumps(d.get("Document")),
                         "create_date": datetime.fromisoformat(d["CreateDate"]), "update_date": datetime.fromisoformat(d["UpdateDate"])})
                 for name, d in json.loads(aws_managed_policies_data).items())


def _init_aws_policies(self: Any) -> list[Any]:
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies():
        return []
    # Any: moto's own from_data makes these the same way; its CloudFormation hooks left abstract are never called for them
    make: Any = AWSManagedPolicy
    return [make(name, account_id=self.account_id, region=self.region_name, **arguments) for name, arguments in aws_managed_policies()]


def _account_of(access_key: str) -> str:
    """moto's `get_account_id_from`, searching only the IAM backends that exist (moto's makes one per partition)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    for account_id, account in list(iam_backends.items()):  # a copy: another thread may add an account meanwhile
        # dict.values: AccountSpecificBackend's __getitem__ would make a missing partition's backend
        for backend in list(dict.values(account)):
            if access_key in backend.access_keys:
                return account_id
    return DEFAULT_ACCOUNT_ID


def install(plane: DataPlane) -> None:
    import moto.core.responses
    import moto.core.routing
    import moto.core.utils
    import moto.iam.models
    from moto.core.base_backend import AccountSpecificBackend
    from moto.iam.models import IAMBackend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from ..cfn.context import adopt_preloaded

    # moto lists each service's regions (for every account's backend) through a boto3 session of its own, which parses
    # the endpoint data and the service's whole model to find them: from a zygote, those are parsed already.
    adopt_preloaded(AccountSpecificBackend.get_session())
    IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
    # BaseResponse.get_current_account imports it from moto.iam.models on each call, so replacing it there is enough.
    moto.iam.models.get_account_id_from = _account_of

    moto.core.responses.method_names_from_class = functools.cache(moto.core.utils.method_names_from_class)
    DomainDispatcherApplication.get_backend_for_host = _per_host(DomainDispatcherApplication.get_backend_for_host)  # type: ignore[method-assign,assignment]

    service_model = _once(moto.core.utils.get_service_model)
    pagination_model = _once(moto.core.utils.get_pagination_model)
    # Each module holds its own reference (from moto.core.utils import get_service_model): replace them all.
    for module in (moto.core.utils, moto.core.responses, moto.core.routing):
        if hasattr(module, "get_service_model"):
            module.get_service_model = service_model  # type: ignore[attr-defined]
        if hasattr(module, "get_pagination_model"):
            module.get_pagination_model = pagination_model  # type: ignore[attr-defined]


def guard(owner: type, name: str, check: Callable[..., None]) -> None:
    """Runs `check(backend, arguments)` before moto's `owner.name` (arguments by parameter name, defaults
    applied); the check raises the service's own error to refuse the call, as the service does before it acts."""
    original = getattr(owner, name)
    signature = inspect.signature(original)

    @functools.wraps(original)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        check(self, bound.arguments)
        return original(self, *args, **kwargs)

    setattr(owner, name, guarded)


def json_error(code: str, message: str, status: int = 400) -> Any:
    """A JSON-protocol service error (code, message, HTTP status) as moto's server answers it."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = status
    return error
