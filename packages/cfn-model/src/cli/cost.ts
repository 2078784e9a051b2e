import { main } from '../cost';

process.exitCode = main(process.argv.slice(2));
