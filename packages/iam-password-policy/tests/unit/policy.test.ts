import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteAccountPasswordPolicyCommand,
  GetAccountPasswordPolicyCommand,
  IAMClient,
  NoSuchEntityException,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { customResourceHandler, previousFromId } from '@strata/custom-resource-runtime';
import { answerTo, eventsFor } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { HardExpiryWithoutMaxAgeError } from '../../src/errors';
import { readPasswordPolicy, removePasswordPolicy } from '../../src/policy';
import { iamPasswordPolicy, wantedPolicy } from '../../src/resource';

const iamMock = mockClient(IAMClient);
const cfnMock = mockClient(CloudFormationClient);
const noSuchEntity = () =>
  new NoSuchEntityException({ message: 'The Password Policy cannot be found.', $metadata: {} });
const CIS = {
  MinimumPasswordLength: 14,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
  AllowUsersToChangePassword: true,
  PasswordReusePrevention: 24,
  HardExpiry: false,
};
const run = (event: unknown) =>
  answerTo((o) => customResourceHandler(iamPasswordPolicy(new IAMClient({}), new CloudFormationClient({})), o), event);
const event = eventsFor('Custom::IamPasswordPolicy');

beforeEach(() => {
  iamMock.reset();
  cfnMock.reset();
  iamMock.on(UpdateAccountPasswordPolicyCommand).resolves({});
  iamMock.on(DeleteAccountPasswordPolicyCommand).resolves({});
});

describe('Function: wantedPolicy', () => {
  it('fills in the CIS v3.0 defaults: 14 characters, reuse of the last 24 prevented, every character class, no expiry', () => {
    expect(wantedPolicy({})).toEqual(CIS);
  });

  it('keeps what the properties say', () => {
    expect(wantedPolicy({ MinimumPasswordLength: 20, MaxPasswordAge: 90, HardExpiry: true })).toMatchObject({
      MinimumPasswordLength: 20,
      MaxPasswordAge: 90,
      HardExpiry: true,
    });
  });

  it('refuses HardExpiry without MaxPasswordAge, naming both', () => {
    expect(() => wantedPolicy({ HardExpiry: true })).toThrow(HardExpiryWithoutMaxAgeError);
    expect(() => wantedPolicy({ HardExpiry: true })).toThrow(/MaxPasswordAge/);
  });
});

describe('Function: readPasswordPolicy', () => {
  it('reads the policy in place, leaving out expiry and reuse prevention when they are off', async () => {
    iamMock.on(GetAccountPasswordPolicyCommand).resolves({
      PasswordPolicy: { MinimumPasswordLength: 8, RequireSymbols: true, ExpirePasswords: false, HardExpiry: false },
    });

    expect(await readPasswordPolicy({ iam: new IAMClient({}) })).toEqual({
      MinimumPasswordLength: 8,
      RequireSymbols: true,
      RequireNumbers: false,
      RequireUppercaseCharacters: false,
      RequireLowercaseCharacters: false,
      AllowUsersToChangePassword: false,
      HardExpiry: false,
    });
  });

  it('answers null when the account has no policy (NoSuchEntity)', async () => {
    iamMock.on(GetAccountPasswordPolicyCommand).rejects(noSuchEntity());

    expect(await readPasswordPolicy({ iam: new IAMClient({}) })).toBeNull();
  });

  it('names the operation when IAM refuses', async () => {
    iamMock
      .on(GetAccountPasswordPolicyCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    await expect(readPasswordPolicy({ iam: new IAMClient({}) })).rejects.toThrow(
      'IAM refused GetAccountPasswordPolicy: AccessDenied: not authorized',
    );
  });
});

describe('Function: removePasswordPolicy', () => {
  it('is done when there is no policy to remove', async () => {
    iamMock.on(DeleteAccountPasswordPolicyCommand).rejects(noSuchEntity());

    await expect(removePasswordPolicy({ iam: new IAMClient({}) })).resolves.toBeUndefined();
  });
});

describe('Function: iamPasswordPolicy (through the runtime)', () => {
  it('sets every field on Create, so nothing falls back to a weaker IAM default', async () => {
    iamMock.on(GetAccountPasswordPolicyCommand).rejects(noSuchEntity());

    const answer = await run(event('Create'));

    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data).toEqual({ MinimumPasswordLength: '14', PasswordReusePrevention: '24', MaxPasswordAge: '0' });
    expect(iamMock).toHaveReceivedCommandWith(UpdateAccountPasswordPolicyCommand, CIS);
    expect(previousFromId('iam-password-policy', answer.PhysicalResourceId)).toBeNull();
  });

  it('accepts CloudFormation’s string values', async () => {
    iamMock.on(GetAccountPasswordPolicyCommand).rejects(noSuchEntity());

    const answer = await run(event('Create', { MinimumPasswordLength: '16', RequireSymbols: 'false' }));

    expect(answer.Status).toBe('SUCCESS');
    expect(iamMock).toHaveReceivedCommandWith(UpdateAccountPasswordPolicyCommand, {
      MinimumPasswordLength: 16,
      RequireSymbols: false,
    });
  });

  it('refuses a length IAM would refuse, naming the property and the range, before any call', async () => {
    const answer = await run(event('Create', { MinimumPasswordLength: '5' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('MinimumPasswordLength: must be at least 6');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses a property it does not know, naming it', async () => {
    const answer = await run(event('Create', { MinimumLength: '14' }));

    expect(answer.Reason).toContain('MinimumLength: unknown property');
  });

  it('puts the old policy back on the rollback of its create', async () => {
    // Arrange: the account had an 8-character policy; the create recorded it
    iamMock.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: { MinimumPasswordLength: 8 } });
    const created = await run(event('Create'));
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'strata-account', StackStatus: 'ROLLBACK_IN_PROGRESS', CreationTime: new Date() }],
    });
    iamMock.resetHistory();

    // Act
    const deleted = await run(event('Delete', {}, created.PhysicalResourceId));

    // Assert
    expect(deleted.Status).toBe('SUCCESS');
    expect(iamMock).toHaveReceivedCommandWith(UpdateAccountPasswordPolicyCommand, {
      MinimumPasswordLength: 8,
      RequireSymbols: false,
    });
  });

  it('removes the policy on delete with RestoreOnDelete: always when the account had none', async () => {
    iamMock.on(GetAccountPasswordPolicyCommand).rejects(noSuchEntity());
    const created = await run(event('Create'));

    await run(event('Delete', { RestoreOnDelete: 'always' }, created.PhysicalResourceId));

    expect(iamMock).toHaveReceivedCommandTimes(DeleteAccountPasswordPolicyCommand, 1);
  });
});
