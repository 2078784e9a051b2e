import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { AWS_CLIENT_CONFIG, customResourceHandler, type Put } from '@strata/custom-resource-runtime';
import { silentLogger, throttlingHandler } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { lockDownDefaultSecurityGroup } from '../../src/lockdown';
import { defaultSecurityGroupLockdown } from '../../src/resource';

const ec2Mock = mockClient(EC2Client);
const logger = silentLogger;
const GROUP = 'sg-0123456789abcdef0';

const rule = (id: string, isEgress: boolean, groupId = GROUP) => ({
  SecurityGroupRuleId: id,
  IsEgress: isEgress,
  GroupId: groupId,
});

beforeEach(() => {
  ec2Mock.reset();
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: GROUP, GroupName: 'default' }] });
});

describe('Function: lockDownDefaultSecurityGroup', () => {
  it('revokes every ingress and egress rule, across pages', async () => {
    // Arrange
    ec2Mock
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [rule('sgr-1', false), rule('sgr-2', true)], NextToken: 'page-2' })
      .resolvesOnce({ SecurityGroupRules: [rule('sgr-3', false)] });

    // Act
    const result = await lockDownDefaultSecurityGroup(GROUP, { ec2: new EC2Client({}), logger });

    // Assert
    expect(result).toEqual({ removedIngress: 2, removedEgress: 1 });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSecurityGroupRulesCommand, 2);
    expect(ec2Mock).toHaveReceivedNthSpecificCommandWith(2, DescribeSecurityGroupRulesCommand, { NextToken: 'page-2' });
    expect(ec2Mock).toHaveReceivedCommandWith(RevokeSecurityGroupIngressCommand, {
      GroupId: GROUP,
      SecurityGroupRuleIds: ['sgr-1', 'sgr-3'],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(RevokeSecurityGroupEgressCommand, {
      GroupId: GROUP,
      SecurityGroupRuleIds: ['sgr-2'],
    });
  });

  it('is idempotent: an empty group is left alone', async () => {
    ec2Mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });

    const result = await lockDownDefaultSecurityGroup(GROUP, { ec2: new EC2Client({}), logger });

    expect(result).toEqual({ removedIngress: 0, removedEgress: 0 });
    expect(ec2Mock).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(RevokeSecurityGroupEgressCommand);
  });

  it('revokes in batches of 100', async () => {
    ec2Mock
      .on(DescribeSecurityGroupRulesCommand)
      .resolves({ SecurityGroupRules: Array.from({ length: 250 }, (_, i) => rule(`sgr-${i}`, false)) });

    await lockDownDefaultSecurityGroup(GROUP, { ec2: new EC2Client({}), logger });

    expect(ec2Mock).toHaveReceivedCommandTimes(RevokeSecurityGroupIngressCommand, 3);
  });

  it('tolerates a rule that another run removed meanwhile', async () => {
    ec2Mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [rule('sgr-1', false)] });
    ec2Mock
      .on(RevokeSecurityGroupIngressCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'InvalidPermission.NotFound' }));

    await expect(lockDownDefaultSecurityGroup(GROUP, { ec2: new EC2Client({}), logger })).resolves.toEqual({
      removedIngress: 1,
      removedEgress: 0,
    });
  });

  it('refuses a group that is not a default group, naming it', async () => {
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolves({ SecurityGroups: [{ GroupId: GROUP, GroupName: 'strata-dev-app' }] });

    await expect(lockDownDefaultSecurityGroup(GROUP, { ec2: new EC2Client({}), logger })).rejects.toThrow(
      `GroupId ${GROUP} is the security group "strata-dev-app", not a VPC's default security group`,
    );
    expect(ec2Mock).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
  });

  it('says so when the group does not exist', async () => {
    ec2Mock.on(DescribeSecurityGroupsCommand).rejects(Object.assign(new Error('x'), { name: 'InvalidGroup.NotFound' }));

    await expect(lockDownDefaultSecurityGroup(GROUP, { ec2: new EC2Client({}), logger })).rejects.toThrow(
      /does not exist in this account and region/,
    );
  });
});

describe('Function: handler (Custom::DefaultSecurityGroupLockdown)', () => {
  const sent: string[] = [];
  const put: Put = async (_url, body) => {
    sent.push(body);
    return 200;
  };
  const event = (props: Record<string, unknown>) => ({
    RequestType: 'Create',
    ResponseURL: 'https://example.invalid/r?sig',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/strata-dev-NetworkStack/x',
    RequestId: 'r1',
    LogicalResourceId: 'DefaultSecurityGroupLockdown',
    ResourceType: 'Custom::DefaultSecurityGroupLockdown',
    ResourceProperties: { ServiceToken: 'arn', ...props },
  });

  beforeEach(() => sent.splice(0));

  it('answers SUCCESS with the group and the number of rules removed', async () => {
    ec2Mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [rule('sgr-1', true)] });
    const handler = customResourceHandler(defaultSecurityGroupLockdown(new EC2Client({})), { put, logger });

    await handler(event({ GroupId: GROUP }), { getRemainingTimeInMillis: () => 30_000 });

    expect(JSON.parse(sent[0] ?? '')).toEqual(
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: `lockdown-${GROUP}`,
        Data: { GroupId: GROUP, RemovedRules: '1' },
      }),
    );
  });

  it('answers FAILED naming GroupId when it is not a security group ID', async () => {
    const handler = customResourceHandler(defaultSecurityGroupLockdown(new EC2Client({})), { put, logger });

    await handler(event({ GroupId: 'vpc-123' }), { getRemainingTimeInMillis: () => 30_000 });

    expect(JSON.parse(sent[0] ?? '').Reason).toBe(
      'invalid properties: GroupId: must be a security group ID such as sg-0123456789abcdef0',
    );
  });
});

describe('Client configuration: throttling', () => {
  afterAll(() => ec2Mock.restore());

  it('retries a throttled EC2 call with the configured client and then succeeds', async () => {
    // Arrange: a real client (no aws-sdk-client-mock) whose transport throttles twice.
    ec2Mock.restore();
    const requestHandler = throttlingHandler({
      throttles: 2,
      error: {
        status: 503,
        contentType: 'text/xml',
        body: '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors><RequestID>1</RequestID></Response>',
      },
      success: {
        contentType: 'text/xml',
        body: `<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>${GROUP}</groupId><groupName>default</groupName></item></securityGroupInfo></DescribeSecurityGroupsResponse>`,
      },
    });
    const ec2 = new EC2Client({
      ...AWS_CLIENT_CONFIG,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler,
    });

    // Act
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GROUP] }));

    // Assert
    expect(out.SecurityGroups?.[0]?.GroupName).toBe('default');
    expect(requestHandler.calls).toBe(3);
  }, 30_000);
});
