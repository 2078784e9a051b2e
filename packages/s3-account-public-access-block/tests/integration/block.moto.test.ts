import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetPublicAccessBlockCommand, PutPublicAccessBlockCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { customResourceHandler } from '@strata/custom-resource-runtime';
import { answerTo, eventsFor, type MotoServer, startMotoServer } from '@strata/test-support';
import { s3AccountPublicAccessBlock } from '../../src/resource';

let moto: MotoServer;
let s3control: S3ControlClient;
let cloudFormation: CloudFormationClient;
const ACCOUNT = '123456789012';

beforeAll(async () => {
  moto = await startMotoServer();
  s3control = new S3ControlClient(moto.s3ControlConfig);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
}, 40_000);
afterAll(async () => {
  s3control?.destroy();
  cloudFormation?.destroy();
  await moto?.stop();
});

const run = (event: unknown) =>
  answerTo((o) => customResourceHandler(s3AccountPublicAccessBlock(s3control, cloudFormation), o), event);
const event = eventsFor(
  'Custom::S3AccountPublicAccessBlock',
  `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/strata-account/guid`,
);
const block = async () =>
  (await s3control.send(new GetPublicAccessBlockCommand({ AccountId: ACCOUNT }))).PublicAccessBlockConfiguration;

describe('Integration: the account public access block against the local cloud over HTTP', () => {
  it('blocks all four over a partial block, and puts the partial block back when told to', async () => {
    await s3control.send(
      new PutPublicAccessBlockCommand({
        AccountId: ACCOUNT,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true },
      }),
    );

    const created = await run(event('Create', { RestoreOnDelete: 'always' }));

    expect(created.Status).toBe('SUCCESS');
    expect(await block()).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });

    expect((await run(event('Delete', { RestoreOnDelete: 'always' }, created.PhysicalResourceId))).Status).toBe(
      'SUCCESS',
    );
    expect(await block()).toMatchObject({ BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false });
  });
});
