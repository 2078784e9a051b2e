import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { type MotoServer, silentLogger, startMotoServer } from '@strata/test-support';
import { discoverZones } from '../../src/discovery';

const logger = silentLogger;
let cloud: MotoServer;
let ec2: EC2Client;
let rds: RDSClient;

beforeAll(async () => {
  cloud = await startMotoServer();
  ec2 = new EC2Client(cloud.clientConfig);
  rds = new RDSClient(cloud.clientConfig);
}, 40_000);
afterAll(async () => {
  ec2?.destroy();
  rds?.destroy();
  await cloud?.stop();
});

describe('Integration: AZ discovery against the local cloud over HTTP', () => {
  it('chooses the first zones that offer every type and the DB class', async () => {
    const choice = await discoverZones(
      { count: 3, instanceTypes: ['t4g.small', 'm7g.large'], dbInstanceClass: 'db.m7g.large', engine: 'mysql' },
      { ec2, rds, logger },
    );

    expect(choice.zones.map((z) => z.name)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(choice.zones.every((z) => /^use1-az\d$/.test(z.id))).toBe(true);
  });

  it('refuses more zones than qualify, naming the zone without the types and the one without the DB class', async () => {
    const attempt = discoverZones(
      { count: 5, instanceTypes: ['t4g.small', 'm7g.large'], dbInstanceClass: 'db.m7g.large', engine: 'mysql' },
      { ec2, rds, logger },
    );

    await expect(attempt).rejects.toThrow(
      /only 4 qualify .*us-east-1e: offers no t4g\.small, m7g\.large.*us-east-1f: RDS offers no db\.m7g\.large \(mysql\)/,
    );
  });
});
