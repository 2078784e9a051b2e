/** Errors of @strata/s3-account-public-access-block. Messages become the FAILED Reason CloudFormation shows. */

export class PublicAccessBlockRefusedError extends Error {
  constructor(operation: string, options: { cause: unknown }) {
    const cause = options.cause as { name?: string; message?: string };
    super(
      `S3 Control refused ${operation}: ${cause.name ?? 'Error'}: ${cause.message ?? String(options.cause)}`,
      options,
    );
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
