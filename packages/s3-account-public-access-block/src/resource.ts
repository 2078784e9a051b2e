import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import { accountSetting, type CustomResource, cfn, restoreOnDelete, stackScope } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import {
  type PublicAccessBlock,
  readPublicAccessBlock,
  removePublicAccessBlock,
  writePublicAccessBlock,
} from './block';
import { NothingBlockedError } from './errors';

// All four on by default: CIS AWS Foundations v3.0 2.1.4 and Security Hub S3.1.
export const properties = z.strictObject({
  BlockPublicAcls: z.optional(cfn.boolean()),
  IgnorePublicAcls: z.optional(cfn.boolean()),
  BlockPublicPolicy: z.optional(cfn.boolean()),
  RestrictPublicBuckets: z.optional(cfn.boolean()),
  RestoreOnDelete: restoreOnDelete(),
});
export type Properties = z.infer<typeof properties>;
export type Data = {
  BlockPublicAcls: string;
  IgnorePublicAcls: string;
  BlockPublicPolicy: string;
  RestrictPublicBuckets: string;
};

/** The settings the properties ask for. Pure. */
export function wantedBlock(p: Properties): PublicAccessBlock {
  const block = {
    BlockPublicAcls: p.BlockPublicAcls ?? true,
    IgnorePublicAcls: p.IgnorePublicAcls ?? true,
    BlockPublicPolicy: p.BlockPublicPolicy ?? true,
    RestrictPublicBuckets: p.RestrictPublicBuckets ?? true,
  };
  if (!Object.values(block).some(Boolean)) throw new NothingBlockedError();
  return block;
}

/**
 * Custom::S3AccountPublicAccessBlock: the account-level S3 Block Public Access, one per account for every region
 * (deploy it in one region only). The account is the stack's own.
 */
export function s3AccountPublicAccessBlock(
  s3control: S3ControlClient,
  cloudFormation: CloudFormationClient,
): CustomResource<Properties, Data> {
  const deps = (ctx: { event: { StackId: string }; signal: AbortSignal }) => ({
    s3control,
    accountId: stackScope(ctx.event.StackId).account,
    signal: ctx.signal,
  });
  return accountSetting(
    {
      name: 'S3AccountPublicAccessBlock',
      kind: 's3-account-public-access-block',
      properties,
      read: (ctx) => readPublicAccessBlock(deps(ctx)),
      apply: async (p, ctx) => {
        const block = wantedBlock(p);
        await writePublicAccessBlock(block, deps(ctx));
        ctx.logger.info('account public access block set', { ...block });
        return {
          BlockPublicAcls: String(block.BlockPublicAcls),
          IgnorePublicAcls: String(block.IgnorePublicAcls),
          BlockPublicPolicy: String(block.BlockPublicPolicy),
          RestrictPublicBuckets: String(block.RestrictPublicBuckets),
        };
      },
      restore: (previous, ctx) =>
        previous === null ? removePublicAccessBlock(deps(ctx)) : writePublicAccessBlock(previous, deps(ctx)),
    },
    cloudFormation,
  );
}
