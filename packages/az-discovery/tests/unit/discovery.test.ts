import {
  type AvailabilityZone,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  EC2Client,
  type InstanceTypeOffering,
} from '@aws-sdk/client-ec2';
import { DescribeOrderableDBInstanceOptionsCommand, RDSClient } from '@aws-sdk/client-rds';
import { AWS_CLIENT_CONFIG, customResourceHandler, type Logger, type Put } from '@strata/custom-resource-runtime';
import { throttlingHandler } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { discoverZones } from '../../src/discovery';
import { NotEnoughZonesError } from '../../src/errors';
import { availabilityZones } from '../../src/resource';

const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const logger: Logger = { debug: () => undefined, info: () => undefined, warn: jest.fn(), error: () => undefined };
const deps = () => ({ ec2: new EC2Client({}), rds: new RDSClient({}), logger });

const zone = (letter: string, extra: Record<string, string> = {}): AvailabilityZone => ({
  ZoneName: `eu-west-1${letter}`,
  ZoneId: `euw1-az${letter.charCodeAt(0) - 96}`,
  State: 'available',
  ZoneType: 'availability-zone',
  OptInStatus: 'opt-in-not-required',
  ...(extra as Partial<AvailabilityZone>),
});
const offer = (letter: string, type: string): InstanceTypeOffering => ({
  Location: `eu-west-1${letter}`,
  InstanceType: type as InstanceTypeOffering['InstanceType'],
  LocationType: 'availability-zone',
});

function world(options: { zones?: AvailabilityZone[]; offers?: InstanceTypeOffering[]; dbZones?: string[] } = {}) {
  ec2Mock.reset();
  rdsMock.reset();
  ec2Mock
    .on(DescribeAvailabilityZonesCommand)
    .resolves({ AvailabilityZones: options.zones ?? ['c', 'a', 'b'].map((l) => zone(l)) });
  const offers = options.offers ?? ['a', 'b', 'c'].flatMap((l) => [offer(l, 't4g.small'), offer(l, 'm7g.large')]);
  // Two pages, to prove pagination is followed.
  ec2Mock
    .on(DescribeInstanceTypeOfferingsCommand)
    .resolvesOnce({ InstanceTypeOfferings: offers.slice(0, 2), NextToken: 'next' })
    .resolves({ InstanceTypeOfferings: offers.slice(2) });
  const dbZones = options.dbZones ?? ['a', 'b', 'c'];
  rdsMock
    .on(DescribeOrderableDBInstanceOptionsCommand)
    .resolvesOnce({
      OrderableDBInstanceOptions: [{ AvailabilityZones: dbZones.slice(0, 1).map((l) => ({ Name: `eu-west-1${l}` })) }],
      Marker: 'm',
    })
    .resolves({
      OrderableDBInstanceOptions: [{ AvailabilityZones: dbZones.slice(1).map((l) => ({ Name: `eu-west-1${l}` })) }],
    });
}

const request = (count: number, previous?: string[]) => ({
  count,
  instanceTypes: ['t4g.small', 'm7g.large'],
  dbInstanceClass: 'db.t4g.micro',
  engine: 'mysql',
  ...(previous ? { previous } : {}),
});

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
});

