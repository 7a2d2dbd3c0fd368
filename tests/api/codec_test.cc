#include "api/codec.h"

#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/errors.h"

namespace vigil::api {
namespace {

using ::testing::HasSubstr;

Json ParseValue(const std::string& yaml_value) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml("v: " + yaml_value, "t");
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok()) return Json();
  return (*docs)[0].value["v"];
}

TEST(ParseYaml, TypesPlainScalarsLikeYaml12CoreSchema) {
  EXPECT_EQ(ParseValue("3"), Json(3));
  EXPECT_TRUE(ParseValue("3").is_number_integer());
  EXPECT_EQ(ParseValue("-42"), Json(-42));
  EXPECT_EQ(ParseValue("+7"), Json(7));
  EXPECT_EQ(ParseValue("0x1F"), Json(31));
  EXPECT_EQ(ParseValue("0o17"), Json(15));
  EXPECT_EQ(ParseValue("9223372036854775807"), Json(INT64_MAX));
  EXPECT_EQ(ParseValue("-9223372036854775808"), Json(INT64_MIN));
  EXPECT_EQ(ParseValue("18446744073709551615"), Json(UINT64_MAX));
  EXPECT_TRUE(ParseValue("1e3").is_number_float());
  EXPECT_DOUBLE_EQ(ParseValue("1e3").get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(ParseValue("1.5").get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(ParseValue(".5").get<double>(), 0.5);
  EXPECT_EQ(ParseValue("true"), Json(true));
  EXPECT_EQ(ParseValue("False"), Json(false));
  EXPECT_EQ(ParseValue("TRUE"), Json(true));
  EXPECT_TRUE(ParseValue("null").is_null());
  EXPECT_TRUE(ParseValue("~").is_null());
  EXPECT_TRUE(ParseValue("").is_null());
}

TEST(ParseYaml, KeepsEverythingElseAsStrings) {
  for (const char* text : {"10s", "500ms", "1h30m", "2N", "N+M", "yes", "no", "on",
                           "off", "1_000", ".inf", ".nan", "0x", "1.2.3", "12:30",
                           "qemu:///system", "$(PORT)", "tRUE"}) {
    EXPECT_EQ(ParseValue(text), Json(text)) << text;
  }
}

TEST(ParseYaml, QuotedAndBlockScalarsStayStrings) {
  EXPECT_EQ(ParseValue("\"3\""), Json("3"));
  EXPECT_EQ(ParseValue("'true'"), Json("true"));
  EXPECT_EQ(ParseValue("\"\""), Json(""));
  EXPECT_EQ(ParseValue("''"), Json(""));
  EXPECT_EQ(ParseValue("\"null\""), Json("null"));
  EXPECT_EQ(ParseValue("|\n  10\n"), Json("10\n"));
  EXPECT_EQ(ParseValue(">-\n  a\n  b\n"), Json("a b"));
}

TEST(ParseYaml, ExplicitTags) {
  EXPECT_EQ(ParseValue("!!str 10"), Json("10"));
  EXPECT_EQ(ParseValue("!!int \"10\""), Json(10));
  EXPECT_EQ(ParseValue("!!bool \"true\""), Json(true));
  EXPECT_EQ(ParseValue("!custom 10"), Json("10"));
  absl::StatusOr<std::vector<Document>> docs = ParseYaml("v: !!int ten\n", "f.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(),
            "f.yaml:1:4: cannot read \"ten\" as tag:yaml.org,2002:int");
}

TEST(ParseYaml, NestedStructures) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(R"yaml(
kind: Component
spec:
  csTypes: [a, "b"]
  exec:
    instantiate:
    - /bin/sh
    - -c
    - echo hi
    env: {PORT: "8554", N: 3}
)yaml", "c.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ((*docs)[0].value, Json::parse(R"json({"kind": "Component", "spec": {
      "csTypes": ["a", "b"],
      "exec": {"instantiate": ["/bin/sh", "-c", "echo hi"],
               "env": {"PORT": "8554", "N": 3}}}})json"));
}

TEST(ParseYaml, MultipleDocumentsWithIndexAndStartLine) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(
      "# leading comment\n"   // 1
      "---\n"                 // 2
      "kind: A\n"             // 3
      "---\n"                 // 4
      "# only a comment\n"    // 5
      "---\n"                 // 6
      "\n"                    // 7
      "kind: B\n"             // 8
      "x: 1\n"                // 9
      "---\n",                // 10
      "m.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].value["kind"], "A");
  EXPECT_EQ((*docs)[0].index, 0);
  EXPECT_EQ((*docs)[0].line, 3);
  EXPECT_EQ((*docs)[1].value["kind"], "B");
  EXPECT_EQ((*docs)[1].index, 1);
  EXPECT_EQ((*docs)[1].line, 8);
}

