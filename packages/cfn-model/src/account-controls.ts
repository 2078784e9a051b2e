import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { DocsError } from './errors';

/**
 * The account layer's repeated controls, from one data file (data/account-controls.yaml): the CIS metric filters
 * with their alarms, and the AWS Config managed rules. account/template.yaml is transform-free (StackSets deploy
 * it), so instead of `Fn::ForEach` its blocks are generated between markers by `npm run docs` (docs.ts), and a
 * test fails when the template and the data differ. The template tests and the integration tests read the same
 * file through this module (Python: tests/integration/deployment.py).
 */

export interface MetricFilterControl {
  id: string;
  label: string;
  event: string;
  pattern: string;
}

export interface ConfigRuleControl {
  id: string;
  name: string;
  source: string;
  globalOnly?: boolean;
}

export interface AccountControls {
  metricFilters: MetricFilterControl[];
  configRules: ConfigRuleControl[];
}

const ID = /^[A-Z][A-Za-z0-9]{1,60}$/;
const RULE_NAME = /^[a-z0-9-]{1,49}$/; // "strata-account-" + name within ConfigRuleName's 64 characters
const SOURCE = /^[A-Z0-9_]{1,256}$/;

function fail(file: string, where: string, fix: string): never {
  throw new DocsError(`${file}: ${where}: ${fix}`);
}

/** Reads and checks the data file: every field present, names within AWS's limits, ids unique. */
export function loadAccountControls(root: string): AccountControls {
  const file = 'data/account-controls.yaml';
  const data = yamlParse(readFileSync(resolve(root, file), 'utf8')) as Partial<AccountControls>;
  const ids = new Set<string>();
  const unique = (id: string, where: string) => {
    if (ids.has(id)) fail(file, where, `id ${id} is used twice; ids name resources and must be unique`);
    ids.add(id);
  };
  (data.metricFilters ?? []).forEach((f, i) => {
    const where = `metricFilters[${i}]`;
    if (!ID.test(f.id ?? '')) fail(file, `${where}.id`, 'give a PascalCase name (letters and digits)');
    if (!f.label || !f.event) fail(file, where, 'give a label and the event the alarm describes');
    if (!f.pattern?.startsWith('{') || !f.pattern.endsWith('}'))
      fail(file, `${where}.pattern`, 'give the CIS pattern as a JSON filter pattern, { ... }');
    unique(f.id, where);
  });
  (data.configRules ?? []).forEach((r, i) => {
    const where = `configRules[${i}]`;
    if (!ID.test(r.id ?? '')) fail(file, `${where}.id`, 'give a PascalCase name (letters and digits)');
    if (!RULE_NAME.test(r.name ?? ''))
      fail(file, `${where}.name`, 'give a lower-case name of at most 49 characters (letters, digits, hyphens)');
    if (!SOURCE.test(r.source ?? ''))
      fail(file, `${where}.source`, 'give the managed rule identifier, such as ENCRYPTED_VOLUMES');
    unique(`${r.id}Rule`, where);
  });
  if (!data.metricFilters?.length || !data.configRules?.length)
    fail(file, 'metricFilters, configRules', 'both lists are needed');
  return { metricFilters: data.metricFilters, configRules: data.configRules };
}

// Single-quoted YAML scalars, as the rest of the template writes them (a quote inside is doubled).
const quoted = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The metric filter and alarm of every CIS control, as account/template.yaml holds them under Resources. */
export function metricFiltersBlock(root: string): string {
  return loadAccountControls(root)
    .metricFilters.map((f) =>
      [
        `  ${f.id}MetricFilter:`,
        '    Type: AWS::Logs::MetricFilter',
        '    Condition: HasTrail',
        '    Properties:',
        '      LogGroupName: !Ref TrailLogGroup',
        `      FilterName: 'strata-account-cis-${f.id}'`,
        `      FilterPattern: ${quoted(f.pattern)}`,
        '      MetricTransformations:',
        `        - { MetricNamespace: Strata/CIS, MetricName: ${f.id}, MetricValue: '1' }`,
        `  ${f.id}Alarm:`,
        '    Type: AWS::CloudWatch::Alarm',
        '    Condition: HasTrail',
        '    Properties:',
        `      AlarmName: 'strata-account-cis-${f.id}'`,
        `      AlarmDescription: ${quoted(`CIS AWS Foundations: ${f.event}`)}`,
        '      Namespace: Strata/CIS',
        `      MetricName: ${f.id}`,
        '      Statistic: Sum',
        '      Period: 300',
        '      EvaluationPeriods: 1',
        '      Threshold: 1',
        '      ComparisonOperator: GreaterThanOrEqualToThreshold',
        '      TreatMissingData: notBreaching',
        '      AlarmActions: [!Ref AlarmTopic]',
      ].join('\n'),
    )
    .join('\n\n');
}

/** Every managed Config rule, after the recorder is ready; IAM rules only in the global resources region. */
export function configRulesBlock(root: string): string {
  return loadAccountControls(root)
    .configRules.map((r) =>
      [
        `  ${r.id}Rule:`,
        '    Type: AWS::Config::ConfigRule',
        ...(r.globalOnly ? ['    Condition: IsGlobalResourcesRegion'] : []),
        '    DependsOn: ConfigRecorderReady',
        '    Properties:',
        `      ConfigRuleName: strata-account-${r.name}`,
        `      Source: { Owner: AWS, SourceIdentifier: ${r.source} }`,
      ].join('\n'),
    )
    .join('\n');
}
