import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildGraph,
  type CreateTimes,
  createSeconds,
  loadProject,
  longestPath,
  pathBreakdown,
  resolveProject,
  toDot,
  updateImpact,
} from '../../src';

const times: CreateTimes = {
  default: { seconds: 5 },
  nestedStackOverhead: { seconds: 20 },
  types: {
    'AWS::RDS::DBInstance': { seconds: 600, multiAzSeconds: 1500 },
    'AWS::EC2::NatGateway': { seconds: 150 },
    'AWS::EC2::VPC': { seconds: 15 },
    'AWS::EC2::Subnet': { seconds: 10 },
    'AWS::Lambda::Function@vpc': { seconds: 90 },
    'AWS::Serverless::Function': { seconds: 10 },
  },
};

/** Root with a network layer (VPC, subnet, a NAT only in prod) and a database layer that uses only the subnet. */
function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'path-'));
  mkdirSync(join(dir, 'nested'));
  writeFileSync(
    join(dir, 'template.yaml'),
    `
Parameters:
  Env: { Type: String }
Resources:
  NetworkStack:
    Type: AWS::CloudFormation::Stack
    Properties: { TemplateURL: nested/network.yaml, Parameters: { Env: !Ref Env } }
  DatabaseStack:
    Type: AWS::CloudFormation::Stack
    Properties: { TemplateURL: nested/database.yaml, Parameters: { Env: !Ref Env, SubnetId: !GetAtt NetworkStack.Outputs.SubnetId } }
`,
  );
  writeFileSync(
    join(dir, 'nested', 'network.yaml'),
    `
Parameters:
  Env: { Type: String }
Conditions:
  IsProduction: !Equals [!Ref Env, prod]
Resources:
  Vpc: { Type: AWS::EC2::VPC, Properties: { CidrBlock: 10.0.0.0/16 } }
  Subnet: { Type: AWS::EC2::Subnet, Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24 } }
  Nat: { Type: AWS::EC2::NatGateway, Condition: IsProduction, Properties: { SubnetId: !Ref Subnet } }
Outputs:
  SubnetId: { Value: !Ref Subnet }
`,
  );
  writeFileSync(
    join(dir, 'nested', 'database.yaml'),
    `
Parameters:
  Env: { Type: String }
  SubnetId: { Type: String }
Conditions:
  IsProduction: !Equals [!Ref Env, prod]
Resources:
  Group: { Type: AWS::RDS::DBSubnetGroup, Properties: { SubnetIds: [!Ref SubnetId] } }
  Db: { Type: AWS::RDS::DBInstance, Properties: { DBSubnetGroupName: !Ref Group, MultiAZ: !If [IsProduction, 'true', 'false'] } }
`,
  );
  return join(dir, 'template.yaml');
}

function analyse(env: string) {
  const project = loadProject(fixture());
  const resolved = resolveProject(project, { Env: env });
  return {
    resolved,
    layered: longestPath(buildGraph(project, resolved, times, 'layered')),
    ideal: longestPath(buildGraph(project, resolved, times, 'ideal')),
  };
}

describe('Function: createSeconds', () => {
  it('uses the Multi-AZ figure for a Multi-AZ instance and the VPC figure for a VPC function', () => {
    expect(createSeconds({ Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: 'true' } }, times)).toBe(1500);
    expect(createSeconds({ Type: 'AWS::RDS::DBInstance', Properties: { MultiAZ: 'false' } }, times)).toBe(600);
    expect(createSeconds({ Type: 'AWS::Serverless::Function', Properties: { VpcConfig: {} } }, times)).toBe(90);
    expect(createSeconds({ Type: 'AWS::SNS::Topic' }, times)).toBe(5);
  });
});

