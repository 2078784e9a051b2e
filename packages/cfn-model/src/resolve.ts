import { InvalidTemplateError, MissingParameterError, UnresolvableError } from './errors';
import { expandForEach, usesLanguageExtensions } from './foreach';
import {
  intrinsicName,
  isObject,
  type Json,
  type JsonObject,
  type Resource,
  referencedIds,
  type Template,
} from './template';

/** What is known about the target without deploying. */
export interface Target {
  region: string;
  accountId: string;
  partition: string;
  /** What Fn::GetAZs returns. */
  availabilityZones: string[];
}

export const DEFAULT_TARGET: Target = {
  region: 'us-east-1',
  accountId: '123456789012',
  partition: 'aws',
  availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'],
};

/** Marker left where a value exists only after deployment (a resource's Ref or GetAtt). */
export interface Deferred {
  deferred: string;
}

export interface ResolvedTemplate {
  template: Template;
  parameters: Record<string, Json>;
  conditions: Record<string, boolean>;
  /** Resources whose Condition holds, with properties and policies evaluated. */
  resources: Record<string, Resource>;
  /** Outputs whose Condition holds, evaluated (deferred values stay as `{ deferred }`). */
  outputs: Record<string, Json>;
  /** Rules whose assertions fail for these parameters: the AssertDescription of each. */
  ruleViolations: { rule: string; description: string }[];
}

const NO_VALUE = Symbol('AWS::NoValue');
type Value = Json | typeof NO_VALUE;

class Evaluator {
  readonly conditions: Record<string, boolean> = {};
  private readonly evaluating = new Set<string>();

  constructor(
    private readonly template: Template,
    readonly parameters: Record<string, Json>,
    private readonly target: Target,
    private readonly where: string,
  ) {}

  condition(name: string): boolean {
    const known = this.conditions[name];
    if (known !== undefined) return known;
    const body = this.template.Conditions?.[name];
    if (body === undefined) throw new UnresolvableError(`condition ${name} (not declared)`, this.where);
    if (this.evaluating.has(name)) throw new UnresolvableError(`condition ${name} (it refers to itself)`, this.where);
    this.evaluating.add(name);
    const result = this.truth(body, `condition ${name}`);
    this.evaluating.delete(name);
    this.conditions[name] = result;
    return result;
  }

  truth(value: Json, what: string): boolean {
    const evaluated = this.value(value);
    if (evaluated === true || evaluated === 'true') return true;
    if (evaluated === false || evaluated === 'false') return false;
    throw new UnresolvableError(what, this.where);
  }

