#include "cli/format.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/table.h"
#include "conflict/dot.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace sanji::cli {
namespace {

std::string JoinValues(const v1::ValueList& list, absl::string_view separator) {
  std::vector<std::string> values;
  for (const v1::Value& value : list.values()) values.push_back(FormatValue(value));
  return absl::StrJoin(values, separator);
}

// The map's order is unspecified: sorted, a record reads the same every time.
std::vector<std::string> SortedFieldNames(const v1::Record& record) {
  std::vector<std::string> names;
  for (const auto& [name, field] : record.fields()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

// `message` on the wire with map entries sorted by key. The JSON printer of
// protobuf 3.21 prints what it reads from the wire, in order; the plain
// SerializeAsString that MessageToJsonString uses writes a map in its hash
// order, which changes from process to process.
std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    // Proto3 has no required fields, so this can not fail.
    (void)message.SerializePartialToCodedStream(&coded);
  }  // the stream trims `bytes` to what was written when it goes
  return bytes;
}

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

}  // namespace

std::string FormatValue(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kText:
      return value.text();
    case v1::Value::kInteger:
      return absl::StrCat(value.integer());
    case v1::Value::kReal:
      return absl::StrCat(value.real());
    case v1::Value::kFlag:
      return value.flag() ? "true" : "false";
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return "";
}

FieldView ViewField(const v1::FieldValue& field) {
  switch (field.kind_case()) {
    case v1::FieldValue::kLww:
      return {"lww", FormatValue(field.lww())};
    case v1::FieldValue::kMv:
      return {"mv", JoinValues(field.mv(), " | ")};
    case v1::FieldValue::kCounter:
      return {"counter", absl::StrCat(field.counter())};
    case v1::FieldValue::kSet:
      return {"set", absl::StrCat("{", JoinValues(field.set(), ", "), "}")};
    case v1::FieldValue::kStatus:
      return {"status", field.status()};
    case v1::FieldValue::KIND_NOT_SET:
      break;
  }
  return {"?", ""};
}

FieldView ViewUnknownField(const v1::UnknownField& field) {
  static constexpr absl::string_view kWhy[] = {"unknown", "not in this node's schema", "kind clash",
                                               "beyond the status order"};
  const size_t reason = static_cast<size_t>(field.reason());
  FieldView view{
      absl::StrCat("? ", field.state_kind(), ", ", kWhy[reason < std::size(kWhy) ? reason : 0]),
      ""};
  if (field.state_kind() == "counter") {
    view.value = absl::StrCat(field.counter());
  } else if (field.state_kind() == "status") {
    view.value = absl::StrCat("value #", field.status_rank() + 1);
  } else {
    view.value = JoinValues(field.values(), field.state_kind() == "set" ? ", " : " | ");
  }
  return view;
}

std::string Summary(const v1::Record& record, size_t width) {
  if (auto title = record.fields().find("title"); title != record.fields().end()) {
    return TruncateToWidth(ViewField(title->second).value, width);
  }
  std::vector<std::string> parts;
  for (const std::string& name : SortedFieldNames(record)) {
    parts.push_back(absl::StrCat(name, "=", ViewField(record.fields().at(name)).value));
  }
  return TruncateToWidth(absl::StrJoin(parts, ", "), width);
}

std::string FormatMicros(int64_t micros) {
  if (micros == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string FormatSeconds(int64_t seconds) {
  // absl writes a zero duration as a bare "0", which reads oddly as "0 ago".
  if (seconds == 0) return "0s";
  return absl::FormatDuration(absl::Seconds(seconds));
}

void PrintRecord(const v1::Record& record, std::ostream& out) {
  Table header;
  header.AddRow({"collection", record.collection()});
  header.AddRow({"key", record.key()});
  header.AddRow({"scope", record.scope()});
  header.AddRow({"updated", FormatMicros(record.updated().physical_micros())});
  if (record.deleted()) header.AddRow({"deleted", "yes"});
  header.Print(out);

  const std::vector<std::string> names = SortedFieldNames(record);
  if (names.empty() && record.unknown_fields().empty()) return;
  Table fields({"FIELD", "KIND", "VALUE"});
  for (const std::string& name : names) {
    FieldView view = ViewField(record.fields().at(name));
    fields.AddRow({name, std::move(view.kind), std::move(view.value)});
  }
  // Kept and relayed as they came until this node's schema names them.
  for (const v1::UnknownField& field : record.unknown_fields()) {
    FieldView view = ViewUnknownField(field);
    fields.AddRow({field.name(), std::move(view.kind), std::move(view.value)});
  }
  out << "\n";
  fields.Print(out);
  if (record.changes().empty()) return;
  Table changes({"WHEN", "CHANGE", "BY", "FIELDS"});
  for (const v1::RecordChange& change : record.changes()) {
    changes.AddRow({change.has_time() ? FormatMicros(change.time().physical_micros()) : "-",
                    FormatChangeId(change.change()),
                    change.author().empty() ? "-" : change.author(),
                    change.fields().empty() ? "-" : absl::StrJoin(change.fields(), ", ")});
  }
  out << "\n";
  changes.Print(out);
}

std::string FormatChangeId(const v1::ChangeId& change) {
  return conflict::Dot{{change.node_id(), change.incarnation()}, change.counter()}.ToString();
}

absl::Status PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix,
                                                               descriptor->file()->pool()));
  std::string json;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver.get(), absl::StrCat(kTypeUrlPrefix, "/", descriptor->full_name()),
      DeterministicBytes(message), &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", message.GetTypeName(), " as JSON: ", status.ToString()));
  }
  // Flushed line by line: `watch --json | jq` shows each event as it comes.
  out << json << std::endl;
  return absl::OkStatus();
}

}  // namespace sanji::cli
