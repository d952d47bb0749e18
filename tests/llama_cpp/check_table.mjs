// The result table of the llama.cpp checks: one row per check, printed as it completes (so an abort inside
// llama.cpp still leaves the rows before it on screen), then a summary with a clear PASS/FAIL.
// Status: PASS / FAIL (a check that failed), INFO (reported agreement, never fails), SKIP (with the reason).
export class CheckTable {
  constructor() {
    this.rows = [];
    console.log(`${"status".padEnd(6)}  ${"set".padEnd(14)}  ${"check".padEnd(40)}  detail`);
  }

  add(status, set, check, detail) {
    this.rows.push({ status, set, check, detail });
    console.log(`${status.padEnd(6)}  ${set.padEnd(14)}  ${check.padEnd(40)}  ${detail}`);
  }

  pass(set, check, detail) { this.add("PASS", set, check, detail); }
  fail(set, check, detail) { this.add("FAIL", set, check, detail); }
  info(set, check, detail) { this.add("INFO", set, check, detail); }
  skip(set, check, detail) { this.add("SKIP", set, check, detail); }
  verdict(ok, set, check, detail) { this.add(ok ? "PASS" : "FAIL", set, check, detail); }

  // Runs `body`; an exception becomes a FAIL row instead of ending the run.
  async guard(set, check, body) {
    try {
      await body();
    } catch (e) {
      this.fail(set, check, String(e.message || e).split("\n").slice(0, 4).join(" | "));
    }
  }

  summary() {
    const count = (s) => this.rows.filter((r) => r.status === s).length;
    const failed = count("FAIL");
    console.log(`\nllama.cpp reference: ${count("PASS")} passed, ${failed} failed, ${count("INFO")} reported, ${count("SKIP")} skipped`);
    for (const r of this.rows.filter((row) => row.status === "FAIL")) console.log(`  FAIL ${r.set} ${r.check}: ${r.detail}`);
    console.log(failed === 0 ? "PASS" : "FAIL");
    return failed === 0;
  }
}
