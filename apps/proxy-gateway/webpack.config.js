module.exports = require('../../tools/build/nest-app-webpack')('proxy-gateway');
