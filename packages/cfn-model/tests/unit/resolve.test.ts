import { cidrSubnets, isDeferred, parseTemplate, resolveTemplate } from '../../src';
import { MissingParameterError, UnresolvableError } from '../../src/errors';

const template = parseTemplate(`
Parameters:
  Env: { Type: String, AllowedValues: [dev, prod] }
  Zones: { Type: CommaDelimitedList, Default: 'a,b' }
Mappings:
  Config:
    dev: { Nat: 1, Retain: 'false' }
    prod: { Nat: 3, Retain: 'true' }
Conditions:
  IsProduction: !Equals [!Ref Env, prod]
  IsRetained: !Equals [!FindInMap [Config, !Ref Env, Retain], 'true']
  HasThird: !And [!Condition IsProduction, !Not [!Equals [!Ref Env, dev]]]
Rules:
  ProdNeedsThreeZones:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Equals [!Select [1, !Ref Zones], b]
        AssertDescription: second zone must be b
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: !If [IsRetained, Retain, Delete]
    Properties:
      BucketName: !Sub 'x-\${Env}-\${AWS::Region}-\${Other}'
      Tags: !If [IsProduction, [{ Key: a, Value: b }], !Ref AWS::NoValue]
  Third:
    Type: AWS::EC2::Subnet
    Condition: HasThird
    Properties:
      AvailabilityZone: !Select [2, !GetAZs '']
      VpcId: !GetAtt Other.VpcId
Outputs:
  Nat:
    Value: !FindInMap [Config, !Ref Env, Nat]
  Name:
    Value: !Ref Bucket
`);

describe('Function: resolveTemplate', () => {
  describe('when the environment is dev', () => {
    it('drops resources whose condition is false and evaluates policies', () => {
      // Act
      const resolved = resolveTemplate(template, { Env: 'dev' });

      // Assert
      expect(Object.keys(resolved.resources)).toEqual(['Bucket']);
      expect(resolved.resources.Bucket?.DeletionPolicy).toBe('Delete');
      expect(resolved.resources.Bucket?.Properties).not.toHaveProperty('Tags');
      expect(resolved.outputs.Nat).toBe(1);
    });

    it('keeps a Sub that names a resource as a deferred value with parameters filled in', () => {
      const resolved = resolveTemplate(template, { Env: 'dev' });

      expect(resolved.resources.Bucket?.Properties?.BucketName).toEqual({ deferred: 'x-dev-us-east-1-${Other}' });
      expect(isDeferred(resolved.outputs.Name)).toBe(true);
    });
  });

  describe('when the environment is prod', () => {
    it('evaluates nested conditions, mappings and GetAZs', () => {
      const resolved = resolveTemplate(template, { Env: 'prod' });

      expect(resolved.conditions).toEqual({ IsProduction: true, IsRetained: true, HasThird: true });
      expect(resolved.resources.Bucket?.DeletionPolicy).toBe('Retain');
      expect(resolved.resources.Third?.Properties?.AvailabilityZone).toBe('us-east-1c');
      expect(resolved.resources.Third?.Properties?.VpcId).toEqual({ deferred: 'Other.VpcId' });
      expect(resolved.outputs.Nat).toBe(3);
    });

    it('reports the rule assertions that fail, with their description', () => {
      const resolved = resolveTemplate(template, { Env: 'prod', Zones: 'a,c' });

      expect(resolved.ruleViolations).toEqual([{ rule: 'ProdNeedsThreeZones', description: 'second zone must be b' }]);
    });
  });

  describe('when a parameter has neither a value nor a default', () => {
    it('throws naming the parameter', () => {
      expect(() => resolveTemplate(template, {})).toThrow(MissingParameterError);
      expect(() => resolveTemplate(template, {})).toThrow(/parameter Env/);
    });
  });

  describe('when a mapping key does not exist', () => {
    it('throws naming the lookup', () => {
      expect(() => resolveTemplate(template, { Env: 'qa' })).toThrow(UnresolvableError);
      expect(() => resolveTemplate(template, { Env: 'qa' })).toThrow(/Fn::FindInMap \[Config, qa, Retain\]/);
    });
  });
});

describe('Function: cidrSubnets', () => {
  it('cuts consecutive subnets of the given host bits', () => {
    expect(cidrSubnets('10.0.0.0/16', 4, 14)).toEqual([
      '10.0.0.0/18',
      '10.0.64.0/18',
      '10.0.128.0/18',
      '10.0.192.0/18',
    ]);
    expect(cidrSubnets('10.0.64.0/18', 2, 12)).toEqual(['10.0.64.0/20', '10.0.80.0/20']);
  });

  it('refuses a block too small for the request', () => {
    expect(() => cidrSubnets('10.0.0.0/24', 4, 8)).toThrow(/too small/);
  });
});

describe('Function: resolveTemplate with deploy-time parameters', () => {
  it('does not evaluate a rule that reads a value known only after deployment', () => {
    const resolved = resolveTemplate(
      template,
      { Env: 'prod', Zones: '<Other.Zones>' },
      { deployTimeParameters: new Set(['Zones']) },
    );

    expect(resolved.ruleViolations).toEqual([]);
  });
});

describe('Function: resolveTemplate with a list known only after deployment', () => {
  it('selects the placeholder itself, keeping where the value comes from', () => {
    const t = parseTemplate(`
Parameters:
  Ids: { Type: CommaDelimitedList }
Resources:
  Thing: { Type: AWS::EC2::NatGateway, Properties: { SubnetId: !Select [2, !Ref Ids] } }
`);

    expect(resolveTemplate(t, { Ids: '<NetworkStack.PublicSubnetIds>' }).resources.Thing?.Properties?.SubnetId).toBe(
      '<NetworkStack.PublicSubnetIds>',
    );
  });
});
