import type { CustomResourceEvent, LambdaContext, Logger, Put } from '../src';
import { HttpStatusError } from '../src/errors';

export const RESPONSE_URL =
  'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Astack/req?X-Amz-Signature=secret123&X-Amz-Credential=AKIA';

export function event(overrides: Partial<CustomResourceEvent> = {}): CustomResourceEvent {
  return {
    RequestType: 'Create',
    ResponseURL: RESPONSE_URL,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/strata-dev/abc',
    RequestId: 'req-1',
    LogicalResourceId: 'Zones',
    ResourceType: 'Custom::Thing',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      ServiceTimeout: '300',
      Count: '2',
    },
    ...overrides,
  };
}

export function context(remainingMs = 60_000): LambdaContext {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

export interface Sent {
  url: string;
  body: string;
  at: number;
}

/** A Put that records each call; `outcomes` decides each attempt (a status, or an Error to throw). */
export function recorder(outcomes: (number | Error)[] = []): { put: Put; sent: Sent[] } {
  const sent: Sent[] = [];
  const put: Put = async (url, body) => {
    sent.push({ url: url.toString(), body, at: Date.now() });
    const outcome = outcomes[sent.length - 1] ?? 200;
    if (outcome instanceof Error) throw outcome;
    if (outcome >= 300) throw new HttpStatusError(outcome, 'nope');
    return outcome;
  };
  return { put, sent };
}

export interface LogLine {
  level: string;
  message: string;
  extra?: Record<string, unknown>;
}

export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({ level, message, ...(extra ? { extra } : {}) });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
