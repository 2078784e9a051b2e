"""`strata-local-cloud [--host H] [--port P] [--url-file F]` (or `python -m strata_local_cloud`): the local cloud.

moto's server with Strata's extensions: CloudFormation served by the engine in `cfn/` (transforms,
every resource type the templates use, change sets, nested stacks, custom resources run as Node.js),
and the RDS MySQL catalogue. With `--port 0` (the default) it picks a free port. Once it accepts
connections it writes the URL to --url-file if given (atomically: a reader never sees half of it) and prints
one line, `STRATA_LOCAL_CLOUD_URL=http://host:port`, so callers never race for a port. Every starter (shell,
Python, Node.js) follows this one contract.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from pathlib import Path

# Set before moto is imported, unless the environment says otherwise: AWS managed policies (AWS_ConfigRole,
# AWSLambdaBasicExecutionRole, ...) exist in every account.
ENV_DEFAULTS = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def main(argv: list[str] | None = None) -> None:
    """The command: a local cloud forked by the zygote STRATA_LOCAL_CLOUD_ZYGOTE names, if there is one that serves it
    (this process then stands in for it: zygote.py), else one started here."""
    from .zygote import run_in_zygote  # the standard library only: the stand-in imports nothing else

    args = sys.argv[1:] if argv is None else argv
    code = run_in_zygote(args)
    if code is not None:
        sys.exit(code)
    serve(args)


def serve(argv: list[str]) -> None:
    """The local cloud itself, in this process, until SIGTERM or SIGINT."""
    gc.disable()  # until the start and the warm-up are done (_settled)
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(prog="strata-local-cloud", description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("-p", "--port", type=int, default=0, help="port (default 0: a free one)")
    parser.add_argument("--url-file", type=Path, help="write the URL here once listening")
    args = parser.parse_args(argv)
    level = os.environ.get("STRATA_LOCAL_CLOUD_LOG", "WARNING")
    # force: a cloud forked by the zygote has the zygote's logging set up; this cloud's level and stream replace it
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    logging.getLogger("werkzeug").setLevel(level)
    logging.getLogger("samtranslator").setLevel("ERROR")  # "unpublished metrics" on every SAM translation

    for name, value in ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import MotoRequestHandler

    from strata_local_cloud import dataplane, moto_patches, services
    from strata_local_cloud.cfn import api
    from strata_local_cloud.sam import memo_policy_template_check
    from strata_local_cloud.workdir import WorkDir

    url: list[str] = []
    work = WorkDir()  # also removes what local clouds killed earlier left behind
    plane = dataplane.DataPlane(work.sub("dataplane"))
    moto_patches.install_all(plane)
    # The engine's SAM transform makes the translator's policy-template plugin for every template it translates, as the
    # SAM CLI does: the bundled templates are checked against their schema once while they pass (sam.py).
    memo_policy_template_check()
    engine = api.install(lambda: url[0], plane, work.sub("code"))
    # Services moto lacks entirely (IAM Access Analyzer) are answered by the local cloud's own handlers, and
    # GET /_strata/dataplane tells where the data plane serves the deployed listeners and databases.
    services.install_release_on_send()
    app = services.serve(DomainDispatcherApplication(create_backend_app), plane)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)
    url.append(f"http://{args.host}:{port}")
    from .cfn import inprocess

    inprocess.serve_in_process(url[0], app)  # the engine's own requests skip the loopback round trip (inprocess.py)

    def stop(*_: object) -> None:
        engine.invoker.close()
        plane.close()
        work.close()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.url_file:
        partial = args.url_file.with_name(args.url_file.name + ".partial")
        partial.write_text(url[0] + "\n")
        partial.replace(args.url_file)
    print(f"STRATA_LOCAL_CLOUD_URL={url[0]}", flush=True)
    # While the caller packages and uploads (sam deploy spends seconds there), parse the service models, load the
    # registry schemas' modules and make the clients the first requests of a deploy need, once, instead of on those
    # requests' critical path.
    threading.Thread(target=_warm_up_and_settle, args=(url[0],), daemon=True, name="warm-up").start()
    server.serve_forever()


# The services a deploy of the baseline calls: the engine's providers, and the custom resources' functions.
WARM = ("cloudformation", "s3", "ec2", "iam", "sts", "kms", "logs", "sns", "cloudwatch", "config", "cloudtrail", "lambda", "rds",
        "elbv2", "autoscaling", "wafv2", "secretsmanager", "acm", "ssm")


def _warm_up_and_settle(url: str) -> None:
    try:
        _warm_up(url)
    finally:
        _settled()


def _warm_up(url: str) -> None:
    import moto.core.utils

    from strata_local_cloud.cfn import context
    from strata_local_cloud.cfn.context import ACCOUNT, client_for, shared_session

    if context.preloaded_loader is not None:
        # Forked from a test run's zygote: the models, schemas and modules are loaded already, and each client is made
        # by the first request that needs it. The run's forty-odd clouds mostly deploy small templates that use a few
        # services; the nineteen clients made here would cost each of them 0.05 s of CPU, on cores the run keeps busy.
        return

    botocore_session = shared_session()._session  # the providers' clients are made from this one session
    for service in WARM:
        try:
            moto.core.utils.get_service_model(service)
            botocore_session.get_service_model(service)
        except Exception:
            logging.getLogger("strata.warm-up").debug("could not load the %s model", service, exc_info=True)
    # The registry schemas (cfn-lint's schema manager, whose package imports seconds of modules): the first change
    # set reads them.
    import cfnlint.schema  # noqa: F401

    # The providers' clients in the default account and region, which most deploys use.
    for service in WARM:
        try:
            client_for(service, "us-east-1", url, ACCOUNT)
        except Exception:
            logging.getLogger("strata.warm-up").debug("could not make the %s client", service, exc_info=True)


def _settled() -> None:
    """What is alive once the cloud has started and warmed up (modules, models, schemas, clients: some 450,000 objects
    that live as long as the cloud) goes out of the cyclic collector's sight, as the zygote's does before it forks, and
    the collector, off since the start (serve), runs again: its collections then walk only what the deploys make.
    A cloud started on its own spent a quarter of its CPU in them (1.8 of 7.1 s in a deploy and delete of the
    baseline: ten full collections while it imported, up to 0.23 s each, finding next to nothing to free). No collection
    before the freeze: it would cost as much as those, for the little the start left to free."""
    gc.freeze()
    gc.enable()


if __name__ == "__main__":
    main()
