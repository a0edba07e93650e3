#include <gtest/gtest.h>

#include "base/args.h"
#include "base/error.h"

namespace odma {
namespace {

// A flag declared to the constructor is a known option: a command cannot list it there and
// forget it in reject_unknown (odma bench once refused its own --skip-e2e that way).
TEST(Args, DeclaredFlagsAreKnownToRejectUnknown) {
  const Args args({"--quick", "--seed", "3"}, {"quick", "help"});
  EXPECT_TRUE(args.has("quick"));
  EXPECT_EQ(args.get_int("seed", 1), 3);
  EXPECT_NO_THROW(args.reject_unknown({"seed"}));
}

TEST(Args, AnOptionNeitherKnownNorAFlagIsRejectedByName) {
  const Args args({"--quick", "--sede", "3"}, {"quick"});
  try {
    args.reject_unknown({"seed"});
    ADD_FAILURE() << "accepted --sede";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown option --sede");
  }
}

}  // namespace
}  // namespace odma
