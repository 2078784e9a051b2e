/** Errors of @strata/iam-password-policy. Messages become the FAILED Reason CloudFormation shows. */

import { ServiceRefusedError } from '@strata/custom-resource-runtime';

export class HardExpiryWithoutMaxAgeError extends Error {
  constructor() {
    super(
      'HardExpiry: true needs MaxPasswordAge (1-1095 days): passwords that never expire never reach the hard expiry; set MaxPasswordAge or leave HardExpiry false',
    );
    this.name = 'HardExpiryWithoutMaxAgeError';
  }
}

export class PasswordPolicyRefusedError extends ServiceRefusedError {
  constructor(operation: string, options: { cause: unknown }) {
    super('IAM', operation, options);
    this.name = 'PasswordPolicyRefusedError';
  }
}
