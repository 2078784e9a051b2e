import { DEFAULT_TARGET, resolveTemplate, resourceDependencies, type Template } from '@strata/cfn-model';
import {
  DATABASE_LAYER_PARAMETERS,
  environment,
  layer,
  project,
  resourcesOf,
  samconfig,
  TEST_BACKUP_KEY,
} from './helpers';

describe('Root: layers and their order', () => {
  it('composes the ten layers as nested stacks', () => {
    expect(project.layers.map((l) => l.name).sort()).toEqual([
      'compliance',
      'compute',
      'database',
      'discovery',
      'egress',
      'network',
      'security',
      'storage',
      'verification',
      'verifier',
    ]);
  });

  it.each([
    ['SecurityStack', []],
    ['DiscoveryStack', ['SecurityStack']],
    ['StorageStack', ['SecurityStack']],
    ['ComplianceStack', []],
    ['NetworkStack', ['DiscoveryStack', 'SecurityStack']],
    ['EgressStack', ['NetworkStack', 'SecurityStack']],
    ['ComputeStack', ['EgressStack', 'NetworkStack', 'SecurityStack', 'StorageStack']],
    ['DatabaseStack', ['DiscoveryStack', 'NetworkStack', 'SecurityStack']],
    ['VerifierStack', ['EgressStack', 'NetworkStack', 'SecurityStack']],
    // Last of all (it switches deletion protection on): it waits for every other layer.
    [
      'VerificationStack',
      [
        'ComplianceStack',
        'ComputeStack',
        'DatabaseStack',
        'DiscoveryStack',
        'EgressStack',
        'NetworkStack',
        'SecurityStack',
        'StorageStack',
        'VerifierStack',
      ],
    ],
  ])('%s waits only for %j (database never waits for compute, compliance never for network)', (stack, deps) => {
    expect(resourceDependencies(project.root, stack)).toEqual(deps);
  });

  it('wires the discovered AZ names and engine version into network and database as parameters', () => {
    const network = project.root.Resources.NetworkStack?.Properties?.Parameters as Record<string, unknown>;
    const database = project.root.Resources.DatabaseStack?.Properties?.Parameters as Record<string, unknown>;

    for (const n of [1, 2, 3]) {
      expect(network[`AvailabilityZone${n}`]).toEqual({
        'Fn::GetAtt': ['DiscoveryStack', `Outputs.AvailabilityZone${n}`],
      });
    }
    expect(database.EngineVersion).toEqual({ 'Fn::GetAtt': ['DiscoveryStack', 'Outputs.EngineVersion'] });
    expect(database.ParameterGroupFamily).toEqual({ 'Fn::GetAtt': ['DiscoveryStack', 'Outputs.ParameterGroupFamily'] });
  });

  it('asks discovery for the zones and the engine the environment really uses', () => {
    const discovery = environment('prod').layers.DiscoveryStack?.resources ?? {};

    expect(discovery.AvailabilityZones?.Properties).toEqual(
      expect.objectContaining({ Count: 3, InstanceTypes: ['m7g.large'], DbInstanceClass: 'db.m7g.large' }),
    );
    expect(discovery.EngineVersion?.Properties).toEqual(
      expect.objectContaining({ MajorVersion: '8.4', InstanceClass: 'db.m7g.large', MultiAz: 'true' }),
    );
  });
});