  value(value: Json): Value {
    if (Array.isArray(value)) {
      return value.map((v) => this.value(v)).filter((v): v is Json => v !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    const fn = intrinsicName(value);
    if (fn === undefined) {
      const out: JsonObject = {};
      for (const [key, child] of Object.entries(value)) {
        const v = this.value(child);
        if (v !== NO_VALUE) out[key] = v;
      }
      return out;
    }
    const arg = value[fn] as Json;
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Condition':
        return this.condition(String(arg));
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = asArray(arg);
        return this.condition(String(name)) ? this.value(whenTrue ?? null) : this.value(whenFalse ?? null);
      }
      case 'Fn::Equals': {
        const [a, b] = asArray(arg).map((v) => this.value(v));
        if (isDeferred(a) || isDeferred(b)) throw new UnresolvableError('Fn::Equals on a deployed value', this.where);
        return String(a) === String(b);
      }
      case 'Fn::Not':
        return !this.truth(asArray(arg)[0] ?? null, 'Fn::Not');
      case 'Fn::And':
        return asArray(arg).every((v) => this.truth(v, 'Fn::And'));
      case 'Fn::Or':
        return asArray(arg).some((v) => this.truth(v, 'Fn::Or'));
      case 'Fn::FindInMap':
        return this.findInMap(asArray(arg));
      case 'Fn::Select': {
        const [index, list] = asArray(arg);
        const items = this.value(list ?? null);
        const i = Number(this.value(index ?? null));
        if (isDeferred(items)) return deferred(`Fn::Select[${i}]`);
        // A list known only after deployment (a nested-stack output placeholder): any item is that value.
        if (Array.isArray(items) && items.length === 1 && typeof items[0] === 'string' && /^<.*>$/.test(items[0]))
          return items[0];
        const picked = Array.isArray(items) ? items[i] : undefined;
        if (picked === undefined) throw new UnresolvableError(`Fn::Select index ${i}`, this.where);
        return picked;
      }
      case 'Fn::Split': {
        const [sep, text] = asArray(arg);
        const t = this.value(text ?? null);
        return typeof t === 'string' ? t.split(String(sep)) : deferred('Fn::Split');
      }
      case 'Fn::Join': {
        const [sep, list] = asArray(arg);
        const items = this.value(list ?? null);
        if (!Array.isArray(items) || items.some(isDeferred)) return deferred('Fn::Join');
        return items.map(String).join(String(sep));
      }
      case 'Fn::Cidr': {
        const [block, count, bits] = asArray(arg).map((v) => this.value(v));
        if (typeof block !== 'string') return deferred('Fn::Cidr');
        return cidrSubnets(block, Number(count), Number(bits), this.where);
      }
      case 'Fn::Base64': {
        // Kept wrapped: the text stays readable for inspection instead of being encoded.
        const text = this.value(arg);
        return text === NO_VALUE ? deferred('Fn::Base64') : { 'Fn::Base64': text };
      }
      case 'Fn::GetAZs': {
        // The target's zones for '' or its own region; another region's zones are not known here.
        const region = this.value(arg);
        return region === '' || region === this.target.region || region === NO_VALUE
          ? [...this.target.availabilityZones]
          : deferred('Fn::GetAZs');
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::GetAtt':
        return deferred(Array.isArray(arg) ? arg.join('.') : String(arg));
      default:
        return deferred(fn);
    }
  }

  private ref(name: string): Value {
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return this.target.region;
      case 'AWS::AccountId':
        return this.target.accountId;
      case 'AWS::Partition':
        return this.target.partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
      case 'AWS::StackId':
        return deferred(name);
    }
    if (name in this.parameters) return this.parameters[name] ?? null;
    return deferred(name);
  }

  private findInMap(args: Json[]): Json {
    const [map, top, second] = args.slice(0, 3).map((a) => this.value(a));
    const value = this.template.Mappings?.[String(map)]?.[String(top)]?.[String(second)];
    // AWS::LanguageExtensions' DefaultValue, used when a key is missing (intrinsic-function-reference-findinmap-enhancements).
    const fallback = args[3];
    if (
      value === undefined &&
      isObject(fallback) &&
      'DefaultValue' in fallback &&
      usesLanguageExtensions(this.template)
    ) {
      const v = this.value(fallback.DefaultValue ?? null);
      return v === NO_VALUE ? null : v;
    }
    if (value === undefined)
      throw new UnresolvableError(`Fn::FindInMap [${String(map)}, ${String(top)}, ${String(second)}]`, this.where);
    return value;
  }

  private sub(arg: Json): Json {
    const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
    const locals: Record<string, Value> = {};
    if (isObject(vars)) for (const [k, v] of Object.entries(vars)) locals[k] = this.value(v);
    let unresolved = false;
    const out = String(text).replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      const v = name in locals ? locals[name] : name.includes('.') ? deferred(name) : this.ref(name);
      // CloudFormation refuses a list here ("Template error: variable X in Fn::Sub expression does not resolve to
      // a string", quoted in aws-cloudformation/cfn-lint#390); the golden corpus holds both evaluators to it.
      if (Array.isArray(v))
        throw new InvalidTemplateError(
          `Template error: variable ${name} in Fn::Sub expression does not resolve to a string`,
        );
      if (v === NO_VALUE || v === undefined || isDeferred(v) || isObject(v) || Array.isArray(v)) {
        unresolved = true;
        return whole;
      }
      return String(v);
    });
    return unresolved ? { deferred: out } : out;
  }
}

