// Untrusted input never crashes or throws: random mutations of valid
// manifests go through every entry point.
#include <random>

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/labels.h"
#include "api/openapi.h"
#include "api/printers.h"
#include "api/types.h"
#include "api/validation.h"
#include "tests/api/test_objects.h"

namespace vigil::api {
namespace {

std::string Mutate(std::string text, std::mt19937& rng) {
  const std::string alphabet = " \n\t:-[]{},#&*!|>'\"%@`?~0123456789abcxyzé\\";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    const size_t at = rng() % text.size();
    switch (rng() % 3) {
      case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
      case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      default: text.erase(at, 1); break;
    }
  }
  return text;
}

void ExerciseObject(Json obj) {
  (void)Validate(obj);
  (void)ValidateStatus(obj);
  ApplyDefaults(obj);
  (void)Validate(obj);
  (void)PrinterCells(obj);
  (void)FromJson<Node>(obj);
  (void)FromJson<ServiceGroup>(obj);
  (void)FromJson<ServiceUnit>(obj);
  (void)FromJson<Component>(obj);
  (void)FromJson<ServiceInstance>(obj);
  (void)ToYaml(obj);
}

TEST(Robustness, MutatedManifestsNeverThrow) {
  std::mt19937 rng(7);
  const std::vector<std::string> seeds = {
      testing::kNodeYaml, testing::kServiceGroupYaml, testing::kServiceUnitYaml,
      testing::kComponentYaml, testing::kServiceInstanceYaml};
  int parsed = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string text = Mutate(seeds[i % seeds.size()], rng);
    EXPECT_NO_THROW({
      absl::StatusOr<std::vector<Document>> docs = ParseYaml(text, "fuzz.yaml");
      if (docs.ok()) {
        ++parsed;
        for (const Document& doc : *docs) ExerciseObject(doc.value);
      }
      (void)ParseJson(text);
      (void)LabelSelector::Parse(text.substr(0, 40));
    }) << text;
  }
  EXPECT_GT(parsed, 500);  // the mutations must not all be syntax errors
}

TEST(Robustness, WrongTypesEverywhere) {
  const std::vector<Json> odd = {Json(), Json(1), Json(-1), Json(1.5), Json("x"),
                                 Json(true), Json::array(), Json::object(),
                                 Json::array({1, "a", nullptr})};
  for (const char* yaml : {testing::kComponentYaml, testing::kServiceInstanceYaml,
                           testing::kServiceGroupYaml, testing::kNodeYaml}) {
    Json base = testing::ParseOne(yaml);
    ApplyDefaults(base);
    Json flat = base.flatten();
    for (const auto& [pointer, ignored] : flat.items()) {
      for (const Json& value : odd) {
        Json mutated = base;
        mutated[Json::json_pointer(pointer)] = value;
        EXPECT_NO_THROW(ExerciseObject(mutated)) << pointer;
      }
    }
    Json with_status = base;
    with_status["status"] = {{"conditions", Json::array({1, "x", Json::object()})},
                             {"assignments", "none"}, {"lastFailure", 3}};
    EXPECT_NO_THROW(ExerciseObject(with_status));
  }
}

}  // namespace
}  // namespace vigil::api
