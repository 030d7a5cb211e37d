module.exports = require('../../tools/build/nest-app-webpack')('tunnel-api');
