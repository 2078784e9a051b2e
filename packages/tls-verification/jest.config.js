// Integration tests start MariaDB servers; give them time on a 2-core machine.
module.exports = require('../../jest.config.base.js')(__dirname, { testTimeout: 60_000 });
