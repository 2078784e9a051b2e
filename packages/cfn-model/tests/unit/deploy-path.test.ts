import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyse, budgetOf, main } from '../../src/deploy-path';

const REPO = join(__dirname, '..', '..', '..', '..');

/** What `npm run bench:deploy -- --config-env <env>` prints for this repository. */
function printed(env: string): string {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    expect(main(['--config-env', env, REPO])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return `${lines.join('\n')}\n`;
}

describe('Unit: the deploy critical path of this repository (deploy-path.ts)', () => {
  it.each(['dev', 'staging', 'prod'])(
    'bench/results/deploy-%s.txt is what the analyser prints from the templates today',
    (env) => {
      const recorded = readFileSync(join(REPO, 'bench', 'results', `deploy-${env}.txt`), 'utf8');
      // Regenerate with: npm run bench:deploy -- --config-env <env> > bench/results/deploy-<env>.txt
      expect(printed(env)).toBe(recorded);
    },
  );

  it('holds the Multi-AZ environments to 5 % and dev (and any other config-env) to 15 %', () => {
    expect([budgetOf('prod'), budgetOf('staging'), budgetOf('dev'), budgetOf('local')]).toEqual([
      1.05, 1.05, 1.15, 1.15,
    ]);
  });

  it('accounts for the whole gap: starts on the path plus waits for the rest of a layer', () => {
    for (const env of ['dev', 'prod']) {
      const { layered, ideal, breakdown } = analyse(REPO, env);
      expect(breakdown.startSeconds + breakdown.waitSeconds).toBe(layered.total - ideal.total);
      expect(breakdown.stackStarts[0]).toBe('SecurityStack');
      expect(breakdown.waitSeconds).toBeGreaterThanOrEqual(0);
    }
  });
});
