import { parseTemplate, referencedIds, resourceDependencies } from '../../src';
import { TemplateLoadError } from '../../src/errors';

describe('Function: resourceDependencies', () => {
  it('collects Ref, GetAtt (both forms), Sub and DependsOn, but not parameters or pseudo parameters', () => {
    // Arrange
    const template = parseTemplate(`
Parameters:
  P: { Type: String }
Resources:
  A: { Type: X }
  B: { Type: X }
  C: { Type: X }
  D: { Type: X }
  E:
    Type: X
    DependsOn: D
    Properties:
      One: !Ref A
      Two: !GetAtt B.Arn
      Three: !Sub '\${C.Arn}/\${P}/\${AWS::Region}/\${!Literal}'
      Four: !Ref P
`);

    // Act
    const deps = resourceDependencies(template, 'E');

    // Assert
    expect(deps).toEqual(['A', 'B', 'C', 'D']);
  });

  it('ignores variables a Sub defines itself', () => {
    const ids = referencedIds({ 'Fn::Sub': ['${X}-${Y}', { X: { Ref: 'Z' } }] });

    expect([...ids].sort()).toEqual(['Y', 'Z']);
  });
});

describe('Function: parseTemplate', () => {
  it('refuses a document without Resources, naming the file', () => {
    expect(() => parseTemplate('Description: nothing', 'bad.yaml')).toThrow(TemplateLoadError);
    expect(() => parseTemplate('Description: nothing', 'bad.yaml')).toThrow(/bad\.yaml.*no Resources/);
  });
});
