import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { costBlock, normalizedBlock, readmeBlock } from '@strata/cfn-model';
import { REPO } from './helpers';

// The README's deploy critical-path table must say what `npm run bench:deploy` last measured
// (bench/results/deploy-<env>.txt); a hand-edited or stale row fails here.
describe('README: deploy critical path table', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

  it.each(['dev', 'staging', 'prod'])('%s: the row matches bench/results/deploy-%s.txt', (env) => {
    const results = readFileSync(join(REPO, 'bench', 'results', `deploy-${env}.txt`), 'utf8');
    const m = /estimated create (\S+), lower bound (\S+), ratio (\S+)/.exec(results);
    expect(m).not.toBeNull();
    const [, create, bound, ratio] = m ?? [];
    const row = new RegExp(`^\\| ${env}\\s+\\| ${create}\\s+\\| ${bound}\\s+\\| ${ratio}\\s+\\|$`, 'm');

    expect(readme).toMatch(row);
  });
});

// The README's cost block must be what `npm run cost -- --readme README.md` writes from data/prices.json and the
// templates today (environments and the account layer); a hand edit or a template change without it fails here.
describe('README: cost block', () => {
  it('matches npm run cost', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const block = readmeBlock(readme);

    expect(block).toBeDefined();
    expect(normalizedBlock(block ?? '')).toBe(normalizedBlock(costBlock(REPO)));
  });
});
