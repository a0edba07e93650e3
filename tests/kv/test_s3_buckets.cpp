// S3's equal-width buckets: one definition for the s3 policy and the predictor's accuracy.
#include <gtest/gtest.h>

#include "base/error.h"
#include "kv/policy.h"
#include "kv/s3_buckets.h"

namespace odma::kv {
namespace {

TEST(S3Buckets, BucketsOfTheS3ProtocolByHand) {
  const S3Buckets b(2048, 10);  // width 204.8
  EXPECT_EQ(b.bucket_of(0), 0);
  EXPECT_EQ(b.bucket_of(204), 0);  // 204 < 204.8
  EXPECT_EQ(b.bucket_of(205), 1);
  EXPECT_EQ(b.bucket_of(2047), 9);
  EXPECT_EQ(b.bucket_of(2048), 9);  // the last bucket holds max itself
  EXPECT_EQ(b.bucket_of(5000), 9);
  EXPECT_EQ(b.bucket_of(-3), 0);
  ASSERT_EQ(b.count(), 10);
  EXPECT_EQ(b.upper(0), 204);
  EXPECT_EQ(b.upper(1), 409);
  EXPECT_EQ(b.upper(9), 2048);
  const S3Buckets v(512, 10);  // the Vicuna protocol: width 51.2
  EXPECT_EQ(v.bucket_of(51), 0);
  EXPECT_EQ(v.bucket_of(52), 1);
}

// The inclusive upper bound is the longest length of its bucket: L <= upper(k) ⇔ bucket_of(L) <= k.
TEST(S3Buckets, UpperBoundsAreInclusiveForEveryRangeAndCount) {
  for (std::int32_t max : {10, 97, 512, 2048}) {
    for (std::int32_t k : {1, 3, 7, 10}) {
      if (k > max) continue;
      const S3Buckets b(max, k);
      for (std::int32_t len = 0; len <= max; ++len) {
        const std::int32_t bucket = b.bucket_of(len);
        ASSERT_LE(len, b.upper(bucket)) << max << "/" << k << " len " << len;
        if (bucket > 0) {
          ASSERT_GT(len, b.upper(bucket - 1)) << max << "/" << k << " len " << len;
        }
      }
    }
  }
}

TEST(S3Buckets, RejectsMoreBucketsThanLengths) {
  EXPECT_THROW(S3Buckets(5, 0), Error);
  EXPECT_THROW(S3Buckets(5, 6), Error);
  EXPECT_NO_THROW(S3Buckets(5, 5));
}

// The s3 policy reserves prompt + the bucket's inclusive upper bound (granule 1 shows it exactly).
TEST(S3Buckets, S3PolicyReservesTheInclusiveUpperBoundOfThePredictedBucket) {
  PolicyConfig c;
  c.capacity_tokens = 1 << 16;
  c.granule = 1;
  c.block_tokens = 1;
  c.max_model_len = 4096;
  c.s3_max_output = 2048;
  auto p = make_policy("s3", c);
  RequestSpec spec;
  spec.id = 1;
  spec.prompt_tokens = 10;
  spec.max_output_tokens = 2048;
  spec.prediction.output_tokens = 150;  // bucket 0: [0, 204]
  ASSERT_EQ(p->admit(spec).status, Status::kOk);
  EXPECT_EQ(p->allocation(1)->reserved, 10 + 204);
  spec.id = 2;
  spec.prediction.output_tokens = 205;  // bucket 1: [205, 409]
  ASSERT_EQ(p->admit(spec).status, Status::kOk);
  EXPECT_EQ(p->allocation(2)->reserved, 10 + 409);
  EXPECT_EQ(p->bucket_edges(), S3Buckets(2048, 10).uppers());
}

}  // namespace
}  // namespace odma::kv
