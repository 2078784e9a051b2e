import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import { accountSetting, type CustomResource, cfn, restoreOnDelete } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import {
  checkPolicy,
  type PasswordPolicy,
  readPasswordPolicy,
  removePasswordPolicy,
  writePasswordPolicy,
} from './policy';

// Ranges are UpdateAccountPasswordPolicy's own (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html).
// Defaults are the CIS AWS Foundations Benchmark v3.0 (1.8: at least 14 characters; 1.9: prevent reuse of the
// last 24) and Security Hub IAM.7 (upper case, lower case, numbers and symbols required). No expiry by default:
// CIS v3.0 dropped it and NIST SP 800-63B advises against periodic changes.
export const properties = z.strictObject({
  MinimumPasswordLength: z.optional(cfn.integer(6, 128)),
  RequireSymbols: z.optional(cfn.boolean()),
  RequireNumbers: z.optional(cfn.boolean()),
  RequireUppercaseCharacters: z.optional(cfn.boolean()),
  RequireLowercaseCharacters: z.optional(cfn.boolean()),
  AllowUsersToChangePassword: z.optional(cfn.boolean()),
  MaxPasswordAge: z.optional(cfn.integer(1, 1095)),
  PasswordReusePrevention: z.optional(cfn.integer(1, 24)),
  HardExpiry: z.optional(cfn.boolean()),
  RestoreOnDelete: restoreOnDelete(),
});
export type Properties = z.infer<typeof properties>;
export type Data = { MinimumPasswordLength: string; PasswordReusePrevention: string; MaxPasswordAge: string };

/** The policy the properties ask for, defaults filled in. Pure. */
export function wantedPolicy(p: Properties): PasswordPolicy {
  return checkPolicy({
    MinimumPasswordLength: p.MinimumPasswordLength ?? 14,
    RequireSymbols: p.RequireSymbols ?? true,
    RequireNumbers: p.RequireNumbers ?? true,
    RequireUppercaseCharacters: p.RequireUppercaseCharacters ?? true,
    RequireLowercaseCharacters: p.RequireLowercaseCharacters ?? true,
    AllowUsersToChangePassword: p.AllowUsersToChangePassword ?? true,
    ...(p.MaxPasswordAge !== undefined ? { MaxPasswordAge: p.MaxPasswordAge } : {}),
    PasswordReusePrevention: p.PasswordReusePrevention ?? 24,
    HardExpiry: p.HardExpiry ?? false,
  });
}

/** Custom::IamPasswordPolicy: the account's one IAM password policy (IAM is global: deploy it in one region only). */
export function iamPasswordPolicy(
  iam: IAMClient,
  cloudFormation: CloudFormationClient,
): CustomResource<Properties, Data> {
  return accountSetting(
    {
      name: 'IamPasswordPolicy',
      kind: 'iam-password-policy',
      properties,
      read: (ctx) => readPasswordPolicy({ iam, signal: ctx.signal }),
      apply: async (p, ctx) => {
        const policy = wantedPolicy(p);
        await writePasswordPolicy(policy, { iam, signal: ctx.signal });
        ctx.logger.info('password policy set', { ...policy });
        return {
          MinimumPasswordLength: String(policy.MinimumPasswordLength),
          PasswordReusePrevention: String(policy.PasswordReusePrevention ?? 0),
          MaxPasswordAge: String(policy.MaxPasswordAge ?? 0),
        };
      },
      restore: (previous, ctx) =>
        previous === null
          ? removePasswordPolicy({ iam, signal: ctx.signal })
          : writePasswordPolicy(previous, { iam, signal: ctx.signal }),
    },
    cloudFormation,
  );
}
