import { createHash } from 'node:crypto';
import type { $ZodType } from 'zod/v4/core';
import { MalformedEventError, UnknownRequestTypeError } from './errors';
import { createLogger, type Logger } from './logger';
import { parseProperties } from './properties';
import { encodeResponse, type ResponseBody, type ResponseData, type Status } from './response';
import { createPut, deliver, type Put, redactUrl } from './transport';

export const FAILED_CREATE_PREFIX = 'strata-failed-create:';

export type RequestType = 'Create' | 'Update' | 'Delete';

/** The fields of a CloudFormation custom-resource request the runtime relies on. */
export interface CustomResourceEvent {
  RequestType: RequestType;
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
}

/** What Lambda's context offers that the runtime uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface InvocationContext {
  event: CustomResourceEvent;
  logger: Logger;
  /** Aborted when the deadline answer has gone out: pass it to SDK calls (`{ abortSignal }`). */
  signal: AbortSignal;
  /** Names what the resource is doing now, for the "timed out while …" answer. */
  phase(description: string): void;
}

export interface Result<D extends ResponseData> {
  /** Defaults to the current one (Update, Delete) or a stable ID derived from the stack and logical ID. */
  physicalResourceId?: string;
  data?: D;
  /** Masks Data in the console and in describe calls. */
  noEcho?: boolean;
}

export interface CustomResource<P, D extends ResponseData> {
  /** For logs and messages, for example "AvailabilityZones". */
  name: string;
  properties: $ZodType<P>;
  create(properties: P, ctx: InvocationContext): Promise<Result<D>>;
  update(properties: P, old: P | undefined, ctx: InvocationContext): Promise<Result<D>>;
  /** Optional: most Strata resources own nothing outside CloudFormation. */
  delete?(properties: P | undefined, ctx: InvocationContext): Promise<void>;
}

export interface RuntimeOptions {
  logger?: Logger;
  put?: Put;
  /** Response PUT attempts (default 5) and the first backoff (default 250 ms, doubling, full jitter). */
  attempts?: number;
  baseDelayMs?: number;
  /** How long before the Lambda deadline the FAILED "timed out" answer goes out. */
  deadlineMarginMs?: (remainingMs: number) => number;
}

/** 20% of the time left, at least 1 s, at most 10 s: room for the answer's own PUT and its retries. */
export const defaultDeadlineMargin = (remainingMs: number) => Math.min(10_000, Math.max(1_000, remainingMs * 0.2));

export function stablePhysicalId(event: Pick<CustomResourceEvent, 'StackId' | 'LogicalResourceId'>): string {
  const digest = createHash('sha256').update(`${event.StackId}/${event.LogicalResourceId}`).digest('hex').slice(0, 16);
  return `${event.LogicalResourceId}-${digest}`;
}

function validateEvent(raw: unknown): CustomResourceEvent {
  const event = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  for (const field of ['ResponseURL', 'StackId', 'RequestId', 'LogicalResourceId']) {
    if (typeof event[field] !== 'string' || event[field] === '') throw new MalformedEventError(field);
  }
  if (typeof event.ResourceProperties !== 'object' || event.ResourceProperties === null) {
    (event as { ResourceProperties: object }).ResourceProperties = {};
  }
  return event as unknown as CustomResourceEvent;
}

/**
 * Wraps a resource's create/update/delete into a Lambda handler that answers CloudFormation exactly once,
 * before the deadline, in every path: success, thrown error, bad properties, unknown request type,
 * timeout, Delete after a failed Create. The handler never throws: Lambda would retry an asynchronous
 * invocation and answer twice.
 */
