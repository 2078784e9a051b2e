import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import * as z from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { PreviousSettingError } from './errors';
import type { CustomResource, InvocationContext } from './handler';
import type { ResponseData } from './response';
import { isRollbackOfCreate } from './rollback';

/**
 * Account settings CloudFormation has no resource type for (the IAM password policy, EBS encryption by default,
 * the S3 account-level public access block) are one value per account (or account and region) that exists before
 * the stack and outlives it. A custom resource that manages one:
 *
 * - on Create, reads the setting as it was, then applies the wanted one; if applying fails, it puts the old
 *   setting back before failing, so a failed first create leaves the account as it found it;
 * - carries the setting as it was in its PhysicalResourceId (CloudFormation keeps it and sends it back with every
 *   Update and Delete, up to 1 KB: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html),
 *   so no other store is needed; Update keeps that ID (a new ID would make CloudFormation send a Delete for the
 *   old one, which would restore the old setting right after the new one was applied);
 * - on Delete, restores the setting as it was only when told to (`RestoreOnDelete`): `on-rollback` (the default)
 *   only when the operation that created the resource rolls back; `always`; or `never`. A baseline that is
 *   deleted by mistake does not weaken the account.
 *
 * Idempotent: applying a setting that is already in place changes nothing.
 */
export const RESTORE_ON_DELETE = ['always', 'on-rollback', 'never'] as const;
export type RestoreOnDelete = (typeof RESTORE_ON_DELETE)[number];

/** The `RestoreOnDelete` property every account setting takes. */
export const restoreOnDelete = () =>
  z.optional(z.enum(RESTORE_ON_DELETE, { error: 'must be always, on-rollback or never' }));

/** The account and region of the stack a request comes from (arn:<partition>:cloudformation:<region>:<account>:stack/…). */
export function stackScope(stackId: string): { partition: string; region: string; account: string } {
  const [, partition, , region = '', account = ''] = stackId.split(':');
  return { partition: partition || 'aws', region, account };
}

export interface AccountSetting<
  P extends { RestoreOnDelete?: RestoreOnDelete | undefined },
  S,
  D extends ResponseData,
> {
  /** For logs and messages, for example "IamPasswordPolicy". */
  name: string;
  /** The first part of the PhysicalResourceId, for example "iam-password-policy". */
  kind: string;
  properties: $ZodType<P>;
  /** The setting as it is now; null when it was never set (the service's default applies). */
  read(ctx: InvocationContext): Promise<S | null>;
  /** Applies the wanted setting and says what is now in place. */
  apply(properties: P, ctx: InvocationContext): Promise<D>;
  /** Puts a setting read before back; null removes the setting (back to the service's default). */
  restore(previous: S | null, ctx: InvocationContext): Promise<void>;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify({ v: 1, previous: value })).toString('base64url');

/** The setting as it was, from a PhysicalResourceId this factory made. */
export function previousFromId<S>(kind: string, physicalResourceId: string): S | null {
  const prefix = `${kind}:`;
  const encoded = physicalResourceId.startsWith(prefix)
    ? physicalResourceId.slice(physicalResourceId.lastIndexOf(':') + 1)
    : '';
  try {
    const parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as {
      v?: number;
      previous?: S | null;
    };
    if (parsed.v === 1 && parsed.previous !== undefined) return parsed.previous;
  } catch {
    // falls through to the error below
  }
  throw new PreviousSettingError(kind, physicalResourceId);
}

export function physicalIdFor(kind: string, stackId: string, previous: unknown): string {
  const { account, region } = stackScope(stackId);
  const id = `${kind}:${account}:${region}:${encode(previous)}`;
  // 1 KB is CloudFormation's limit for a PhysicalResourceId; every setting Strata manages is far below it.
  if (Buffer.byteLength(id) > 1024) throw new PreviousSettingError(kind, `${id.slice(0, 60)}… (over 1 KB)`);
  return id;
}

/** A custom resource that manages one account setting as described above. */
export function accountSetting<P extends { RestoreOnDelete?: RestoreOnDelete | undefined }, S, D extends ResponseData>(
  setting: AccountSetting<P, S, D>,
  cfnClient: CloudFormationClient,
): CustomResource<P, D> {
  return {
    name: setting.name,
    properties: setting.properties,
    create: async (p, ctx) => {
      ctx.phase(`reading the current ${setting.name}`);
      const previous = await setting.read(ctx);
      const physicalResourceId = physicalIdFor(setting.kind, ctx.event.StackId, previous);
      ctx.phase(`applying the ${setting.name}`);
      try {
        return { physicalResourceId, data: await setting.apply(p, ctx) };
      } catch (error) {
        // The create fails with a marker ID, so the Delete that follows has no previous setting to restore:
        // restore it now. If that fails too, both reasons go to CloudFormation.
        try {
          await setting.restore(previous, ctx);
          ctx.logger.warn(`the ${setting.name} was put back as it was`, {
            previous: previous === null ? 'not set' : 'set',
          });
        } catch (restoreError) {
          throw new Error(
            `${(error as Error).message}; putting the previous ${setting.name} back failed too: ${(restoreError as Error).message}`,
            { cause: error },
          );
        }
        throw error;
      }
    },
    // No physicalResourceId: the runtime answers an Update with the current one, which keeps the setting as it was.
    update: async (p, _old, ctx) => {
      ctx.phase(`applying the ${setting.name}`);
      return { data: await setting.apply(p, ctx) };
    },
    delete: async (p, ctx) => {
      const when: RestoreOnDelete = p?.RestoreOnDelete ?? 'on-rollback';
      const restore =
        when === 'always' ||
        (when === 'on-rollback' && (await isRollbackOfCreate(cfnClient, ctx.event.StackId, ctx.signal)));
      if (!restore) {
        ctx.logger.info(`the ${setting.name} stays as it is`, { restoreOnDelete: when });
        return;
      }
      const previous = previousFromId<S>(setting.kind, ctx.event.PhysicalResourceId ?? '');
      ctx.phase(`restoring the previous ${setting.name}`);
      await setting.restore(previous, ctx);
      ctx.logger.info(`the previous ${setting.name} is back`, { previous: previous === null ? 'not set' : 'set' });
    },
  };
}
