import {
  AuthorizeSecurityGroupIngressCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { type MotoServer, silentLogger, startMotoServer } from '@strata/test-support';
import { lockDownDefaultSecurityGroup } from '../../src/lockdown';

const logger = silentLogger;
let moto: MotoServer;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await startMotoServer();
  ec2 = new EC2Client(moto.clientConfig);
}, 40_000);
afterAll(async () => {
  ec2?.destroy();
  await moto?.stop();
});

async function defaultGroupOfNewVpc(): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpc.Vpc?.VpcId ?? ''] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  );
  return groups.SecurityGroups?.[0]?.GroupId ?? '';
}

const rulesOf = async (groupId: string) =>
  (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
    .SecurityGroupRules ?? [];

describe('Integration: lockdown against moto over HTTP', () => {
  it('empties a default group that has ingress and egress rules, and a second run changes nothing', async () => {
    // Arrange
    const groupId = await defaultGroupOfNewVpc();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    expect((await rulesOf(groupId)).length).toBeGreaterThanOrEqual(2);

    // Act
    const first = await lockDownDefaultSecurityGroup(groupId, { ec2, logger });
    const second = await lockDownDefaultSecurityGroup(groupId, { ec2, logger });

    // Assert
    expect(first.removedIngress).toBeGreaterThanOrEqual(1);
    expect(first.removedEgress).toBeGreaterThanOrEqual(1);
    expect(second).toEqual({ removedIngress: 0, removedEgress: 0 });
    expect(await rulesOf(groupId)).toEqual([]);
  });
});
