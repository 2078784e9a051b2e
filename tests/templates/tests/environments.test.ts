import { resourceDependencies } from '@strata/cfn-model';
import { environment, project, samconfig } from './helpers';

describe('Root: layers and their order', () => {
  it('composes the six layers as nested stacks', () => {
    expect(project.layers.map((l) => l.name).sort()).toEqual([
      'compliance',
      'compute',
      'database',
      'network',
      'security',
      'storage',
    ]);
  });

  it.each([
    ['SecurityStack', []],
    ['StorageStack', ['SecurityStack']],
    ['ComplianceStack', ['SecurityStack', 'StorageStack']],
    ['NetworkStack', ['SecurityStack']],
    ['ComputeStack', ['NetworkStack', 'SecurityStack', 'StorageStack']],
    ['DatabaseStack', ['NetworkStack', 'SecurityStack']],
  ])('%s waits only for %j (database never waits for compute, compliance never for network)', (stack, deps) => {
    expect(resourceDependencies(project.root, stack)).toEqual(deps);
  });

  it('passes the AZ names and the engine version to the layers as parameters', () => {
    const network = project.root.Resources.NetworkStack?.Properties?.Parameters as Record<string, unknown>;
    const database = project.root.Resources.DatabaseStack?.Properties?.Parameters as Record<string, unknown>;

    expect(Object.keys(network)).toEqual(
      expect.arrayContaining(['AvailabilityZone1', 'AvailabilityZone2', 'AvailabilityZone3']),
    );
    expect(Object.keys(database)).toEqual(expect.arrayContaining(['EngineVersion', 'ParameterGroupFamily']));
  });
});

describe('Root: rules', () => {
  it('stops staging and prod without a certificate, naming CertificateArn and the fix', () => {
    const resolved = environment('prod', { CertificateArn: '' });

    expect(resolved.root.ruleViolations).toEqual([
      {
        rule: 'CertificateRequiredOutsideDev',
        description: expect.stringMatching(/^CertificateArn is empty .*pass an ACM certificate ARN/),
      },
    ]);
  });

  it('lets dev deploy without a certificate', () => {
    expect(environment('dev').root.ruleViolations).toEqual([]);
  });

  it('refuses a parameter group family that does not match the engine version', () => {
    const resolved = environment('dev', { DbEngineVersion: '8.4.3', DbParameterGroupFamily: 'mysql8.0' });

    expect(resolved.layers.DatabaseStack?.ruleViolations.map((v) => v.rule)).toEqual(['EngineVersionMatchesFamily']);
  });
});

describe('samconfig.toml', () => {
  it('defines local, dev, staging and prod', () => {
    expect(Object.keys(samconfig).sort()).toEqual(['dev', 'local', 'prod', 'staging']);
  });

  it.each(Object.values(samconfig))(
    '$env: tags Environment, Owner, CostCenter and Project, and can expand nested transforms',
    (config) => {
      expect(Object.keys(config.tags).sort()).toEqual(['CostCenter', 'Environment', 'Owner', 'Project']);
      expect(config.capabilities).toEqual(
        expect.arrayContaining(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']),
      );
      expect(config.parameterOverrides.EnvironmentSuffix).toBe(config.tags.Environment);
    },
  );

  it('asks for confirmation before changing prod only', () => {
    expect(
      Object.values(samconfig)
        .filter((c) => c.confirmChangeset)
        .map((c) => c.env),
    ).toEqual(['prod']);
  });

  it('runs local as a dev environment', () => {
    expect(samconfig.local?.parameterOverrides.EnvironmentType).toBe('dev');
  });
});
