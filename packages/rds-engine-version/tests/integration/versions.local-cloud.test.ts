import { RDSClient } from '@aws-sdk/client-rds';
import { type MotoServer, silentLogger, startMotoServer } from '@strata/test-support';
import { lookUpVersion } from '../../src/versions';

const logger = silentLogger;
let cloud: MotoServer;
let rds: RDSClient;

beforeAll(async () => {
  cloud = await startMotoServer();
  rds = new RDSClient(cloud.clientConfig);
}, 40_000);
afterAll(async () => {
  rds?.destroy();
  await cloud?.stop();
});

describe('Integration: engine-version lookup against the local cloud over HTTP', () => {
  it('finds the newest 8.0 version and its family', async () => {
    expect(
      await lookUpVersion(
        { engine: 'mysql', majorVersion: '8.0', instanceClass: 'db.t4g.micro', multiAz: false },
        { rds, logger },
      ),
    ).toEqual({
      engineVersion: '8.0.43',
      parameterGroupFamily: 'mysql8.0',
    });
  });

  it('skips the newest 8.4 version where the class cannot order it', async () => {
    const micro = await lookUpVersion(
      { engine: 'mysql', majorVersion: '8.4', instanceClass: 'db.t4g.micro', multiAz: true },
      { rds, logger },
    );
    const medium = await lookUpVersion(
      { engine: 'mysql', majorVersion: '8.4', instanceClass: 'db.t4g.medium', multiAz: true },
      { rds, logger },
    );

    expect(micro).toEqual({ engineVersion: '8.4.5', parameterGroupFamily: 'mysql8.4' });
    expect(medium.engineVersion).toBe('8.4.6');
  });

  it('refuses a deprecated pinned version, listing the valid ones', async () => {
    await expect(
      lookUpVersion(
        {
          engine: 'mysql',
          majorVersion: '8.0',
          instanceClass: 'db.t4g.micro',
          multiAz: false,
          pinnedVersion: '8.0.32',
        },
        { rds, logger },
      ),
    ).rejects.toThrow(
      'PinnedVersion 8.0.32 is not offered for this engine, major and class; valid versions, newest first: 8.0.43, 8.0.42, 8.0.41, 8.0.40, 8.0.39, 8.0.36',
    );
  });
});