describe('Root: TLS verification per environment', () => {
  it.each([
    ['dev', 'report'],
    ['staging', 'enforce'],
    ['prod', 'enforce'],
  ] as const)('%s verifies in %s mode', (env, mode) => {
    expect(environment(env).layers.VerificationStack?.resources.TlsVerification?.Properties?.Mode).toBe(mode);
  });

  it('creates the verifier before the database exists and runs the check after database and compute', () => {
    const deps = environment('prod').layerDependencies;

    expect(deps.VerifierStack).not.toContain('DatabaseStack');
    expect(deps.VerificationStack).toEqual(expect.arrayContaining(['DatabaseStack', 'ComputeStack', 'VerifierStack']));
  });

  it('runs the verifier in the private app subnets behind its own group, which only the database admits', () => {
    const v = environment('prod').layers.VerifierStack?.resources ?? {};

    expect(v.TlsVerificationFunction?.Properties?.VpcConfig).toEqual({
      SubnetIds: ['<NetworkStack.AppSubnetIds>'],
      SecurityGroupIds: [{ deferred: 'VerifierSecurityGroup' }],
    });
    expect(v.DatabaseFromVerifierIngress?.Properties).toEqual(
      expect.objectContaining({
        GroupId: '<NetworkStack.DatabaseSecurityGroupId>',
        SourceSecurityGroupId: { deferred: 'VerifierSecurityGroup' },
      }),
    );
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

  it.each(['staging', 'prod'] as const)(
    'stops %s without an alarm subscriber, naming AlarmEmail and the fix',
    (env) => {
      expect(environment(env, { AlarmEmail: '' }).root.ruleViolations).toEqual([
        {
          rule: 'AlarmSubscriberRequiredOutsideDev',
          description: expect.stringMatching(/^AlarmEmail is empty .*pass AlarmEmail=<on-call address>/),
        },
      ]);
    },
  );

  it.each(['staging', 'prod'] as const)('lets %s deploy with a certificate and an alarm subscriber', (env) => {
    expect(environment(env).root.ruleViolations).toEqual([]);
  });

  it.each(['staging', 'prod'] as const)(
    'stops %s with one shared NAT gateway, naming NatGatewayMode and the fix',
    (env) => {
      expect(environment(env, { NatGatewayMode: 'single' }).root.ruleViolations).toEqual([
        {
          rule: 'ZonalEgressOutsideDev',
          description: expect.stringMatching(/^NatGatewayMode is single .*pass NatGatewayMode=per-az or regional/),
        },
      ]);
    },
  );

  it.each([
    ['staging', 'regional'],
    ['prod', 'per-az'],
    ['dev', 'single'],
    ['dev', 'regional'],
  ] as const)('lets %s deploy with NatGatewayMode=%s', (env, mode) => {
    expect(environment(env, { NatGatewayMode: mode }).root.ruleViolations).toEqual([]);
  });

  it('stops prod without a second Region for its backups, naming DbBackupReplicationRegion and the fix', () => {
    const resolved = environment('prod', { DbBackupReplicationRegion: '', DbBackupReplicationKmsKeyArn: '' });
    expect(resolved.root.ruleViolations).toEqual([
      {
        rule: 'BackupReplicationRequiredInProd',
        description: expect.stringMatching(/^DbBackupReplicationRegion is empty .*DbBackupReplicationKmsKeyArn=/),
      },
    ]);
    expect(environment('staging').root.ruleViolations).toEqual([]);
  });

  it("replicates prod's automated backups to the second Region under its key, for as long as prod keeps them", () => {
    const db = resourcesOf(environment('prod'), 'database').DbInstance;
    expect(db?.Properties).toEqual(
      expect.objectContaining({
        AutomaticBackupReplicationRegion: 'eu-central-1',
        AutomaticBackupReplicationKmsKeyId: TEST_BACKUP_KEY,
        AutomaticBackupReplicationRetentionPeriod: 35,
      }),
    );
    const dev = resourcesOf(environment('dev'), 'database').DbInstance?.Properties ?? {};
    expect(Object.keys(dev).filter((k) => k.startsWith('AutomaticBackupReplication'))).toEqual([]);
  });

  it('refuses, in the database layer deployed alone, a backup Region without its key, its own Region, or a key without a Region', () => {
    const database: Template = layer('database');
    const given = {
      ...DATABASE_LAYER_PARAMETERS,
      ExtendedSupport: 'true',
      EngineVersion: '8.4.3',
      ParameterGroupFamily: 'mysql8.4',
    };
    const rules = (extra: Record<string, string>) =>
      resolveTemplate(
        database,
        { ...given, ...extra },
        { target: { ...DEFAULT_TARGET, region: 'eu-west-1' } },
      ).ruleViolations.map((v) => v.rule);
    expect(rules({ BackupReplicationRegion: 'eu-central-1' })).toEqual(['BackupReplicationKeyWithRegion']);
    expect(rules({ BackupReplicationRegion: 'eu-west-1', BackupReplicationKmsKeyArn: TEST_BACKUP_KEY })).toEqual([
      'BackupReplicationKeyWithRegion',
    ]);
    expect(rules({ BackupReplicationKmsKeyArn: TEST_BACKUP_KEY })).toEqual(['BackupReplicationRegionWithKey']);
    expect(rules({ BackupReplicationRegion: 'eu-central-1', BackupReplicationKmsKeyArn: TEST_BACKUP_KEY })).toEqual([]);
  });

  it('keeps the alarm subscriber optional in dev', () => {
    expect(environment('dev', { AlarmEmail: '' }).root.ruleViolations).toEqual([]);
  });

  it('refuses, in the database layer deployed alone, a parameter group family that does not match the engine version', () => {
    const given = { ...DATABASE_LAYER_PARAMETERS, ExtendedSupport: 'true' };
    const database: Template = layer('database');

    const wrong = resolveTemplate(database, { ...given, EngineVersion: '8.4.3', ParameterGroupFamily: 'mysql8.0' });
    const right = resolveTemplate(database, { ...given, EngineVersion: '8.4.3', ParameterGroupFamily: 'mysql8.4' });

    expect(wrong.ruleViolations.map((v) => v.rule)).toEqual(['EngineVersionMatchesFamily']);
    expect(right.ruleViolations).toEqual([]);
  });

  it('does not judge, before deployment, the engine version discovery will choose', () => {
    expect(environment('dev').layers.DatabaseStack?.ruleViolations).toEqual([]);
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
