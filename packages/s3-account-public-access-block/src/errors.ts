/** Errors of @strata/s3-account-public-access-block. Messages become the FAILED Reason CloudFormation shows. */

import { ServiceRefusedError } from '@strata/custom-resource-runtime';

export class PublicAccessBlockRefusedError extends ServiceRefusedError {
  constructor(operation: string, options: { cause: unknown }) {
    super('S3 Control', operation, options);
    this.name = 'PublicAccessBlockRefusedError';
  }
}

export class NothingBlockedError extends Error {
  constructor() {
    super(
      'BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets are all false: that blocks nothing; set at least one to true, or do not deploy this resource',
    );
    this.name = 'NothingBlockedError';
  }
}
