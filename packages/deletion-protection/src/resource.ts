import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RDSClient } from '@aws-sdk/client-rds';
import { type CustomResource, cfn, type InvocationContext } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import { protect } from './protect';

export const properties = z.strictObject({
  LoadBalancerArn: cfn.pattern(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    'must be an application load balancer ARN: pass the compute layer output LoadBalancerArn',
  ),
  // RDS identifiers: a letter first, letters, digits and single hyphens, no trailing hyphen, 1-63 characters
  // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
  DbInstanceIdentifier: cfn.pattern(
    /^[a-zA-Z](?:-?[a-zA-Z0-9]){0,62}$/,
    'must be a DB instance identifier: pass the database layer output DbInstanceIdentifier',
  ),
});
export type Properties = z.infer<typeof properties>;
export type Data = { Protected: string };

/**
 * Custom::DeletionProtection. Declared last in a deploy (the root makes the verification layer wait for every
 * other layer, and this resource waits for the TLS verification), so protection is on only once the whole
 * environment has been created: a failed first create never meets a protected resource on its rollback.
 * Delete leaves protection as it is: taking it off is deliberate (tools/teardown.py --confirm), and a stack
 * delete then fails on the protected resources, as intended for a running environment.
 */
export function deletionProtection(
  elbv2: ElasticLoadBalancingV2Client,
  rds: RDSClient,
): CustomResource<Properties, Data> {
  const apply = async (p: Properties, ctx: InvocationContext) => {
    ctx.phase(`turning deletion protection on for ${p.DbInstanceIdentifier} and the load balancer`);
    const done = await protect(
      { loadBalancerArn: p.LoadBalancerArn, dbInstanceIdentifier: p.DbInstanceIdentifier },
      { elbv2, rds, logger: ctx.logger, signal: ctx.signal },
    );
    return {
      physicalResourceId: `deletion-protection-${p.DbInstanceIdentifier}`,
      data: { Protected: done.join(', ') },
    };
  };
  return {
    name: 'DeletionProtection',
    properties,
    create: (p, ctx) => apply(p, ctx),
    update: (p, _old, ctx) => apply(p, ctx),
    delete: async (_p, ctx) => {
      ctx.logger.info('deletion protection left on: turn it off deliberately (tools/teardown.py --confirm)');
    },
  };
}
