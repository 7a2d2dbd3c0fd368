// Planning the writes of one group-commit batch.
//
// The committer checks each request's precondition, in arrival order, against
// the current objects plus the changes planned earlier in the same batch, and
// turns each accepted request into the object to store, its event-log record
// and its revision (consecutive, starting after the store revision). Nothing
// here touches the disk.
//
// Thread safety: BatchPlanner is used by one thread (the committer).
#ifndef VIGIL_STORE_WRITE_PLAN_H_
#define VIGIL_STORE_WRITE_PLAN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "store/event_record.h"
#include "store/object_fields.h"
#include "store/object_index.h"
#include "store/store.h"

namespace vigil::store {

// One write as a caller asked for it.
struct WriteRequest {
  enum class Op { kCreate, kUpdate, kDelete };
  Op op = Op::kCreate;
  std::string kind;
  std::string name;
  Json object;  // kCreate, kUpdate: the caller's object
  // kUpdate: from metadata.resourceVersion; kDelete: the caller's argument.
  std::optional<int64_t> expected_revision;
};

// One accepted write, ready to be committed.
struct PlannedWrite {
  int64_t revision = 0;
  EventRecord record;
  IndexChange change;
  Json result;  // returned to the caller and published to watchers
};

class BatchPlanner {
 public:
  // `base_revision` is the store revision before this batch. `uuids` must
  // outlive the planner.
  BatchPlanner(const ObjectIndex& index, int64_t base_revision,
               UuidGenerator* uuids);

  // Checks `request` and, if it is accepted, appends its PlannedWrite to
  // writes(). Errors: AlreadyExists, NotFound, Aborted (stale revision),
  // InvalidArgument (an object that cannot be serialized); the request then
  // consumes no revision.
  absl::Status Add(WriteRequest request);

  std::vector<PlannedWrite>& writes() { return writes_; }

  // The store revision after this batch commits.
  int64_t last_revision() const { return base_revision_ + writes_.size(); }

 private:
  using Key = std::pair<std::string, std::string>;

  std::optional<StoredObject> Current(const std::string& kind,
                                      const std::string& name) const;
  absl::StatusOr<PlannedWrite> PlanCreate(WriteRequest& request,
                                          int64_t revision);
  absl::StatusOr<PlannedWrite> PlanUpdate(WriteRequest& request,
                                          const StoredObject& current,
                                          int64_t revision);
  absl::StatusOr<PlannedWrite> PlanDelete(const WriteRequest& request,
                                          const StoredObject& current,
                                          int64_t revision);
  absl::StatusOr<PlannedWrite> Plan(WriteRequest& request,
                                    const std::optional<StoredObject>& current,
                                    int64_t revision);

  const ObjectIndex& index_;
  const int64_t base_revision_;
  UuidGenerator* const uuids_;
  const std::string now_;  // one creation timestamp for the whole batch
  std::map<Key, std::optional<StoredObject>> staged_;
  std::vector<PlannedWrite> writes_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_WRITE_PLAN_H_
