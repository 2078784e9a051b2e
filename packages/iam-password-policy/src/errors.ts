/** Errors of @strata/iam-password-policy. Messages become the FAILED Reason CloudFormation shows. */

export class HardExpiryWithoutMaxAgeError extends Error {
  constructor() {
    super(
      'HardExpiry: true needs MaxPasswordAge (1-1095 days): passwords that never expire never reach the hard expiry; set MaxPasswordAge or leave HardExpiry false',
    );
    this.name = 'HardExpiryWithoutMaxAgeError';
  }
}

export class PasswordPolicyRefusedError extends Error {
  constructor(operation: string, options: { cause: unknown }) {
    const cause = options.cause as { name?: string; message?: string };
    super(`IAM refused ${operation}: ${cause.name ?? 'Error'}: ${cause.message ?? String(options.cause)}`, options);
    this.name = 'PasswordPolicyRefusedError';
  }
}
