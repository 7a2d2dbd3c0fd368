// SaAwareRunner: the component's session on the local API — registration,
// CSI assignments and their confirmations, heartbeats and health checks,
// error reports.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/sa_aware_runner.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::Json;
using api::PresenceState;

Millis Total(Millis a, Millis b) { return a + b; }

}  // namespace

std::string SaAwareRunner::Key(const CsiAssignment& csi) {
  return csi.service_instance + "/" + csi.csi.name;
}

bool SaAwareRunner::CurrentSession(const std::string& token) const {
  return session_ != nullptr && session_->token() == token;
}

Json SaAwareRunner::RegistrationReply() const {
  return {{"component", who_.name},
          {"serviceUnit", who_.unit},
          {"node", who_.node},
          {"healthCheck",
           {{"invoker", std::string(api::ToString(spec_.health_check_invoker))},
            {"periodMs", spec_.health_check_period.count()},
            {"maxDurationMs", spec_.health_check_max_duration.count()}}},
          {"csiSetTimeoutMs", spec_.csi_set_timeout.count()}};
}

bool SaAwareRunner::Attach(std::shared_ptr<SaSession> session, const std::string& token) {
  if (token != state_.token) return false;
  if (process_ == nullptr || (op_ != Op::kInstantiate && op_ != Op::kNone) ||
      state_.presence == PresenceState::kTerminating) {
    return false;
  }
  EndSession();
  session_ = std::move(session);
  // A new session holds nothing the agent knows of, except after adoption
  // (the process kept its CSIs): everything wanted is sent again.
  if (op_ == Op::kInstantiate) held_.clear();
  SetOp(Op::kNone);
  state_.presence = PresenceState::kInstantiated;
  restarting_ = false;
  SetCondition(true, "Registered", "");
  if (spec_.health_check_invoker == api::HealthCheckInvoker::kComponent) {
    ArmHeartbeat();
  } else {
    health_timer_ =
        context_.loop->PostAfter(spec_.health_check_period, Guard([this] { SendHealthCheck(); }));
  }
  for (auto& [key, held] : held_) {
    // Re-send held states so a reconnecting component is in step.
    Send(held, /*removal=*/false);
  }
  Reconcile();
  return true;
}

void SaAwareRunner::SyncCsis() {
  if (session_ == nullptr) return;
  std::map<std::string, const CsiAssignment*> wanted;
  for (const CsiAssignment& csi : desired_) wanted[Key(csi)] = &csi;
  for (const auto& [key, csi] : wanted) {
    if (pending_.contains(key)) continue;  // one change in flight per CSI
    auto held = held_.find(key);
    if (held == held_.end() || held->second.ha_state != csi->ha_state ||
        held->second.csi.attributes != csi->csi.attributes) {
      Send(*csi, /*removal=*/false);
    }
  }
  std::vector<CsiAssignment> removals;
  for (const auto& [key, held] : held_) {
    if (!wanted.contains(key) && !pending_.contains(key)) removals.push_back(held);
  }
  for (const CsiAssignment& csi : removals) Send(csi, /*removal=*/true);
}

void SaAwareRunner::Send(const CsiAssignment& target, bool removal) {
  const std::string key = Key(target);
  const int64_t seq = next_seq_++;
  Json event = {{"seq", seq},
                {"type", removal ? "csiRemove" : "csiSet"},
                {"serviceInstance", target.service_instance},
                {"csi", target.csi.name},
                {"csType", target.csi.cs_type}};
  if (!removal) {
    event["attributes"] = target.csi.attributes;
    event["haState"] = std::string(api::ToString(target.ha_state));
  }
  Pending pending{.seq = seq, .target = target, .timer = 0};
  if (removal) pending.target.ha_state = HaState::kNone;
  if (auto old = pending_.find(key); old != pending_.end()) {
    context_.loop->Cancel(old->second.timer);
  }
  pending.timer = context_.loop->PostAfter(spec_.csi_set_timeout,
                                           Guard([this, seq] { OnConfirmTimeout(seq); }));
  pending_[key] = pending;
  session_->Push(std::move(event));
}

