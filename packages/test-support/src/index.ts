export * from './moto';
export * from './throttle';
