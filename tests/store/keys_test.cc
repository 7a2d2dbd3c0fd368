#include "store/keys.h"

#include <gtest/gtest.h>

#include "store/event_record.h"

namespace vigil::store {
namespace {

TEST(Keys, EventKeysSortInRevisionOrder) {
  const int64_t revisions[] = {0, 1, 255, 256, 65535, 65536, 1LL << 40,
                               (1LL << 62) + 3};
  for (size_t i = 0; i + 1 < std::size(revisions); ++i) {
    EXPECT_LT(keys::EventKey(revisions[i]), keys::EventKey(revisions[i + 1]))
        << revisions[i] << " vs " << revisions[i + 1];
  }
  for (int64_t revision : revisions) {
    EXPECT_EQ(keys::ParseEventKey(keys::EventKey(revision)), revision);
  }
  EXPECT_EQ(keys::ParseEventKey("o/Node/x"), std::nullopt);
}

TEST(Keys, ObjectKeysGroupByKind) {
  EXPECT_EQ(keys::ObjectKey("Node", "hv1"), "o/Node/hv1");
  EXPECT_TRUE(keys::ObjectKey("Node", "hv1").starts_with(keys::ObjectKindPrefix("Node")));
  EXPECT_FALSE(keys::ObjectKey("NodeX", "a").starts_with(keys::ObjectKindPrefix("Node")));
  std::optional<keys::ObjectId> id = keys::ParseObjectKey("o/Node/a/b");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->kind, "Node");
  EXPECT_EQ(id->name, "a/b");
  EXPECT_FALSE(keys::ParseObjectKey("e/12345678").has_value());
}

TEST(Keys, MetaValuesRoundTrip) {
  EXPECT_EQ(keys::ParseMetaValue(keys::EncodeMetaValue(123456789)), 123456789);
  EXPECT_EQ(keys::ParseMetaValue("12x"), std::nullopt);
  EXPECT_EQ(keys::ParseMetaValue(""), std::nullopt);
}

TEST(EventRecord, RoundTripsAndRejectsGarbage) {
  EventRecord record{Event::Type::kDeleted, "Node", "hv1", R"({"a":1})",
                     std::string("with\0nul", 8)};
  std::string encoded = EncodeEventRecord(record);
  std::optional<EventRecord> decoded = DecodeEventRecord(encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->type, Event::Type::kDeleted);
  EXPECT_EQ(decoded->kind, "Node");
  EXPECT_EQ(decoded->name, "hv1");
  EXPECT_EQ(decoded->after, record.after);
  EXPECT_EQ(decoded->before, record.before);
  EXPECT_EQ(PeekEventKind(encoded), "Node");
  EXPECT_FALSE(DecodeEventRecord(encoded.substr(0, encoded.size() - 1)));
  EXPECT_FALSE(DecodeEventRecord(encoded + "x"));
  EXPECT_FALSE(DecodeEventRecord(""));
  EXPECT_FALSE(DecodeEventRecord("\x09"));
}

}  // namespace
}  // namespace vigil::store
