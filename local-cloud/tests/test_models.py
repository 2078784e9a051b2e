"""models.share_models: the botocore sessions of a process read the service models through one loader, parsed once,
and find exactly what a session of their own would."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import boto3, botocore.session
from strata_local_cloud.models import share_models
{share}
one, two = boto3.session.Session(region_name="us-east-1"), boto3.session.Session(region_name="eu-west-1")
l1, l2 = one._session.get_component("data_loader"), two._session.get_component("data_loader")
model = l1.load_service_model("sqs", "service-2")
other = botocore.session.Session()
other.set_config_variable("data_path", "/nonexistent")
print(l1 is l2, model is l2.load_service_model("sqs", "service-2"), other.get_component("data_loader") is l1,
      len(l1.search_paths) == len(set(l1.search_paths)), one.client("sqs").meta.service_model.service_name,
      two.client("ec2").meta.region_name)
"""


def probe(share: bool) -> list[str]:
    code = PROBE.format(share="share_models()" if share else "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout.split()


def test_sessions_share_one_loader_and_its_parsed_models_once_installed() -> None:
    # shared: one loader, each model parsed once; a session with another data_path keeps a loader of its own;
    # boto3's data directory is on the search path once however many sessions add it; the clients are as before
    assert probe(share=True) == ["True", "True", "False", "True", "sqs", "eu-west-1"]


def test_without_it_each_session_has_its_own_loader() -> None:
    assert probe(share=False) == ["False", "False", "False", "True", "sqs", "eu-west-1"]


def test_a_seed_loader_is_the_one_every_default_session_reads_through() -> None:
    """The SAM CLI forked from a zygote reads through the zygote's loader: what it parsed before the fork is not parsed
    again, and boto3's data directory stays on its search path once."""
    code = """
from pathlib import Path
import boto3, botocore.loaders, botocore.session
from strata_local_cloud.models import share_models
seed = botocore.loaders.create_loader()
seed.search_paths.append(str(Path(boto3.__file__).parent / "data"))
parsed = seed.load_service_model("cloudformation", "service-2")
share_models(seed=seed)
one, two = boto3.session.Session(region_name="us-east-1"), boto3.session.Session(region_name="eu-west-1")
loader = one._session.get_component("data_loader")
print(loader is seed, two._session.get_component("data_loader") is seed, loader.load_service_model("cloudformation", "service-2") is parsed,
      len(seed.search_paths) == len(set(seed.search_paths)), one.client("cloudformation").meta.service_model.service_name)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert done == ["True", "True", "True", "True", "cloudformation"]
