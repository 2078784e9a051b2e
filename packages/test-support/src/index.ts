export * from './mariadb';
export * from './moto';
export * from './throttle';
