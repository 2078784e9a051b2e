export * from './answer';
export * from './logger';
export * from './mariadb';
export * from './moto';
export * from './ports';
export * from './throttle';
