#include "cli/node_status_view.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/format.h"
#include "cli/table.h"
#include "node/status_schema.h"

namespace sanji::cli {
namespace {

void PrintNode(const v1::NodeStatus& status, int64_t now_micros, std::ostream& out) {
  const int64_t uptime = std::max<int64_t>(now_micros - status.started_micros(), 0) / 1'000'000;
  Table node;
  node.AddRow({"node", status.node_id()});
  node.AddRow({"listen", status.listen_address()});
  node.AddRow({"incarnation", absl::StrCat(status.incarnation())});
  node.AddRow({"version", status.version()});
  node.AddRow({"schema", status.schema_version() == 0
                             ? "version 0 (the config's)"
                             : absl::StrCat("version ", status.schema_version())});
  node.AddRow({"started", absl::StrCat(FormatMicros(status.started_micros()), " (up ",
                                       FormatSeconds(uptime), ")")});
  node.AddRow({"commits", absl::StrCat(status.commits())});
  node.AddRow({"knowledge", node::KnowledgeText(status.knowledge())});
  // The clock skew seen: the most a peer's accepted timestamp was ahead.
  node.AddRow(
      {"clock skew",
       absl::StrCat(status.clock_skew_seen_micros() == 0
                        ? "none seen"
                        : absl::StrCat(absl::FormatDuration(
                                           absl::Microseconds(status.clock_skew_seen_micros())),
                                       " ahead at most"),
                    "; ", status.refused_remote_timestamps(), " refused beyond the bound")});
  // A saved clock ahead of the machine's: the parent refuses new writes
  // beyond the skew bound (README, "When a clock was wrong").
  std::string saved_clock =
      status.clock_lead_micros() == 0
          ? std::string("not ahead of this machine's clock")
          : absl::StrCat(absl::FormatDuration(absl::Microseconds(status.clock_lead_micros())),
                         " ahead of this machine's clock: writes are stamped from it");
  if (status.clock_steps_back() > 0) {
    absl::StrAppend(&saved_clock, "; stepped back ", status.clock_steps_back(),
                    status.clock_steps_back() == 1 ? " time" : " times", " since start");
  }
  node.AddRow({"saved clock", saved_clock});
  node.AddRow(
      {"items",
       absl::StrCat("sent ", status.items_sent(), ", received ", status.items_received(),
                    ", refused ", status.refused_items(),
                    // Only when two schemas disagree: `sanjictl check` lists them.
                    status.fields_clashing() == 0
                        ? ""
                        : absl::StrCat("; ", status.fields_clashing(),
                                       " fields of another kind than the schema's kept apart"))});
  node.AddRow({"calls", absl::StrCat("refused ", status.calls_refused(),
                                     " not authorized (the log names each)")});
  node.Print(out);
}

void PrintLinks(const v1::NodeStatus& status, std::ostream& out) {
  out << "\n";
  if (status.links().empty()) {
    out << "no sync links\n";
    return;
  }
  Table links({"ROLE", "PEER", "ADDRESS", "STATE", "SINCE", "LAST CONTACT", "SENT", "RECEIVED",
               "REFUSED", "LAG", "SCHEMA", "LAST ERROR"});
  Table lag_by_origin({"PEER", "ORIGIN", "PEER LACKS", "THIS NODE LACKS"});
  for (const v1::LinkStatus& link : status.links()) {
    // "+N -M": changes this node holds that the peer lacks, and the other
    // way; "-" until the peer's hello said its knowledge.
    std::string lag = "-";
    if (link.has_peer_knowledge()) {
      uint64_t peer_lacks = 0;
      uint64_t lacks = 0;
      for (const node::OriginLag& entry :
           node::LagByOrigin(status.knowledge(), link.peer_knowledge())) {
        peer_lacks += entry.peer_lacks;
        lacks += entry.lacks;
        lag_by_origin.AddRow(
            {link.peer(), entry.origin, absl::StrCat(entry.peer_lacks), absl::StrCat(entry.lacks)});
      }
      lag = absl::StrCat("+", peer_lacks, " -", lacks);
    }
    links.AddRow({absl::AsciiStrToLower(v1::LinkStatus::Role_Name(link.role())), link.peer(),
                  link.address(), absl::AsciiStrToLower(v1::LinkStatus::State_Name(link.state())),
                  FormatMicros(link.since_micros()), FormatMicros(link.last_contact_micros()),
                  absl::StrCat(link.items_sent()), absl::StrCat(link.items_received()),
                  absl::StrCat(link.items_refused()), lag,
                  // The version the peer's hello named; "-" before the hello
                  // and for a peer too old to name it.
                  link.has_peer_schema_version() ? absl::StrCat(link.peer_schema_version()) : "-",
                  link.last_error().empty() ? "-" : TruncateToWidth(link.last_error(), 60)});
  }
  links.Print(out);
  if (!lag_by_origin.empty()) {
    out << "\nchanges apart, by origin\n";
    lag_by_origin.Print(out);
  }
}

}  // namespace

void PrintNodeStatus(const v1::NodeStatus& status, int64_t now_micros, std::ostream& out) {
  PrintNode(status, now_micros, out);
  PrintLinks(status, out);
}

}  // namespace sanji::cli
