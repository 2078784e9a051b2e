import { silentLogger } from './logger';

/** What a custom resource answered CloudFormation (the response body's fields the tests look at). */
export interface Answer {
  Status: 'SUCCESS' | 'FAILED';
  PhysicalResourceId: string;
  Reason?: string;
  Data?: Record<string, string>;
}

type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<void>;
type RecordingPut = (url: URL, body: string, timeoutMs: number) => Promise<number>;

/**
 * Runs one event through a handler built with a put that records the answer instead of sending it, and checks
 * that exactly one answer went out. `build` receives the runtime options: pass them to customResourceHandler.
 */
export async function answerTo(
  build: (options: { put: RecordingPut; logger: typeof silentLogger }) => Handler,
  event: unknown,
  remainingMs = 60_000,
): Promise<Answer> {
  const sent: string[] = [];
  const put: RecordingPut = async (_url, body) => {
    sent.push(body);
    return 200;
  };
  const end = Date.now() + remainingMs;
  await build({ put, logger: silentLogger })(event, { getRemainingTimeInMillis: () => end - Date.now() });
  if (sent.length !== 1) throw new Error(`expected exactly one answer to CloudFormation, got ${sent.length}`);
  return JSON.parse(sent[0] ?? '') as Answer;
}

type RequestType = 'Create' | 'Update' | 'Delete';

/**
 * The events CloudFormation sends one custom resource of `resourceType` in stack `stackId`: call the result with
 * the request type, the resource properties and, for Update and Delete, the PhysicalResourceId.
 */
export function eventsFor(
  resourceType: string,
  stackId = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-account/guid',
): (type: RequestType, properties?: Record<string, unknown>, physicalResourceId?: string) => Record<string, unknown> {
  return (type, properties = {}, physicalResourceId) => ({
    RequestType: type,
    ResponseURL: 'https://example.invalid/response?X-Amz-Signature=secret',
    StackId: stackId,
    RequestId: `req-${type}`,
    LogicalResourceId: 'Setting',
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:f', ...properties },
    ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
  });
}
