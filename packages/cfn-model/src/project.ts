import { dirname, join } from 'node:path';
import { UnresolvableError } from './errors';
import { DEFAULT_TARGET, isDeferred, type ResolvedTemplate, resolveTemplate, type Target } from './resolve';
import { isObject, type Json, loadTemplate, referencedIds, type Template } from './template';

export const NESTED_STACK_TYPES = new Set(['AWS::CloudFormation::Stack', 'AWS::Serverless::Application']);

export interface Layer {
  /** Logical ID of the nested stack in the root template (for example NetworkStack). */
  logicalId: string;
  /** Layer name derived from the file (for example network). */
  name: string;
  file: string;
  template: Template;
}

export interface Project {
  rootFile: string;
  root: Template;
  layers: Layer[];
}

/** Loads the root template and every nested template it points at with a local TemplateURL/Location. */
export function loadProject(rootFile: string): Project {
  const root = loadTemplate(rootFile);
  const layers: Layer[] = [];
  for (const [logicalId, resource] of Object.entries(root.Resources)) {
    if (!NESTED_STACK_TYPES.has(resource.Type)) continue;
    const location = resource.Properties?.TemplateURL ?? resource.Properties?.Location;
    if (typeof location !== 'string' || /^https?:\/\//.test(location)) continue;
    const file = join(dirname(rootFile), location);
    const name = location.replace(/^.*\//, '').replace(/\.ya?ml$|\.json$/, '');
    layers.push({ logicalId, name, file, template: loadTemplate(file) });
  }
  return { rootFile, root, layers };
}

export interface ResolvedProject {
  root: ResolvedTemplate;
  /** Resolved layers by nested-stack logical ID, for the layers the root creates in this environment. */
  layers: Record<string, ResolvedTemplate>;
  /** For each layer, the other layers it takes inputs from (GetAtt on their outputs, or DependsOn). */
  layerDependencies: Record<string, string[]>;
}

/**
 * Resolves the root template with the given parameters and then each layer with the parameter values
 * the root passes it. A value that exists only after deployment (a resource ID) reaches the layer as a
 * placeholder string `<Stack.Output>` so the layer can still be resolved.
 */
export function resolveProject(
  project: Project,
  parameters: Record<string, Json>,
  target: Target = DEFAULT_TARGET,
): ResolvedProject {
  const root = resolveTemplate(project.root, parameters, { target, where: project.rootFile });
  const layers: Record<string, ResolvedTemplate> = {};
  const layerDependencies: Record<string, string[]> = {};
  const pending = project.layers.filter((layer) => layer.logicalId in root.resources);
  for (const layer of pending) {
    const resource = project.root.Resources[layer.logicalId];
    const deps = new Set<string>(referencedIds((resource?.Properties ?? {}) as Json));
    for (const d of [resource?.DependsOn ?? []].flat()) deps.add(d);
    layerDependencies[layer.logicalId] = [...deps].filter((d) => pending.some((l) => l.logicalId === d)).sort();
  }
  const done = new Set<string>();
  while (done.size < pending.length) {
    const ready = pending.find(
      (l) => !done.has(l.logicalId) && (layerDependencies[l.logicalId] ?? []).every((d) => done.has(d)),
    );
    if (!ready)
      throw new UnresolvableError(
        'the layer order (the nested stacks depend on each other in a cycle)',
        project.rootFile,
      );
    const given = root.resources[ready.logicalId]?.Properties?.Parameters;
    const values: Record<string, Json> = {};
    const deployTimeParameters = new Set<string>();
    if (isObject(given)) {
      for (const [name, value] of Object.entries(given)) {
        values[name] = concretise(value, layers);
        if (typeof values[name] === 'string' && /^<.*>$/.test(values[name])) deployTimeParameters.add(name);
      }
    }
    layers[ready.logicalId] = resolveTemplate(ready.template, values, {
      target,
      where: ready.file,
      deployTimeParameters,
    });
    done.add(ready.logicalId);
  }
  return { root, layers, layerDependencies };
}

/** Turns a deferred `Stack.Outputs.Name` into the resolved output of that layer, or a placeholder. */
function concretise(value: Json, layers: Record<string, ResolvedTemplate>): Json {
  if (!isDeferred(value)) return value;
  const match = /^([A-Za-z0-9]+)\.Outputs\.([A-Za-z0-9]+)$/.exec(value.deferred);
  if (match) {
    const [, stack = '', output = ''] = match;
    const out = layers[stack]?.outputs[output];
    if (out !== undefined && !isDeferred(out) && !isObject(out)) return out;
    return `<${stack}.${output}>`;
  }
  return `<${value.deferred}>`;
}
