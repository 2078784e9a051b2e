import { UnresolvableError } from './errors';
import type { Project, ResolvedProject } from './project';
import { isObject, type Json, type Resource, referencedIds } from './template';

/** Per-type create times (data/create-times.json). */
export interface CreateTimes {
  default: { seconds: number };
  nestedStackOverhead: { seconds: number };
  types: Record<string, { seconds: number; multiAzSeconds?: number }>;
}

export interface GraphNode {
  id: string;
  layer: string;
  type: string;
  seconds: number;
  dependsOn: string[];
}

export interface PathStep {
  id: string;
  type: string;
  seconds: number;
  finishesAt: number;
}

export interface CriticalPath {
  total: number;
  /** The steps that take time, in order. */
  steps: PathStep[];
  /** Every node of the chain, including zero-time markers (layer ends), in order. */
  chain: string[];
}

/** Create time of one resource: Multi-AZ RDS and VPC functions have their own figures. */
export function createSeconds(resource: Resource, times: CreateTimes): number {
  const type = resource.Type;
  const entry = times.types[type];
  if (type === 'AWS::RDS::DBInstance' && entry) {
    const multiAz = String(resource.Properties?.MultiAZ) === 'true';
    return multiAz ? (entry.multiAzSeconds ?? entry.seconds) : entry.seconds;
  }
  if ((type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function') && resource.Properties?.VpcConfig) {
    return times.types['AWS::Lambda::Function@vpc']?.seconds ?? entry?.seconds ?? times.default.seconds;
  }
  if (entry) return entry.seconds;
  if (type.startsWith('Custom::')) return times.types['Custom::*']?.seconds ?? times.default.seconds;
  return times.default.seconds;
}

const PLACEHOLDER = /<([A-Za-z0-9]+)\.([A-Za-z0-9]+)>/g;

/** Resources a resolved resource refers to in its own template (after conditions) and the layer outputs it reads. */
function references(resource: Resource, present: Set<string>): { local: Set<string>; outputs: Set<string> } {
  const local = new Set<string>();
  const outputs = new Set<string>();
  const visit = (value: Json) => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(PLACEHOLDER)) outputs.add(`${m[1]}.${m[2]}`);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (!isObject(value)) return;
    if (typeof value.deferred === 'string' && Object.keys(value).length === 1) {
      const text = value.deferred;
      const head = /^([A-Za-z0-9]+)(\.|$)/.exec(text)?.[1];
      if (head && present.has(head)) local.add(head);
      for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) if (m[1] && present.has(m[1])) local.add(m[1]);
      for (const m of text.matchAll(PLACEHOLDER)) outputs.add(`${m[1]}.${m[2]}`);
      return;
    }
    for (const v of Object.values(value)) visit(v);
  };
  visit((resource.Properties ?? {}) as Json);
  visit((resource.Metadata ?? {}) as Json);
  for (const d of [resource.DependsOn ?? []].flat()) if (present.has(d)) local.add(d);
  return { local, outputs };
}

/**
 * The create graph of one environment. `layered`: what CloudFormation does with nested stacks (a layer
 * starts after every layer it takes inputs from has completed, plus the nested-stack overhead).
 * `ideal`: the lower bound, each resource waiting only for the resources whose values it really uses,
 * across layer boundaries.
 */
export function buildGraph(
  project: Project,
  resolved: ResolvedProject,
  times: CreateTimes,
  mode: 'layered' | 'ideal',
): Map<string, GraphNode> {
  const graph = new Map<string, GraphNode>();
  const add = (node: GraphNode) => graph.set(node.id, node);

  // Which resources of a layer each of its outputs comes from (the template's own references).
  const outputSources = new Map<string, string[]>();
  for (const layer of project.layers) {
    const present = new Set(Object.keys(resolved.layers[layer.logicalId]?.resources ?? {}));
    for (const [name, output] of Object.entries(layer.template.Outputs ?? {})) {
      const ids = [...referencedIds(output.Value)].filter((id) => present.has(id));
      outputSources.set(
        `${layer.logicalId}.${name}`,
        ids.map((id) => `${layer.logicalId}/${id}`),
      );
    }
  }

  for (const [stack, layer] of Object.entries(resolved.layers)) {
    const present = new Set(Object.keys(layer.resources));
    if (mode === 'layered') {
      const after = (resolved.layerDependencies[stack] ?? []).map((d) => `${d}::end`);
      add({
        id: `${stack}::start`,
        layer: stack,
        type: 'AWS::CloudFormation::Stack',
        seconds: times.nestedStackOverhead.seconds,
        dependsOn: after,
      });
      add({
        id: `${stack}::end`,
        layer: stack,
        type: 'AWS::CloudFormation::Stack',
        seconds: 0,
        dependsOn: [...present].map((id) => `${stack}/${id}`),
      });
    }
    for (const [id, resource] of Object.entries(layer.resources)) {
      const { local, outputs } = references(resource, present);
      const dependsOn = [...local].map((d) => `${stack}/${d}`);
      if (mode === 'layered') dependsOn.push(`${stack}::start`);
      else for (const o of outputs) dependsOn.push(...(outputSources.get(o) ?? []));
      add({
        id: `${stack}/${id}`,
        layer: stack,
        type: resource.Type,
        seconds: createSeconds(resource, times),
        dependsOn,
      });
    }
  }
  return graph;
}

