import { join } from 'node:path';
import { staleFiles } from '../../src/architecture';
import { diagramModel, toMermaid } from '../../src/diagram';
import { loadProject, resolveProject } from '../../src/project';
import { resolveTemplate } from '../../src/resolve';
import { parseTemplate } from '../../src/template';

const REPO = join(__dirname, '..', '..', '..', '..');

describe('Unit: architecture diagram', () => {
  it('is committed as the templates generate it (docs/architecture.mmd, .dot, .svg; the docs block: docs.test.ts)', () => {
    expect(staleFiles(REPO)).toEqual([]);
  });

  it('groups resources by layer with traffic and layer-dependency arrows', () => {
    const model = diagramModel(
      resolveProject(loadProject(join(__dirname, '..', 'fixtures', 'cost', 'root.yaml')), { EnvironmentType: 'prod' }),
    );
    expect(model.layers.map((l) => l.name)).toEqual(['net', 'data']);
    expect(model.layers[0]?.nodes.map((n) => n.label)).toEqual(['NAT gateway x2', 'ALB']);
    expect(model.traffic).toContainEqual(['internet', 'net_Alb', 'HTTPS 443 / HTTP 80 (redirect)']);
    const mermaid = toMermaid(model);
    expect(mermaid).toMatch(/^flowchart LR\n/);
    expect(mermaid).toContain('  subgraph data[data layer]\n    data_Key["KMS key"]\n    data_Db["RDS MySQL"]\n  end');
  });

  it('draws the account layer first, pointing at the environment it underlies', () => {
    const account = resolveTemplate(
      parseTemplate(
        'Resources:\n  Hub: { Type: AWS::SecurityHub::Hub }\n  Hook: { Type: AWS::CloudFormation::GuardHook, Properties: {} }\n',
      ),
      {},
    );
    const model = diagramModel(
      resolveProject(loadProject(join(__dirname, '..', 'fixtures', 'cost', 'root.yaml')), { EnvironmentType: 'prod' }),
      account,
    );
    expect(model.layers.map((l) => l.name)).toEqual(['account', 'net', 'data']);
    expect(model.layers[0]?.nodes.map((n) => n.label)).toEqual(['Security Hub', 'Guard hook (policy rules)']);
    expect(model.dependencies).toContainEqual(['account', 'net']);
  });
});
