import * as z from 'zod/mini';
import { type CustomResource, cfn, customResourceHandler, FAILED_CREATE_PREFIX, stablePhysicalId } from '../../src';
import { context, event, memoryLogger, RESPONSE_URL, recorder } from '../helpers';

type Props = { Count: number };
type Data = { Names: string };

function resource(overrides: Partial<CustomResource<Props, Data>> = {}): CustomResource<Props, Data> {
  return {
    name: 'Thing',
    properties: z.strictObject({ Count: cfn.integer(1, 6) }),
    create: async (p) => ({ data: { Names: `n${p.Count}` } }),
    update: async (p) => ({ data: { Names: `u${p.Count}` } }),
    delete: jest.fn(async () => undefined),
    ...overrides,
  };
}

function setup(r: CustomResource<Props, Data>, outcomes: (number | Error)[] = []) {
  const { put, sent } = recorder(outcomes);
  const logger = memoryLogger();
  const handler = customResourceHandler(r, { put, logger, baseDelayMs: 1 });
  const body = (i = 0) => JSON.parse(sent[i]?.body ?? 'null');
  return { handler, sent, logger, body };
}

const BASE = {
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/strata-dev/abc',
  RequestId: 'req-1',
  LogicalResourceId: 'Zones',
};

describe('Function: customResourceHandler', () => {
  describe('when Create succeeds', () => {
    it('answers SUCCESS once with a stable physical ID and the data', async () => {
      // Arrange
      const { handler, sent, body } = setup(resource());

      // Act
      await handler(event(), context());

      // Assert
      expect(sent).toHaveLength(1);
      expect(sent[0]?.url).toBe(RESPONSE_URL);
      expect(body()).toEqual({
        Status: 'SUCCESS',
        PhysicalResourceId: stablePhysicalId(BASE),
        ...BASE,
        Data: { Names: 'n2' },
      });
    });

    it('derives the same physical ID for the same stack and logical ID', () => {
      expect(stablePhysicalId(BASE)).toBe(stablePhysicalId({ ...BASE }));
      expect(stablePhysicalId(BASE)).not.toBe(stablePhysicalId({ ...BASE, LogicalResourceId: 'Other' }));
    });
  });

  describe('when Create throws', () => {
    it('answers FAILED with the message and the failed-create marker', async () => {
      const { handler, sent, body } = setup(
        resource({ create: async () => Promise.reject(new Error('no zone offers t4g.small')) }),
      );

      await handler(event(), context());

      expect(sent).toHaveLength(1);
      expect(body()).toEqual({
        Status: 'FAILED',
        Reason: 'no zone offers t4g.small',
        PhysicalResourceId: `${FAILED_CREATE_PREFIX}req-1`,
        ...BASE,
      });
    });
  });

  describe('when Update throws', () => {
    it('keeps the existing physical ID so CloudFormation does not think it was replaced', async () => {
      const { handler, body } = setup(resource({ update: async () => Promise.reject(new Error('boom')) }));

      await handler(
        event({ RequestType: 'Update', PhysicalResourceId: 'Zones-1', OldResourceProperties: { Count: '2' } }),
        context(),
      );

      expect(body()).toEqual({ Status: 'FAILED', Reason: 'boom', PhysicalResourceId: 'Zones-1', ...BASE });
    });
  });

  describe('when Update succeeds without a new ID', () => {
    it('keeps the physical ID and hands the core the validated old properties', async () => {
      // Arrange
      const update = jest.fn(async () => ({ data: { Names: 'x' } }));
      const { handler, body } = setup(resource({ update }));

      // Act
      await handler(
        event({
          RequestType: 'Update',
          PhysicalResourceId: 'Zones-1',
          ResourceProperties: { Count: '3' },
          OldResourceProperties: { Count: '2' },
        }),
        context(),
      );

      // Assert
      expect(update).toHaveBeenCalledWith({ Count: 3 }, { Count: 2 }, expect.anything());
      expect(body()).toEqual({ Status: 'SUCCESS', PhysicalResourceId: 'Zones-1', ...BASE, Data: { Names: 'x' } });
    });
  });

  describe('when a property is bad', () => {
    it('answers FAILED naming the property and the rule it broke', async () => {
      const { handler, body } = setup(resource());

      await handler(event({ ResourceProperties: { Count: '9' } }), context());

      expect(body()).toEqual({
        Status: 'FAILED',
        Reason: 'invalid properties: Count: must be at most 6',
        PhysicalResourceId: `${FAILED_CREATE_PREFIX}req-1`,
        ...BASE,
      });
    });

    it('answers FAILED naming an unknown property', async () => {
      const { handler, body } = setup(resource());

      await handler(event({ ResourceProperties: { Count: '2', Coutn: '3' } }), context());

      expect(body().Reason).toBe('invalid properties: Coutn: unknown property: remove it or check its spelling');
    });

    it('answers FAILED naming a missing property', async () => {
      const { handler, body } = setup(resource());

      await handler(event({ ResourceProperties: {} }), context());

      expect(body().Reason).toMatch(/^invalid properties: Count: /);
    });
  });

  describe('when the RequestType is unknown', () => {
    it('answers FAILED saying which types exist', async () => {
      const { handler, body } = setup(resource());

      await handler({ ...event(), RequestType: 'Rename' }, context());

      expect(body()).toEqual({
        Status: 'FAILED',
        Reason: 'unknown RequestType "Rename": expected Create, Update or Delete',
        PhysicalResourceId: `${FAILED_CREATE_PREFIX}req-1`,
        ...BASE,
      });
    });
  });

  describe('when the work outlives the deadline', () => {
    it('answers FAILED "timed out while <phase>" once, before the deadline, and returns', async () => {
      // Arrange
      let finish: () => void = () => undefined;
      const create = async (_p: Props, ctx: { phase(p: string): void }) => {
        ctx.phase('waiting for DescribeAvailabilityZones');
        await new Promise<void>((r) => {
          finish = r;
        });
        return { data: { Names: 'late' } };
      };
      const { put, sent } = recorder();
      const handler = customResourceHandler(resource({ create }), {
        put,
        logger: memoryLogger(),
        deadlineMarginMs: () => 150,
      });
      const started = Date.now();

      // Act
      await handler(event(), context(300));
      finish();
      await new Promise((r) => setTimeout(r, 50));

      // Assert
      expect(sent).toHaveLength(1);
      expect(sent[0]?.at).toBeLessThan(started + 300);
      expect(JSON.parse(sent[0]?.body ?? '')).toEqual({
        Status: 'FAILED',
        Reason: 'Thing timed out while waiting for DescribeAvailabilityZones',
        PhysicalResourceId: `${FAILED_CREATE_PREFIX}req-1`,
        ...BASE,
      });
    });

    it('aborts the signal it gave the work', async () => {
      let signal: AbortSignal | undefined;
      const create = async (_p: Props, ctx: { signal: AbortSignal }) => {
        signal = ctx.signal;
        return new Promise<never>(() => undefined);
      };
      const { put } = recorder();
      const handler = customResourceHandler(resource({ create }), {
        put,
        logger: memoryLogger(),
        deadlineMarginMs: () => 150,
      });

      await handler(event(), context(200));

      expect(signal?.aborted).toBe(true);
    });
  });

  describe('when the response PUT fails', () => {
    it('retries with the same body until it is delivered', async () => {
      const { handler, sent } = setup(resource(), [503, new Error('ECONNRESET'), 200]);

      await handler(event(), context());

      expect(sent).toHaveLength(3);
      expect(new Set(sent.map((s) => s.body)).size).toBe(1);
    });

    it('gives up after five attempts without throwing, and logs it', async () => {
      const { handler, sent, logger } = setup(resource(), [500, 500, 500, 500, 500, 500]);

      await expect(handler(event(), context())).resolves.toBeUndefined();

      expect(sent).toHaveLength(5);
      expect(logger.lines.some((l) => l.level === 'error' && l.message === 'CloudFormation was not answered')).toBe(
        true,
      );
    });

    it('does not retry a 403 (an expired presigned URL will not recover)', async () => {
      const { handler, sent } = setup(resource(), [403]);

      await handler(event(), context());

      expect(sent).toHaveLength(1);
    });
  });

  describe('when the answer would exceed 4096 bytes', () => {
    it('truncates a long Reason and keeps the JSON valid', async () => {
      const { handler, sent, body } = setup(
        resource({ create: async () => Promise.reject(new Error('é'.repeat(10_000))) }),
      );

      await handler(event(), context());

      expect(Buffer.byteLength(sent[0]?.body ?? '')).toBeLessThanOrEqual(4096);
      expect(body().Reason).toMatch(/^é+ \[truncated\]$/);
    });

    it('refuses oversized Data with a FAILED that says why', async () => {
      const { handler, body } = setup(resource({ create: async () => ({ data: { Names: 'x'.repeat(5000) } }) }));

      await handler(event(), context());

      expect(body().Status).toBe('FAILED');
      expect(body().Data).toBeUndefined();
      expect(body().Reason).toMatch(/^the response Data is 5012 bytes but CloudFormation accepts at most 4096 bytes/);
    });
  });

  describe('when Delete follows a failed Create', () => {
    it('answers SUCCESS without calling the core', async () => {
      const r = resource();
      const { handler, body } = setup(r);

      await handler(
        event({
          RequestType: 'Delete',
          PhysicalResourceId: `${FAILED_CREATE_PREFIX}req-0`,
          ResourceProperties: { Count: 'bad' },
        }),
        context(),
      );

      expect(r.delete).not.toHaveBeenCalled();
      expect(body()).toEqual({
        Status: 'SUCCESS',
        Reason: 'nothing to delete: the create had failed',
        PhysicalResourceId: `${FAILED_CREATE_PREFIX}req-0`,
        ...BASE,
      });
    });
  });

  describe('when Delete has properties that no longer validate', () => {
    it('still deletes and answers SUCCESS with the same physical ID', async () => {
      const r = resource();
      const { handler, body } = setup(r);

      await handler(
        event({ RequestType: 'Delete', PhysicalResourceId: 'Zones-1', ResourceProperties: { Count: 'bad' } }),
        context(),
      );

      expect(r.delete).toHaveBeenCalledWith(undefined, expect.anything());
      expect(body()).toEqual({ Status: 'SUCCESS', PhysicalResourceId: 'Zones-1', ...BASE });
    });
  });

  describe('when the result is NoEcho', () => {
    it('sets NoEcho and keeps the data out of the logs', async () => {
      const { handler, body, logger } = setup(
        resource({ create: async () => ({ data: { Names: 'hidden' }, noEcho: true }) }),
      );

      await handler(event(), context());

      expect(body().NoEcho).toBe(true);
      expect(JSON.stringify(logger.lines)).not.toContain('hidden');
    });
  });

  describe('logging', () => {
    it('never logs the ResponseURL signature', async () => {
      const { handler, logger } = setup(resource(), [500, 200]);

      await handler(event(), context());

      const text = JSON.stringify(logger.lines);
      expect(text).not.toContain('secret123');
      expect(text).toContain(
        'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Astack/req?***',
      );
    });
  });

  describe('when the event is not from CloudFormation', () => {
    it('logs and returns without sending anything', async () => {
      const { handler, sent, logger } = setup(resource());

      await handler({ RequestType: 'Create' }, context());

      expect(sent).toHaveLength(0);
      expect(logger.lines[0]?.message).toBe('cannot answer this event');
    });
  });
});
