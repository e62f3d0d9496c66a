// Hearth's ONVIF client over real TCP: against `simcam::Simcam` on 127.0.0.1 (port 0),
// and against a tiny fake HTTP server answering malformed and huge XML.
#include "simcam/simcam.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "fakes.h"
#include "onvif/client.h"
#include "onvif/soap.h"
#include "onvif/transport.h"

namespace hearth::onvif {
namespace {

using namespace std::chrono_literals;
using testing::secret;

simcam::SimcamOptions small_camera() {
    simcam::SimcamOptions o;
    o.listen = {"127.0.0.1", 0};
    o.camera.scene.width = 320;
    o.camera.scene.height = 180;
    o.camera.audio = false;
    o.username = "viewer";
    o.password = "correct horse battery";
    o.backchannel = false;
    o.onvif_listen = core::ListenAddress{"127.0.0.1", 0};
    return o;
}

class SimcamOnvifTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cam_ = new simcam::Simcam(small_camera());
        auto url = cam_->start();
        ASSERT_TRUE(url) << url.error().message;
    }
    static void TearDownTestSuite() {
        cam_->stop();
        delete cam_;
        cam_ = nullptr;
    }
    Client client(std::string_view password) {
        return Client(std::make_shared<HttpTransport>(),
                      {cam_->onvif_url(), "viewer", secret(password)});
    }
    static simcam::Simcam* cam_;
};
simcam::Simcam* SimcamOnvifTest::cam_ = nullptr;

TEST_F(SimcamOnvifTest, ProfilesAndStreamUri) {
    ASSERT_TRUE(cam_->onvif_url().starts_with("http://127.0.0.1:")) << cam_->onvif_url();
    Client c = client("correct horse battery");
    auto connected = c.connect();
    ASSERT_TRUE(connected) << connected.error().describe();
    auto info = c.get_device_information();
    ASSERT_TRUE(info) << info.error().describe();
    EXPECT_FALSE(info->model.empty());
    auto profiles = c.get_profiles();
    ASSERT_TRUE(profiles) << profiles.error().describe();
    ASSERT_EQ(profiles->size(), 1u);
    EXPECT_EQ((*profiles)[0].resolution, (Resolution{320, 180}));
    auto uri = c.get_stream_uri((*profiles)[0].token);
    ASSERT_TRUE(uri) << uri.error().describe();
    EXPECT_TRUE(uri->starts_with("rtsp://127.0.0.1:")) << *uri;
    EXPECT_TRUE(uri->ends_with("/stream")) << *uri;
    EXPECT_EQ(uri->find("viewer"), std::string::npos);
}

