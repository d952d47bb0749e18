// Test helper: verify (parity with a fixture's HF golden) on the graph that graph passes produce, through
// RewritingSession; a summary precise enough to compare runs bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "passes/pass_registry.h"
#include "tests/e2e/rewriting_session.h"
#include "validators/golden.h"
#include "validators/parity.h"

namespace hfb::test {

struct ParitySummary {
  bool pass = false;
  std::vector<std::string> statuses;  ///< per case: name, status and reason
  std::vector<double> max_abs;        ///< per case
  bool ok = false;                    ///< verify ran
  /// Status of the case named `name` ("" if absent).
  std::string status_of(const std::string& name) const {
    for (const std::string& s : statuses) {
      if (s.rfind(name + ": ", 0) == 0) return s.substr(name.size() + 2, s.find(' ', name.size() + 2) - name.size() - 2);
    }
    return "";
  }
};

inline ParitySummary summarize(const ParityReport& report) {
  ParitySummary summary;
  summary.ok = true;
  summary.pass = report.pass;
  for (const CaseReport& c : report.cases) {
    summary.statuses.push_back(c.name + ": " + case_status_name(c.status) + " " + c.reason);
    summary.max_abs.push_back(c.max_abs_logit_diff);
  }
  return summary;
}

inline ParitySummary verify_rewritten(const Model& model, const Golden& golden, GraphRewrite rewrite) {
  auto session = RewritingSession::create(model, std::move(rewrite));
  EXPECT_TRUE(session.ok()) << session.error().to_string();
  if (!session.ok()) return {};
  auto report = verify_against_golden(**session, golden, VerifyOptions{});
  EXPECT_TRUE(report.ok()) << report.error().to_string();
  return report.ok() ? summarize(*report) : ParitySummary{};
}

inline GraphRewrite identity_rewrite() {
  return [](Graph graph) -> Result<Graph> { return graph; };
}

/// Runs `passes` over a copy of `model` with each built graph (the tensor passes find nothing left to
/// do on a model the same passes already ran on, and rewrite the graph only where it needs it).
inline GraphRewrite passes_rewrite(const Model& model, std::vector<const Pass*> passes) {
  return [model, passes](Graph graph) -> Result<Graph> {
    Model copy = model;
    PassContext context;
    context.model = &copy;
    context.graph = &graph;
    HFB_TRY(std::vector<PassReport> reports, run_passes(context, passes));
    return graph;
  };
}

}  // namespace hfb::test