/** Longest weighted path through a DAG (each node's time counts once it starts). */
export function longestPath(graph: Map<string, GraphNode>): CriticalPath {
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    if (state.get(id) === 'visiting')
      throw new UnresolvableError(`the create order (a dependency cycle through ${id})`, 'the deploy graph');
    state.set(id, 'visiting');
    const node = graph.get(id);
    if (!node) throw new UnresolvableError(`the dependency ${id} (not in the graph)`, 'the deploy graph');
    let start = 0;
    let before: string | undefined;
    for (const dep of node.dependsOn) {
      const f = visit(dep);
      if (before === undefined || f > start) {
        start = f;
        before = dep;
      }
    }
    const end = start + node.seconds;
    finish.set(id, end);
    via.set(id, before);
    state.set(id, 'done');
    return end;
  };
  let last: string | undefined;
  let total = 0;
  for (const id of graph.keys()) {
    const f = visit(id);
    if (last === undefined || f > total) {
      total = f;
      last = id;
    }
  }
  const steps: PathStep[] = [];
  const chain: string[] = [];
  for (let id = last; id !== undefined; id = via.get(id)) {
    const node = graph.get(id);
    chain.unshift(id);
    if (node && node.seconds > 0)
      steps.unshift({ id, type: node.type, seconds: node.seconds, finishesAt: finish.get(id) ?? 0 });
  }
  return { total, steps, chain };
}

/** Where the estimated create loses time against its lower bound. */
export interface PathBreakdown {
  /** The layers whose nested-stack start is on the estimated path, in order. */
  stackStarts: string[];
  /** Their overhead: one nestedStackOverhead each. */
  startSeconds: number;
  /** The rest: resources waiting for the whole of a layer they take inputs from (or for its own start). */
  waitSeconds: number;
}

/**
 * Splits the gap between the estimated path and the lower bound into the nested-stack starts on the path (fixed
 * by the chain of layers: each start waits for the layers whose outputs it takes) and waits for the rest of a
 * layer (resources a consumer does not use but must wait for, which moving resources between layers can remove).
 */
export function pathBreakdown(layered: CriticalPath, ideal: CriticalPath, times: CreateTimes): PathBreakdown {
  const stackStarts = layered.steps.filter((s) => s.id.endsWith('::start')).map((s) => s.id.replace(/::start$/, ''));
  const startSeconds = stackStarts.length * times.nestedStackOverhead.seconds;
  return { stackStarts, startSeconds, waitSeconds: layered.total - ideal.total - startSeconds };
}

/** For each layer: the layers that take its outputs, directly or through others (updated only if those outputs change). */
export function updateImpact(resolved: ResolvedProject): Record<string, string[]> {
  const consumers: Record<string, Set<string>> = {};
  for (const [layer, deps] of Object.entries(resolved.layerDependencies)) {
    for (const d of deps) {
      const set = consumers[d] ?? new Set<string>();
      set.add(layer);
      consumers[d] = set;
    }
  }
  const impact: Record<string, string[]> = {};
  for (const layer of Object.keys(resolved.layers)) {
    const seen = new Set<string>();
    const queue = [...(consumers[layer] ?? [])];
    while (queue.length) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(consumers[next] ?? []));
    }
    impact[layer] = [...seen].sort();
  }
  return impact;
}

const dotId = (s: string) => JSON.stringify(s);

/**
 * Graphviz DOT of a deploy graph: one cluster per layer, each resource with its type and seconds, the
 * critical path in red. The layer start/end markers are drawn as small points.
 */
export function toDot(graph: Map<string, GraphNode>, path: CriticalPath, title: string): string {
  const onPath = new Set(path.chain);
  const pathEdges = new Set(path.chain.slice(1).map((id, i) => `${path.chain[i]}->${id}`));
  const layers = new Map<string, GraphNode[]>();
  for (const node of graph.values()) layers.set(node.layer, [...(layers.get(node.layer) ?? []), node]);
  const lines = [
    'digraph deploy {',
    `  label=${dotId(title)}; labelloc=t; fontsize=20; rankdir=LR; splines=true; nodesep=0.15; ranksep=0.6;`,
    '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica", fontsize=10];',
    '  edge [color="#9e9e9e", arrowsize=0.5];',
  ];
  for (const [layer, nodes] of [...layers.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      `  subgraph ${dotId(`cluster_${layer}`)} {`,
      `    label=${dotId(layer.replace(/Stack$/, ''))}; style="rounded"; color="#607d8b";`,
    );
    for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
      if (n.id.endsWith('::start') || n.id.endsWith('::end')) {
        lines.push(
          `    ${dotId(n.id)} [shape=point, width=0.08, label=""${onPath.has(n.id) ? ', color="#d32f2f"' : ''}];`,
        );
        continue;
      }
      const label = `${n.id.split('/').pop()}\\n${n.type.replace(/^AWS::/, '')} ${n.seconds}s`;
      const style = onPath.has(n.id) ? ', fillcolor="#ffcdd2", color="#d32f2f", penwidth=2' : '';
      lines.push(`    ${dotId(n.id)} [label="${label}"${style}];`);
    }
    lines.push('  }');
  }
  for (const n of graph.values()) {
    for (const d of n.dependsOn) {
      const critical = pathEdges.has(`${d}->${n.id}`);
      lines.push(`  ${dotId(d)} -> ${dotId(n.id)}${critical ? ' [color="#d32f2f", penwidth=2.5]' : ''};`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
