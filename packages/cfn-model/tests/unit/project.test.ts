import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, resolveProject } from '../../src';

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'project-'));
  mkdirSync(join(dir, 'nested'));
  writeFileSync(
    join(dir, 'template.yaml'),
    `
Parameters:
  Env: { Type: String }
Conditions:
  IsProduction: !Equals [!Ref Env, prod]
Resources:
  AStack:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: nested/a.yaml
      Parameters: { Env: !Ref Env }
  BStack:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: nested/b.yaml
      Parameters: { Name: !GetAtt AStack.Outputs.Name, Id: !GetAtt AStack.Outputs.Id }
  ExtraStack:
    Type: AWS::CloudFormation::Stack
    Condition: IsProduction
    Properties:
      TemplateURL: nested/a.yaml
      Parameters: { Env: !Ref Env }
`,
  );
  writeFileSync(
    join(dir, 'nested/a.yaml'),
    `
Parameters:
  Env: { Type: String }
Resources:
  Thing: { Type: AWS::SNS::Topic }
Outputs:
  Name: { Value: !Sub 'name-\${Env}' }
  Id: { Value: !Ref Thing }
`,
  );
  writeFileSync(
    join(dir, 'nested/b.yaml'),
    `
Parameters:
  Name: { Type: String }
  Id: { Type: String }
Resources:
  Other: { Type: AWS::SNS::Topic, Properties: { TopicName: !Ref Name, DisplayName: !Ref Id } }
`,
  );
  return dir;
}

describe('Function: resolveProject', () => {
  it('passes resolved outputs into the next layer and placeholders for deployed values', () => {
    // Arrange
    const project = loadProject(join(fixture(), 'template.yaml'));

    // Act
    const resolved = resolveProject(project, { Env: 'dev' });

    // Assert
    expect(Object.keys(resolved.layers)).toEqual(['AStack', 'BStack']);
    expect(resolved.layerDependencies).toEqual({ AStack: [], BStack: ['AStack'] });
    expect(resolved.layers.BStack?.resources.Other?.Properties).toEqual({
      TopicName: 'name-dev',
      DisplayName: '<AStack.Id>',
    });
  });

  it('includes a conditional layer only where its condition holds', () => {
    const project = loadProject(join(fixture(), 'template.yaml'));

    const resolved = resolveProject(project, { Env: 'prod' });

    expect(Object.keys(resolved.layers)).toEqual(['AStack', 'BStack', 'ExtraStack']);
  });
});
