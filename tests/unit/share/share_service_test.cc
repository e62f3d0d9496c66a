// Share links end to end below HTTP: made from real encrypted recordings, opened with and
// without passcodes, counted, expired by an injected clock, revoked, and a clip that still
// plays from its re-sealed keys after the household key is locked.
#include "share/share_service.h"

#include <gtest/gtest.h>

#include <fstream>

#include "../support/account_world.h"
#include "api/playback.h"
#include "media/recorder.h"

namespace hearth::share {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000LL * 1'000'000;
using hearth::testing::secret;
const char* const kOwnerPass = "violet-kettle-orbit-9-sparrow";

class ShareServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        store::Camera c;
        c.name = "porch";
        c.kind = store::CameraKind::kSim;
        camera_ = *world_.index->add_camera(c);
        auto code = world_.accounts->issue_setup_code();
        owner_ = *world_.accounts->complete_setup(**code, "olivia", secret(kOwnerPass), origin_);
        owner_.rights = {};
        record(10);
        auto s = store::ShareStore::open(world_.dir / "hearth.db");
        ASSERT_TRUE(s);
        store_ = std::move(*s);
        service_ = std::make_unique<ShareService>(*store_, *world_.index, *world_.household,
                                                  world_.audit.get(), world_.clock,
                                                  hearth::testing::kTestCost);
    }

    // `seconds` of H.264 recorded (encrypted to the household) from kT0, then the clock
    // moves on past it.
    void record(int seconds) {
        media::RecorderOptions o;
        o.household = world_.household->public_key();
        o.segment_target = std::chrono::seconds(4);
        media::Recorder r(camera_, *world_.index, world_.dir, world_.clock, o);
        media::TrackInfo video;
        video.codec = media::Codec::kH264;
        video.codec_data = {1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4,
                            0x68, 0xce, 0x3c, 0x80};
        video.width = 320;
        video.height = 180;
        r.start();
        r.on_tracks({video});
        for (int i = 0; i < seconds * 15; ++i) {
            media::EncodedSample v;
            v.track = 0;
            v.data = std::make_shared<const std::vector<std::uint8_t>>(
                std::vector<std::uint8_t>{0, 0, 0, 4, 0x65, 1, 2, 3});
            v.pts_us = v.dts_us = i * 66'667;
            v.duration_us = 66'667;
            v.keyframe = i % 15 == 0;
            r.on_sample(v);
        }
        r.stop();
        world_.clock.advance(std::chrono::seconds(seconds + 60));
    }

    NewShare clip(std::string label = "Grandma") {
        NewShare n;
        n.kind = "clip";
        n.camera = camera_;
        n.start_us = kT0 + 1'000'000;
        n.end_us = kT0 + 8'000'000;
        n.label = std::move(label);
        return n;
    }

    std::vector<std::uint8_t> play(const TicketView& view) {
        auto pieces = world_.index->playback(camera_, view.share.start_us, view.share.end_us);
        auto keys = service_->keys(view.share.id);
        std::vector<store::PlaybackPiece> mine;
        for (auto& p : *pieces) {
            if (auto it = keys->find(p.segment.value()); it != keys->end()) {
                p.sealed_key.assign(it->second.begin(), it->second.end());
                mine.push_back(std::move(p));
            }
        }
        auto body = api::PlaybackBody::open(world_.dir, std::move(mine), view.opener);
        EXPECT_TRUE(body) << body.error().describe();
        std::vector<std::uint8_t> out;
        if (body) {
            for (auto chunk = (*body)->next(); !chunk.empty(); chunk = (*body)->next()) {
                out.insert(out.end(), chunk.begin(), chunk.end());
            }
        }
        return out;
    }

    hearth::testing::AccountWorld world_{kT0};
    auth::Origin origin_{"192.0.2.10", "test"};
    auth::Principal owner_;
    core::CameraId camera_;
    std::unique_ptr<store::ShareStore> store_;
    std::unique_ptr<ShareService> service_;
};

TEST_F(ShareServiceTest, AClipLinkPlaysFromItsTokenAloneAfterTheSharerLogsOut) {
    auto made = service_->create(owner_, clip(), origin_);
    ASSERT_TRUE(made) << made.error().describe();
    EXPECT_EQ(made->token.size(), 43u);  // 256 bits, base64url
    // Only the token's hash is stored.
    {
        std::ifstream in(world_.dir / "hearth.db", std::ios::binary);
        const std::string db{std::istreambuf_iterator<char>(in), {}};
        EXPECT_EQ(db.find(made->token), std::string::npos);
    }
    world_.household->lock();  // nobody logged in any more
    auto opened = service_->open(made->token, {}, origin_);
    ASSERT_TRUE(opened) << opened.error().describe();
    EXPECT_EQ(opened->camera_name, "porch");
    EXPECT_EQ(opened->share.views, 1);
    auto view = service_->use_ticket(opened->ticket);
    ASSERT_TRUE(view) << view.error().describe();
    const auto bytes = play(*view);
    EXPECT_GT(bytes.size(), 1000u);
    EXPECT_EQ(std::string(bytes.begin() + 4, bytes.begin() + 8), "ftyp");
    // Another token opens nothing, and neither does the household-sealed key path.
    auto other = service_->open(crypto::random_token_base64url(32), {}, origin_);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, core::ErrorCode::kNotFound);
    // The opening was audited and announced as a camera event.
    auto events = world_.index->events(camera_, 50);
    ASSERT_TRUE(events);
    EXPECT_TRUE(std::any_of(events->begin(), events->end(),
                            [](const store::Event& e) { return e.kind == "share.opened"; }));
}

