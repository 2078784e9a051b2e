import { readFileSync } from 'node:fs';
import { yamlParse } from 'yaml-cfn';
import { TemplateLoadError } from './errors';

/** A JSON value as CloudFormation templates hold them (short-form tags already expanded to Fn::*). */
export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export interface Parameter {
  Type: string;
  Default?: Json;
  AllowedValues?: Json[];
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  MaxLength?: number;
  ConstraintDescription?: string;
  Description?: string;
  NoEcho?: boolean;
}

export interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties?: JsonObject;
  Metadata?: JsonObject;
  DeletionPolicy?: Json;
  UpdateReplacePolicy?: Json;
  UpdatePolicy?: JsonObject;
  CreationPolicy?: JsonObject;
}

export interface Output {
  Description?: string;
  Value: Json;
  Condition?: string;
  Export?: JsonObject;
}

export interface Rule {
  RuleCondition?: Json;
  Assertions: { Assert: Json; AssertDescription?: string }[];
}

export interface Template {
  AWSTemplateFormatVersion?: string;
  Transform?: string | string[];
  Description?: string;
  Metadata?: JsonObject;
  Parameters?: Record<string, Parameter>;
  Rules?: Record<string, Rule>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Output>;
}

/** Parses a YAML or JSON template, expanding short-form intrinsic tags (!Ref, !Sub, …). */
export function parseTemplate(text: string, file = '<inline>'): Template {
  let parsed: unknown;
  try {
    parsed = yamlParse(text);
  } catch (cause) {
    throw new TemplateLoadError(file, { cause });
  }
  if (!isObject(parsed) || !isObject(parsed.Resources)) {
    throw new TemplateLoadError(file, { cause: new Error('it has no Resources section') });
  }
  return parsed as unknown as Template;
}

export function loadTemplate(file: string): Template {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TemplateLoadError(file, { cause });
  }
  return parseTemplate(text, file);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The single key of an intrinsic-function object (`{ "Fn::If": [...] }` -> `Fn::If`), if it is one. */
export function intrinsicName(value: Json): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys;
  return key === 'Ref' || key === 'Condition' || key?.startsWith('Fn::') ? key : undefined;
}

/** Every logical ID a value references through Ref, Fn::GetAtt or Fn::Sub (parameters included). */
export function referencedIds(value: Json, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
    return into;
  }
  if (!isObject(value)) return into;
  const fn = intrinsicName(value);
  if (fn === 'Ref' && typeof value.Ref === 'string') {
    if (!value.Ref.startsWith('AWS::')) into.add(value.Ref);
    return into;
  }
  if (fn === 'Fn::GetAtt') {
    const arg = value['Fn::GetAtt'];
    const target = Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
    if (typeof target === 'string') into.add(target);
    return into;
  }
  if (fn === 'Fn::Sub') {
    const arg = value['Fn::Sub'];
    const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
    const local = isObject(vars) ? new Set(Object.keys(vars)) : new Set<string>();
    if (typeof text === 'string') {
      for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = (match[1] ?? '').split('.')[0] ?? '';
        if (name && !name.startsWith('AWS::') && !local.has(name)) into.add(name);
      }
    }
    if (vars !== undefined) referencedIds(vars, into);
    return into;
  }
  for (const child of Object.values(value)) referencedIds(child, into);
  return into;
}

/** Logical IDs of the resources a resource depends on: references in its body plus DependsOn. */
export function resourceDependencies(template: Template, logicalId: string): string[] {
  const resource = template.Resources[logicalId];
  if (!resource) return [];
  const ids = referencedIds(resource as unknown as Json);
  const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
  for (const id of dependsOn) ids.add(id);
  return [...ids].filter((id) => id !== logicalId && id in template.Resources).sort();
}
