#include "conflict/schema_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sanji::conflict {
namespace {

bool IsSystem(const std::string& name) { return !name.empty() && name.front() == '@'; }

bool IsRegister(FieldKind kind) { return kind == FieldKind::kLww || kind == FieldKind::kMv; }

// The violations of one field that both versions name.
void CheckField(const std::string& collection, const std::string& name, const FieldSpec& before,
                const FieldSpec& after, std::vector<SchemaViolation>& out) {
  const auto add = [&](std::string rule, std::string suggestion) {
    out.push_back({collection, name, std::move(rule), std::move(suggestion)});
  };
  // A rename keeps every earlier name: applications and nodes of older
  // versions still write under them, and another field taking one would
  // receive those writes.
  const bool keeps_names =
      after.renamed_to.size() >= before.renamed_to.size() &&
      std::equal(before.renamed_to.begin(), before.renamed_to.end(), after.renamed_to.begin());
  if (!keeps_names) {
    add(absl::StrCat("drops an earlier name of a field (it was renamed to ",
                     absl::StrJoin(before.renamed_to, ", then "), ")"),
        absl::StrCat("list every earlier name in aliases, oldest first: ", name, ", ",
                     absl::StrJoin(before.renamed_to, ", ")));
  }
  if (before.kind != after.kind && !(IsRegister(before.kind) && IsRegister(after.kind))) {
    add(absl::StrCat("changes the kind of a field (", FieldKindName(before.kind), " to ",
                     FieldKindName(after.kind), ")"),
        "keep its kind, and add a field with a new name for the new kind");
    return;
  }
  if (before.kind != FieldKind::kStatus && before.kind != FieldKind::kCounter &&
      before.value_type != after.value_type) {
    add(absl::StrCat("changes the value type of a field (", ValueTypeName(before.value_type),
                     " to ", ValueTypeName(after.value_type), ")"),
        "keep its type, and add a field with a new name for the new type");
    return;
  }
  if (before.kind != FieldKind::kStatus) return;
  for (const std::string& value : before.status_order) {
    if (std::find(after.status_order.begin(), after.status_order.end(), value) ==
        after.status_order.end()) {
      add(absl::StrCat("removes status value \"", value, "\""),
          "keep every value; add new ones at the end of the order");
      return;
    }
  }
  if (!std::equal(before.status_order.begin(), before.status_order.end(),
                  after.status_order.begin())) {
    add(absl::StrCat("reorders status values (", absl::StrJoin(before.status_order, " < "), " to ",
                     absl::StrJoin(after.status_order, " < "), ")"),
        "keep the order; add new values at its end");
  }
}

void CheckCollection(const CollectionSchema& before, const CollectionSchema& after,
                     std::vector<SchemaViolation>& out) {
  for (const auto& [name, spec] : before.fields()) {
    auto found = after.fields().find(name);
    if (found == after.fields().end()) {
      out.push_back({before.name(), name, "removes a field",
                     "keep it in the schema and stop writing it: its name is never reused"});
      continue;
    }
    CheckField(before.name(), name, spec, found->second, out);
  }
  for (const auto& [name, spec] : after.fields()) {
    if (!spec.renamed_to.empty() && !before.fields().contains(name)) {
      out.push_back(
          {before.name(), spec.renamed_to.back(),
           absl::StrCat("renames a field the earlier version does not have (\"", name, "\")"),
           "the first alias must be the field's name in the earlier version"});
    }
  }
}

void DiffCollection(const CollectionSchema& before, const CollectionSchema& after,
                    std::vector<std::string>& out) {
  for (const auto& [name, spec] : after.fields()) {
    const std::string where = absl::StrCat(after.name(), ".", after.ApiName(name));
    auto old = before.fields().find(name);
    if (old == before.fields().end()) {
      out.push_back(absl::StrCat("+ field ", where, " (", DescribeField(spec), ")"));
      continue;
    }
    const FieldSpec& was = old->second;
    if (was.renamed_to != spec.renamed_to) {
      out.push_back(absl::StrCat("~ field ", after.name(), ".", before.ApiName(name),
                                 ": renamed to ", after.ApiName(name), " (stored as ", name, ")"));
    }
    if (was.kind == FieldKind::kStatus && spec.kind == FieldKind::kStatus &&
        was.status_order != spec.status_order) {
      const bool appended =
          was.status_order.size() < spec.status_order.size() &&
          std::equal(was.status_order.begin(), was.status_order.end(), spec.status_order.begin());
      if (appended) {
        for (size_t i = was.status_order.size(); i < spec.status_order.size(); ++i) {
          out.push_back(absl::StrCat("+ status ", where, ": ", spec.status_order[i]));
        }
        continue;
      }
    }
    if (DescribeField(was) != DescribeField(spec)) {
      out.push_back(
          absl::StrCat("~ field ", where, ": ", DescribeField(was), " -> ", DescribeField(spec)));
    }
    if (was.deprecated != spec.deprecated) {
      out.push_back(absl::StrCat("~ field ", where, ": ",
                                 spec.deprecated ? "deprecated" : "no longer deprecated"));
    }
    if (was.answer != spec.answer) {
      out.push_back(absl::StrCat("~ field ", where, ": ",
                                 spec.answer ? "answered from below" : "no longer answered"));
    }
  }
  for (const auto& [name, spec] : before.fields()) {
    if (!after.fields().contains(name)) {
      out.push_back(absl::StrCat("- field ", after.name(), ".", before.ApiName(name)));
    }
  }
}

}  // namespace

