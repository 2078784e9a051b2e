import {
  type ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Logger } from '@strata/custom-resource-runtime';
import { ProtectionNotAppliedError } from './errors';

export interface ProtectDeps {
  elbv2: ElasticLoadBalancingV2Client;
  rds: RDSClient;
  logger: Logger;
  signal?: AbortSignal;
}

export interface Protected {
  loadBalancerArn?: string;
  dbInstanceIdentifier?: string;
}

const setLoadBalancer = (deps: ProtectDeps, arn: string, on: boolean) =>
  deps.elbv2.send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: arn,
      Attributes: [{ Key: 'deletion_protection.enabled', Value: String(on) }],
    }),
    { abortSignal: deps.signal },
  );

const setDatabase = (deps: ProtectDeps, id: string, on: boolean) =>
  deps.rds.send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: on, ApplyImmediately: true }),
    { abortSignal: deps.signal },
  );

/**
 * Turns deletion protection on for the load balancer and the DB instance. All or nothing: when the second
 * call fails, the first is undone before the error is raised, so the failed create that follows can roll
 * back (ELB and RDS both refuse to delete a protected resource:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection).
 * Idempotent: both calls set a value, they do not toggle it.
 */
export async function protect(target: Protected, deps: ProtectDeps): Promise<string[]> {
  const done: string[] = [];
  try {
    if (target.loadBalancerArn) {
      await setLoadBalancer(deps, target.loadBalancerArn, true);
      done.push('load balancer');
    }
    if (target.dbInstanceIdentifier) {
      await setDatabase(deps, target.dbInstanceIdentifier, true);
      done.push('database');
    }
  } catch (error) {
    if (done.includes('load balancer') && target.loadBalancerArn) {
      await setLoadBalancer(deps, target.loadBalancerArn, false).catch((undo) =>
        deps.logger.error('could not undo the load balancer protection', { error: (undo as Error).message }),
      );
    }
    const what = done.includes('load balancer')
      ? `DB instance ${target.dbInstanceIdentifier}`
      : `load balancer ${target.loadBalancerArn}`;
    throw new ProtectionNotAppliedError(what, error);
  }
  deps.logger.info('deletion protection on', { ...target, done });
  return done;
}
