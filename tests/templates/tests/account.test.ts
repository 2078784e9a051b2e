import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TARGET, type JsonObject, loadAccountControls, resolveTemplate } from '@strata/cfn-model';
import { account, accountSamconfig, props, REPO, statements } from './helpers';

const resources = Object.entries(account.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

/** The account's controls, listed once (data/account-controls.yaml): the CIS patterns and the managed Config rules. */
const controls = loadAccountControls(REPO);
const prescribed = controls.metricFilters.map((f) => f.pattern);

/** The account layer as CloudFormation resolves it in one region of an account. */
function copyIn(region: string, parameters: Record<string, string> = {}) {
  return resolveTemplate(
    account,
    { AlarmEmail: 'security@example.com', ...parameters },
    {
      target: { ...DEFAULT_TARGET, region, availabilityZones: [`${region}a`, `${region}b`] },
      where: 'account/template.yaml',
    },
  );
}
const home = copyIn('us-east-1');
const elsewhere = copyIn('eu-west-1', { GlobalResourcesRegion: 'us-east-1' });
const typesOf = (copy: typeof home) => Object.values(copy.resources).map((r) => r.Type);
const resolvedOfType = (copy: typeof home, type: string) =>
  Object.entries(copy.resources).filter(([, r]) => r.Type === type);

describe('Account layer: account/template.yaml', () => {
  it('uses no transform, so service-managed StackSets accept it', () => {
    expect((account as { Transform?: unknown }).Transform).toBeUndefined();
    for (const [, r] of resources) expect(r.Type.startsWith('AWS::Serverless::')).toBe(false);
  });

  it('manages the global settings (IAM, S3 account public access block) in the global resources region only', () => {
    const global = resources.filter(([, r]) =>
      ['Custom::IamPasswordPolicy', 'Custom::S3AccountPublicAccessBlock'].includes(r.Type),
    );
    expect(global.map(([id]) => id).sort()).toEqual(['PasswordPolicy', 'S3PublicAccessBlock']);
    for (const [, r] of global) expect(r.Condition).toBe('IsGlobalResourcesRegion');
    // EBS encryption by default is per region: every copy sets it
    expect(ofType('Custom::EbsDefaultEncryption').map(([, r]) => r.Condition)).toEqual([undefined]);
  });

  it.each(ofType('AWS::Lambda::Function'))(
    '%s: answers before its custom resource gives up, logs first, no retries',
    (id, fn) => {
      const timeout = Number(props(fn).Timeout);
      const users = resources.filter(([, r]) => JSON.stringify(r.Properties?.ServiceToken ?? '').includes(id));
      expect(users.length).toBeGreaterThanOrEqual(1);
      const base = id.replace(/Function$/, '');
      for (const [, resource] of users) {
        expect(Number(props(resource).ServiceTimeout)).toBeGreaterThan(timeout);
        expect(resource.DependsOn).toEqual(expect.arrayContaining([`${base}LogGroup`, `${base}InvokeConfig`]));
      }
      expect(props(account.Resources[`${base}InvokeConfig`]).MaximumRetryAttempts).toBe(0);
      expect(props(fn).Runtime).toBe('nodejs22.x');
      expect(props(fn).Architectures).toEqual(['arm64']);
    },
  );

  const functionRoles = new Set(ofType('AWS::Lambda::Function').map(([, fn]) => JSON.stringify(props(fn).Role)));
  it.each(ofType('AWS::IAM::Role').filter(([id]) => functionRoles.has(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))))(
    '%s: reads the status of its own stack only (RestoreOnDelete: on-rollback)',
    (_id, role) => {
      const policies = (props(role).Policies ?? []) as { PolicyDocument: unknown }[];
      const reads = policies
        .flatMap((p) => statements(p.PolicyDocument as never))
        .filter((s) => JSON.stringify(s.Action).includes('cloudformation:'));
      expect(reads).toHaveLength(1);
      expect(reads[0]?.Action).toBe('cloudformation:DescribeStacks');
      expect(reads[0]?.Resource).toEqual({ Ref: 'AWS::StackId' });
    },
  );

  it('keeps the key that encrypts volumes by default when the stack is deleted, not after a failed first create', () => {
    const [, key] = ofType('AWS::KMS::Key')[0] ?? [];
    expect(key?.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(props(key).EnableKeyRotation).toBe(true);
  });

  it('never lets the Guard hook evaluate a delete, so no rule can stop a rollback or a teardown', () => {
    const [, hook] = ofType('AWS::CloudFormation::GuardHook')[0] ?? [];
    expect(props(hook).TargetFilters).toMatchObject({ Actions: ['CREATE', 'UPDATE'] });
    expect(account.Parameters?.GuardHookMode?.Default).toBe('WARN');
  });
});

describe('Account layer: the trail, AWS Config and the CIS alarms, once per account', () => {
  it('has one multi-region trail, in the global resources region only, validated and under the account key', () => {
    const [[, trail] = ['', undefined]] = resolvedOfType(home, 'AWS::CloudTrail::Trail');
    expect(props(trail)).toEqual(
      expect.objectContaining({
        TrailName: 'strata-account',
        IsMultiRegionTrail: true,
        IncludeGlobalServiceEvents: true,
        EnableLogFileValidation: true,
        IsLogging: true,
        KMSKeyId: { deferred: 'AccountKey.Arn' },
        CloudWatchLogsLogGroupArn: { deferred: 'TrailLogGroup.Arn' },
      }),
    );
    expect(typesOf(elsewhere)).not.toContain('AWS::CloudTrail::Trail');
    expect(typesOf(copyIn('us-east-1', { CreateTrail: 'false' }))).not.toContain('AWS::CloudTrail::Trail');
  });

  it('has exactly the prescribed CIS metric filters, character for character, each alarming to the encrypted topic', () => {
    const filters = resolvedOfType(home, 'AWS::Logs::MetricFilter');
    const alarms = resolvedOfType(home, 'AWS::CloudWatch::Alarm');
    expect(prescribed).toHaveLength(15); // CIS AWS Foundations v3.0 section 4 monitors 15 events (4.1-4.15)
    expect(filters.map(([, f]) => props(f).FilterPattern).sort()).toEqual([...prescribed].sort());
    expect(alarms).toHaveLength(filters.length);
    for (const [, f] of filters) {
      const metric = ((props(f).MetricTransformations as JsonObject[])[0] as JsonObject).MetricName;
      const alarm = alarms.find(([, a]) => props(a).MetricName === metric)?.[1];
      expect(props(alarm)).toEqual(
        expect.objectContaining({
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ deferred: 'AlarmTopic' }],
        }),
      );
    }
    expect(props(home.resources.AlarmTopic).KmsMasterKeyId).toEqual({ deferred: 'AccountKey.Arn' });
    expect(props(home.resources.AlarmEmailSubscription).Endpoint).toBe('security@example.com');
    expect(typesOf(elsewhere)).not.toContain('AWS::Logs::MetricFilter');
  });

  describe('when the trail records S3 object-level events (S3DataEvents)', () => {
    const selectors = (parameters: Record<string, string> = {}) =>
      props(copyIn('us-east-1', parameters).resources.Trail).AdvancedEventSelectors as JsonObject[];
    const data = (parameters: Record<string, string> = {}) =>
      selectors(parameters).find((s) => String(s.Name).startsWith('S3 object-level'))?.FieldSelectors as
        | JsonObject[]
        | undefined;

    it('records every management event, read and write, with advanced selectors only', () => {
      expect(props(home.resources.Trail).EventSelectors).toBeUndefined();
      expect(selectors()[0]).toEqual({
        Name: 'Management events',
        FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }],
      });
    });

    it('records object writes by default, for every bucket but the trail bucket', () => {
      expect(data()).toEqual([
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        { Field: 'readOnly', Equals: ['false'] },
        { Field: 'resources.ARN', NotStartsWith: [{ deferred: '${TrailBucket.Arn}/' }] },
      ]);
    });

    it('records reads too with all, and no data events with none', () => {
      expect(data({ S3DataEvents: 'all' })?.map((f) => f.Field)).toEqual([
        'eventCategory',
        'resources.type',
        'resources.ARN',
      ]);
      expect(data({ S3DataEvents: 'none' })).toBeUndefined();
      expect(selectors({ S3DataEvents: 'none' })).toHaveLength(1);
    });

    it('is passed by the organization StackSet to every stack instance', () => {
      const stackset = readFileSync(join(REPO, 'org', 'stackset.yaml'), 'utf8');
      expect(stackset).toContain('{ ParameterKey: S3DataEvents, ParameterValue: !Ref S3DataEvents }');
    });
  });

  it('requires an alarm subscriber where the trail is, and nowhere else', () => {
    const without = copyIn('us-east-1', { AlarmEmail: '' });
    expect(without.ruleViolations.map((v) => v.rule)).toEqual(['AlarmSubscriberRequiredWithTheTrail']);
    expect(without.ruleViolations[0]?.description).toContain('AlarmEmail=');
    expect(copyIn('eu-west-1', { GlobalResourcesRegion: 'us-east-1', AlarmEmail: '' }).ruleViolations).toEqual([]);
  });

  it('records every region with one recorder, global resource types in the global resources region only', () => {
    expect(props(home.resources.ConfigRecorder).RecordingGroup).toEqual({
      AllSupported: true,
      IncludeGlobalResourceTypes: true,
    });
    expect(props(elsewhere.resources.ConfigRecorder).RecordingGroup).toEqual({
      AllSupported: true,
      IncludeGlobalResourceTypes: false,
    });
    expect(props(home.resources.ConfigDeliveryChannel).S3KmsKeyArn).toEqual({ deferred: 'AccountKey.Arn' });
    for (const [, rule] of resolvedOfType(home, 'AWS::Config::ConfigRule'))
      expect(rule.DependsOn).toBe('ConfigRecorderReady');
  });

  it('has exactly the managed Config rules data/account-controls.yaml lists, IAM ones in the global region only', () => {
    const identifiers = (copy: typeof home) =>
      resolvedOfType(copy, 'AWS::Config::ConfigRule')
        .map(([, r]) => (props(r).Source as JsonObject).SourceIdentifier)
        .sort();
    expect(identifiers(home)).toEqual(controls.configRules.map((r) => r.source).sort());
    expect(identifiers(elsewhere)).toEqual(
      controls.configRules
        .filter((r) => !r.globalOnly)
        .map((r) => r.source)
        .sort(),
    );
  });

  it('checks IAM in the global resources region only and the rest everywhere', () => {
    const rules = (copy: typeof home) =>
      resolvedOfType(copy, 'AWS::Config::ConfigRule').map(([, r]) => (props(r).Source as JsonObject).SourceIdentifier);
    expect(rules(home)).toEqual(
      expect.arrayContaining(['IAM_PASSWORD_POLICY', 'IAM_ROOT_ACCESS_KEY_CHECK', 'CLOUD_TRAIL_ENABLED']),
    );
    expect(rules(elsewhere)).not.toContain('IAM_PASSWORD_POLICY');
    expect(rules(elsewhere)).toEqual(
      expect.arrayContaining(['CLOUD_TRAIL_ENABLED', 'ENCRYPTED_VOLUMES', 'INCOMING_SSH_DISABLED']),
    );
  });

  it("rides on the organization's recorder when told, naming it, and refuses to guess its name", () => {
    const existing = copyIn('us-east-1', {
      CreateConfigRecorder: 'false',
      ExistingConfigRecorderName: 'aws-controltower-BaselineConfigRecorder',
    });
    expect(typesOf(existing)).not.toContain('AWS::Config::ConfigurationRecorder');
    expect(existing.resources.ConfigBucket).toBeUndefined();
    expect(props(existing.resources.ConfigRecorderNameParameter).Value).toBe('aws-controltower-BaselineConfigRecorder');
    expect(copyIn('us-east-1', { CreateConfigRecorder: 'false' }).ruleViolations.map((v) => v.rule)).toEqual([
      'RecorderNamedWhenNotCreated',
    ]);
  });

  it('publishes the recorder name where every environment reads it', () => {
    expect(props(home.resources.ConfigRecorderNameParameter)).toEqual(
      expect.objectContaining({ Name: '/strata/account/config/recorder-name', Type: 'String' }),
    );
  });

  it('keeps the audit log buckets on delete and empties them only when the create that made them rolls back', () => {
    const buckets = resolvedOfType(home, 'AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(['AuditAccessLogsBucket', 'ConfigBucket', 'TrailBucket']);
    for (const [id, bucket] of buckets) {
      expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
      const emptier = Object.values(home.resources).find(
        (r) =>
          r.Type === 'Custom::EmptyBucketOnDelete' &&
          JSON.stringify(props(r).BucketName) === JSON.stringify({ deferred: id }),
      );
      expect(props(emptier).When).toBe('on-rollback');
    }
    expect(
      resolvedOfType(elsewhere, 'AWS::S3::Bucket')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['AuditAccessLogsBucket', 'ConfigBucket']);
  });
});

describe('samconfig.toml: the account layer', () => {
  it('defines account (real accounts, confirms its change set) and account-local', () => {
    expect(Object.keys(accountSamconfig).sort()).toEqual(['account', 'account-local']);
    expect(accountSamconfig.account?.confirmChangeset).toBe(true);
  });

  it.each(Object.values(accountSamconfig))(
    '$env: tags Owner, CostCenter and Project, and needs no transform capability',
    (c) => {
      expect(Object.keys(c.tags).sort()).toEqual(['CostCenter', 'Owner', 'Project']);
      expect(c.capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    },
  );
});
