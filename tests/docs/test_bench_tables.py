"""The README's custom-resource bundle table says what bench/results/custom-resources.json says (it is written by
`npm run bench:custom-resources`, never by hand)."""

from __future__ import annotations

import subprocess

from strata_testing import REPO


def test_the_custom_resource_table_matches_the_results() -> None:
    out = subprocess.run(["node", "bench/custom-resources-table.mjs", "--check"], cwd=REPO, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_function_package_is_benchmarked() -> None:
    import json

    measured = {row["function"] for row in json.loads((REPO / "bench" / "results" / "custom-resources.json").read_text())["rows"]}
    functions = {p.name for p in (REPO / "packages").iterdir() if (p / "Makefile").exists()}
    assert measured == functions
