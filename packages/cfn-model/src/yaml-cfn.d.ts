// yaml-cfn ships no type declarations; these are the two functions Strata uses.
declare module 'yaml-cfn' {
  export function yamlParse(text: string): unknown;
  export function yamlDump(value: unknown): string;
}
