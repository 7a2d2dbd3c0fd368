#include "store/watch_hub.h"

#include "store/watcher.h"

namespace vigil::store {
namespace {

// The Watch handed to callers: a Watcher plus the hub that feeds it. Holding
// the hub keeps the `published` revision the watcher reads alive.
class HubWatch : public Watch {
 public:
  HubWatch(std::shared_ptr<WatchHub> hub, std::shared_ptr<Watcher> watcher)
      : hub_(std::move(hub)), watcher_(std::move(watcher)) {}
  ~HubWatch() override { Stop(); }

  absl::StatusOr<std::vector<Event>> Next(
      std::chrono::milliseconds timeout) override {
    return watcher_->Next(timeout);
  }

  void Stop() override {
    watcher_->Stop("watch stopped");
    hub_->Unregister(watcher_);
  }

 private:
  const std::shared_ptr<WatchHub> hub_;
  const std::shared_ptr<Watcher> watcher_;
};

// Everything queued since the last delivery, as one batch: when delivery lags
// behind commits, each watcher is then woken once for many commits.
std::vector<PublishedEventPtr> Concatenate(
    std::deque<std::vector<PublishedEventPtr>>& batches) {
  if (batches.size() == 1) return std::move(batches.front());
  std::vector<PublishedEventPtr> all;
  for (std::vector<PublishedEventPtr>& batch : batches) {
    all.insert(all.end(), std::make_move_iterator(batch.begin()),
               std::make_move_iterator(batch.end()));
  }
  return all;
}

}  // namespace

std::shared_ptr<WatchHub> WatchHub::Create(
    const WatchHubOptions& options, int64_t published_revision,
    RevisionFunction committed_revision) {
  std::shared_ptr<WatchHub> hub(new WatchHub(options, published_revision,
                                             std::move(committed_revision)));
  hub->dispatcher_ = std::thread([raw = hub.get()] { raw->DispatchLoop(); });
  return hub;
}

WatchHub::WatchHub(const WatchHubOptions& options, int64_t published,
                   RevisionFunction committed_revision)
    : options_(options),
      committed_revision_(std::move(committed_revision)),
      published_(published) {}

WatchHub::~WatchHub() { Close(); }

void WatchHub::Publish(std::vector<PublishedEventPtr> batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(queue_mu_);
    if (closing_) return;
    queue_.push_back(std::move(batch));
  }
  queue_cv_.notify_one();
}

std::unique_ptr<Watch> WatchHub::Register(const std::string& kind,
                                          int64_t start_revision,
                                          int64_t* published,
                                          std::shared_ptr<Watcher>* watcher) {
  std::lock_guard lock(watchers_mu_);
  *published = published_.load();
  // Read under the hub lock: a write committed after this read is published
  // after it, so it reaches the watch; one committed before is not wanted.
  if (start_revision == 0) start_revision = committed_revision_();
  *watcher = std::make_shared<Watcher>(kind, start_revision, options_,
                                       &published_);
  watchers_.insert(*watcher);
  return std::make_unique<HubWatch>(shared_from_this(), *watcher);
}

void WatchHub::Unregister(const std::shared_ptr<Watcher>& watcher) {
  std::lock_guard lock(watchers_mu_);
  watchers_.erase(watcher);
}

void WatchHub::Close() {
  {
    std::lock_guard lock(queue_mu_);
    if (closing_) return;
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  std::lock_guard lock(watchers_mu_);
  for (const std::shared_ptr<Watcher>& watcher : watchers_) {
    watcher->Stop("watch ended: the store was closed");
  }
  watchers_.clear();
}

void WatchHub::DispatchLoop() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (closing_) return;
    std::deque<std::vector<PublishedEventPtr>> pending;
    pending.swap(queue_);
    lock.unlock();
    Deliver(Concatenate(pending));
    lock.lock();
  }
}

void WatchHub::Deliver(const std::vector<PublishedEventPtr>& batch) {
  std::lock_guard lock(watchers_mu_);
  for (const std::shared_ptr<Watcher>& watcher : watchers_) {
    watcher->Deliver(batch);
  }
  published_.store(batch.back()->event.revision);
}

}  // namespace vigil::store
