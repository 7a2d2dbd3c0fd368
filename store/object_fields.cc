#include "store/object_fields.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigil::store {
namespace {

const Json& NullJson() {
  static const Json* null_json = new Json(nullptr);
  return *null_json;
}

const Json* MetadataOf(const Json& obj) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find("metadata");
  if (it == obj.end() || !it->is_object()) return nullptr;
  return &*it;
}

}  // namespace

absl::Status CheckStorable(const Json& obj) {
  if (!obj.is_object()) {
    return absl::InvalidArgumentError("object must be a JSON object");
  }
  std::string kind = api::KindOf(obj);
  if (kind.empty() || kind.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        "object must have a \"kind\" (a non-empty string without '/')");
  }
  if (api::NameOf(obj).empty()) {
    return absl::InvalidArgumentError(
        "object must have a non-empty \"metadata.name\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> ExpectedRevisionOf(const Json& obj) {
  const Json* metadata = MetadataOf(obj);
  if (metadata == nullptr) return std::nullopt;
  auto it = metadata->find("resourceVersion");
  if (it == metadata->end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        "metadata.resourceVersion must be a string");
  }
  const std::string& text = it->get_ref<const std::string&>();
  if (text.empty()) return std::nullopt;
  int64_t revision = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), revision);
  if (error != std::errc() || end != text.data() + text.size() ||
      revision < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metadata.resourceVersion \"", text, "\""));
  }
  return revision;
}

const Json& SpecOf(const Json& obj) {
  if (!obj.is_object()) return NullJson();
  auto it = obj.find("spec");
  return it == obj.end() ? NullJson() : *it;
}

void SetResourceVersion(int64_t revision, Json* obj) {
  (*obj)["metadata"]["resourceVersion"] = std::to_string(revision);
}

UuidGenerator::UuidGenerator() : random_(std::random_device{}()) {
  // One 32-bit seed is too little entropy for 122 random bits; mix in more.
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(),
                     device(), device(), device(), device()};
  random_.seed(seed);
}

std::string UuidGenerator::Next() {
  uint64_t high = random_();
  uint64_t low = random_();
  high = (high & ~0xf000ULL) | 0x4000ULL;                // version 4
  low = (low & ~(0xcULL << 60)) | (0x8ULL << 60);        // variant 10xx
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32,
                         (high >> 16) & 0xffff, high & 0xffff, low >> 48,
                         low & 0xffffffffffffULL);
}

absl::Status ObjectNotFound(const std::string& kind, const std::string& name) {
  return absl::NotFoundError(absl::StrCat(kind, " \"", name, "\" not found"));
}

absl::Status ObjectAlreadyExists(const std::string& kind,
                                 const std::string& name) {
  return absl::AlreadyExistsError(
      absl::StrCat(kind, " \"", name, "\" already exists"));
}

absl::Status ObjectConflict(const std::string& kind, const std::string& name) {
  return absl::AbortedError(absl::StrCat(
      "Operation cannot be fulfilled on ", kind, " \"", name,
      "\": the object has been modified; please apply your changes to the "
      "latest version and try again"));
}

absl::Status RevisionExpired(int64_t requested, int64_t compacted) {
  return absl::OutOfRangeError(
      absl::StrCat("expired: requested revision ", requested,
                   " is older than the compacted revision ", compacted));
}

}  // namespace vigil::store
