"""The documentation checked against the repository: every generated block says what its source says (one engine,
packages/cfn-model/src/docs.ts, whose unit tests show a hand-edited number failing); every relative link and
anchor resolves; every document the code refers to exists; the README stays the front door."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from strata_testing import REPO

DOCS = REPO / "packages" / "cfn-model" / "dist" / "docs.js"
MARKDOWN = [REPO / f for f in subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", "*.md"], cwd=REPO,
                                             capture_output=True, text=True, check=True).stdout.split() if (REPO / f).exists()]


def test_every_generated_block_is_current() -> None:
    if not DOCS.exists():  # npm test builds before pytest; alone, build the one package the check needs
        subprocess.run(["npx", "turbo", "run", "build", "--filter=@strata/cfn-model", "--output-logs=errors-only"], cwd=REPO, check=True)
    out = subprocess.run(["node", str(DOCS), "--check", str(REPO)], cwd=REPO, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr + out.stdout


def test_every_function_package_is_benchmarked() -> None:
    measured = {row["function"] for row in json.loads((REPO / "bench" / "results" / "custom-resources.json").read_text())["rows"]}
    functions = {p.name for p in (REPO / "packages").iterdir() if (p / "Makefile").exists()}
    assert measured == functions


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("doc", MARKDOWN, ids=[str(p.relative_to(REPO)) for p in MARKDOWN])
def test_every_relative_link_and_anchor_resolves(doc: Path) -> None:
    text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", doc.read_text(), flags=re.S))  # code is not a link
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_every_document_the_code_names_exists() -> None:
    """A comment or message that points at a document (`see architecture.md`) must point at one in the repository."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", "*.py", "*.ts", "*.mjs", "*.cjs", "*.sh", "*.yaml", "*.json"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    known = {p.relative_to(REPO).as_posix() for p in MARKDOWN}
    names = {Path(k).name for k in known}
    missing = []
    for f in files:
        # docs.test.ts writes throw-away Markdown files of its own into a temporary directory
        if not (REPO / f).exists() or "/node_modules/" in f or f.endswith("tests/unit/docs.test.ts"):
            continue
        for ref in set(re.findall(r"[\w./-]*[\w-]+\.md\b", (REPO / f).read_text(errors="ignore"))):
            if ref.removeprefix("./") not in known and ref.lstrip("./") not in known and Path(ref).name not in names:
                missing.append(f"{f}: {ref}")
    assert missing == []


def test_the_readme_is_the_front_door() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    [commands] = re.findall(r"```bash\n(.*?)```", quick, re.S)
    assert [line.split("#")[0].strip() for line in commands.strip().splitlines()] == ["npm start", "npm test"]
    for section in ("## Layers", "## Environments", "## Deploying to real AWS accounts", "## Where to change what"):
        assert section in readme


def test_where_to_change_what_names_files_that_exist() -> None:
    table = (REPO / "README.md").read_text().split("## Where to change what", 1)[1].split("\n## ", 1)[0]
    paths = [p for p in re.findall(r"`([\w./<>-]+)`", table) if "/" in p or p.endswith((".yaml", ".json", ".py", ".ts", ".sh"))]
    assert paths
    missing = [p for p in paths if "<" not in p and not (REPO / p).exists()
               and not (REPO / "local-cloud" / "strata_local_cloud" / p).exists()]
    assert missing == []
