// How sanjictl shows what an import did (proto/admin.proto
// ImportBundleResponse): records received and records changed side by side,
// so that a bundle imported again reads as changing nothing rather than as a
// second delivery of its records.
//
// Thread-safety: pure functions.
#ifndef SANJI_CLI_BUNDLE_VIEW_H_
#define SANJI_CLI_BUNDLE_VIEW_H_

#include <string>

#include "admin.pb.h"

namespace sanji::cli {

// "3 batches, 20 records received, 20 changed, 0 refused"; when records came
// and none changed, "(already had all of them)" follows the count changed.
std::string ImportSummary(const v1::ImportBundleResponse& response);

}  // namespace sanji::cli

#endif  // SANJI_CLI_BUNDLE_VIEW_H_
