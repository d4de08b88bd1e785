// Prints vitest's totals as one plain line ("tests: N passed, N failed, N skipped"), the form CI reads.
import { readFileSync } from 'node:fs'
const r = JSON.parse(readFileSync(new URL('../.vitest/results.json', import.meta.url), 'utf8'))
const skipped = r.numPendingTests + r.numTodoTests
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)
if (r.numFailedTests > 0 || r.numTotalTests === 0) process.exit(1)
