// What `sanjictl import` says it did (cli/bundle_view.h).
#include "cli/bundle_view.h"

#include <gtest/gtest.h>

namespace sanji::cli {
namespace {

v1::ImportBundleResponse Response(uint64_t received, uint64_t changed, uint64_t refused) {
  v1::ImportBundleResponse response;
  response.set_batches(1);
  response.set_items_received(received);
  response.set_records_changed(changed);
  response.set_items_refused(refused);
  return response;
}

TEST(BundleViewTest, SaysHowManyRecordsChanged) {
  EXPECT_EQ(ImportSummary(Response(2, 2, 0)),
            "1 batches, 2 records received, 2 changed, 0 refused");
}

// Issue 22: a second import of the same bundle says that nothing changed.
TEST(BundleViewTest, ABundleAlreadyHeldSaysNothingChanged) {
  EXPECT_EQ(ImportSummary(Response(2, 0, 0)),
            "1 batches, 2 records received, 0 changed (already had all of them), 0 refused");
  // An empty bundle had nothing to bring.
  EXPECT_EQ(ImportSummary(Response(0, 0, 0)),
            "1 batches, 0 records received, 0 changed, 0 refused");
}

}  // namespace
}  // namespace sanji::cli
