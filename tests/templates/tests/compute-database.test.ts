import { type Json, type JsonObject, resolveTemplate } from '@strata/cfn-model';
import { DATABASE_LAYER_PARAMETERS, environment, layer, list, ofType, props, resourcesOf } from './helpers';

const dev = environment('dev');
const staging = environment('staging');
const prod = environment('prod');

describe('Layer: compute', () => {
  const r = resourcesOf(prod, 'compute');
  const data = props(r.LaunchTemplate).LaunchTemplateData as JsonObject;

  it('requires IMDSv2 with hop limit 1', () => {
    expect(data.MetadataOptions).toEqual(
      expect.objectContaining({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 }),
    );
  });

  it('encrypts the root volume with the environment key and gives instances no public IP', () => {
    const ebs = ((data.BlockDeviceMappings as JsonObject[])[0] as JsonObject).Ebs as JsonObject;

    expect(ebs).toEqual(expect.objectContaining({ Encrypted: true, KmsKeyId: '<SecurityStack.KeyArn>' }));
    expect((data.NetworkInterfaces as JsonObject[])[0]).toEqual(
      expect.objectContaining({ AssociatePublicIpAddress: false }),
    );
  });

  it('uses the Amazon Linux 2023 arm64 AMI from the public SSM parameter', () => {
    expect(layer('compute').Parameters?.ImageId?.Default).toBe(
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    );
  });

  it('installs a web server with a real page and a /health endpoint the target group checks', () => {
    const userData = JSON.stringify(data.UserData);

    expect(userData).toContain('dnf install -y nginx');
    expect(userData).toContain('location = /health');
    expect(props(r.TargetGroup).HealthCheckPath).toBe('/health');
  });

  it('gives the instance role only Session Manager and the CloudWatch agent', () => {
    expect(props(r.InstanceRole).ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
    ]);
    expect(props(r.InstanceRole).Policies).toBeUndefined();
  });

  it('health-checks through the ELB, tracks CPU and rolls updates', () => {
    expect(props(r.AutoScalingGroup).HealthCheckType).toBe('ELB');
    expect(r.AutoScalingGroup?.UpdatePolicy?.AutoScalingRollingUpdate).toBeDefined();
    expect(props(r.CpuTargetTrackingPolicy).PolicyType).toBe('TargetTrackingScaling');
  });

  it('drops invalid header fields and logs to the ALB log bucket', () => {
    const attrs = Object.fromEntries(
      (props(r.LoadBalancer).LoadBalancerAttributes as JsonObject[]).map((a) => [a.Key, a.Value]),
    );

    expect(attrs['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
    expect(attrs['access_logs.s3.enabled']).toBe('true');
    expect(attrs['access_logs.s3.bucket']).toBe('<StorageStack.AlbLogsBucketName>');
  });

  it('with a certificate, serves TLS 1.2/1.3 on 443 and redirects 80 to HTTPS', () => {
    expect(props(r.HttpsListener).SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(list(props(r.HttpListener).DefaultActions)[0]).toEqual(
      expect.objectContaining({
        Type: 'redirect',
        RedirectConfig: expect.objectContaining({ Protocol: 'HTTPS', StatusCode: 'HTTP_301' }),
      }),
    );
  });

  it('without a certificate (dev only), has no HTTPS listener and forwards 80', () => {
    const d = resourcesOf(dev, 'compute');

    expect(d.HttpsListener).toBeUndefined();
    expect(list(props(d.HttpListener).DefaultActions)[0]).toEqual(expect.objectContaining({ Type: 'forward' }));
  });

  it('puts a WAF on the ALB in staging and prod, not in dev', () => {
    expect(ofType(resourcesOf(dev, 'compute'), 'AWS::WAFv2::WebACLAssociation')).toHaveLength(0);
    expect(ofType(resourcesOf(staging, 'compute'), 'AWS::WAFv2::WebACLAssociation')).toHaveLength(1);
    expect(ofType(r, 'AWS::WAFv2::WebACLAssociation')).toHaveLength(1);
    expect(r.WebAclAssociation?.DependsOn).toBe('HttpListener');
  });

  it('sends its own alarms to the alarm topic', () => {
    const alarms = ofType(r, 'AWS::CloudWatch::Alarm');

    expect(alarms.length).toBeGreaterThanOrEqual(3);
    for (const [, a] of alarms) expect(props(a).AlarmActions).toEqual(['<SecurityStack.AlarmTopicArn>']);
  });
});

describe('Layer: database engine lifecycle', () => {
  it.each(['dev', 'staging', 'prod'] as const)(
    '%s: MySQL 8.4 by default, never enrolled in paid Extended Support unless asked',
    (env) => {
      const resolved = environment(env);
      const db = resourcesOf(resolved, 'database').DbInstance;

      expect(resolved.root.parameters.DbMajorVersion).toBe('8.4');
      expect(props(db).EngineLifecycleSupport).toBe('open-source-rds-extended-support-disabled');
      expect(
        props(
          resourcesOf(environment(env, { DbMajorVersion: '8.0', DbExtendedSupport: 'true' }), 'database').DbInstance,
        ).EngineLifecycleSupport,
      ).toBe('open-source-rds-extended-support');
    },
  );

  it('allows the major-version upgrade a DbMajorVersion change brings (ModifyDBInstance refuses it otherwise)', () => {
    expect(props(resourcesOf(environment('prod'), 'database').DbInstance).AllowMajorVersionUpgrade).toBe(true);
  });

  it('stops MySQL 8.0 without the Extended Support opt-in at the root, naming both parameters', () => {
    expect(environment('dev', { DbMajorVersion: '8.0' }).root.ruleViolations).toEqual([
      {
        rule: 'ExtendedSupportChosenForMySql80',
        description: expect.stringMatching(/DbMajorVersion=8\.4.*DbExtendedSupport=true/),
      },
    ]);
    expect(environment('dev', { DbMajorVersion: '8.0', DbExtendedSupport: 'true' }).root.ruleViolations).toEqual([]);
  });

  it('stops it in the database layer deployed alone too', () => {
    const database = layer('database');
    const violations = (family: string, extended: string) =>
      resolveTemplate(database, {
        ...DATABASE_LAYER_PARAMETERS,
        EngineVersion: family === 'mysql8.0' ? '8.0.43' : '8.4.6',
        ParameterGroupFamily: family,
        ExtendedSupport: extended,
      }).ruleViolations.map((v) => v.rule);

    expect(violations('mysql8.0', 'false')).toEqual(['ExtendedSupportForMySql80']);
    expect(violations('mysql8.0', 'true')).toEqual([]);
    expect(violations('mysql8.4', 'false')).toEqual([]);
  });
});

describe('Layer: database', () => {
  const r = resourcesOf(prod, 'database');
  const db = props(r.DbInstance);

  it('keeps credentials out of parameters: RDS manages the master password in a secret encrypted with the key', () => {
    expect(db.ManageMasterUserPassword).toBe(true);
    expect(db.MasterUserSecret).toEqual({ KmsKeyId: '<SecurityStack.KeyArn>' });
    expect(db.MasterUserPassword).toBeUndefined();
  });

  it('encrypts storage and Performance Insights with the key, and is not public', () => {
    expect(db).toEqual(
      expect.objectContaining({
        StorageEncrypted: true,
        KmsKeyId: '<SecurityStack.KeyArn>',
        PerformanceInsightsKMSKeyId: '<SecurityStack.KeyArn>',
        PubliclyAccessible: false,
        CopyTagsToSnapshot: true,
        EnableIAMDatabaseAuthentication: true,
        CACertificateIdentifier: 'rds-ca-rsa2048-g1',
        MonitoringInterval: 60,
      }),
    );
    expect(db.EnableCloudwatchLogsExports).toEqual(['error', 'slowquery']);
  });

  it('requires TLS 1.2+ in the parameter group', () => {
    expect(props(r.DbParameterGroup).Parameters).toEqual(
      expect.objectContaining({ require_secure_transport: '1', tls_version: 'TLSv1.2,TLSv1.3' }),
    );
  });

  it('sits in the isolated data subnets behind the database security group', () => {
    expect(props(r.DbSubnetGroup).SubnetIds).toEqual(['<NetworkStack.DataSubnetIds>']);
    expect(db.VPCSecurityGroups).toEqual(['<NetworkStack.DatabaseSecurityGroupId>']);
  });

  it.each([
    ['dev', dev, 'false', 'Delete', 7],
    ['staging', staging, 'true', 'Snapshot', 14],
    ['prod', prod, 'true', 'Snapshot', 35],
  ] as const)('%s: Multi-AZ %s, %s on delete, %i days of backups', (_env, e, multiAz, policy, backups) => {
    const instance = resourcesOf(e, 'database').DbInstance;

    expect(props(instance).MultiAZ).toBe(multiAz);
    expect(instance?.DeletionPolicy).toBe(policy);
    expect(instance?.UpdateReplacePolicy).toBe(policy);
    expect(props(instance).BackupRetentionPeriod).toBe(backups);
  });

  // ELB and RDS refuse to delete a protected resource, so protection set at create would turn a late failure
  // of a first create into ROLLBACK_FAILED. The templates never set it (nor switch it off: the property is
  // left out); Custom::DeletionProtection switches it on as the very last resource of the deploy.
  it.each([
    ['dev', dev, false],
    ['staging', staging, true],
    ['prod', prod, true],
  ] as const)('%s: deletion protection switched on last of all: %s', (_env, e, protectedEnv) => {
    const instance = resourcesOf(e, 'database').DbInstance;
    const alb = resourcesOf(e, 'compute').LoadBalancer;
    const verification = resourcesOf(e, 'verification');
    const custom = verification.DeletionProtection;

    expect(props(instance).DeletionProtection).toBeUndefined();
    expect(list(props(alb).LoadBalancerAttributes).map((a) => (a as JsonObject).Key)).not.toContain(
      'deletion_protection.enabled',
    );
    expect(custom?.Type === 'Custom::DeletionProtection').toBe(protectedEnv);
    if (protectedEnv) {
      expect(props(custom)).toEqual(
        expect.objectContaining({
          DbInstanceIdentifier: '<DatabaseStack.DbInstanceIdentifier>',
          LoadBalancerArn: '<ComputeStack.LoadBalancerArn>',
        }),
      );
      expect(list(custom?.DependsOn as Json)).toContain('TlsVerification');
    }
  });

  it('creates the export log groups first, encrypted and with retention', () => {
    expect(r.DbInstance?.DependsOn).toEqual(['ErrorLogGroup', 'SlowQueryLogGroup']);
    for (const [, g] of ofType(r, 'AWS::Logs::LogGroup')) {
      expect(props(g)).toEqual(expect.objectContaining({ KmsKeyId: '<SecurityStack.KeyArn>', RetentionInDays: 365 }));
    }
  });

  it('sends its alarms and RDS events to the alarm topic', () => {
    for (const [, a] of ofType(r, 'AWS::CloudWatch::Alarm'))
      expect(props(a).AlarmActions).toEqual(['<SecurityStack.AlarmTopicArn>']);
    expect(props(r.DbEventSubscription).SnsTopicArn).toBe('<SecurityStack.AlarmTopicArn>');
  });
});
