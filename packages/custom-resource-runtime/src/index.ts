export * from './aws';
export * from './errors';
export * from './handler';
export * from './logger';
export * from './properties';
export * from './response';
export * from './transport';
