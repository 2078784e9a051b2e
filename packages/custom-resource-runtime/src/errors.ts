/** Errors of @strata/custom-resource-runtime. Messages become the FAILED Reason CloudFormation shows. */

export interface PropertyIssue {
  /** Dotted path of the property, for example `InstanceTypes.1`. */
  property: string;
  message: string;
}

export class PropertyValidationError extends Error {
  readonly issues: PropertyIssue[];

  constructor(issues: PropertyIssue[]) {
    super(`invalid properties: ${issues.map((i) => `${i.property}: ${i.message}`).join('; ')}`);
    this.name = 'PropertyValidationError';
    this.issues = issues;
  }
}

export class UnknownRequestTypeError extends Error {
  constructor(requestType: unknown) {
    super(`unknown RequestType ${JSON.stringify(requestType)}: expected Create, Update or Delete`);
    this.name = 'UnknownRequestTypeError';
  }
}

export class MalformedEventError extends Error {
  constructor(field: string) {
    super(`the event has no ${field}: it does not come from CloudFormation`);
    this.name = 'MalformedEventError';
  }
}

export class ResponseDeliveryError extends Error {
  readonly attempts: number;

  constructor(attempts: number, options: { cause?: unknown }) {
    super(
      `could not deliver the response to CloudFormation after ${attempts} attempt(s): ${describe(options.cause)}`,
      options,
    );
    this.name = 'ResponseDeliveryError';
    this.attempts = attempts;
  }
}

export class HttpStatusError extends Error {
  readonly statusCode: number;

  constructor(statusCode: number, body: string) {
    super(`the ResponseURL answered HTTP ${statusCode}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'HttpStatusError';
    this.statusCode = statusCode;
  }
}

/** The `name` of an error an AWS SDK call threw (the service's error code), or '' for anything else. */
export const errorName = (error: unknown): string => (error as { name?: string }).name ?? '';

/** An AWS service refused a call a resource made: names the service, the operation and the service's own error. */
export class ServiceRefusedError extends Error {
  constructor(service: string, operation: string, options: { cause: unknown }) {
    const cause = options.cause as { name?: string; message?: string };
    super(
      `${service} refused ${operation}: ${cause.name ?? 'Error'}: ${cause.message ?? String(options.cause)}`,
      options,
    );
    this.name = 'ServiceRefusedError';
  }
}

export class PreviousSettingError extends Error {
  constructor(kind: string, physicalResourceId: string) {
    super(
      `PhysicalResourceId ${JSON.stringify(physicalResourceId)} does not carry the ${kind} setting as it was before this stack: ` +
        'it was not made by this resource, so there is nothing to restore (set RestoreOnDelete: never to delete without restoring)',
    );
    this.name = 'PreviousSettingError';
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
