import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { SamConfigError } from './errors';
import { isObject } from './template';

export interface DeployConfig {
  env: string;
  stackName: string;
  region: string | undefined;
  capabilities: string[];
  confirmChangeset: boolean;
  parameterOverrides: Record<string, string>;
  tags: Record<string, string>;
}

/** Splits `A=1 B="two words" C='x'` as the SAM CLI does for parameter_overrides and tags. */
export function parseKeyValues(text: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pattern = /\s*([A-Za-z0-9_.:/@-]+)=("([^"]*)"|'([^']*)'|(\S*))/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: the classic exec loop over a sticky pattern
  while ((match = pattern.exec(text)) !== null) {
    const [, key = '', , dq, sq, bare] = match;
    out[key] = dq ?? sq ?? bare ?? '';
    consumed = pattern.lastIndex;
  }
  if (text.slice(consumed).trim() !== '') {
    throw new SamConfigError(
      `${field}: cannot parse "${text.slice(consumed).trim()}": write Key=Value pairs separated by spaces`,
    );
  }
  return out;
}

/**
 * Reads the deploy parameters of the config-envs in samconfig.toml that build `template` (the `template_file`
 * of their build parameters; SAM's default, template.yaml, when it is not set): the environments by default,
 * `account/template.yaml` for the account layer's.
 */
export function loadSamConfig(file: string, template = 'template.yaml'): Record<string, DeployConfig> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new SamConfigError(`cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
  const envs: Record<string, DeployConfig> = {};
  for (const [env, body] of Object.entries(doc)) {
    if (!isObject(body as never)) continue;
    const sections = body as Record<string, Record<string, Record<string, unknown>>>;
    const deploy = sections.deploy?.parameters;
    if (!deploy) continue;
    if ((sections.build?.parameters?.template_file ?? 'template.yaml') !== template) continue;
    const where = `${file} [${env}.deploy.parameters]`;
    const stackName = deploy.stack_name;
    if (typeof stackName !== 'string') throw new SamConfigError(`${where}: stack_name is missing`);
    const capabilities = deploy.capabilities;
    envs[env] = {
      env,
      stackName,
      region: typeof deploy.region === 'string' ? deploy.region : undefined,
      capabilities: Array.isArray(capabilities)
        ? capabilities.map(String)
        : typeof capabilities === 'string'
          ? capabilities.split(/\s+/).filter(Boolean)
          : [],
      confirmChangeset: deploy.confirm_changeset === true,
      parameterOverrides: parseKeyValues(String(deploy.parameter_overrides ?? ''), `${where} parameter_overrides`),
      tags: parseKeyValues(String(deploy.tags ?? ''), `${where} tags`),
    };
  }
  return envs;
}