export function customResourceHandler<P, D extends ResponseData>(
  resource: CustomResource<P, D>,
  options: RuntimeOptions = {},
): (event: unknown, context: LambdaContext) => Promise<void> {
  const logger = options.logger ?? createLogger(resource.name);
  const put = options.put ?? createPut();
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const margin = options.deadlineMarginMs ?? defaultDeadlineMargin;

  return async (rawEvent, context) => {
    let event: CustomResourceEvent;
    try {
      event = validateEvent(rawEvent);
    } catch (error) {
      // Without a ResponseURL there is nobody to answer: log and stop.
      logger.error('cannot answer this event', { error: (error as Error).message });
      return;
    }
    const { ResponseURL: _url, ...loggable } = event;
    logger.info('request received', {
      ...loggable,
      responseUrl: redactUrl(event.ResponseURL),
      ResourceProperties: Object.keys(event.ResourceProperties),
      OldResourceProperties: event.OldResourceProperties ? Object.keys(event.OldResourceProperties) : undefined,
    });

    const started = Date.now();
    const remaining = context.getRemainingTimeInMillis();
    const abort = new AbortController();
    let phase = 'starting';
    let delivery: Promise<void> | undefined;

    const currentId = () =>
      event.RequestType === 'Create' || !event.PhysicalResourceId
        ? `${FAILED_CREATE_PREFIX}${event.RequestId}`
        : event.PhysicalResourceId;

    const answer = (
      status: Status,
      physicalResourceId: string,
      extra: { reason?: string; data?: D; noEcho?: boolean } = {},
    ) => {
      if (delivery) return delivery;
      const body: ResponseBody = {
        Status: status,
        PhysicalResourceId: physicalResourceId,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
        ...(extra.reason !== undefined ? { Reason: extra.reason } : {}),
        ...(extra.noEcho ? { NoEcho: true } : {}),
        ...(extra.data !== undefined ? { Data: extra.data } : {}),
      };
      const encoded = encodeResponse(body);
      const sent = JSON.parse(encoded) as ResponseBody;
      logger.info('answering', {
        status: sent.Status,
        reason: sent.Reason,
        physicalResourceId: sent.PhysicalResourceId,
        data: sent.NoEcho ? '***' : sent.Data,
        elapsedMs: Date.now() - started,
      });
      const timeLeft = Math.max(1_000, context.getRemainingTimeInMillis());
      delivery = deliver(event.ResponseURL, encoded, {
        put,
        logger,
        attempts,
        baseDelayMs,
        perAttemptTimeoutMs: Math.min(10_000, timeLeft / 2),
      }).then(
        () => undefined,
        (error: unknown) => logger.error('CloudFormation was not answered', { error: (error as Error).message }),
      );
      return delivery;
    };

    // The deadline answer: FAILED shortly before Lambda would stop us, whatever the work is doing.
    let deadlineAnswered: () => void = () => undefined;
    const deadline = new Promise<void>((resolve) => {
      deadlineAnswered = resolve;
    });
    const timer = setTimeout(
      () => {
        abort.abort();
        void answer('FAILED', currentId(), { reason: `${resource.name} timed out while ${phase}` }).then(
          deadlineAnswered,
        );
      },
      Math.max(0, remaining - margin(remaining)),
    );

    const ctx: InvocationContext = {
      event,
      logger,
      signal: abort.signal,
      phase: (description) => {
        phase = description;
        logger.debug('phase', { phase });
      },
    };

    const work = (async () => {
      try {
        const outcome = await run(resource, event, ctx);
        await answer('SUCCESS', outcome.physicalResourceId, {
          ...(outcome.data !== undefined ? { data: outcome.data } : {}),
          ...(outcome.noEcho ? { noEcho: true } : {}),
          ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        logger.error('request failed', { error: reason, name: error instanceof Error ? error.name : undefined });
        await answer('FAILED', currentId(), { reason });
      }
    })();
    // Return as soon as one answer is delivered: a hung call must not keep the invocation alive past the
    // deadline (Lambda would count a timeout and retry the event).
    await Promise.race([work, deadline]);
    clearTimeout(timer);
  };
}

async function run<P, D extends ResponseData>(
  resource: CustomResource<P, D>,
  event: CustomResourceEvent,
  ctx: InvocationContext,
): Promise<{ physicalResourceId: string; data?: D; noEcho?: boolean; reason?: string }> {
  switch (event.RequestType) {
    case 'Create': {
      ctx.phase('validating properties');
      const properties = parseProperties(resource.properties, event.ResourceProperties);
      ctx.phase('creating');
      const result = await resource.create(properties, ctx);
      return { ...result, physicalResourceId: result.physicalResourceId ?? stablePhysicalId(event) };
    }
    case 'Update': {
      ctx.phase('validating properties');
      const properties = parseProperties(resource.properties, event.ResourceProperties);
      let old: P | undefined;
      try {
        old = parseProperties(resource.properties, event.OldResourceProperties ?? {});
      } catch {
        old = undefined;
      }
      ctx.phase('updating');
      const result = await resource.update(properties, old, ctx);
      return {
        ...result,
        physicalResourceId: result.physicalResourceId ?? event.PhysicalResourceId ?? stablePhysicalId(event),
      };
    }
    case 'Delete': {
      const physicalResourceId = event.PhysicalResourceId ?? stablePhysicalId(event);
      if (physicalResourceId.startsWith(FAILED_CREATE_PREFIX)) {
        return { physicalResourceId, reason: 'nothing to delete: the create had failed' };
      }
      let properties: P | undefined;
      try {
        properties = parseProperties(resource.properties, event.ResourceProperties);
      } catch (error) {
        ctx.logger.warn('deleting with properties that no longer validate', { error: (error as Error).message });
      }
      ctx.phase('deleting');
      await resource.delete?.(properties, ctx);
      return { physicalResourceId };
    }
    default:
      throw new UnknownRequestTypeError((event as { RequestType: unknown }).RequestType);
  }
}
