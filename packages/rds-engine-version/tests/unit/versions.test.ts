import {
  type DBEngineVersion,
  DescribeDBEngineVersionsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { customResourceHandler, type Put } from '@strata/custom-resource-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { silentLogger } from '@strata/test-support';
import { DowngradeRefusedError, NoEligibleVersionError, PinnedVersionNotOfferedError } from '../../src/errors';
import { rdsEngineVersion } from '../../src/resource';
import { compareVersions, isStandardVersion, lookUpVersion } from '../../src/versions';

const rdsMock = mockClient(RDSClient);
const logger = silentLogger;
const deps = () => ({ rds: new RDSClient({}), logger });

const v = (
  version: string,
  status = 'available',
  family = version.startsWith('8.4') ? 'mysql8.4' : 'mysql8.0',
): DBEngineVersion => ({
  Engine: 'mysql',
  EngineVersion: version,
  DBParameterGroupFamily: family,
  Status: status,
});

function world(versions: DBEngineVersion[], orderable: { version: string; multiAz?: boolean }[]) {
  rdsMock.reset();
  // Two pages each, to prove pagination is followed.
  rdsMock
    .on(DescribeDBEngineVersionsCommand)
    .resolvesOnce({ DBEngineVersions: versions.slice(0, 1), Marker: 'm' })
    .resolves({ DBEngineVersions: versions.slice(1) });
  const options = orderable.map((o) => ({
    EngineVersion: o.version,
    MultiAZCapable: o.multiAz ?? true,
    DBInstanceClass: 'db.t4g.micro',
  }));
  rdsMock
    .on(DescribeOrderableDBInstanceOptionsCommand)
    .resolvesOnce({ OrderableDBInstanceOptions: options.slice(0, 1), Marker: 'm' })
    .resolves({ OrderableDBInstanceOptions: options.slice(1) });
}

const request = (extra: Partial<{ pinnedVersion: string; multiAz: boolean; majorVersion: string }> = {}) => ({
  engine: 'mysql',
  majorVersion: '8.0',
  instanceClass: 'db.t4g.micro',
  multiAz: false,
  ...extra,
});

describe('Function: compareVersions', () => {
  it('compares numerically, not as text', () => {
    expect(compareVersions('8.0.10', '8.0.9')).toBeGreaterThan(0);
    expect(compareVersions('8.4.0', '8.0.40')).toBeGreaterThan(0);
    expect(compareVersions('8.0.40', '8.0.40')).toBe(0);
  });
});

describe('Function: lookUpVersion', () => {
  it('picks the newest available version of the major that is orderable for the class, with the family RDS reports', async () => {
    // Arrange: 8.0.43 is not orderable for the class; 8.0.44 is deprecated; 8.4.6 is another major.
    world(
      [v('8.0.39'), v('8.0.9'), v('8.0.43'), v('8.0.44', 'deprecated'), v('8.0.41', 'available', 'mysql8.0-custom')],
      [{ version: '8.0.39' }, { version: '8.0.41' }, { version: '8.0.44' }, { version: '8.0.9' }],
    );

    // Act
    const choice = await lookUpVersion(request(), deps());

    // Assert
    expect(choice).toEqual({ engineVersion: '8.0.41', parameterGroupFamily: 'mysql8.0-custom' });
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBEngineVersionsCommand, 2);
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeOrderableDBInstanceOptionsCommand, 2);
    expect(rdsMock).toHaveReceivedCommandWith(DescribeDBEngineVersionsCommand, {
      Engine: 'mysql',
      EngineVersion: '8.0',
    });
  });

  it('skips versions that cannot run Multi-AZ when Multi-AZ is asked', async () => {
    world([v('8.0.40'), v('8.0.41')], [{ version: '8.0.40' }, { version: '8.0.41', multiAz: false }]);

    expect(await lookUpVersion(request({ multiAz: true }), deps())).toEqual({
      engineVersion: '8.0.40',
      parameterGroupFamily: 'mysql8.0',
    });
  });

  it('fails clearly when no version is eligible', async () => {
    world([v('8.0.40', 'deprecated')], [{ version: '8.0.40' }]);

    await expect(lookUpVersion(request(), deps())).rejects.toThrow(NoEligibleVersionError);
  });

  it('takes a pinned version that exists', async () => {
    world([v('8.0.39'), v('8.0.40')], [{ version: '8.0.39' }, { version: '8.0.40' }]);

    expect((await lookUpVersion(request({ pinnedVersion: '8.0.39' }), deps())).engineVersion).toBe('8.0.39');
  });

  it('refuses a pinned version that does not exist, listing the valid ones newest first', async () => {
    world([v('8.0.39'), v('8.0.40')], [{ version: '8.0.39' }, { version: '8.0.40' }]);
    const attempt = lookUpVersion(request({ pinnedVersion: '8.0.38' }), deps());

    await expect(attempt).rejects.toThrow(PinnedVersionNotOfferedError);
    await expect(attempt).rejects.toThrow(
      'PinnedVersion 8.0.38 is not offered for this engine, major and class; valid versions, newest first: 8.0.40, 8.0.39',
    );
  });

  describe('when RDS also lists Extended Support minors (8.0.x-RDS.YYYYMMDD)', () => {
    const extended = '8.0.44-RDS.20260915';

    it('never picks one as newest, though it ranks above every standard version', async () => {
      world(
        [v('8.0.42'), v('8.0.43'), v(extended)],
        [{ version: '8.0.42' }, { version: '8.0.43' }, { version: extended }],
      );

      expect(await lookUpVersion(request(), deps())).toEqual({
        engineVersion: '8.0.43',
        parameterGroupFamily: 'mysql8.0',
      });
    });

    it('refuses one as a pin, listing only the standard versions', async () => {
      world([v('8.0.43'), v(extended)], [{ version: '8.0.43' }, { version: extended }]);

      await expect(lookUpVersion(request({ pinnedVersion: extended }), deps())).rejects.toThrow(
        `PinnedVersion ${extended} is not offered for this engine, major and class; valid versions, newest first: 8.0.43`,
      );
    });

    it('fails clearly when only Extended Support minors are left', async () => {
      world([v(extended)], [{ version: extended }]);

      await expect(lookUpVersion(request(), deps())).rejects.toThrow(NoEligibleVersionError);
    });
  });

  it('tells standard versions from Extended Support minors by name', () => {
    expect(['8.4.6', '8.0.43', '10.11.9'].every(isStandardVersion)).toBe(true);
    expect(['8.0.44-RDS.20260915', '8.0', '8.0.x', '8.0.43 '].some(isStandardVersion)).toBe(false);
  });

  it('never goes below the version chosen before', async () => {
    world([v('8.0.39'), v('8.0.40')], [{ version: '8.0.39' }, { version: '8.0.40' }]);

    expect((await lookUpVersion(request(), deps(), '8.0.42')).engineVersion).toBe('8.0.42');
    world([v('8.0.39'), v('8.0.40')], [{ version: '8.0.39' }, { version: '8.0.40' }]);
    await expect(lookUpVersion(request({ pinnedVersion: '8.0.39' }), deps(), '8.0.40')).rejects.toThrow(
      DowngradeRefusedError,
    );
  });
});

