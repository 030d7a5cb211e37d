import baseConfig, { pureLibRules } from '../../eslint.config.mjs';

export default [...baseConfig, pureLibRules];