TEST(ParseYaml, JsonIsYaml) {
  absl::StatusOr<std::vector<Document>> docs =
      ParseYaml(R"({"kind": "Node", "spec": {"rank": 1, "s": "1"}})", "n.json");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ((*docs)[0].value["spec"]["rank"], Json(1));
  EXPECT_EQ((*docs)[0].value["spec"]["s"], Json("1"));
}

TEST(ParseYaml, EmptyInputHasNoDocuments) {
  for (const char* text : {"", "\n", "# nothing\n", "---\n---\n"}) {
    absl::StatusOr<std::vector<Document>> docs = ParseYaml(text, "e.yaml");
    ASSERT_TRUE(docs.ok()) << docs.status();
    EXPECT_TRUE(docs->empty()) << text;
  }
}

TEST(ParseYaml, ExpandsLists) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(R"yaml(kind: A
---
apiVersion: v1
kind: List
items:
- {apiVersion: vigil.io/v1, kind: Node, metadata: {name: a}}
- {apiVersion: vigil.io/v1, kind: Node, metadata: {name: b}}
---
apiVersion: vigil.io/v1
kind: ServiceGroupList
items:
- metadata: {name: c}
)yaml", "l.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 4u);
  EXPECT_EQ((*docs)[1].value["metadata"]["name"], "a");
  EXPECT_EQ((*docs)[1].index, 1);
  EXPECT_EQ((*docs)[1].line, 3);
  EXPECT_EQ((*docs)[2].value["metadata"]["name"], "b");
  EXPECT_EQ((*docs)[2].index, 2);
  EXPECT_EQ((*docs)[3].value["kind"], "ServiceGroup");
  EXPECT_EQ((*docs)[3].value["apiVersion"], "vigil.io/v1");
  EXPECT_EQ((*docs)[3].index, 3);
}

struct YamlErrorCase {
  std::string text;
  std::string message;
};

TEST(ParseYaml, ErrorsNameSourceLineAndColumn) {
  const std::vector<YamlErrorCase> cases = {
      {"kind: A\nmetadata:\n  name: a: b\n",
       "sg.yaml:3:10: illegal map value"},
      {"kind: A\nspec: [1, 2\n", "sg.yaml:3:1: end of sequence flow not found"},
      {"kind: A\n  bad: indent\n", "sg.yaml:2:6: illegal map value"},
      {"kind: A\nkind: B\n", "sg.yaml:2:1: duplicate key \"kind\""},
      {"? [a]\n: 1\n", "sg.yaml:1:3: mapping keys must be scalars"},
      {"kind: A\n---\n- 1\n- 2\n",
       "sg.yaml:3:1: document 2 is not a mapping (expected an object with "
       "apiVersion and kind)"},
      {"just text\n", "sg.yaml:1:1: document 1 is not a mapping (expected an "
                      "object with apiVersion and kind)"},
  };
  for (const YamlErrorCase& c : cases) {
    absl::StatusOr<std::vector<Document>> docs = ParseYaml(c.text, "sg.yaml");
    ASSERT_FALSE(docs.ok()) << c.text;
    EXPECT_EQ(docs.status().message(), c.message) << c.text;
    EXPECT_TRUE(IsMalformedRequest(docs.status())) << c.text;
  }
}

TEST(ParseYaml, RejectsInvalidUtf8) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml("a: b\nc: x\xff\n", "u.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(), "u.yaml:2:4: invalid UTF-8 in scalar");
  EXPECT_FALSE(ParseYaml("\xc3: 1\n", "u.yaml").ok());
}

TEST(ParseYaml, AnchorsAndAliases) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(R"yaml(
base: &timeouts {instantiate: 10s, cleanup: 5s}
key: &k name
copy: *timeouts
list: [*k, &n 3, *n]
*k : aliased key
)yaml", "a.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status();
  const Json& value = (*docs)[0].value;
  EXPECT_EQ(value["copy"], value["base"]);
  EXPECT_EQ(value["list"], Json::parse(R"(["name", 3, 3])"));
  EXPECT_EQ(value["name"], "aliased key");
}

TEST(ParseYaml, RejectsAliasBombsAndBadKeys) {
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(bomb, "bomb.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_THAT(std::string(docs.status().message()),
              HasSubstr("aliases expand to too many values"));
  EXPECT_EQ(ParseYaml("~: 1\n", "k.yaml").status().message(),
            "k.yaml:1:1: mapping keys must not be null");
  EXPECT_EQ(ParseYaml("a: *nope\n", "k.yaml").status().message(),
            "k.yaml:1:4: the referenced anchor is not defined");
}

