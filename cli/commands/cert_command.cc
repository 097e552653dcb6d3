#include "cli/commands/cert_command.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cert_authority.h"
#include "conflict/status_macros.h"

namespace sanji::cli {
namespace {

// A node certificate is renewed yearly: with no revocation list yet, a stolen
// village mini PC's certificate stops working within a year at most.
constexpr int kDefaultCertificateDays = 365;

struct CaFlags {
  std::string dir;
  std::string county;
  bool force = false;
};

struct IssueFlags {
  std::string ca_dir;
  std::string node;
  std::string operator_name;
  std::string app;
  std::string scope;
  std::string out_dir;
  ServerNames server_names;
  int days = kDefaultCertificateDays;
  bool force = false;
};

absl::Status RunCa(const CaFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(WrittenFiles files, CreateAuthority(flags.dir, flags.county, flags.force));
  out << "wrote the CA of county " << flags.county << ": certificate " << files.cert_path
      << ", key " << files.key_path << " (keep it secret)\n";
  return absl::OkStatus();
}

// The identity the flags name. InvalidArgument for a scope with --node, or
// none with --operator or --app.
absl::StatusOr<node::Identity> IdentityOfFlags(const IssueFlags& flags) {
  if (!flags.node.empty()) {
    if (!flags.scope.empty()) {
      return absl::InvalidArgumentError(
          "--scope is for --operator and --app: a node's scope is "
          "its id");
    }
    return node::Identity::Node(flags.node);
  }
  if (flags.scope.empty()) {
    return absl::InvalidArgumentError(
        "--operator and --app need --scope: the subtree the certificate acts for (the county's "
        "id for the whole county)");
  }
  if (!flags.operator_name.empty())
    return node::Identity::Operator(flags.operator_name, flags.scope);
  return node::Identity::App(flags.app, flags.scope);
}

absl::Status RunIssue(const IssueFlags& flags, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const node::Identity identity, IdentityOfFlags(flags));
  SANJI_ASSIGN_OR_RETURN(WrittenFiles files,
                         IssueCertificate(flags.ca_dir, identity, flags.out_dir, flags.days,
                                          flags.force, flags.server_names));
  out << "wrote " << identity.Uri() << ": certificate " << files.cert_path << ", key "
      << files.key_path << " (valid " << flags.days << " days";
  const ServerNames& names = flags.server_names;
  if (!names.dns.empty() || !names.ips.empty()) {
    out << "; clients may dial it as " << absl::StrJoin(names.dns, ", ")
        << (!names.dns.empty() && !names.ips.empty() ? ", " : "") << absl::StrJoin(names.ips, ", ");
  }
  out << ")\n";
  return absl::OkStatus();
}

void AddCaCommand(CLI::App& cert, Invocation& invocation) {
  auto flags = std::make_shared<CaFlags>();
  CLI::App* ca = cert.add_subcommand("ca", "Create the county's CA: DIR/ca.pem and DIR/ca.key");
  ca->add_option("--dir", flags->dir, "Directory for ca.pem and ca.key (created if missing)")
      ->required();
  ca->add_option("--county", flags->county, "The county's node id, e.g. gutian")->required();
  ca->add_flag("--force", flags->force,
               "Replace an existing CA (every certificate it issued stops verifying)");
  ca->callback([flags, &invocation] {
    invocation.action = [flags](std::ostream& out) { return RunCa(*flags, out); };
  });
}

void AddIssueCommand(CLI::App& cert, Invocation& invocation) {
  auto flags = std::make_shared<IssueFlags>();
  CLI::App* issue = cert.add_subcommand(
      "issue",
      "Issue a certificate for a node, an operator or an application, signed by the county's "
      "CA (docs/AUTHORIZATION.md says what each may do)");
  issue->add_option("--ca-dir", flags->ca_dir, "Directory holding ca.pem and ca.key")->required();
  CLI::Option_group* who = issue->add_option_group("identity", "Whom the certificate names");
  who->add_option("--node", flags->node, "Node id, e.g. gutian/fengpu/xiaban");
  who->add_option("--operator", flags->operator_name,
                  "Operator name, e.g. desk: administers the nodes of --scope with sanjictl");
  who->add_option("--app", flags->app,
                  "Application name, e.g. clinic: reads and writes the records of --scope");
  who->require_option(1);
  issue->add_option("--scope", flags->scope,
                    "The subtree an operator or application acts for, e.g. gutian (the whole "
                    "county) or gutian/fengpu/xiaban");
  // One name per flag (or a comma-separated list), never the next word: a
  // stray argument must stay a usage error, not become a SAN.
  issue
      ->add_option("--dns", flags->server_names.dns,
                   "Node only (repeatable): a host name clients dial the node by, e.g. localhost "
                   "or sanji-xiaban.lan, as a DNS SAN; stock gRPC clients check it")
      ->allow_extra_args(false)
      ->delimiter(',');
  issue
      ->add_option("--ip", flags->server_names.ips,
                   "Node only (repeatable): an IP address clients dial the node at, e.g. "
                   "127.0.0.1 or 10.8.0.3, as an IP SAN; stock gRPC clients check it")
      ->allow_extra_args(false)
      ->delimiter(',');
  issue->add_option("--out-dir", flags->out_dir, "Directory for <stem>.pem and <stem>.key")
      ->required();
  issue->add_option("--days", flags->days, "Validity in days")->capture_default_str();
  issue->add_flag("--force", flags->force, "Overwrite existing files of this identity");
  issue->callback([flags, &invocation] {
    invocation.action = [flags](std::ostream& out) { return RunIssue(*flags, out); };
  });
}

}  // namespace

void RegisterCertCommands(CLI::App& parent, Invocation& invocation) {
  CLI::App* cert = parent.add_subcommand("cert", "The county's certificate authority");
  cert->require_subcommand(1);
  AddCaCommand(*cert, invocation);
  AddIssueCommand(*cert, invocation);
}

}  // namespace sanji::cli