std::string SchemaViolation::ToString() const {
  const std::string where = field.empty() ? collection : absl::StrCat(collection, ".", field);
  return absl::StrCat(where, " ", rule, ": ", suggestion);
}

std::vector<SchemaViolation> CheckSchemaChange(const Schema& before, const Schema& after) {
  std::vector<SchemaViolation> out;
  for (const auto& [name, collection] : before.collections()) {
    if (IsSystem(name)) continue;
    auto found = after.collections().find(name);
    if (found == after.collections().end()) {
      out.push_back({name, "", "removes a collection",
                     "keep it in the schema and stop writing it: villages may still hold its "
                     "records"});
      continue;
    }
    CheckCollection(collection, found->second, out);
  }
  return out;
}

absl::Status CheckCompatible(const Schema& before, const Schema& after) {
  const std::vector<SchemaViolation> violations = CheckSchemaChange(before, after);
  if (violations.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "incompatible schema change (", violations.size(), "): ",
      absl::StrJoin(violations, "\n", [](std::string* text, const SchemaViolation& violation) {
        text->append(violation.ToString());
      })));
}

std::vector<std::string> DiffSchemas(const Schema& before, const Schema& after) {
  std::vector<std::string> out;
  for (const auto& [name, collection] : after.collections()) {
    if (IsSystem(name)) continue;
    auto old = before.collections().find(name);
    if (old == before.collections().end()) {
      out.push_back(absl::StrCat("+ collection ", name));
      for (const auto& [field, spec] : collection.fields()) {
        out.push_back(absl::StrCat("+ field ", name, ".", collection.ApiName(field), " (",
                                   DescribeField(spec), ")"));
      }
      continue;
    }
    DiffCollection(old->second, collection, out);
  }
  for (const auto& [name, collection] : before.collections()) {
    if (!IsSystem(name) && !after.collections().contains(name)) {
      out.push_back(absl::StrCat("- collection ", name));
    }
  }
  return out;
}

std::string DescribeField(const FieldSpec& spec) {
  switch (spec.kind) {
    case FieldKind::kCounter:
      return "counter";
    case FieldKind::kStatus:
      return absl::StrCat("status ", absl::StrJoin(spec.status_order, " < "));
    default:
      return absl::StrCat(FieldKindName(spec.kind), " ", ValueTypeName(spec.value_type));
  }
}

}  // namespace sanji::conflict
