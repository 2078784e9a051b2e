import { CloudFormationClient, DescribeStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import { answerTo, eventsFor } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import {
  type AccountSetting,
  accountSetting,
  customResourceHandler,
  physicalIdFor,
  previousFromId,
  restoreOnDelete,
  stackScope,
} from '../../src';
import { PreviousSettingError } from '../../src/errors';

const cfnMock = mockClient(CloudFormationClient);
const STACK = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-account/guid';

/** An account setting kept in memory: what the account holds, and every call made to change it. */
function fakeAccount(initial: number | null, failApply = false) {
  const account = { value: initial, calls: [] as string[] };
  const properties = z.strictObject({ Value: z.string(), RestoreOnDelete: restoreOnDelete() });
  const setting: AccountSetting<z.infer<typeof properties>, number, { Value: string }> = {
    name: 'Thing',
    kind: 'thing',
    properties,
    read: async () => account.value,
    apply: async (p) => {
      account.calls.push(`apply ${p.Value}`);
      if (failApply) throw new Error('AccessDenied: not allowed');
      account.value = Number(p.Value);
      return { Value: p.Value };
    },
    restore: async (previous) => {
      account.calls.push(`restore ${previous}`);
      account.value = previous;
    },
  };
  const run = (event: unknown) =>
    answerTo((options) => customResourceHandler(accountSetting(setting, new CloudFormationClient({})), options), event);
  return { account, run };
}

const event = eventsFor('Custom::Thing', STACK);

const rootIs = (status: StackStatus) =>
  cfnMock
    .on(DescribeStacksCommand)
    .resolves({ Stacks: [{ StackName: 'strata-account', StackStatus: status, CreationTime: new Date() }] });

beforeEach(() => cfnMock.reset());

describe('Function: stackScope', () => {
  it('reads the partition, region and account from a stack ARN', () => {
    expect(stackScope('arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/s/g')).toEqual({
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
      account: '123456789012',
    });
  });
});

describe('Function: physicalIdFor / previousFromId', () => {
  it('carries the setting as it was, set or not, through the PhysicalResourceId', () => {
    const set = physicalIdFor('thing', STACK, { MinimumPasswordLength: 8 });
    const unset = physicalIdFor('thing', STACK, null);

    expect(set).toMatch(/^thing:123456789012:eu-west-1:[A-Za-z0-9_-]+$/);
    expect(previousFromId('thing', set)).toEqual({ MinimumPasswordLength: 8 });
    expect(previousFromId('thing', unset)).toBeNull();
  });

  it('refuses an ID another resource made, rather than guessing what to restore', () => {
    expect(() => previousFromId('thing', 'other:123456789012:eu-west-1:e30')).toThrow(PreviousSettingError);
    expect(() => previousFromId('thing', 'thing:123456789012:eu-west-1:not-json')).toThrow(/RestoreOnDelete: never/);
  });

  it('refuses a setting that would not fit in CloudFormation’s 1 KB PhysicalResourceId', () => {
    expect(() => physicalIdFor('thing', STACK, 'x'.repeat(1000))).toThrow(/over 1 KB/);
  });
});

describe('Function: accountSetting', () => {
  it('reads the setting, applies the wanted one, and keeps the old one in the PhysicalResourceId', async () => {
    // Arrange
    const { account, run } = fakeAccount(6);

    // Act
    const answer = await run(event('Create', { Value: '14' }));

    // Assert
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data).toEqual({ Value: '14' });
    expect(account.value).toBe(14);
    expect(previousFromId('thing', answer.PhysicalResourceId)).toBe(6);
  });

  it('puts the old setting back when applying fails, so a failed create leaves the account as it was', async () => {
    const { account, run } = fakeAccount(6, true);

    const answer = await run(event('Create', { Value: '14' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('AccessDenied');
    expect(account.calls).toEqual(['apply 14', 'restore 6']);
  });

  it('keeps the PhysicalResourceId on Update, so CloudFormation sends no Delete that would restore the old setting', async () => {
    const { account, run } = fakeAccount(14);
    const id = physicalIdFor('thing', STACK, 6);

    const answer = await run(event('Update', { Value: '20' }, id));

    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id });
    expect(account.value).toBe(20);
  });

  describe('when the stack deletes it', () => {
    const id = physicalIdFor('thing', STACK, 6);

    it('leaves the setting in place by default (on-rollback), when no rollback is under way', async () => {
      const { account, run } = fakeAccount(14);
      rootIs('DELETE_IN_PROGRESS');

      expect((await run(event('Delete', { Value: '14' }, id))).Status).toBe('SUCCESS');
      expect(account.value).toBe(14);
    });

    it('restores the old setting when the create that made it rolls back', async () => {
      const { account, run } = fakeAccount(14);
      rootIs('ROLLBACK_IN_PROGRESS');

      expect((await run(event('Delete', { Value: '14' }, id))).Status).toBe('SUCCESS');
      expect(account.value).toBe(6);
    });

    it('restores it on every delete with RestoreOnDelete: always, and never with never', async () => {
      const always = fakeAccount(14);
      const never = fakeAccount(14);
      rootIs('ROLLBACK_IN_PROGRESS');

      await always.run(event('Delete', { Value: '14', RestoreOnDelete: 'always' }, id));
      await never.run(event('Delete', { Value: '14', RestoreOnDelete: 'never' }, id));

      expect(always.account.value).toBe(6);
      expect(never.account.value).toBe(14);
      expect(cfnMock.calls()).toHaveLength(0);
    });

    it('removes a setting that was not set before (back to the service default)', async () => {
      const { account, run } = fakeAccount(14);

      await run(event('Delete', { Value: '14', RestoreOnDelete: 'always' }, physicalIdFor('thing', STACK, null)));

      expect(account.calls).toEqual(['restore null']);
      expect(account.value).toBeNull();
    });

    it('fails, naming the way out, when its PhysicalResourceId carries no previous setting', async () => {
      const { account, run } = fakeAccount(14);

      const answer = await run(event('Delete', { Value: '14', RestoreOnDelete: 'always' }, 'made-by-hand'));

      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toContain('RestoreOnDelete: never');
      expect(account.calls).toEqual([]);
    });
  });

  it('refuses a RestoreOnDelete it does not know, naming the property', async () => {
    const { run } = fakeAccount(6);

    const answer = await run(event('Create', { Value: '14', RestoreOnDelete: 'sometimes' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('RestoreOnDelete: must be always, on-rollback or never');
  });
});
