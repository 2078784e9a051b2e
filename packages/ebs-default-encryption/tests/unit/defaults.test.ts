import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DisableEbsEncryptionByDefaultCommand,
  EC2Client,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  ModifyEbsDefaultKmsKeyIdCommand,
} from '@aws-sdk/client-ec2';
import { customResourceHandler, previousFromId } from '@strata/custom-resource-runtime';
import { answerTo, eventsFor } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { isManagedKey, readEbsDefaults, writeEbsDefaults } from '../../src/defaults';
import { KmsKeyRegionError } from '../../src/errors';
import { ebsDefaultEncryption, wantedDefaults } from '../../src/resource';

const ec2Mock = mockClient(EC2Client);
const cfnMock = mockClient(CloudFormationClient);
const STACK = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-account/guid';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OLD_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
const run = (event: unknown) =>
  answerTo(
    (o) => customResourceHandler(ebsDefaultEncryption(new EC2Client({}), new CloudFormationClient({})), o),
    event,
  );
const event = eventsFor('Custom::EbsDefaultEncryption', STACK);
const order = () => ec2Mock.calls().map((c) => c.args[0].constructor.name);

beforeEach(() => {
  ec2Mock.reset();
  cfnMock.reset();
  ec2Mock.on(GetEbsEncryptionByDefaultCommand).resolves({ EbsEncryptionByDefault: false });
  ec2Mock.on(GetEbsDefaultKmsKeyIdCommand).resolves({ KmsKeyId: 'alias/aws/ebs' });
});

describe('Function: isManagedKey', () => {
  it('knows the AWS managed key by its alias, bare or as an ARN, and nothing else', () => {
    expect(isManagedKey('alias/aws/ebs')).toBe(true);
    expect(isManagedKey('arn:aws:kms:eu-west-1:123456789012:alias/aws/ebs')).toBe(true);
    expect(isManagedKey(KEY)).toBe(false);
  });
});

describe('Function: wantedDefaults', () => {
  it('asks for encryption with the given key, or with the managed key when none is given', () => {
    expect(wantedDefaults({ KmsKeyId: KEY }, STACK)).toEqual({ encrypted: true, kmsKeyId: KEY });
    expect(wantedDefaults({}, STACK)).toEqual({ encrypted: true, kmsKeyId: null });
  });

  it('refuses a key of another region, naming the stack’s region', () => {
    const other = KEY.replace('eu-west-1', 'us-east-1');

    expect(() => wantedDefaults({ KmsKeyId: other }, STACK)).toThrow(KmsKeyRegionError);
    expect(() => wantedDefaults({ KmsKeyId: other }, STACK)).toThrow(/\(eu-west-1\)/);
  });
});

describe('Function: readEbsDefaults / writeEbsDefaults', () => {
  it('reads the managed key as null and a chosen key as its ARN', async () => {
    expect(await readEbsDefaults({ ec2: new EC2Client({}) })).toEqual({ encrypted: false, kmsKeyId: null });
    ec2Mock.on(GetEbsDefaultKmsKeyIdCommand).resolves({ KmsKeyId: KEY });
    ec2Mock.on(GetEbsEncryptionByDefaultCommand).resolves({ EbsEncryptionByDefault: true });
    expect(await readEbsDefaults({ ec2: new EC2Client({}) })).toEqual({ encrypted: true, kmsKeyId: KEY });
  });

  it('sets the key before turning encryption on, so no volume gets a key nobody chose', async () => {
    await writeEbsDefaults({ encrypted: true, kmsKeyId: KEY }, { ec2: new EC2Client({}) });

    expect(order()).toEqual(['ModifyEbsDefaultKmsKeyIdCommand', 'EnableEbsEncryptionByDefaultCommand']);
    expect(ec2Mock).toHaveReceivedCommandWith(ModifyEbsDefaultKmsKeyIdCommand, { KmsKeyId: KEY });
  });

  it('resets to the managed key and turns encryption off when that is what was there', async () => {
    await writeEbsDefaults({ encrypted: false, kmsKeyId: null }, { ec2: new EC2Client({}) });

    expect(order()).toEqual(['ResetEbsDefaultKmsKeyIdCommand', 'DisableEbsEncryptionByDefaultCommand']);
  });

  it('names the operation EC2 refused', async () => {
    ec2Mock
      .on(ModifyEbsDefaultKmsKeyIdCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'UnauthorizedOperation' }));

    await expect(writeEbsDefaults({ encrypted: true, kmsKeyId: KEY }, { ec2: new EC2Client({}) })).rejects.toThrow(
      'EC2 refused ModifyEbsDefaultKmsKeyId: UnauthorizedOperation: not allowed',
    );
  });
});

describe('Function: ebsDefaultEncryption (through the runtime)', () => {
  it('turns encryption on with the key and records that it was off with the managed key', async () => {
    const answer = await run(event('Create', { KmsKeyId: KEY }));

    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { KmsKeyId: KEY, EncryptionByDefault: 'true' } });
    expect(previousFromId('ebs-default-encryption', answer.PhysicalResourceId)).toEqual({
      encrypted: false,
      kmsKeyId: null,
    });
    expect(ec2Mock).toHaveReceivedCommand(EnableEbsEncryptionByDefaultCommand);
  });

  it('refuses a KmsKeyId that is not a key ARN, naming the property, before any change', async () => {
    const answer = await run(event('Create', { KmsKeyId: 'alias/strata' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('KmsKeyId: must be a KMS key ARN');
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('puts the key and the setting back when turning encryption on fails', async () => {
    ec2Mock.on(GetEbsDefaultKmsKeyIdCommand).resolves({ KmsKeyId: OLD_KEY });
    ec2Mock
      .on(EnableEbsEncryptionByDefaultCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'RequestLimitExceeded' }));

    const answer = await run(event('Create', { KmsKeyId: KEY }));

    expect(answer.Status).toBe('FAILED');
    expect(ec2Mock).toHaveReceivedNthSpecificCommandWith(2, ModifyEbsDefaultKmsKeyIdCommand, { KmsKeyId: OLD_KEY });
    expect(ec2Mock).toHaveReceivedCommand(DisableEbsEncryptionByDefaultCommand);
  });

  it('restores what it found on the rollback of its create, and leaves encryption on after a plain stack delete', async () => {
    const created = await run(event('Create', { KmsKeyId: KEY }));
    ec2Mock.resetHistory();
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'strata-account', StackStatus: 'DELETE_IN_PROGRESS', CreationTime: new Date() }],
    });

    await run(event('Delete', { KmsKeyId: KEY }, created.PhysicalResourceId));
    expect(ec2Mock.calls()).toHaveLength(0);

    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'strata-account', StackStatus: 'ROLLBACK_IN_PROGRESS', CreationTime: new Date() }],
    });
    await run(event('Delete', { KmsKeyId: KEY }, created.PhysicalResourceId));
    expect(order()).toEqual(['ResetEbsDefaultKmsKeyIdCommand', 'DisableEbsEncryptionByDefaultCommand']);
  });
});
