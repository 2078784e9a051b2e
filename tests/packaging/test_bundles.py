"""The functions' bundles as Lambda runs them: on the runtime's Node.js with NODE_OPTIONS=--enable-source-maps (as the
templates set it), each bundle's stack traces map to its TypeScript sources, and `sam build` ships each map beside
its bundle."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from strata_local_cloud.lambda_runtime.runtimes import node_for
from strata_testing import REPO

FUNCTIONS = sorted(p.parent.name for p in (REPO / "packages").glob("*/Makefile"))

# Loads each bundle with source maps enabled and asks Node for the map it found (none without a sourceMappingURL
# line): the sources it names, and where a position in the bundle's one minified line maps to, as a stack frame's would.
SCRIPT = r"""
const { readFileSync } = require('node:fs');
const { findSourceMap } = require('node:module');
const out = {};
for (const file of process.argv.slice(1)) {
  require(file);
  const map = findSourceMap(file);
  if (!map) { out[file] = null; continue; }
  const length = readFileSync(file, 'utf8').length;
  let mapped = null;
  for (let column = Math.floor(length / 2); column < length && !mapped; column += 97) {
    mapped = map.findEntry(0, column).originalSource ?? null;
  }
  out[file] = { sources: map.payload.sources.filter((s) => s.includes('/src/')), mapped };
}
console.log(JSON.stringify(out));
"""


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_bundle_links_its_source_map_so_its_frames_map_to_the_sources(function: str) -> None:
    dist = REPO / "packages" / function / "dist"
    bundles = [str(dist / name) for name in ("index.js", "lazy.js") if (dist / name).exists()]
    assert bundles, f"packages/{function}/dist is not built (npx turbo run build)"
    done = subprocess.run([node_for("nodejs22.x"), "--enable-source-maps", "-e", SCRIPT, *bundles], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"}, cwd=dist)
    assert done.returncode == 0, done.stderr
    for bundle, found in json.loads(done.stdout.strip().splitlines()[-1]).items():
        assert found is not None, f"{bundle}: Node found no source map (no sourceMappingURL line?)"
        assert any(source.endswith(f"packages/{function}/src/{'lazy' if bundle.endswith('lazy.js') else 'index'}.ts")
                   for source in found["sources"]), found["sources"]
        assert found["mapped"] and not found["mapped"].endswith(("/index.js", "/lazy.js")), found  # an original source, not the bundle


@pytest.mark.parametrize("function", FUNCTIONS)
def test_sam_build_copies_each_bundle_with_its_map(function: str) -> None:
    recipe = (REPO / "packages" / function / "Makefile").read_text()
    copied = re.findall(r"dist/(\S+)", recipe.split("\tcp ", 1)[1].splitlines()[0])
    bundles = [name for name in copied if name.endswith(".js")]
    assert bundles and all(f"{name}.map" in copied for name in bundles), copied
