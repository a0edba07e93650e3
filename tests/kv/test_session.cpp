// The session core: one normalisation for every caller, metering of steps with work, and
// predictions made at a request's first admission.
#include "kv/session.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"

namespace odma::kv {
namespace {

SessionConfig config(const std::string& policy, std::int64_t capacity, std::int32_t max_model_len) {
  SessionConfig c;
  c.policy = policy;
  c.kv.capacity_tokens = capacity;
  c.kv.max_model_len = max_model_len;
  return c;
}

RequestSpec spec(RequestId id, std::int32_t prompt, std::int32_t predicted, std::int32_t cap) {
  RequestSpec s;
  s.id = id;
  s.prompt_tokens = prompt;
  s.max_output_tokens = cap;
  s.prediction.output_tokens = predicted;
  s.prediction.true_output_tokens = predicted;
  return s;
}

// The quick bench's configuration: a 188-position model leaves room for 11 odma buckets of 16
// slots. The engine used to clamp them and the trace driver to throw; both now build a Session.
TEST(Session, NormalisesOneConfigTheSameWayForEveryCaller) {
  SessionConfig c = config("odma", 4096, 188);
  c.kv.odma.buckets = 16;
  const SessionConfig n = normalize_session_config(c);
  EXPECT_EQ(n.kv.odma.buckets, 11);       // ⌊188 / 16⌋
  EXPECT_EQ(n.max_output_tokens, 187);    // max_model_len − 1 when unset
  EXPECT_EQ(n.kv.s3_max_output, 187);     // S3's range is the generation cap when unset
  EXPECT_NO_THROW(Session{c});

  c.model_positions = 100;  // a model with fewer positions clamps max_model_len first
  c.max_output_tokens = 60;
  c.kv.s3_max_output = 2048;
  const SessionConfig m = normalize_session_config(c);
  EXPECT_EQ(m.kv.max_model_len, 100);
  EXPECT_EQ(m.max_output_tokens, 60);
  EXPECT_EQ(m.kv.s3_max_output, 60);  // never past the cap
  EXPECT_EQ(m.kv.odma.buckets, 6);    // ⌊100 / 16⌋

  c.kv.max_model_len = 1;
  c.model_positions = 0;
  EXPECT_THROW((void)normalize_session_config(c), Error);
}

TEST(Session, CapForHoldsTheCapTheModelLengthAndTheAskedTokens) {
  SessionConfig c = config("static", 4096, 512);
  c.max_output_tokens = 100;
  const Session s(c);
  EXPECT_EQ(s.cap_for(10, 50), 50);
  EXPECT_EQ(s.cap_for(10, 500), 100);
  EXPECT_EQ(s.cap_for(450, 500), 62);  // 512 − 450
}

TEST(Session, MetersOnlyStepsWithWorkAndCompletions) {
  Session s(config("oracle", 1024, 512));
  EXPECT_TRUE(s.plan().items.empty());  // idle: nothing to meter
  EXPECT_EQ(s.meter().steps(), 0);
  s.submit(spec(1, 4, 2, 16));
  for (int i = 0; i < 2 && !s.idle(); ++i) {
    (void)s.plan();
    (void)s.commit({});  // the caller says when a request stops; nobody has yet
  }
  EXPECT_EQ(s.meter().steps(), 2);
  const std::vector<RequestId> stop = {1};
  (void)s.plan();
  const std::vector<Completion> done = s.commit(stop);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].output_tokens, 3);
  EXPECT_EQ(done[0].predicted_output_tokens, 2);
  EXPECT_EQ(s.summary().completed, 1);
  EXPECT_EQ(s.summary().steps, 3);
  EXPECT_TRUE(s.idle());
}

// A request submitted for prediction at admission is predicted once, when it is first admitted —
// not at submit, not again while it waits, not again after a preemption.
TEST(Session, PredictsEachRequestOnceAtItsFirstAdmission) {
  Session s(config("s3", 256, 256));  // small arena: the second request waits, s3 preempts
  std::vector<RequestId> asked;
  s.set_admission_predictor([&](const RequestSpec& r) {
    asked.push_back(r.id);
    LengthPrediction p;
    p.output_tokens = 10;
    p.true_output_tokens = 200;
    return p;
  });
  s.submit(spec(1, 100, 1, 150), /*predict_at_admission=*/true);
  s.submit(spec(2, 100, 1, 150), /*predict_at_admission=*/true);
  s.submit(spec(3, 10, 7, 20));  // came with its own prediction
  EXPECT_TRUE(asked.empty());    // nothing asked at submit
  for (int step = 0; step < 400 && !s.idle(); ++step) {
    (void)s.plan();
    (void)s.commit({});
  }
  EXPECT_EQ(asked, (std::vector<RequestId>{1, 2}));
  EXPECT_GT(s.policy().counters().preemptions, 0);  // re-admissions did not ask again
}

}  // namespace
}  // namespace odma::kv