describe('Function: longestPath over nested stacks', () => {
  it('in prod, the database waits for the whole network layer, NAT included', () => {
    const { layered } = analyse('prod');

    // 20 start + 15 VPC + 10 subnet + 150 NAT, then 20 start + 5 group + 1500 Multi-AZ DB
    expect(layered.total).toBe(1720);
    expect(layered.steps.map((s) => s.id)).toEqual([
      'NetworkStack::start',
      'NetworkStack/Vpc',
      'NetworkStack/Subnet',
      'NetworkStack/Nat',
      'DatabaseStack::start',
      'DatabaseStack/Group',
      'DatabaseStack/Db',
    ]);
  });

  it('the lower bound follows the nested output to the one resource it comes from', () => {
    const { ideal } = analyse('prod');

    // 15 VPC + 10 subnet, then 5 group + 1500 DB: the NAT is not on the way
    expect(ideal.total).toBe(1530);
    expect(ideal.steps.map((s) => s.id)).toEqual([
      'NetworkStack/Vpc',
      'NetworkStack/Subnet',
      'DatabaseStack/Group',
      'DatabaseStack/Db',
    ]);
  });

  it('drops what a condition removes: dev has no NAT and a single-AZ database', () => {
    const { layered } = analyse('dev');

    expect(layered.total).toBe(20 + 15 + 10 + 20 + 5 + 600);
    expect(layered.steps.some((s) => s.id.endsWith('/Nat'))).toBe(false);
  });

  it('reports which layers an update of one layer can touch', () => {
    expect(updateImpact(analyse('dev').resolved)).toEqual({ NetworkStack: ['DatabaseStack'], DatabaseStack: [] });
  });

  it('refuses a dependency cycle, naming a resource on it', () => {
    const graph = new Map([
      ['a', { id: 'a', layer: 'L', type: 'T', seconds: 1, dependsOn: ['b'] }],
      ['b', { id: 'b', layer: 'L', type: 'T', seconds: 1, dependsOn: ['a'] }],
    ]);

    expect(() => longestPath(graph)).toThrow(/dependency cycle through/);
  });
});

describe('Function: pathBreakdown', () => {
  it('splits the gap into the nested-stack starts on the path and the waits for the rest of a layer', () => {
    const { layered, ideal } = analyse('prod');

    const breakdown = pathBreakdown(layered, ideal, times);

    // 1720 - 1530 = 190 s: two starts (40 s), and the NAT (150 s) the database waits for with the rest of its layer
    expect(breakdown).toEqual({ stackStarts: ['NetworkStack', 'DatabaseStack'], startSeconds: 40, waitSeconds: 150 });
  });

  it('finds no wait when each layer is only what its consumer uses (dev: no NAT)', () => {
    const { layered, ideal } = analyse('dev');

    expect(pathBreakdown(layered, ideal, times)).toEqual({
      stackStarts: ['NetworkStack', 'DatabaseStack'],
      startSeconds: 40,
      waitSeconds: 0,
    });
  });
});

describe('Function: toDot', () => {
  it('draws one cluster per layer and the critical path in red', () => {
    const project = loadProject(fixture());
    const resolved = resolveProject(project, { Env: 'prod' });
    const graph = buildGraph(project, resolved, times, 'layered');

    const dot = toDot(graph, longestPath(graph), 'prod');

    expect(dot).toMatch(/^digraph deploy \{/);
    expect(dot).toContain('subgraph "cluster_NetworkStack"');
    expect(dot).toContain('subgraph "cluster_DatabaseStack"');
    expect(dot).toMatch(/"DatabaseStack\/Db" \[label="Db\\nRDS::DBInstance 1500s", fillcolor="#ffcdd2"/);
    expect(dot).toContain('"NetworkStack/Nat" -> "NetworkStack::end" [color="#d32f2f", penwidth=2.5];');
    expect(dot).toContain('"NetworkStack/Vpc" -> "NetworkStack/Subnet" [color="#d32f2f", penwidth=2.5];');
    expect(dot).toContain('"NetworkStack::start" -> "NetworkStack/Subnet";');
  });
});
