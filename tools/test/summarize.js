// Prints the suite's closing line, `N passed, N failed`: the counts of every jest JSON report
// given plus one per check step (build, lint, typecheck) from tmp/test-steps.txt. CI reads this
// line, not jest's own.
//   node summarize.js <steps.txt> <jest-report.json>...
const { existsSync, readFileSync } = require('node:fs');

const [stepsFile, ...jestReports] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

for (const line of existsSync(stepsFile) ? readFileSync(stepsFile, 'utf8').split('\n') : []) {
  const [name, status] = line.split(' ');
  if (!name) continue;
  if (status === 'ok') passed++;
  else failed++;
  console.log(`step ${name}: ${status}`);
}

for (const jestJson of jestReports) {
  if (!existsSync(jestJson)) {
    console.log(`jest wrote no report ${jestJson}`);
    failed++;
    continue;
  }
  const report = JSON.parse(readFileSync(jestJson, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A suite that fails to load has no failed tests but must still fail the run.
  failed += report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.length === 0,
  ).length;
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
