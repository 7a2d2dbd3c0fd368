#include "agent/vm_worker.h"

#include <utility>

namespace vigil::agent {

VmWorker::~VmWorker() { Stop(); }

void VmWorker::Run(Task task) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  tasks_.push_back(std::move(task));
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  cv_.notify_one();
}

void VmWorker::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    tasks_.clear();
    thread = std::move(thread_);
    cv_.notify_one();
  }
  if (thread.joinable()) thread.join();
}

void VmWorker::Loop() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace vigil::agent