TEST(ParseYaml, DeepNestingIsAnErrorNotACrash) {
  absl::StatusOr<std::vector<Document>> docs =
      ParseYaml("a: " + std::string(5000, '[') + std::string(5000, ']'), "d.yaml");
  EXPECT_FALSE(docs.ok());
  EXPECT_TRUE(ParseYaml("a: " + std::string(100, '[') + std::string(100, ']'), "d").ok());
}

TEST(ParseYaml, ErrorWithoutSourceName) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml("a: [", "");
  ASSERT_FALSE(docs.ok());
  EXPECT_THAT(std::string(docs.status().message()), ::testing::StartsWith("1:"));
}

TEST(ParseJson, ParsesAndReportsByteOffsets) {
  absl::StatusOr<Json> value = ParseJson(R"({"a": [1, "x", true, null]})");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ((*value)["a"][1], "x");
  absl::StatusOr<Json> bad = ParseJson(R"({"a": })");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(IsMalformedRequest(bad.status()));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("invalid JSON at byte 7"));
  EXPECT_FALSE(ParseJson("").ok());
  EXPECT_FALSE(ParseJson("{} x").ok());
}

TEST(ParseJson, RejectsAbsurdNesting) {
  std::string deep(100000, '[');
  absl::StatusOr<Json> value = ParseJson(deep + std::string(100000, ']'));
  ASSERT_FALSE(value.ok());
  EXPECT_TRUE(IsMalformedRequest(value.status()));
  EXPECT_TRUE(ParseJson(std::string(100, '[') + std::string(100, ']')).ok());
}

TEST(ToYaml, BlockStyleLikeKubectl) {
  Json obj = Json::parse(R"json({
    "apiVersion": "vigil.io/v1", "kind": "ServiceInstance",
    "metadata": {"name": "stream-1", "labels": {}},
    "spec": {"rank": 1, "enabled": true, "ratio": 0.5, "none": null,
             "csis": [{"name": "stream", "attributes": {"PORT": "8554"}},
                      {"name": "b", "dependsOn": ["stream"]}],
             "empty": [], "nested": [[1, 2], []]}})json");
  EXPECT_EQ(ToYaml(obj), R"yaml(apiVersion: vigil.io/v1
kind: ServiceInstance
metadata:
  labels: {}
  name: stream-1
spec:
  csis:
  - attributes:
      PORT: "8554"
    name: stream
  - dependsOn:
    - stream
    name: b
  empty: []
  enabled: true
  nested:
  - - 1
    - 2
  - []
  none: null
  rank: 1
  ratio: 0.5
)yaml");
}

TEST(ToYaml, QuotesStringsThatWouldReadAsSomethingElse) {
  struct Case {
    std::string value;
    std::string yaml;
  };
  const std::vector<Case> cases = {
      {"true", "\"true\""}, {"10", "\"10\""}, {"", "\"\""}, {"1e3", "\"1e3\""},
      {"null", "\"null\""}, {"~", "\"~\""}, {"yes", "\"yes\""}, {"0x1F", "\"0x1F\""},
      {"a: b", "\"a: b\""}, {"a #b", "\"a #b\""}, {"-", "\"-\""}, {"- a", "\"- a\""},
      {"*ref", "\"*ref\""}, {"&x", "\"&x\""}, {"!tag", "\"!tag\""}, {"%x", "\"%x\""},
      {"@x", "\"@x\""}, {"`x", "\"`x\""}, {" lead", "\" lead\""},
      {"trail ", "\"trail \""}, {"key:", "\"key:\""}, {"[x]", "\"[x]\""},
      {"{x}", "\"{x}\""}, {"a,b", "\"a,b\""}, {"tab\there", "\"tab\\there\""},
      {"q\"uote", "\"q\\\"uote\""}, {"back\\slash", "back\\slash"},
      {"10s", "10s"}, {"2N", "2N"}, {"N+M", "N+M"}, {"--port", "--port"},
      {"qemu:///system", "qemu:///system"}, {"$(PORT)", "$(PORT)"},
      {"hello world", "hello world"}, {"12:30", "\"12:30\""}, {"---", "\"---\""},
      {"bell\x07", "\"bell\\x07\""}, {"caf\xC3\xA9", "caf\xC3\xA9"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ToYaml(Json{{"k", c.value}}), "k: " + c.yaml + "\n") << c.value;
  }
}

