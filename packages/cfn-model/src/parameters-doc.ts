import type { Template } from './template';

/**
 * The table of the root template's parameters, generated from the template (default, constraint, label), so
 * what the docs say a parameter accepts is what CloudFormation will enforce. A block of docs.ts: written by
 * `npm run docs`; a test fails when the committed block differs.
 */

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => `\`${cell(text)}\``;

function allowed(p: NonNullable<Template['Parameters']>[string]): string {
  const parts: string[] = [];
  if (p.AllowedValues) parts.push(p.AllowedValues.map((v) => (String(v) === '' ? "''" : String(v))).join(', '));
  if (p.AllowedPattern) parts.push(code(p.AllowedPattern));
  if (p.MinLength !== undefined || p.MaxLength !== undefined)
    parts.push(`${p.MinLength ?? 0}-${p.MaxLength ?? '∞'} characters`);
  if (p.MinValue !== undefined || p.MaxValue !== undefined) parts.push(`${p.MinValue ?? '-∞'}-${p.MaxValue ?? '∞'}`);
  return parts.join(', ') || 'any';
}

export function parameterTable(template: Template): string {
  const labels = (
    template.Metadata?.['AWS::CloudFormation::Interface'] as
      | { ParameterLabels?: Record<string, { default?: string }> }
      | undefined
  )?.ParameterLabels;
  const rows = Object.entries(template.Parameters ?? {}).map(([name, p]) => [
    code(name),
    p.Default === undefined ? '(required)' : p.Default === '' ? "''" : cell(String(p.Default)),
    allowed(p),
    cell(labels?.[name]?.default ?? p.Description ?? ''),
  ]);
  const header = ['Parameter', 'Default', 'Allowed', 'What it is'];
  // Padded as Biome formats Markdown tables, so `biome check` leaves the generated block as it is.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const lines = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  return lines.join('\n');
}
