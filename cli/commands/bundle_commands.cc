#include "cli/commands/bundle_commands.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "cli/bundle_view.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/read_file.h"
#include "cli/table.h"
#include "conflict/status_macros.h"
#include "node/bundle_format.h"

namespace sanji::cli {
namespace {

namespace fs = std::filesystem;

// Bundles and backups take as long as their size: at least this long.
constexpr std::chrono::minutes kTransferDeadline{10};

struct ExportFlags {
  std::string target;
  std::string output;
  std::string knowledge;
  bool knowledge_only = false;
};

// The bundle in the file at `path`, checked (node/bundle_format.h).
absl::StatusOr<node::Bundle> ReadBundleFile(const std::string& path) {
  SANJI_ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(path));
  return node::ReadBundle(bytes, path);
}

// The hello of the bundle at `path`, which `target` must have made.
absl::StatusOr<v1::Hello> KnowledgeFrom(const std::string& path, const std::string& target) {
  SANJI_ASSIGN_OR_RETURN(const node::Bundle bundle, ReadBundleFile(path));
  if (bundle.header.exporter() != target) {
    return absl::InvalidArgumentError(absl::StrCat(path, " was made by ", bundle.header.exporter(),
                                                   ", not by ", target,
                                                   ": --knowledge takes a bundle the target made"));
  }
  v1::SyncFrame frame;
  node::FrameDecoder decoder(node::kMaxBundleBytes);
  if (bundle.frames.empty() || !decoder.Decode(bundle.frames.front(), frame).ok() ||
      !frame.has_hello()) {
    return absl::DataLossError(absl::StrCat(path, " is corrupt: it does not begin with a hello"));
  }
  return frame.hello();
}

// Batches and items in `bundle`.
absl::Status CountBatches(const node::Bundle& bundle, uint64_t& batches, uint64_t& items) {
  node::FrameDecoder decoder(node::kMaxBundleBytes);
  for (const v1::WireFrame& wire : bundle.frames) {
    v1::SyncFrame frame;
    SANJI_RETURN_IF_ERROR(decoder.Decode(wire, frame));
    if (!frame.has_batch()) continue;
    ++batches;
    items += frame.batch().items_size();
  }
  return absl::OkStatus();
}

absl::Status RunExport(const GlobalFlags& global, const ExportFlags& flags, std::ostream& out) {
  v1::ExportBundleRequest request;
  request.set_target(flags.target);
  request.set_knowledge_only(flags.knowledge_only);
  if (!flags.knowledge.empty()) {
    SANJI_ASSIGN_OR_RETURN(*request.mutable_target_hello(),
                           KnowledgeFrom(flags.knowledge, flags.target));
  }
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  // Written beside FILE and renamed over it once whole: FILE is never half
  // a bundle.
  const std::string temporary = absl::StrCat(flags.output, ".part");
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) {
      return absl::UnavailableError(
          absl::StrCat("cannot write ", temporary, ": ", std::strerror(errno)));
    }
    grpc::ClientContext context;
    connection.SetDeadline(context, kTransferDeadline);
    std::unique_ptr<grpc::ClientReader<v1::BundleChunk>> reader =
        connection.admin().ExportBundle(&context, request);
    v1::BundleChunk chunk;
    while (reader->Read(&chunk)) file.write(chunk.data().data(), chunk.data().size());
    absl::Status status = connection.FromGrpc(reader->Finish());
    file.close();
    if (status.ok() && !file) {
      status = absl::UnavailableError(absl::StrCat("cannot write ", temporary));
    }
    if (!status.ok()) {
      fs::remove(temporary);
      return status;
    }
  }
  absl::StatusOr<node::Bundle> written = ReadBundleFile(temporary);
  uint64_t batches = 0, items = 0;
  absl::Status checked = written.status();
  if (checked.ok()) checked = CountBatches(*written, batches, items);
  std::error_code renamed;
  if (checked.ok()) fs::rename(temporary, flags.output, renamed);
  if (!checked.ok() || renamed) {
    fs::remove(temporary);
    return checked.ok()
               ? absl::UnavailableError(absl::StrCat("cannot rename ", temporary, " to ",
                                                     flags.output, ": ", renamed.message()))
               : checked;
  }
  if (global.json) return PrintJson(written->header, out);
  Table table;
  table.AddRow({"bundle", flags.output});
  table.AddRow({"from", written->header.exporter()});
  table.AddRow({"for", written->header.target()});
  table.AddRow({"created", FormatMicros(written->header.created_micros())});
  table.AddRow({"contents", flags.knowledge_only
                                ? std::string("knowledge only")
                                : absl::StrCat(batches, " batches, ", items, " records")});
  table.AddRow({"bytes", absl::StrCat(fs::file_size(flags.output))});
  table.Print(out);
  return absl::OkStatus();
}

