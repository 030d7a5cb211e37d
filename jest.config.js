const { getJestProjectsAsync } = require('@nx/jest');

// One jest run over every project: one summary, one JSON report for tools/test/run-all.sh.
module.exports = async () => ({
  projects: await getJestProjectsAsync(),
});
