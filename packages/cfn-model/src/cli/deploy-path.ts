import { main } from '../deploy-path';

process.exitCode = main(process.argv.slice(2));