absl::Status RunImport(const GlobalFlags& global, const std::string& path, std::ostream& out) {
  SANJI_ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(path));
  // Checked here first, for the operator's sake; the node checks again.
  SANJI_RETURN_IF_ERROR(node::ReadBundle(bytes, path).status());
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  grpc::ClientContext context;
  connection.SetDeadline(context, kTransferDeadline);
  v1::ImportBundleResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::BundleChunk>> writer =
      connection.admin().ImportBundle(&context, &response);
  for (size_t offset = 0; offset < bytes.size(); offset += node::kBundleChunkBytes) {
    v1::BundleChunk chunk;
    chunk.set_data(bytes.substr(offset, node::kBundleChunkBytes));
    if (!writer->Write(chunk)) break;  // Finish says why
  }
  writer->WritesDone();
  SANJI_RETURN_IF_ERROR(connection.FromGrpc(writer->Finish()));
  if (global.json) return PrintJson(response, out);
  Table table;
  table.AddRow({"bundle", path});
  table.AddRow({"from", response.header().exporter()});
  table.AddRow({"created", FormatMicros(response.header().created_micros())});
  table.AddRow({"applied", ImportSummary(response)});
  table.Print(out);
  if (response.refused().empty()) return absl::OkStatus();
  out << "\n";
  Table refused({"COLLECTION", "KEY", "REFUSED BECAUSE"});
  for (const v1::RefusedChange& change : response.refused()) {
    refused.AddRow({change.collection(), change.key(), change.reason()});
  }
  refused.Print(out);
  return absl::OkStatus();
}

absl::Status RunBackup(const GlobalFlags& global, const std::string& directory, std::ostream& out) {
  v1::BackupRequest request;
  request.set_directory(fs::absolute(directory).lexically_normal().string());
  SANJI_ASSIGN_OR_RETURN(const Connection connection, Connection::Open(global));
  grpc::ClientContext context;
  connection.SetDeadline(context, kTransferDeadline);
  v1::BackupResponse response;
  SANJI_RETURN_IF_ERROR(
      connection.FromGrpc(connection.admin().Backup(&context, request, &response)));
  if (global.json) return PrintJson(response, out);
  Table table;
  table.AddRow({"backup", response.directory()});
  table.AddRow({"copied", absl::StrCat(response.keys(), " keys, ", response.bytes(), " bytes")});
  table.AddRow({"incarnation", absl::StrCat(response.incarnation(),
                                            " (a store restored from it starts a new one)")});
  table.Print(out);
  return absl::OkStatus();
}

void AddExport(CLI::App& parent, Invocation& invocation) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* command = parent.add_subcommand(
      "export", "An offline bundle of what NODE lacks, to carry to it (sanjictl import there)");
  command->add_option("--for", flags->target, "The node it is for: a parent, or a node below")
      ->required();
  command->add_option("-o,--output", flags->output, "The bundle file to write")->required();
  CLI::Option* knowledge = command->add_option(
      "--knowledge", flags->knowledge,
      "A bundle NODE made: what NODE holds (default: its last status record here)");
  command
      ->add_flag("--knowledge-only", flags->knowledge_only,
                 "Only this node's knowledge, for NODE to answer with a bundle")
      ->excludes(knowledge);
  SetNodeAction(*command, invocation, [flags](const GlobalFlags& global, std::ostream& out) {
    return RunExport(global, *flags, out);
  });
}

void AddImport(CLI::App& parent, Invocation& invocation) {
  auto path = std::make_shared<std::string>();
  CLI::App* command = parent.add_subcommand(
      "import", "Apply an offline bundle made for this node (importing it again changes nothing)");
  command->add_option("FILE", *path, "The bundle file")->required();
  SetNodeAction(*command, invocation, [path](const GlobalFlags& global, std::ostream& out) {
    return RunImport(global, *path, out);
  });
}

void AddBackup(CLI::App& parent, Invocation& invocation) {
  auto directory = std::make_shared<std::string>();
  CLI::App* command = parent.add_subcommand(
      "backup", "A consistent copy of the node's store, into DIR on the node's machine");
  command->add_option("-o,--output", *directory, "A new or empty directory")->required();
  SetNodeAction(*command, invocation, [directory](const GlobalFlags& global, std::ostream& out) {
    return RunBackup(global, *directory, out);
  });
}

}  // namespace

void RegisterBundleCommands(CLI::App& parent, Invocation& invocation) {
  AddExport(parent, invocation);
  AddImport(parent, invocation);
  AddBackup(parent, invocation);
}

}  // namespace sanji::cli
