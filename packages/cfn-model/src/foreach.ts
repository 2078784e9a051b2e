import { InvalidTemplateError } from './errors';
import { isObject, type Json, type JsonObject, type Template } from './template';

/**
 * `Fn::ForEach` of the AWS::LanguageExtensions transform, expanded before the template is evaluated, as
 * CloudFormation does when it processes the transform
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html):
 * in Conditions, Outputs, Resources and resource Properties, `Fn::ForEach::<Loop>: [Identifier, Collection,
 * {OutputKey: OutputValue}]` becomes one entry per item, with `${Identifier}` and `&{Identifier}` (the item's
 * letters and digits only) replaced in keys and strings and `{ Ref: Identifier }` replaced by the item; loops nest.
 *
 * The checks are those of the SAM CLI's implementation, which the local cloud runs (samcli.lib.
 * cfn_language_extensions.processors.foreach): the layout, a loop name or identifier that is a parameter's name,
 * an identifier reused by an enclosing loop, a collection CloudFormation cannot know before deploying (Fn::GetAtt,
 * Fn::ImportValue, a dynamic reference), keys that collide, and at most 5 nested loops. The golden corpus
 * (tests/golden/evaluator/) holds both evaluators to the same expansion.
 */

const PREFIX = 'Fn::ForEach::';
const MAX_DEPTH = 5;
const DYNAMIC_REFERENCE = /\{\{resolve:(ssm|ssm-secure|secretsmanager):/i;

export const usesLanguageExtensions = (template: Template) =>
  ([] as string[]).concat(template.Transform ?? []).includes('AWS::LanguageExtensions');

function substitute(node: Json, identifier: string, item: string): Json {
  if (typeof node === 'string')
    return node.replaceAll(`\${${identifier}}`, item).replaceAll(`&{${identifier}}`, item.replace(/[^a-zA-Z0-9]/g, ''));
  if (Array.isArray(node)) return node.map((n) => substitute(n, identifier, item));
  if (!isObject(node)) return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === 'Ref' && node.Ref === identifier) return item;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [substitute(k, identifier, item) as string, substitute(v, identifier, item)]),
  );
}

function cloudOnly(collection: Json, key: string): void {
  const fail = (what: string) => {
    throw new InvalidTemplateError(
      `${key}: the collection uses ${what}, which exists only once resources are deployed; use a CommaDelimitedList parameter`,
    );
  };
  if (typeof collection === 'string' && DYNAMIC_REFERENCE.test(collection)) fail('a dynamic reference');
  if (Array.isArray(collection)) for (const item of collection) cloudOnly(item, key);
  if (isObject(collection)) {
    const [fn] = Object.keys(collection);
    if (Object.keys(collection).length === 1 && (fn === 'Fn::GetAtt' || fn === 'Fn::ImportValue')) fail(fn);
  }
}

interface Loop {
  parameters: Set<string>;
  /** Resolves an intrinsic collection (a parameter, a mapping) to its value. */
  collection: (value: Json) => Json;
}

function expandObject(node: JsonObject, loop: Loop, enclosing: string[], depth: number): JsonObject {
  const out: JsonObject = {};
  const merge = (entries: JsonObject, key: string) => {
    const taken = Object.keys(entries).filter((k) => k in out);
    if (taken.length)
      throw new InvalidTemplateError(
        `Fn::ForEach expansion in '${key}' produced logical IDs that conflict with existing entries: ${taken.sort().join(', ')}`,
      );
    Object.assign(out, entries);
  };
  for (const [key, value] of Object.entries(node)) {
    if (!key.startsWith(PREFIX)) {
      out[key] = value;
      continue;
    }
    const layout = () =>
      new InvalidTemplateError(`${key}: layout is [Identifier, Collection, {OutputKey: OutputValue}] (a list of 3)`);
    if (!Array.isArray(value) || value.length !== 3) throw layout();
    const [identifier, rawCollection, body] = value;
    if (typeof identifier !== 'string' || !identifier || !isObject(body)) throw layout();
    if (depth + 1 > MAX_DEPTH)
      throw new InvalidTemplateError(`${key}: CloudFormation supports up to ${MAX_DEPTH} nested Fn::ForEach loops`);
    if (loop.parameters.has(identifier))
      throw new InvalidTemplateError(`${key}: identifier '${identifier}' conflicts with parameter name`);
    if (enclosing.includes(identifier))
      throw new InvalidTemplateError(`${key}: identifier '${identifier}' conflicts with another loop identifier`);
    const name = key.slice(PREFIX.length);
    if (loop.parameters.has(name))
      throw new InvalidTemplateError(`${key}: loop name '${name}' conflicts with parameter name`);
    cloudOnly(rawCollection ?? null, key);
    let items = Array.isArray(rawCollection) ? rawCollection : loop.collection(rawCollection ?? null);
    if (typeof items === 'string') items = items.split(',').map((s) => s.trim());
    if (!Array.isArray(items)) throw layout();
    for (const item of items) {
      const text = typeof item === 'boolean' ? String(item) : typeof item === 'string' ? item : JSON.stringify(item);
      const expanded = substitute(body, identifier, text);
      merge(isObject(expanded) ? expandObject(expanded, loop, [...enclosing, identifier], depth + 1) : {}, key);
    }
  }
  return out;
}

/** The template with every Fn::ForEach expanded (the template itself when it does not use the transform). */
export function expandForEach(template: Template, collection: Loop['collection']): Template {
  if (!usesLanguageExtensions(template)) return template;
  const loop: Loop = { parameters: new Set(Object.keys(template.Parameters ?? {})), collection };
  const out = { ...template } as unknown as JsonObject;
  for (const section of ['Conditions', 'Outputs'] as const) {
    const body = out[section];
    if (isObject(body)) out[section] = expandObject(body, loop, [], 0);
  }
  if (isObject(out.Resources)) {
    const resources = expandObject(out.Resources, loop, [], 0);
    for (const [id, resource] of Object.entries(resources))
      if (isObject(resource) && isObject(resource.Properties))
        resources[id] = { ...resource, Properties: expandObject(resource.Properties, loop, [], 0) };
    out.Resources = resources;
  }
  return out as unknown as Template;
}