describe('Function: discoverZones', () => {
  it('picks eligible zones in name order, following every page', async () => {
    // Arrange
    world();

    // Act
    const choice = await discoverZones(request(2), deps());

    // Assert
    expect(choice.zones).toEqual([
      { name: 'eu-west-1a', id: 'euw1-az1' },
      { name: 'eu-west-1b', id: 'euw1-az2' },
    ]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstanceTypeOfferingsCommand, 2);
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeOrderableDBInstanceOptionsCommand, 2);
    expect(rdsMock).toHaveReceivedCommandWith(DescribeOrderableDBInstanceOptionsCommand, {
      Engine: 'mysql',
      DBInstanceClass: 'db.t4g.micro',
    });
  });

  it('skips a zone that lacks an instance type, and one without the DB class', async () => {
    world({
      zones: ['a', 'b', 'c', 'd'].map((l) => zone(l)),
      offers: [
        ...['a', 'b', 'c', 'd'].map((l) => offer(l, 't4g.small')),
        offer('a', 'm7g.large'),
        offer('c', 'm7g.large'),
        offer('d', 'm7g.large'),
      ],
      dbZones: ['a', 'b', 'c'],
    });

    const choice = await discoverZones(request(2), deps());

    expect(choice.zones.map((z) => z.name)).toEqual(['eu-west-1a', 'eu-west-1c']);
    expect(choice.rejected).toEqual([
      { zone: 'eu-west-1b', reasons: ['offers no m7g.large'] },
      { zone: 'eu-west-1d', reasons: ['RDS offers no db.t4g.micro (mysql)'] },
    ]);
  });

  it('skips opt-in zones not opted in, impaired zones and local zones', async () => {
    world({
      zones: [
        zone('a'),
        zone('b', { OptInStatus: 'not-opted-in' }),
        zone('c', { State: 'impaired' }),
        zone('d', { ZoneType: 'local-zone', ZoneName: 'eu-west-1-lz1a' }),
        zone('e', { OptInStatus: 'opted-in' }),
      ],
      offers: ['a', 'b', 'c', 'e'].flatMap((l) => [offer(l, 't4g.small'), offer(l, 'm7g.large')]),
      dbZones: ['a', 'b', 'c', 'e'],
    });

    const choice = await discoverZones(request(2), deps());

    expect(choice.zones.map((z) => z.name)).toEqual(['eu-west-1a', 'eu-west-1e']);
    expect(choice.rejected.map((r) => r.zone)).toEqual(['eu-west-1-lz1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('is deterministic whatever order the API answers in', async () => {
    world({ zones: ['b', 'c', 'a'].map((l) => zone(l)) });
    const first = await discoverZones(request(3), deps());
    world({ zones: ['c', 'a', 'b'].map((l) => zone(l)) });
    const second = await discoverZones(request(3), deps());

    expect(first.zones).toEqual(second.zones);
  });

  describe('when updating', () => {
    it('keeps the zones chosen before first and in their order, then adds new ones', async () => {
      world({ zones: ['a', 'b', 'c'].map((l) => zone(l)) });

      const choice = await discoverZones(request(3, ['eu-west-1c', 'eu-west-1a']), deps());

      expect(choice.zones.map((z) => z.name)).toEqual(['eu-west-1c', 'eu-west-1a', 'eu-west-1b']);
    });

    it('keeps a previous zone that no longer qualifies, and warns', async () => {
      world({ offers: ['a', 'c'].flatMap((l) => [offer(l, 't4g.small'), offer(l, 'm7g.large')]) });

      const choice = await discoverZones(request(2, ['eu-west-1b', 'eu-west-1a']), deps());

      expect(choice.zones.map((z) => z.name)).toEqual(['eu-west-1b', 'eu-west-1a']);
      expect(logger.warn).toHaveBeenCalledWith(
        'a zone chosen before no longer qualifies; it is kept',
        expect.objectContaining({ zone: 'eu-west-1b' }),
      );
    });
  });

  it('fails naming every rejected zone and what it lacks when too few qualify', async () => {
    world({
      offers: ['a', 'b', 'c'].map((l) => offer(l, 't4g.small')).concat([offer('a', 'm7g.large')]),
      dbZones: ['a', 'b'],
    });

    const attempt = discoverZones(request(2), deps());

    await expect(attempt).rejects.toThrow(NotEnoughZonesError);
    await expect(attempt).rejects.toThrow(
      'need 2 availability zones but only 1 qualify (eu-west-1a); rejected eu-west-1b: offers no m7g.large; eu-west-1c: offers no m7g.large, RDS offers no db.t4g.micro (mysql): lower Count, or choose instance types and a DB class offered in more zones',
    );
  });
});

describe('Function: handler (Custom::AvailabilityZones)', () => {
  const sent: string[] = [];
  const put: Put = async (_u, body) => {
    sent.push(body);
    return 200;
  };
  const event = (type: string, physicalId?: string) => ({
    RequestType: type,
    ResponseURL: 'https://example.invalid/r?sig',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-prod-DiscoveryStack/x',
    RequestId: 'r1',
    LogicalResourceId: 'AvailabilityZones',
    ResourceType: 'Custom::AvailabilityZones',
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
    ResourceProperties: {
      ServiceToken: 'arn',
      Count: '3',
      InstanceTypes: 't4g.small,m7g.large',
      DbInstanceClass: 'db.t4g.micro',
      Engine: 'mysql',
    },
    OldResourceProperties: {
      ServiceToken: 'arn',
      Count: '2',
      InstanceTypes: 't4g.small,m7g.large',
      DbInstanceClass: 'db.t4g.micro',
      Engine: 'mysql',
    },
  });
  const handler = () =>
    customResourceHandler(availabilityZones({ ec2: new EC2Client({}), rds: new RDSClient({}) }), { put, logger });
  beforeEach(() => sent.splice(0));

  it('returns the names, zone IDs and one attribute per zone, and records them in the physical ID', async () => {
    world();

    await handler()(event('Create'), { getRemainingTimeInMillis: () => 60_000 });

    expect(JSON.parse(sent[0] ?? '')).toEqual(
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'azs:eu-west-1a,eu-west-1b,eu-west-1c',
        Data: {
          Names: 'eu-west-1a,eu-west-1b,eu-west-1c',
          ZoneIds: 'euw1-az1,euw1-az2,euw1-az3',
          Count: '3',
          Zone1: 'eu-west-1a',
          Zone2: 'eu-west-1b',
          Zone3: 'eu-west-1c',
        },
      }),
    );
  });

  it('on Update reads the previous zones from its physical ID and keeps them first', async () => {
    world();

    await handler()(event('Update', 'azs:eu-west-1b,eu-west-1c'), { getRemainingTimeInMillis: () => 60_000 });

    expect(JSON.parse(sent[0] ?? '').Data.Names).toBe('eu-west-1b,eu-west-1c,eu-west-1a');
  });
});

describe('Client configuration: throttling', () => {
  afterAll(() => {
    ec2Mock.restore();
    rdsMock.restore();
  });

  it('retries a throttled RDS call and then succeeds', async () => {
    ec2Mock.restore();
    rdsMock.restore();
    const requestHandler = throttlingHandler({
      throttles: 2,
      error: {
        status: 400,
        contentType: 'text/xml',
        body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>',
      },
      success: {
        contentType: 'text/xml',
        body: '<DescribeOrderableDBInstanceOptionsResponse><DescribeOrderableDBInstanceOptionsResult><OrderableDBInstanceOptions><OrderableDBInstanceOption><DBInstanceClass>db.t4g.micro</DBInstanceClass></OrderableDBInstanceOption></OrderableDBInstanceOptions></DescribeOrderableDBInstanceOptionsResult></DescribeOrderableDBInstanceOptionsResponse>',
      },
    });
    const rds = new RDSClient({
      ...AWS_CLIENT_CONFIG,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler,
    });

    const out = await rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mysql' }));

    expect(out.OrderableDBInstanceOptions?.[0]?.DBInstanceClass).toBe('db.t4g.micro');
    expect(requestHandler.calls).toBe(3);
  }, 30_000);
});
