import { main } from '../docs';

process.exitCode = main(process.argv.slice(2));
