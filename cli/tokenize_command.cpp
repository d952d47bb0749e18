// `hfbundle tokenize MODEL [--file F ...] [--json] [--decode] [--chat]`: ids of the bytes of stdin (or of each
// --file, one line each), comma-separated; --decode turns comma-separated ids back into text.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "readers/tokenizer/text_tokenizer.h"

namespace hfb::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::vector<std::string> files;
  bool json = false;
  bool decode = false;
  bool chat = false;
};

Result<std::string> read_input(const std::string& file) {
  std::ostringstream text;
  if (file.empty()) {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "cannot open input file").with_path(file);
  text << in.rdbuf();
  return text.str();
}

Result<std::vector<int32_t>> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    size_t begin = item.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) continue;
    size_t end = item.find_last_not_of(" \t\r\n");
    std::string digits = item.substr(begin, end - begin + 1);
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "--decode: '" + digits + "' is not a token id");
    }
    ids.push_back(std::stoi(digits));
  }
  return ids;
}

std::string ids_line(const std::vector<int32_t>& ids) {
  std::string line;
  for (int32_t id : ids) line += (line.empty() ? "" : ",") + std::to_string(id);
  return line;
}

Status tokenize_one(const tokenizer::TextTokenizer& t, const TokenizeOptions& options, const std::string& file) {
  HFB_TRY(std::string input, read_input(file));
  if (options.decode) {
    HFB_TRY(std::vector<int32_t> ids, parse_ids(input));
    HFB_TRY(std::string text, t.tokenizer.decode(ids));
    std::fwrite(text.data(), 1, text.size(), stdout);
    return ok_status();
  }
  std::vector<int32_t> ids;
  if (options.chat) {
    HFB_TRY(ids, tokenizer::encode_chat_prompt(t, input));
  } else {
    HFB_TRY(ids, t.tokenizer.encode(input, true));
  }
  if (!options.json) {
    std::printf("%s\n", ids_line(ids).c_str());
    return ok_status();
  }
  nlohmann::json doc;
  doc["ids"] = ids;
  nlohmann::json tokens = nlohmann::json::array();
  for (int32_t id : ids) tokens.push_back(*t.tokenizer.token_text(id));
  doc["tokens"] = tokens;
  std::printf("%s\n", doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return ok_status();
}

int run_tokenize(const TokenizeOptions& options) {
  auto t = tokenizer::load_text_tokenizer(options.model);
  if (!t.ok()) return report_error(t.error());
  std::vector<std::string> files = options.files.empty() ? std::vector<std::string>{""} : options.files;
  for (const std::string& file : files) {
    Status status = tokenize_one(*t, options, file);
    if (!status.ok()) return report_error(status.error());
  }
  return kExitOk;
}

void setup_tokenize(CLI::App& app, std::function<int()>* run) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* sub = app.add_subcommand("tokenize", "Token ids of text (stdin or --file), or text of ids with --decode");
  sub->add_option("model", options->model, "Checkpoint or bundle directory, tokenizer directory, or tokenizer.json")
      ->required();
  sub->add_option("--file", options->files, "Read this file instead of stdin (repeatable: one output line each)");
  sub->add_flag("--json", options->json, "Print {\"ids\": [...], \"tokens\": [...]}");
  sub->add_flag("--decode", options->decode, "Input is comma-separated ids; print their text");
  sub->add_flag("--chat", options->chat, "Input is one user message; print the ids of the chat prompt");
  sub->callback([options, run] { *run = [options] { return run_tokenize(*options); }; });
}

}  // namespace

HFB_REGISTER_COMMAND(tokenize, setup_tokenize);

}  // namespace hfb::cli
