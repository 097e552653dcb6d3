#include "cli/bundle_view.h"

#include "absl/strings/str_cat.h"

namespace sanji::cli {

std::string ImportSummary(const v1::ImportBundleResponse& response) {
  const bool nothing_new = response.items_received() > 0 && response.records_changed() == 0;
  return absl::StrCat(response.batches(), " batches, ", response.items_received(),
                      " records received, ", response.records_changed(), " changed",
                      nothing_new ? " (already had all of them)" : "", ", ",
                      response.items_refused(), " refused");
}

}  // namespace sanji::cli