/** Fn::Cidr: `count` consecutive IPv4 subnets with `hostBits` host bits each, from the start of `block`. */
export function cidrSubnets(block: string, count: number, hostBits: number, where = 'template'): string[] {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(block);
  if (!match) throw new UnresolvableError(`Fn::Cidr on "${block}" (not an IPv4 CIDR)`, where);
  const [, a, b, c, d, prefix] = match.map(Number) as number[];
  const base = (((a ?? 0) << 24) >>> 0) + ((b ?? 0) << 16) + ((c ?? 0) << 8) + (d ?? 0);
  const size = 2 ** hostBits;
  if (32 - hostBits < (prefix ?? 0) || count * size > 2 ** (32 - (prefix ?? 0))) {
    throw new UnresolvableError(`Fn::Cidr [${block}, ${count}, ${hostBits}] (the block is too small)`, where);
  }
  return Array.from({ length: count }, (_, i) => {
    const n = base + i * size;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${32 - hostBits}`;
  });
}

function asArray(value: Json): Json[] {
  return Array.isArray(value) ? value : [value];
}

function deferred(what: string): JsonObject {
  return { deferred: what };
}

export function isDeferred(value: unknown): value is Deferred {
  return isObject(value as Json) && Object.keys(value as object).length === 1 && 'deferred' in (value as object);
}

/** Values for every parameter: the given ones, else the Default; a parameter with neither is an error. */
export function parameterValues(template: Template, given: Record<string, Json>, where: string): Record<string, Json> {
  const values: Record<string, Json> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? parameter.Default;
    if (value === undefined) throw new MissingParameterError(name, where);
    // An SSM parameter type holds a parameter name; CloudFormation substitutes the parameter's value at deploy
    // time, which a template alone cannot know: it stays a placeholder naming the SSM parameter.
    if (parameter.Type.startsWith('AWS::SSM::Parameter::Value<')) {
      values[name] = `<ssm:${String(value)}>`;
      continue;
    }
    values[name] =
      parameter.Type === 'CommaDelimitedList' || parameter.Type.startsWith('List<')
        ? typeof value === 'string'
          ? value.split(',')
          : value
        : value;
  }
  return values;
}

/** Resolves a template for given parameters: conditions, mappings, parameters and pseudo parameters. */
export function resolveTemplate(
  template: Template,
  given: Record<string, Json>,
  options: {
    target?: Target;
    where?: string;
    /** Parameters whose value is only known after deployment: rules reading them are not evaluated. */
    deployTimeParameters?: Set<string>;
  } = {},
): ResolvedTemplate {
  const where = options.where ?? 'template';
  const parameters = parameterValues(template, given, where);
  const target = options.target ?? DEFAULT_TARGET;
  if (usesLanguageExtensions(template)) {
    // Fn::ForEach first, as the transform runs before CloudFormation evaluates the template; a collection may be a
    // parameter or a mapping, never something known only once deployed.
    const pre = new Evaluator(template, parameters, target, where);
    template = expandForEach(template, (collection) => {
      const value = pre.value(collection);
      if (value === NO_VALUE || isDeferred(value))
        throw new UnresolvableError('an Fn::ForEach collection (known only once deployed)', where);
      return value;
    });
  }
  const ev = new Evaluator(template, parameters, target, where);
  for (const name of Object.keys(template.Conditions ?? {})) ev.condition(name);

  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !ev.condition(resource.Condition)) continue;
    resources[id] = ev.value(resource as unknown as Json) as unknown as Resource;
  }
  const outputs: Record<string, Json> = {};
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !ev.condition(output.Condition)) continue;
    const v = ev.value(output.Value);
    if (v !== NO_VALUE) outputs[id] = v;
  }
  const ruleViolations: { rule: string; description: string }[] = [];
  const deployTime = options.deployTimeParameters ?? new Set<string>();
  for (const [rule, body] of Object.entries(template.Rules ?? {})) {
    if ([...referencedIds(body as unknown as Json)].some((id) => deployTime.has(id))) continue;
    if (body.RuleCondition !== undefined && !ev.truth(body.RuleCondition, `rule ${rule} condition`)) continue;
    for (const assertion of body.Assertions) {
      if (!ev.truth(assertion.Assert, `rule ${rule} assertion`)) {
        ruleViolations.push({ rule, description: assertion.AssertDescription ?? `rule ${rule} failed` });
      }
    }
  }
  return { template, parameters, conditions: ev.conditions, resources, outputs, ruleViolations };
}
