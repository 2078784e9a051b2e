import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  NoSuchPublicAccessBlockConfiguration,
  PutPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { customResourceHandler, previousFromId } from '@strata/custom-resource-runtime';
import { answerTo, eventsFor } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readPublicAccessBlock, removePublicAccessBlock } from '../../src/block';
import { NothingBlockedError } from '../../src/errors';
import { s3AccountPublicAccessBlock, wantedBlock } from '../../src/resource';

const s3controlMock = mockClient(S3ControlClient);
const cfnMock = mockClient(CloudFormationClient);
const ACCOUNT = '123456789012';
const ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const none = () =>
  new NoSuchPublicAccessBlockConfiguration({
    message: 'The public access block configuration was not found',
    $metadata: {},
  });
const deps = () => ({ s3control: new S3ControlClient({}), accountId: ACCOUNT });
const run = (event: unknown) =>
  answerTo(
    (o) => customResourceHandler(s3AccountPublicAccessBlock(new S3ControlClient({}), new CloudFormationClient({})), o),
    event,
  );
const event = eventsFor('Custom::S3AccountPublicAccessBlock');

beforeEach(() => {
  s3controlMock.reset();
  cfnMock.reset();
  s3controlMock.on(PutPublicAccessBlockCommand).resolves({});
  s3controlMock.on(DeletePublicAccessBlockCommand).resolves({});
});

describe('Function: wantedBlock', () => {
  it('blocks all four by default and keeps what the properties turn off', () => {
    expect(wantedBlock({})).toEqual(ALL);
    expect(wantedBlock({ RestrictPublicBuckets: false })).toEqual({ ...ALL, RestrictPublicBuckets: false });
  });

  it('refuses four falses, which would block nothing', () => {
    const off = {
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    };

    expect(() => wantedBlock(off)).toThrow(NothingBlockedError);
  });
});

describe('Function: readPublicAccessBlock / removePublicAccessBlock', () => {
  it('reads the account’s configuration, for the stack’s account', async () => {
    s3controlMock
      .on(GetPublicAccessBlockCommand)
      .resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true } });

    expect(await readPublicAccessBlock(deps())).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    expect(s3controlMock).toHaveReceivedCommandWith(GetPublicAccessBlockCommand, { AccountId: ACCOUNT });
  });

  it('answers null when the account has none, and removing none is done', async () => {
    s3controlMock.on(GetPublicAccessBlockCommand).rejects(none());
    s3controlMock.on(DeletePublicAccessBlockCommand).rejects(none());

    expect(await readPublicAccessBlock(deps())).toBeNull();
    await expect(removePublicAccessBlock(deps())).resolves.toBeUndefined();
  });
});

describe('Function: s3AccountPublicAccessBlock (through the runtime)', () => {
  it('blocks all four for the stack’s account and records that there was no configuration', async () => {
    s3controlMock.on(GetPublicAccessBlockCommand).rejects(none());

    const answer = await run(event('Create'));

    expect(answer.Status).toBe('SUCCESS');
    expect(s3controlMock).toHaveReceivedCommandWith(PutPublicAccessBlockCommand, {
      AccountId: ACCOUNT,
      PublicAccessBlockConfiguration: ALL,
    });
    expect(previousFromId('s3-account-public-access-block', answer.PhysicalResourceId)).toBeNull();
  });

  it('refuses a value that is not a boolean, naming the property', async () => {
    const answer = await run(event('Create', { BlockPublicAcls: 'yes' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('BlockPublicAcls: must be true or false');
  });

  it('removes the configuration on the rollback of its create when there was none before', async () => {
    s3controlMock.on(GetPublicAccessBlockCommand).rejects(none());
    const created = await run(event('Create'));
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'strata-account', StackStatus: 'ROLLBACK_IN_PROGRESS', CreationTime: new Date() }],
    });

    await run(event('Delete', {}, created.PhysicalResourceId));

    expect(s3controlMock).toHaveReceivedCommandWith(DeletePublicAccessBlockCommand, { AccountId: ACCOUNT });
  });
});