describe('Function: handler (Custom::RdsEngineVersion)', () => {
  const sent: string[] = [];
  const put: Put = async (_u, body) => {
    sent.push(body);
    return 200;
  };
  const props = (extra: Record<string, string> = {}) => ({
    ServiceToken: 'arn',
    Engine: 'mysql',
    MajorVersion: '8.0',
    InstanceClass: 'db.t4g.micro',
    MultiAz: 'false',
    ...extra,
  });
  const event = (
    type: string,
    resourceProperties: Record<string, string>,
    old?: Record<string, string>,
    physicalId?: string,
  ) => ({
    RequestType: type,
    ResponseURL: 'https://example.invalid/r?sig',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-prod-DiscoveryStack/x',
    RequestId: 'r1',
    LogicalResourceId: 'EngineVersion',
    ResourceType: 'Custom::RdsEngineVersion',
    ResourceProperties: resourceProperties,
    ...(old ? { OldResourceProperties: old } : {}),
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
  });
  const run = async (ev: unknown) => {
    sent.splice(0);
    await customResourceHandler(rdsEngineVersion(new RDSClient({})), { put, logger })(ev, {
      getRemainingTimeInMillis: () => 60_000,
    });
    return JSON.parse(sent[0] ?? '') as {
      Status: string;
      Reason?: string;
      PhysicalResourceId: string;
      Data?: Record<string, string>;
    };
  };

  beforeEach(() =>
    world([v('8.0.40'), v('8.0.41'), v('8.4.5')], [{ version: '8.0.40' }, { version: '8.0.41' }, { version: '8.4.5' }]),
  );

  it('answers the version and the family on Create', async () => {
    const body = await run(event('Create', props()));

    expect(body).toEqual(
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'rds-engine:mysql-8.0.41',
        Data: { EngineVersion: '8.0.41', ParameterGroupFamily: 'mysql8.0', MajorVersion: '8.0' },
      }),
    );
  });

  it('is sticky: an Update that changes nothing version-related keeps the version although a newer exists', async () => {
    const body = await run(
      event('Update', props({ InstanceClass: 'db.t4g.micro', MultiAz: 'true' }), props(), 'rds-engine:mysql-8.0.40'),
    );

    expect(body.Data?.EngineVersion).toBe('8.0.40');
    expect(body.PhysicalResourceId).toBe('rds-engine:mysql-8.0.40');
  });

  it('looks up again when RefreshToken changes', async () => {
    const body = await run(event('Update', props({ RefreshToken: '2026-11' }), props(), 'rds-engine:mysql-8.0.40'));

    expect(body.Data?.EngineVersion).toBe('8.0.41');
  });

  it('moves to the new major when MajorVersion goes up', async () => {
    const body = await run(event('Update', props({ MajorVersion: '8.4' }), props(), 'rds-engine:mysql-8.0.41'));

    expect(body.Data).toEqual({ EngineVersion: '8.4.5', ParameterGroupFamily: 'mysql8.4', MajorVersion: '8.4' });
  });

  it('refuses a MajorVersion below the running one', async () => {
    const body = await run(event('Update', props(), props({ MajorVersion: '8.4' }), 'rds-engine:mysql-8.4.5'));

    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toBe(
      'the database runs 8.4.5; MajorVersion 8.0 would be a downgrade, which RDS cannot do: pin 8.4.5 or newer',
    );
    expect(body.PhysicalResourceId).toBe('rds-engine:mysql-8.4.5');
  });

  it('answers FAILED naming MajorVersion when it is not 8.0 or 8.4', async () => {
    const body = await run(event('Create', props({ MajorVersion: '5.7' })));

    expect(body.Reason).toBe('invalid properties: MajorVersion: must be 8.0 or 8.4');
  });
});
