/** Errors of @strata/ebs-default-encryption. Messages become the FAILED Reason CloudFormation shows. */

import { ServiceRefusedError } from '@strata/custom-resource-runtime';

export class KmsKeyRegionError extends Error {
  constructor(keyArn: string, region: string) {
    super(
      `KmsKeyId ${keyArn} is a key in another region: EBS encryption by default is set per region and takes a key of that region (${region}); pass the ARN of this region's key`,
    );
    this.name = 'KmsKeyRegionError';
  }
}

export class EbsSettingRefusedError extends ServiceRefusedError {
  constructor(operation: string, options: { cause: unknown }) {
    super('EC2', operation, options);
    this.name = 'EbsSettingRefusedError';
  }
}
