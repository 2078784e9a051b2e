export * from './cost';
export * from './critical-path';
export * from './diagram';
export * from './errors';
export * from './project';
export * from './resolve';
export * from './samconfig';
export * from './template';
