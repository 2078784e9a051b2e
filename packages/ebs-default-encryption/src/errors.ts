/** Errors of @strata/ebs-default-encryption. Messages become the FAILED Reason CloudFormation shows. */

export class KmsKeyRegionError extends Error {
  constructor(keyArn: string, region: string) {
    super(
      `KmsKeyId ${keyArn} is a key in another region: EBS encryption by default is set per region and takes a key of that region (${region}); pass the ARN of this region's key`,
    );
    this.name = 'KmsKeyRegionError';
  }
}

export class EbsSettingRefusedError extends Error {
  constructor(operation: string, options: { cause: unknown }) {
    const cause = options.cause as { name?: string; message?: string };
    super(`EC2 refused ${operation}: ${cause.name ?? 'Error'}: ${cause.message ?? String(options.cause)}`, options);
    this.name = 'EbsSettingRefusedError';
  }
}