TEST(ToYaml, MultiLineStringsAsLiteralBlocks) {
  EXPECT_EQ(ToYaml(Json{{"xml", "<domain>\n  <name>a</name>\n</domain>\n"}}),
            "xml: |\n  <domain>\n    <name>a</name>\n  </domain>\n");
  EXPECT_EQ(ToYaml(Json{{"s", "a\nb"}}), "s: |-\n  a\n  b\n");
  EXPECT_EQ(ToYaml(Json{{"s", "a\n\nb\n\n"}}), "s: |+\n  a\n\n  b\n\n");
  EXPECT_EQ(ToYaml(Json{{"s", " lead\nx"}}), "s: \" lead\\nx\"\n");
  EXPECT_EQ(ToYaml(Json{{"l", {"a\nb"}}}), "l:\n- |-\n  a\n  b\n");
}

TEST(ToYaml, ScalarsAndEmptyContainersAtTopLevel) {
  EXPECT_EQ(ToYaml(Json::object()), "{}\n");
  EXPECT_EQ(ToYaml(Json::array()), "[]\n");
  EXPECT_EQ(ToYaml(Json(5)), "5\n");
  EXPECT_EQ(ToYaml(Json("true")), "\"true\"\n");
  EXPECT_EQ(ToYaml(Json::array({1, "a"})), "- 1\n- a\n");
}

// Parses ToYaml's output back; the value must be unchanged.
void ExpectRoundTrip(const Json& value) {
  const std::string yaml = ToYaml(Json{{"v", value}});
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(yaml, "round-trip");
  ASSERT_TRUE(docs.ok()) << docs.status() << "\n" << yaml;
  ASSERT_EQ(docs->size(), 1u) << yaml;
  EXPECT_EQ((*docs)[0].value["v"], value) << yaml;
}

TEST(ToYaml, TrickyStringsRoundTrip) {
  for (const char* text :
       {"", " ", "  ", "true", "True", "NULL", "10", "-1", "+1", "1.5", ".5", "1e3",
        "0x1F", "0o7", ".inf", "-.inf", ".nan", "yes", "No", "on", "y", "~", "<<",
        "=", "a: b", "a:b", "a #b", "a#b", "#a", "- a", "-a", "--", "---", "...",
        "? a", "?a", ":a", "a:", "'", "\"", "''", "\\", "\\n", "{", "}", "[", "]",
        ",", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a", "a\n", "\n", "\na",
        "\n\n", "a\n\n", "a\nb\n", " a\nb", "a\n b", "a\n  \nb", "a \nb", "a\r\nb",
        "\t", "a\tb", "\ta", "x\x01y", "\x7f", "caf\xC3\xA9", "line\xC2\x85sep",
        "ls\xE2\x80\xA8ps\xE2\x80\xA9", "\xEF\xBB\xBF" "bom", "<domain>\n</domain>",
        "trailing space ", "  multi\n  indented\n", "#", "a\n#b", "a\n- b",
        "a\n---\nb", "a\n...\nb", "{a: b}", "[1, 2]", "2026-11-25T10:00:00Z"}) {
    ExpectRoundTrip(Json(text));
  }
}

TEST(ToYaml, ObjectsAndNumbersRoundTrip) {
  ExpectRoundTrip(Json::parse(R"json({"a": {"b": [1, -2, 3.25, 1e300, true, false,
      null, {}, [], [[]], [{"x": "y"}], {"": "empty key", "10": "numeric key",
      "a: b": "colon key", "true": 1}], "c": 18446744073709551615}})json"));
  ExpectRoundTrip(Json(INT64_MIN));
  ExpectRoundTrip(Json(0.1));
}

// Random JSON documents survive ToYaml then ParseYaml.
Json RandomValue(std::mt19937& rng, int depth) {
  const std::vector<std::string> atoms = {
      "a", "true", "10", "", " ", "x: y", "- z", "#", "\n", "a\nb", "é", "0x1",
      "1e5", "~", "null", "'", "\"", "\\", "{}", "[", "k:", ":k", "\t", "10s"};
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 4 : 6);
  switch (kind(rng)) {
    case 0: return atoms[rng() % atoms.size()];
    case 1: return static_cast<int64_t>(rng()) - (1LL << 31);
    case 2: return (rng() % 2) == 0;
    case 3: return nullptr;
    case 4: return static_cast<double>(rng() % 100000) / 64.0;
    case 5: {
      Json array = Json::array();
      for (int i = rng() % 4; i > 0; --i) array.push_back(RandomValue(rng, depth + 1));
      return array;
    }
    default: {
      Json object = Json::object();
      for (int i = rng() % 4; i > 0; --i) {
        object[atoms[rng() % atoms.size()]] = RandomValue(rng, depth + 1);
      }
      return object;
    }
  }
}

TEST(ToYaml, RandomDocumentsRoundTrip) {
  std::mt19937 rng(20261125);
  for (int i = 0; i < 500; ++i) ExpectRoundTrip(RandomValue(rng, 0));
}

}  // namespace
}  // namespace vigil::api
