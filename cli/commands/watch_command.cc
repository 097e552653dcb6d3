#include "cli/commands/watch_command.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/table.h"
#include "conflict/status_macros.h"

namespace sanji::cli {
namespace {

constexpr size_t kSummaryWidth = 60;

struct WatchFlags {
  std::string collection;
  std::string prefix;
  bool from_start = false;
};

// "2024-05-01 15:20:01  service_requests/路灯-3  gutian/fengpu/xiaban  title".
void PrintEvent(const v1::WatchEvent& event, std::ostream& out) {
  const v1::Record& record = event.record();
  const std::string line =
      absl::StrCat(event.collection(), "/", event.key(), "  ", record.scope(), "  ",
                   record.deleted() ? "(deleted)" : Summary(record, kSummaryWidth));
  out << FormatMicros(record.updated().physical_micros()) << "  " << EscapeForTerminal(line)
      << std::endl;
}

absl::Status RunWatch(const GlobalFlags& global, const WatchFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  v1::WatchRequest request;
  request.set_collection(flags.collection);
  request.set_key_prefix(flags.prefix);
  request.set_from_start(flags.from_start);
  // No deadline: a watch lasts until the operator stops it.
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader =
      connection.records().Watch(&context, request);
  v1::WatchEvent event;
  while (reader->Read(&event)) {
    if (global.json) {
      SANJI_RETURN_IF_ERROR(PrintJson(event, out));
    } else {
      PrintEvent(event, out);
    }
  }
  return connection.FromGrpc(reader->Finish());
}

}  // namespace

void RegisterWatchCommand(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<WatchFlags>();
  CLI::App* watch =
      parent.add_subcommand("watch", "Print each committed change, one line each, until Ctrl-C");
  watch->add_option("COLLECTION", flags->collection, "Only this collection (default: all)");
  watch->add_option("--prefix", flags->prefix, "Only keys that start with this");
  watch->add_flag("--from-start", flags->from_start,
                  "First replay every record the node holds, then follow new changes");
  SetNodeAction(*watch, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunWatch(global, *flags, out);
  });
}

}  // namespace sanji::cli
