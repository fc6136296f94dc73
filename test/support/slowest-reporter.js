/**
 * Jest reporter: after the run, prints the ten slowest test files with their wall time, so a
 * slow suite is seen where it lands (`make test` and CI end with this table).
 */
class SlowestSuitesReporter {
  onRunComplete(_contexts, results) {
    const suites = results.testResults
      .map((r) => ({ file: r.testFilePath.replace(`${process.cwd()}/`, ''), seconds: (r.perfStats.end - r.perfStats.start) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 10);
    if (suites.length === 0) return;
    const lines = suites.map((s) => `  ${s.seconds.toFixed(1).padStart(7)} s  ${s.file}`);
    process.stderr.write(`\nten slowest test files:\n${lines.join('\n')}\n`);
  }
}
module.exports = SlowestSuitesReporter;
