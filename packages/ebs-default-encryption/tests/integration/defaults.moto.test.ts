import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CreateVolumeCommand,
  EC2Client,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { customResourceHandler } from '@strata/custom-resource-runtime';
import { answerTo, eventsFor, type MotoServer, startMotoServer } from '@strata/test-support';
import { ebsDefaultEncryption } from '../../src/resource';

let moto: MotoServer;
let ec2: EC2Client;
let cloudFormation: CloudFormationClient;

beforeAll(async () => {
  moto = await startMotoServer();
  ec2 = new EC2Client(moto.clientConfig);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
}, 40_000);
afterAll(async () => {
  ec2?.destroy();
  cloudFormation?.destroy();
  await moto?.stop();
});

const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/strata-account/guid';
const run = (event: unknown) =>
  answerTo((o) => customResourceHandler(ebsDefaultEncryption(ec2, cloudFormation), o), event);
const event = eventsFor('Custom::EbsDefaultEncryption', STACK);

describe('Integration: EBS encryption by default against the local cloud over HTTP', () => {
  it('encrypts new volumes with the account key, and puts the region back as it was when told to', async () => {
    // Arrange
    const kms = new KMSClient(moto.clientConfig);
    const key = (await kms.send(new CreateKeyCommand({ Description: 'account key' }))).KeyMetadata?.Arn ?? '';
    kms.destroy();

    // Act: create
    const created = await run(event('Create', { KmsKeyId: key, RestoreOnDelete: 'always' }));

    // Assert: on, with the key, for a volume that asks for nothing
    expect(created.Status).toBe('SUCCESS');
    expect((await ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(true);
    expect((await ec2.send(new GetEbsDefaultKmsKeyIdCommand({}))).KmsKeyId).toBe(key);

    // Act: delete restores off, with the AWS managed key
    expect(
      (await run(event('Delete', { KmsKeyId: key, RestoreOnDelete: 'always' }, created.PhysicalResourceId))).Status,
    ).toBe('SUCCESS');
    expect((await ec2.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault).toBe(false);
    expect((await ec2.send(new GetEbsDefaultKmsKeyIdCommand({}))).KmsKeyId).toBe(
      'arn:aws:kms:us-east-1:123456789012:alias/aws/ebs',
    );
    // the volume API still works with the managed key
    await expect(ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }))).resolves.toBeDefined();
  });
});