void SaAwareRunner::OnConfirm(const std::string& token, int64_t seq, bool ok,
                              const std::string& message) {
  if (!CurrentSession(token)) return;
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const auto& p) { return p.second.seq == seq; });
  if (it == pending_.end()) return;  // a re-sent state, or already timed out
  Pending done = it->second;
  pending_.erase(it);
  context_.loop->Cancel(done.timer);
  if (!ok) {
    Fail("CsiSetRejected", absl::StrCat(Key(done.target), ": ", message));
    return;
  }
  if (done.target.ha_state == HaState::kNone) {
    held_.erase(Key(done.target));
  } else {
    held_[Key(done.target)] = done.target;
  }
  Reconcile();
}

void SaAwareRunner::OnConfirmTimeout(int64_t seq) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const auto& p) { return p.second.seq == seq; });
  if (it == pending_.end()) return;
  const CsiAssignment target = it->second.target;
  pending_.erase(it);
  Fail("CsiSetTimeout",
       absl::StrCat(Key(target), " ",
                    target.ha_state == HaState::kNone ? "removal"
                                                      : std::string(api::ToString(target.ha_state)),
                    " not confirmed within ", spec_.csi_set_timeout.count(), "ms"));
}

void SaAwareRunner::ArmHeartbeat() {
  context_.loop->Cancel(health_timer_);
  const Millis allowed = Total(spec_.health_check_period, spec_.health_check_max_duration);
  health_timer_ = context_.loop->PostAfter(
      allowed, Guard([this, allowed] {
        health_timer_ = 0;
        Fail("HeartbeatMissed", absl::StrCat("no heartbeat for ", allowed.count(), "ms"));
      }));
}

void SaAwareRunner::OnHeartbeat(const std::string& token) {
  if (CurrentSession(token) && spec_.health_check_invoker == api::HealthCheckInvoker::kComponent) {
    ArmHeartbeat();
  }
}

void SaAwareRunner::SendHealthCheck() {
  if (session_ == nullptr) return;
  health_seq_ = next_seq_++;
  session_->Push({{"seq", health_seq_}, {"type", "healthCheck"}});
  health_timer_ = context_.loop->PostAfter(
      spec_.health_check_max_duration, Guard([this] {
        health_timer_ = 0;
        Fail("HealthCheckTimeout", absl::StrCat("health check not answered within ",
                                                spec_.health_check_max_duration.count(), "ms"));
      }));
}

void SaAwareRunner::OnHealthCheckAnswer(const std::string& token, int64_t seq) {
  if (!CurrentSession(token) || seq != health_seq_) return;
  context_.loop->Cancel(health_timer_);
  health_seq_ = 0;
  health_timer_ =
      context_.loop->PostAfter(spec_.health_check_period, Guard([this] { SendHealthCheck(); }));
}

void SaAwareRunner::OnErrorReport(const std::string& token,
                                  std::optional<api::RecoveryAction> recovery,
                                  const std::string& reason) {
  if (!CurrentSession(token)) return;
  Fail("ErrorReported", reason, recovery);
}

void SaAwareRunner::EndSession() {
  context_.loop->Cancel(health_timer_);
  health_timer_ = 0;
  health_seq_ = 0;
  for (auto& [key, pending] : pending_) context_.loop->Cancel(pending.timer);
  pending_.clear();
  if (session_ != nullptr) session_->Close();
  session_.reset();
}

bool SaAwareRunner::Reached(const std::string& si, HaState ha_state) const {
  bool any = false;
  for (const CsiAssignment& csi : desired_) {
    if (csi.service_instance != si) continue;
    any = true;
    auto held = held_.find(Key(csi));
    if (held == held_.end() || held->second.ha_state != ha_state) return false;
    // A change in flight is not reached yet; the held state sent again to a
    // component that registered again (after adoption) still is.
    auto pending = pending_.find(Key(csi));
    if (pending != pending_.end() && (pending->second.target.ha_state != ha_state ||
                                      pending->second.target.csi.attributes !=
                                          held->second.csi.attributes)) {
      return false;
    }
  }
  return any || ha_state == HaState::kNone;
}

std::vector<CsiAssignment> SaAwareRunner::RunningCsis() const {
  std::vector<CsiAssignment> held;
  for (const auto& [key, csi] : held_) held.push_back(csi);
  return held;
}

void SaAwareRunner::Notify() {
  HaState held = HaState::kNone;
  for (const auto& [key, csi] : held_) {
    if (held == HaState::kNone || csi.ha_state == HaState::kActive) held = csi.ha_state;
  }
  state_.ha_state = held;
  if (state_ == notified_) return;
  notified_ = state_;
  if (callbacks_.on_change) callbacks_.on_change();
}

}  // namespace vigil::agent
