import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { type Json, resolveTemplate, type Template } from '../../src';

// The golden corpus this evaluator shares with the local cloud's (tests/golden/test_evaluators.py):
// tests/golden/evaluator/*.yaml, each a template, its parameters and target, and what CloudFormation resolves.
const CORPUS = join(__dirname, '..', '..', '..', '..', 'tests', 'golden', 'evaluator');
const cases = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

interface Case {
  target: { region: string; accountId: string; availabilityZones: string[] };
  parameters?: Record<string, string>;
  template: Template;
  expect:
    | { conditions: Record<string, boolean>; resources: Record<string, Json>; outputs: Record<string, Json> }
    | { error: string };
}

/** The corpus's notation: values known only once deployed are `<deferred>`; Fn::Base64 is kept wrapped here. */
function notation(value: Json): Json {
  if (Array.isArray(value)) return value.map(notation);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'deferred') return '<deferred>';
  if (keys.length === 1 && keys[0] === 'Fn::Base64' && typeof value['Fn::Base64'] === 'string')
    return Buffer.from(value['Fn::Base64']).toString('base64');
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, notation(v)]));
}

describe('Unit: the template evaluator against the shared golden corpus', () => {
  it.each(cases)('%s resolves as CloudFormation does', (file) => {
    const c = yamlParse(readFileSync(join(CORPUS, file), 'utf8')) as Case;
    const resolve = () =>
      resolveTemplate(c.template, c.parameters ?? {}, { target: { ...c.target, partition: 'aws' }, where: file });
    if ('error' in c.expect) {
      // A refusal: CloudFormation stops before anything is created, saying why.
      expect(resolve).toThrow(c.expect.error);
      return;
    }
    const resolved = resolve();

    expect({
      conditions: resolved.conditions,
      resources: notation(resolved.resources as unknown as Json),
      outputs: notation(resolved.outputs as Json),
    }).toEqual(c.expect);
  });
});