TEST_F(ShareServiceTest, PasscodeViewLimitExpiryAndRevocation) {
    auto n = clip();
    n.passcode = secret("4711-harbour");
    n.max_views = 2;
    n.lifetime_us = 3600LL * 1'000'000;
    auto made = service_->create(owner_, std::move(n), origin_);
    ASSERT_TRUE(made) << made.error().describe();
    auto none = service_->open(made->token, {}, origin_);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, core::ErrorCode::kUnauthenticated);
    auto wrong = service_->open(made->token, secret("0000-nothing"), origin_);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, core::ErrorCode::kUnauthenticated);
    EXPECT_EQ(store_->get(made->share.id)->views, 0);  // refused openings are not views
    auto first = service_->open(made->token, secret("4711-harbour"), origin_);
    ASSERT_TRUE(first) << first.error().describe();
    ASSERT_TRUE(service_->open(made->token, secret("4711-harbour"), origin_));
    auto third = service_->open(made->token, secret("4711-harbour"), origin_);
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_NE(third.error().message.find("used"), std::string::npos);
    // Tickets already out keep working until the link expires or is withdrawn.
    EXPECT_TRUE(service_->use_ticket(first->ticket));
    world_.clock.advance(std::chrono::minutes(61));
    auto late = service_->use_ticket(first->ticket);
    ASSERT_FALSE(late);

    auto live = NewShare{};
    live.kind = "live";
    live.camera = camera_;
    live.label = "Neighbour";
    auto l = service_->create(owner_, std::move(live), origin_);
    ASSERT_TRUE(l) << l.error().describe();
    auto opened = service_->open(l->token, {}, origin_);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(service_->still_open(l->share.id));
    ASSERT_TRUE(service_->revoke(owner_, l->share.id, origin_));
    EXPECT_FALSE(service_->still_open(l->share.id));
    EXPECT_FALSE(service_->use_ticket(opened->ticket));
    auto gone = service_->open(l->token, {}, origin_);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, core::ErrorCode::kFailedPrecondition);
    EXPECT_NE(gone.error().message.find("withdrawn"), std::string::npos);
}

TEST_F(ShareServiceTest, ExpiryDestroysTheClipKeys) {
    auto n = clip();
    n.lifetime_us = 3600LL * 1'000'000;
    auto made = service_->create(owner_, std::move(n), origin_);
    ASSERT_TRUE(made);
    EXPECT_FALSE(service_->keys(made->share.id)->empty());
    world_.clock.advance(std::chrono::minutes(61));
    auto expired = service_->open(made->token, {}, origin_);
    ASSERT_FALSE(expired);
    EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
    service_->shred_expired();
    EXPECT_TRUE(service_->keys(made->share.id)->empty());
}

TEST_F(ShareServiceTest, BadRequestsAreRefusedClearly) {
    auto no_label = clip("");
    EXPECT_EQ(service_->create(owner_, std::move(no_label), origin_).error().code,
              core::ErrorCode::kInvalidArgument);
    auto too_long = clip();
    too_long.lifetime_us = 8LL * 24 * 3600 * 1'000'000;
    EXPECT_FALSE(service_->create(owner_, std::move(too_long), origin_));
    auto future = clip();
    future.end_us = world_.clock.now_us() + 60'000'000;
    EXPECT_FALSE(service_->create(owner_, std::move(future), origin_));
    auto empty = clip();
    empty.start_us = kT0 - 3600'000'000LL;
    empty.end_us = kT0 - 3000'000'000LL;
    EXPECT_EQ(service_->create(owner_, std::move(empty), origin_).error().code,
              core::ErrorCode::kNotFound);
    auto short_code = clip();
    short_code.passcode = secret("47");
    EXPECT_EQ(service_->create(owner_, std::move(short_code), origin_).error().code,
              core::ErrorCode::kInvalidArgument);
    auto segments = world_.index->segments(camera_, 0, INT64_MAX);
    ASSERT_TRUE(segments);
    for (const auto& seg : *segments) {
        EXPECT_EQ(seg.pinned_until_us, 0) << "a refused link pins nothing";
    }
    world_.household->lock();
    auto locked = service_->create(owner_, clip(), origin_);
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error().code, core::ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hearth::share
