// Sums every suite's results (jest JSON reports, pytest JUnit XML, and named checks such as the typecheck)
// into the one line CI reads: `N passed, N failed`. Usage: node tools/test-totals.mjs [name=ok|fail ...]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];

for (const group of ['packages', 'tests']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, 'reports', 'jest.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    // A suite that failed to run (syntax error, missing module) has no test results but counts as a failure.
    const broken = r.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length;
    passed += r.numPassedTests;
    failed += r.numFailedTests + broken;
    skipped += r.numPendingTests + r.numTodoTests;
    rows.push(`${group}/${name}: ${r.numPassedTests} passed, ${r.numFailedTests + broken} failed (jest)`);
  }
}

const pytestXml = join(root, '.strata', 'reports', 'pytest.xml');
if (existsSync(pytestXml)) {
  const xml = readFileSync(pytestXml, 'utf8');
  const suite = /<testsuite [^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (n) => Number(new RegExp(`${n}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const [tests, failures, errors, skips] = ['tests', 'failures', 'errors', 'skipped'].map(attr);
  passed += tests - failures - errors - skips;
  failed += failures + errors;
  skipped += skips;
  rows.push(`python: ${tests - failures - errors - skips} passed, ${failures + errors} failed (pytest)`);
}

for (const arg of process.argv.slice(2)) {
  const [name, status] = arg.split('=');
  if (status === 'ok') passed += 1;
  else failed += 1;
  rows.push(`${name}: ${status === 'ok' ? 'passed' : 'FAILED'}`);
}

for (const row of rows) console.log(`  ${row}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