TEST_F(SimcamOnvifTest, PtzMoveChangesPositionAndPresetsReturn) {
    Client c = client("correct horse battery");
    ASSERT_TRUE(c.connect());
    auto profiles = c.get_profiles();
    ASSERT_TRUE(profiles);
    const Profile& p = (*profiles)[0];
    auto caps = c.ptz_capabilities(p);
    ASSERT_TRUE(caps) << caps.error().describe();
    ASSERT_TRUE(caps->continuous);

    ASSERT_TRUE(c.absolute_move(p.token, PtzVector::of(0, 0, 0)));
    auto start = c.get_status(p.token);
    ASSERT_TRUE(start);
    auto preset = c.set_preset(p.token, "start");
    ASSERT_TRUE(preset) << preset.error().describe();

    auto moved = c.continuous_move(p.token, PtzVector::of(1, 0.5, 0), 2s);
    ASSERT_TRUE(moved) << moved.error().describe();
    std::this_thread::sleep_for(400ms);
    ASSERT_TRUE(c.stop(p.token));
    auto after = c.get_status(p.token);
    ASSERT_TRUE(after) << after.error().describe();
    ASSERT_TRUE(after->position.pan_tilt);
    EXPECT_GT(after->position.pan_tilt->x, start->position.pan_tilt->x + 0.05);
    EXPECT_GT(after->position.pan_tilt->y, start->position.pan_tilt->y);

    ASSERT_TRUE(c.goto_preset(p.token, *preset));
    bool back = false;
    for (int i = 0; i < 50 && !back; ++i) {
        auto s = c.get_status(p.token);
        ASSERT_TRUE(s);
        back = std::abs(s->position.pan_tilt->x - start->position.pan_tilt->x) < 0.01;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(back);
    ASSERT_TRUE(c.remove_preset(p.token, *preset));
}

TEST_F(SimcamOnvifTest, WrongPasswordIsRefusedClearly) {
    Client c = client("wrong horse");
    ASSERT_TRUE(c.connect());
    auto profiles = c.get_profiles();
    ASSERT_FALSE(profiles);
    EXPECT_EQ(profiles.error().code, core::ErrorCode::kPermissionDenied);
    EXPECT_NE(profiles.error().message.find("the camera refused the user name or password"),
              std::string::npos)
        << profiles.error().message;
    EXPECT_EQ(profiles.error().message.find("wrong horse"), std::string::npos);
}

// A one-shot HTTP server on 127.0.0.1 that answers every request with `response`.
class FakeHttpServer {
public:
    explicit FakeHttpServer(std::string response)
        : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          response_(std::move(response)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeHttpServer() {
        // A blocking accept() is not woken by close() from another thread: connect once.
        stop_ = true;
        boost::system::error_code ec;
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket wake(io);
        wake.connect(acceptor_.local_endpoint(), ec);
        thread_.join();
    }
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
               "/onvif/device_service";
    }

private:
    void serve() {
        for (;;) {
            boost::system::error_code ec;
            boost::asio::ip::tcp::socket s(io_);
            acceptor_.accept(s, ec);
            if (ec || stop_) {
                return;
            }
            // Reads the whole request (closing with unread bytes would reset the connection).
            boost::asio::streambuf buf;
            const std::size_t head = boost::asio::read_until(s, buf, "\r\n\r\n", ec);
            const std::string text(boost::asio::buffers_begin(buf.data()),
                                   boost::asio::buffers_end(buf.data()));
            std::size_t length = 0;
            if (auto at = text.find("Content-Length: "); at != std::string::npos) {
                length = std::stoul(text.substr(at + 16));
            }
            if (!ec && text.size() < head + length) {
                boost::asio::read(s, buf,
                                  boost::asio::transfer_exactly(head + length - text.size()), ec);
            }
            boost::asio::write(s, boost::asio::buffer(response_), ec);
            s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        }
    }
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::string response_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::string http_ok(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

TEST(FakeCameraTest, MalformedXmlIsAClearError) {
    FakeHttpServer server(
        http_ok("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
                "<s:Body><trt:GetProfilesResponse><oops"));
    Client c(std::make_shared<HttpTransport>(), {server.url(), "", {}});
    auto r = c.get_profiles();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("not well-formed XML"), std::string::npos)
        << r.error().message;
}

TEST(FakeCameraTest, HugeXmlIsAClearError) {
    std::string body = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>";
    body += std::string(3 * 1024 * 1024, ' ');
    body += "</s:Body></s:Envelope>";
    FakeHttpServer server(http_ok(body));
    Client c(std::make_shared<HttpTransport>(), {server.url(), "", {}});
    auto r = c.get_device_information();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << r.error().describe();
}

TEST(FakeCameraTest, HugeChunkedXmlIsAClearError) {
    std::string chunk(1024 * 1024, 'x');
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: "
        "chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) {
        response += size + chunk + "\r\n";
    }
    response += "0\r\n\r\n";
    FakeHttpServer server(response);
    Client c(std::make_shared<HttpTransport>(), {server.url(), "", {}});
    auto r = c.get_profiles();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << r.error().describe();
}

TEST(FakeCameraTest, DoctypeAndGarbageAreClearErrors) {
    FakeHttpServer doctype(
        http_ok("<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x \"y\">]>"
                "<e>&x;</e>"));
    Client c(std::make_shared<HttpTransport>(), {doctype.url(), "", {}});
    auto r = c.get_profiles();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("DOCTYPE"), std::string::npos) << r.error().message;

    FakeHttpServer garbage("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    Client g(std::make_shared<HttpTransport>(), {garbage.url(), "", {}});
    auto gr = g.get_profiles();
    ASSERT_FALSE(gr);
}

TEST(FakeCameraTest, NothingListeningIsUnavailable) {
    std::uint16_t port = 0;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    Client c(std::make_shared<HttpTransport>(),
             {"http://127.0.0.1:" + std::to_string(port) + "/onvif/device_service", "", {}});
    auto s = c.connect();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace hearth::onvif
