import { main } from '../describe';

process.exitCode = main(process.argv.slice(2));
