"""Changing one nested template changes only that layer's packaged template: every other layer's
packaged template, and so its TemplateURL, stays byte-identical (sam build + sam package against moto's S3)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from strata_testing import REPO, sam_cli, zygote_env

pytestmark = pytest.mark.integration


def package(workdir: Path, env: dict[str, str], bucket: str) -> dict[str, str]:
    """sam build + sam package of a copy of the project; returns nested stack logical id -> TemplateURL."""
    build = workdir / ".aws-sam" / "build"
    env = {**env, **zygote_env()}
    subprocess.run(sam_cli("build", "--template-file", "template.yaml", "--build-dir", str(build)),
                   cwd=workdir, env=env, check=True, capture_output=True)
    out = workdir / "packaged.yaml"
    subprocess.run(sam_cli("package", "--template-file", str(build / "template.yaml"), "--s3-bucket", bucket,
                           "--s3-prefix", "strata", "--output-template-file", str(out)),
                   cwd=workdir, env=env, check=True, capture_output=True)
    urls = dict(re.findall(r"^  (\w+Stack):\n(?:    .*\n)*?      TemplateURL: (\S+)$", out.read_text(), re.M))
    assert len(urls) >= 6, out.read_text()[:2000]
    return urls


def copy_project(dest: Path) -> Path:
    dest.mkdir()
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "nested", dest / "nested")
    if (REPO / "packages").is_dir():
        shutil.copytree(REPO / "packages", dest / "packages", ignore=shutil.ignore_patterns("node_modules", "reports"), symlinks=True)
    return dest


def test_changing_one_layer_changes_only_its_packaged_template(tmp_path: Path, aws_env: dict[str, str]) -> None:
    # Arrange
    s3 = boto3.client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="strata-packaging-test")
    before_dir = copy_project(tmp_path / "before")
    after_dir = copy_project(tmp_path / "after")
    database = after_dir / "nested" / "database.yaml"
    database.write_text(database.read_text().replace("long_query_time: '2'", "long_query_time: '1'"))

    # Act
    before = package(before_dir, aws_env, "strata-packaging-test")
    after = package(after_dir, aws_env, "strata-packaging-test")

    # Assert
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == ["DatabaseStack"]
    for stack in before:
        if stack == "DatabaseStack":
            continue
        key = before[stack].split("/strata-packaging-test/", 1)[1]
        body_before = s3.get_object(Bucket="strata-packaging-test", Key=key)["Body"].read()
        key_after = after[stack].split("/strata-packaging-test/", 1)[1]
        assert s3.get_object(Bucket="strata-packaging-test", Key=key_after)["Body"].read() == body_before
