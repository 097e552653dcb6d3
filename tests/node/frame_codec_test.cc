// Wire frames: round trips plain and compressed, and every kind of bad frame
// refused with a message that names the problem, before anything is expanded.
#include "node/frame_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace sanji::node {
namespace {

using ::testing::HasSubstr;

v1::SyncFrame Batch(int items) {
  v1::SyncFrame frame;
  v1::SyncBatch* batch = frame.mutable_batch();
  batch->set_sequence(7);
  batch->add_collections("service_requests");
  for (int i = 0; i < items; ++i) {
    v1::SyncItem* item = batch->add_items();
    item->set_key(absl::StrCat("gutian/fengpu/xiaban/", i));
    item->set_record(std::string(300, static_cast<char>('a' + i % 26)));
  }
  return frame;
}

TEST(FrameCodecTest, BatchesRoundTripCompressedAndSmallFramesGoPlain) {
  FrameEncoder encoder(/*compress=*/true);
  FrameDecoder decoder(1 << 20);
  v1::WireFrame wire;
  ASSERT_TRUE(encoder.Encode(Batch(100), wire).ok());
  EXPECT_EQ(wire.encoding(), v1::WireFrame::ZSTD);
  EXPECT_LT(wire.payload().size(), Batch(100).ByteSizeLong() / 4);
  v1::SyncFrame decoded;
  ASSERT_TRUE(decoder.Decode(wire, decoded).ok());
  EXPECT_EQ(decoded.SerializeAsString(), Batch(100).SerializeAsString());

  v1::SyncFrame ack;
  ack.mutable_ack()->set_sequence(3);
  ASSERT_TRUE(encoder.Encode(ack, wire).ok());
  EXPECT_EQ(wire.encoding(), v1::WireFrame::PLAIN);
  ASSERT_TRUE(decoder.Decode(wire, decoded).ok());
  EXPECT_EQ(decoded.ack().sequence(), 3u);
  EXPECT_GT(encoder.frame_bytes(), encoder.payload_bytes());
}

TEST(FrameCodecTest, AnUncompressedLinkSendsPlainFrames) {
  FrameEncoder encoder(/*compress=*/false);
  v1::WireFrame wire;
  ASSERT_TRUE(encoder.Encode(Batch(100), wire).ok());
  EXPECT_EQ(wire.encoding(), v1::WireFrame::PLAIN);
  EXPECT_EQ(encoder.frame_bytes(), encoder.payload_bytes());
}

TEST(FrameCodecTest, BadFramesAreRefusedNamingTheProblem) {
  FrameEncoder encoder(/*compress=*/true);
  v1::WireFrame good;  // about 100 KB expanded
  ASSERT_TRUE(encoder.Encode(Batch(300), good).ok());
  FrameDecoder decoder(/*max_frame_bytes=*/64 * 1024);
  v1::SyncFrame frame;

  // Expands beyond the limit: refused from the zstd header alone.
  absl::Status status = decoder.Decode(good, frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("beyond the limit of 65536"));

  FrameDecoder roomy(1 << 20);
  v1::WireFrame corrupt = good;
  corrupt.set_payload("not zstd at all");
  status = roomy.Decode(corrupt, frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("is not a zstd frame"));

  v1::WireFrame truncated = good;
  truncated.mutable_payload()->resize(good.payload().size() / 2);
  status = roomy.Decode(truncated, frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("does not expand"));

  v1::WireFrame unknown = good;
  unknown.set_encoding(static_cast<v1::WireFrame::Encoding>(9));
  status = roomy.Decode(unknown, frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("unknown encoding 9"));

  v1::WireFrame garbage;
  garbage.set_payload("\xff\xff\xff\xff garbage");
  status = roomy.Decode(garbage, frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("does not parse as a SyncFrame"));

  v1::WireFrame oversized_plain;
  oversized_plain.set_payload(std::string(70 * 1024, 'x'));
  status = decoder.Decode(oversized_plain, frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("exceeds the limit"));

  // The decoder is still good for the next frame.
  EXPECT_TRUE(roomy.Decode(good, frame).ok());
}

}  // namespace
}  // namespace sanji::node
