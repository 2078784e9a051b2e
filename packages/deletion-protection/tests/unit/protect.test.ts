import {
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { customResourceHandler, type Put } from '@strata/custom-resource-runtime';
import { silentLogger } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ProtectionNotAppliedError } from '../../src/errors';
import { protect } from '../../src/protect';
import { deletionProtection } from '../../src/resource';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const rdsMock = mockClient(RDSClient);
const logger = silentLogger;
const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/strata-prod/0123456789abcdef';
const DB = 'strata-prod-mysql';
const deps = () => ({ elbv2: new ElasticLoadBalancingV2Client({}), rds: new RDSClient({}), logger });
const on = { Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] };
const off = { Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] };

beforeEach(() => {
  elbMock.reset();
  rdsMock.reset();
  elbMock.on(ModifyLoadBalancerAttributesCommand).resolves({});
  rdsMock.on(ModifyDBInstanceCommand).resolves({});
});

describe('Function: protect', () => {
  it('turns protection on for the load balancer and the database, applied immediately', async () => {
    expect(await protect({ loadBalancerArn: LB, dbInstanceIdentifier: DB }, deps())).toEqual([
      'load balancer',
      'database',
    ]);
    expect(elbMock).toHaveReceivedCommandWith(ModifyLoadBalancerAttributesCommand, { LoadBalancerArn: LB, ...on });
    expect(rdsMock).toHaveReceivedCommandWith(ModifyDBInstanceCommand, {
      DBInstanceIdentifier: DB,
      DeletionProtection: true,
      ApplyImmediately: true,
    });
  });

  describe('when the database refuses', () => {
    it('switches the load balancer protection off again and fails naming the database', async () => {
      rdsMock
        .on(ModifyDBInstanceCommand)
        .rejects(Object.assign(new Error('DB instance not found'), { name: 'DBInstanceNotFound' }));

      const attempt = protect({ loadBalancerArn: LB, dbInstanceIdentifier: DB }, deps());

      await expect(attempt).rejects.toThrow(ProtectionNotAppliedError);
      await expect(attempt).rejects.toThrow(`DB instance ${DB}: DB instance not found`);
      expect(elbMock.commandCalls(ModifyLoadBalancerAttributesCommand).map((c) => c.args[0].input.Attributes)).toEqual([
        on.Attributes,
        off.Attributes,
      ]);
    });
  });

  it('fails naming the load balancer when it refuses, and never touches the database', async () => {
    elbMock.on(ModifyLoadBalancerAttributesCommand).rejects(new Error('LoadBalancerNotFound'));

    await expect(protect({ loadBalancerArn: LB, dbInstanceIdentifier: DB }, deps())).rejects.toThrow(
      `load balancer ${LB}`,
    );
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });
});

describe('Function: handler (Custom::DeletionProtection)', () => {
  const sent: string[] = [];
  const put: Put = async (_u, body) => {
    sent.push(body);
    return 200;
  };
  const event = (type: string, extra: Record<string, string> = {}, physicalId?: string) => ({
    RequestType: type,
    ResponseURL: 'https://example.invalid/r?sig',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-prod-VerificationStack/x',
    RequestId: 'r1',
    LogicalResourceId: 'DeletionProtection',
    ResourceType: 'Custom::DeletionProtection',
    ResourceProperties: { ServiceToken: 'arn', LoadBalancerArn: LB, DbInstanceIdentifier: DB, ...extra },
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
  });
  const run = async (ev: unknown) => {
    sent.splice(0);
    await customResourceHandler(deletionProtection(new ElasticLoadBalancingV2Client({}), new RDSClient({})), {
      put,
      logger,
    })(ev, { getRemainingTimeInMillis: () => 60_000 });
    expect(sent).toHaveLength(1);
    return JSON.parse(sent[0] ?? '') as { Status: string; Reason?: string; Data?: Record<string, string> };
  };

  it('protects both on Create and says so', async () => {
    const answer = await run(event('Create'));

    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { Protected: 'load balancer, database' } });
  });

  it('leaves protection on when deleted: turning it off is deliberate', async () => {
    expect((await run(event('Delete', {}, `deletion-protection-${DB}`))).Status).toBe('SUCCESS');
    expect(elbMock).not.toHaveReceivedCommand(ModifyLoadBalancerAttributesCommand);
    expect(rdsMock).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
  });

  it('refuses a DbInstanceIdentifier RDS would refuse, naming the property', async () => {
    const answer = await run(event('Create', { DbInstanceIdentifier: 'prod--db-' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('DbInstanceIdentifier');
  });
});
