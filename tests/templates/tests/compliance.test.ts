import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '@strata/cfn-model';
import { environment, ofType, props, resourcesOf } from './helpers';

const dev = environment('dev');
const staging = environment('staging');
const prod = environment('prod');

/** The prescribed patterns, kept in a fixture copied verbatim from security-baseline.md. */
const prescribed = readFileSync(join(__dirname, 'fixtures', 'cis-patterns.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => l.slice(19));

describe('Layer: compliance', () => {
  const r = resourcesOf(prod, 'compliance');

  it('records a multi-region trail with validation, KMS, management events and a CloudWatch Logs copy', () => {
    expect(props(r.Trail)).toEqual(
      expect.objectContaining({
        IsMultiRegionTrail: true,
        IncludeGlobalServiceEvents: true,
        EnableLogFileValidation: true,
        IsLogging: true,
        KMSKeyId: '<SecurityStack.KeyArn>',
        CloudWatchLogsLogGroupArn: { deferred: 'TrailLogGroup.Arn' },
        EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
      }),
    );
  });

  it('has exactly the prescribed CIS metric filters, character for character', () => {
    const patterns = ofType(r, 'AWS::Logs::MetricFilter').map(([, f]) => props(f).FilterPattern);

    expect(prescribed).toHaveLength(15);
    expect([...patterns].sort()).toEqual([...prescribed].sort());
  });

  it('alarms on each CIS metric: 300 s, threshold >= 1, missing data not breaching, to the topic', () => {
    // Arrange
    const filters = ofType(r, 'AWS::Logs::MetricFilter');
    const alarms = ofType(r, 'AWS::CloudWatch::Alarm');

    // Assert
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
          AlarmActions: ['<SecurityStack.AlarmTopicArn>'],
        }),
      );
    }
  });

  it('covers the required AWS Config managed rules, RDS Multi-AZ in prod only', () => {
    const identifiers = (e: typeof prod) =>
      ofType(resourcesOf(e, 'compliance'), 'AWS::Config::ConfigRule').map(
        ([, x]) => (props(x).Source as JsonObject).SourceIdentifier,
      );
    const required = [
      'S3_BUCKET_PUBLIC_READ_PROHIBITED',
      'S3_BUCKET_PUBLIC_WRITE_PROHIBITED',
      'S3_BUCKET_SSL_REQUESTS_ONLY',
      'RDS_STORAGE_ENCRYPTED',
      'INCOMING_SSH_DISABLED',
      'ENCRYPTED_VOLUMES',
      'CLOUD_TRAIL_ENABLED',
      'VPC_FLOW_LOGS_ENABLED',
      'IAM_PASSWORD_POLICY',
      'IAM_ROOT_ACCESS_KEY_CHECK',
      'VPC_DEFAULT_SECURITY_GROUP_CLOSED',
    ];

    expect(identifiers(prod)).toEqual(expect.arrayContaining([...required, 'RDS_MULTI_AZ_SUPPORT']));
    expect(identifiers(dev)).toEqual(expect.arrayContaining(required));
    expect(identifiers(dev)).not.toContain('RDS_MULTI_AZ_SUPPORT');
  });

  it("creates the recorder (all supported types) where asked and relies on the account's own elsewhere", () => {
    expect(props(r.ConfigRecorder).RecordingGroup).toEqual({ AllSupported: true, IncludeGlobalResourceTypes: true });
    expect(props(r.ConfigDeliveryChannel).S3KmsKeyArn).toBe('<SecurityStack.KeyArn>');
    const s = resourcesOf(staging, 'compliance');
    expect(s.ConfigRecorder).toBeUndefined();
    expect(ofType(s, 'AWS::Config::ConfigRule').length).toBeGreaterThan(10);
  });

  it('orders every Config rule after the recorder', () => {
    for (const [, rule] of ofType(r, 'AWS::Config::ConfigRule')) expect(rule.DependsOn).toBe('ConfigRecorderReady');
    expect(r.ConfigRecorderReady?.Metadata).toEqual({
      Recorder: { deferred: 'ConfigRecorder' },
      DeliveryChannel: { deferred: 'ConfigDeliveryChannel' },
    });
  });

  it('encrypts the trail log group with the key and keeps it per environment', () => {
    expect(props(r.TrailLogGroup)).toEqual(
      expect.objectContaining({ KmsKeyId: '<SecurityStack.KeyArn>', RetentionInDays: 365 }),
    );
    expect(props(resourcesOf(staging, 'compliance').TrailLogGroup).RetentionInDays).toBe(90);
  });
});
