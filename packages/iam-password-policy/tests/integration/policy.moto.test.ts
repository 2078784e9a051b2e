import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetAccountPasswordPolicyCommand, IAMClient, UpdateAccountPasswordPolicyCommand } from '@aws-sdk/client-iam';
import { customResourceHandler } from '@strata/custom-resource-runtime';
import { answerTo, eventsFor, type MotoServer, startMotoServer } from '@strata/test-support';
import { iamPasswordPolicy } from '../../src/resource';

let moto: MotoServer;
let iam: IAMClient;
let cloudFormation: CloudFormationClient;

beforeAll(async () => {
  moto = await startMotoServer();
  iam = new IAMClient(moto.clientConfig);
  cloudFormation = new CloudFormationClient(moto.clientConfig);
}, 40_000);
afterAll(async () => {
  iam?.destroy();
  cloudFormation?.destroy();
  await moto?.stop();
});

const run = (event: unknown) =>
  answerTo((o) => customResourceHandler(iamPasswordPolicy(iam, cloudFormation), o), event);
const event = eventsFor('Custom::IamPasswordPolicy');
const policy = async () => (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;

describe('Integration: the password policy against the local cloud over HTTP', () => {
  it('sets the CIS policy over a weaker one, updates it in place, and puts the weaker one back when told to', async () => {
    // Arrange: the account starts with an 8-character policy
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8, RequireNumbers: true }));

    // Act + Assert: create
    const created = await run(event('Create', { RestoreOnDelete: 'always' }));
    expect(created.Status).toBe('SUCCESS');
    expect(await policy()).toMatchObject({
      MinimumPasswordLength: 14,
      PasswordReusePrevention: 24,
      RequireSymbols: true,
    });

    // an update changes the policy in place and keeps the record of the one before the stack
    expect(
      (
        await run(
          event('Update', { RestoreOnDelete: 'always', MinimumPasswordLength: '16' }, created.PhysicalResourceId),
        )
      ).PhysicalResourceId,
    ).toBe(created.PhysicalResourceId);
    expect((await policy())?.MinimumPasswordLength).toBe(16);

    // delete restores what was there before the stack
    expect((await run(event('Delete', { RestoreOnDelete: 'always' }, created.PhysicalResourceId))).Status).toBe(
      'SUCCESS',
    );
    expect(await policy()).toMatchObject({ MinimumPasswordLength: 8, RequireNumbers: true, RequireSymbols: false });
  });

  it('leaves the policy in place on a plain stack delete (RestoreOnDelete: never)', async () => {
    const created = await run(event('Create', { RestoreOnDelete: 'never' }));

    await run(event('Delete', { RestoreOnDelete: 'never' }, created.PhysicalResourceId));

    expect((await policy())?.MinimumPasswordLength).toBe(14);
  });
});
