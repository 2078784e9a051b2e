import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { diagramModel, toArchitectureDot, toMermaid } from './diagram';
import { loadProject, resolveProject } from './project';
import { resolveTemplate } from './resolve';
import { loadSamConfig } from './samconfig';
import { loadTemplate } from './template';

/**
 * The architecture diagram (the account layer with its Guard hook, and prod, the fullest environment), generated
 * from the templates: the Mermaid block the docs show (a block of docs.ts) and docs/architecture.mmd,
 * docs/architecture.dot and docs/architecture.svg (Graphviz). `npm run docs` writes them; a test fails when a
 * committed copy is stale.
 */
export function generate(root: string): { mermaid: string; dot: string } {
  const config = loadSamConfig(resolve(root, 'samconfig.toml')).prod;
  if (!config) throw new Error('samconfig.toml has no prod config-env');
  const project = loadProject(resolve(root, 'template.yaml'));
  const resolved = resolveProject(project, {
    CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    ...config.parameterOverrides,
  });
  const accountFile = resolve(root, 'account', 'template.yaml');
  const account = existsSync(accountFile)
    ? resolveTemplate(
        loadTemplate(accountFile),
        { GuardRulesUri: 's3://artifacts/strata/strata.guard' },
        { where: accountFile },
      )
    : undefined;
  const model = diagramModel(resolved, account);
  return { mermaid: toMermaid(model), dot: toArchitectureDot(model) };
}

export const sourceHash = (dot: string) => createHash('sha256').update(dot).digest('hex');

/** The docs block: the diagram as Mermaid. */
export const architectureBlock = (root: string) => `\`\`\`mermaid\n${generate(root).mermaid}\`\`\``;

/** What is stale of the files under docs/: each committed file that differs from what the templates generate now. */
export function staleFiles(root: string): string[] {
  const { dot, mermaid } = generate(root);
  const read = (p: string) => (existsSync(resolve(root, p)) ? readFileSync(resolve(root, p), 'utf8') : '');
  const problems: string[] = [];
  if (read('docs/architecture.mmd') !== mermaid) problems.push('docs/architecture.mmd');
  if (read('docs/architecture.dot') !== dot) problems.push('docs/architecture.dot');
  if (!read('docs/architecture.svg').includes(`source sha256 ${sourceHash(dot)}`))
    problems.push('docs/architecture.svg');
  return problems;
}

/** Writes docs/architecture.{mmd,dot,svg}. */
export function writeFiles(root: string): void {
  const { mermaid, dot } = generate(root);
  writeFileSync(resolve(root, 'docs/architecture.mmd'), mermaid);
  writeFileSync(resolve(root, 'docs/architecture.dot'), dot);
  const svg = execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  writeFileSync(
    resolve(root, 'docs/architecture.svg'),
    svg.replace(/(<svg[^>]*>)/, `$1\n<!-- source sha256 ${sourceHash(dot)} (docs/architecture.dot) -->`),
  );
}
