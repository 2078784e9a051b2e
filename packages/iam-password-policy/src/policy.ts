import {
  DeleteAccountPasswordPolicyCommand,
  GetAccountPasswordPolicyCommand,
  type IAMClient,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { errorName } from '@strata/custom-resource-runtime';
import { HardExpiryWithoutMaxAgeError, PasswordPolicyRefusedError } from './errors';

/**
 * An account password policy as UpdateAccountPasswordPolicy takes it. Every field is always sent: the API resets
 * an omitted one to its default (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html),
 * so a partial update would silently weaken the policy.
 */
export interface PasswordPolicy {
  MinimumPasswordLength: number;
  RequireSymbols: boolean;
  RequireNumbers: boolean;
  RequireUppercaseCharacters: boolean;
  RequireLowercaseCharacters: boolean;
  AllowUsersToChangePassword: boolean;
  /** Days; absent: passwords never expire. */
  MaxPasswordAge?: number;
  /** Previous passwords a user may not reuse; absent: reuse allowed. */
  PasswordReusePrevention?: number;
  HardExpiry: boolean;
}

export interface Deps {
  iam: IAMClient;
  signal?: AbortSignal;
}

/** Checks what IAM would accept but cannot mean anything, before any call. */
export function checkPolicy(policy: PasswordPolicy): PasswordPolicy {
  if (policy.HardExpiry && policy.MaxPasswordAge === undefined) throw new HardExpiryWithoutMaxAgeError();
  return policy;
}

/** The policy in place now, or null when the account has none (IAM's NoSuchEntity: its defaults apply). */
export async function readPasswordPolicy({ iam, signal }: Deps): Promise<PasswordPolicy | null> {
  try {
    const { PasswordPolicy: p } = await iam.send(new GetAccountPasswordPolicyCommand({}), { abortSignal: signal });
    if (!p) return null;
    return {
      MinimumPasswordLength: p.MinimumPasswordLength ?? 6,
      RequireSymbols: p.RequireSymbols ?? false,
      RequireNumbers: p.RequireNumbers ?? false,
      RequireUppercaseCharacters: p.RequireUppercaseCharacters ?? false,
      RequireLowercaseCharacters: p.RequireLowercaseCharacters ?? false,
      AllowUsersToChangePassword: p.AllowUsersToChangePassword ?? false,
      ...(p.MaxPasswordAge ? { MaxPasswordAge: p.MaxPasswordAge } : {}),
      ...(p.PasswordReusePrevention ? { PasswordReusePrevention: p.PasswordReusePrevention } : {}),
      HardExpiry: p.HardExpiry ?? false,
    };
  } catch (error) {
    if (errorName(error) === 'NoSuchEntityException') return null;
    throw new PasswordPolicyRefusedError('GetAccountPasswordPolicy', { cause: error });
  }
}

/** Sets the policy exactly as given (a restore puts back what was read, unchecked). */
export async function writePasswordPolicy(policy: PasswordPolicy, { iam, signal }: Deps): Promise<void> {
  try {
    await iam.send(new UpdateAccountPasswordPolicyCommand(policy), { abortSignal: signal });
  } catch (error) {
    throw new PasswordPolicyRefusedError('UpdateAccountPasswordPolicy', { cause: error });
  }
}

/** Removes the policy (IAM's defaults apply again); a policy already gone is what we want. */
export async function removePasswordPolicy({ iam, signal }: Deps): Promise<void> {
  try {
    await iam.send(new DeleteAccountPasswordPolicyCommand({}), { abortSignal: signal });
  } catch (error) {
    if (errorName(error) === 'NoSuchEntityException') return;
    throw new PasswordPolicyRefusedError('DeleteAccountPasswordPolicy', { cause: error });
  }
}
