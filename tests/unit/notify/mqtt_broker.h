// Test support for MqttPublisher: a real mosquitto broker on 127.0.0.1 (two free ports: plain
// and TLS with a certificate made by the hub's own code), with anonymous access off and one user
// whose random password is hashed into the password file by `mosquitto_passwd -U` (so it never
// appears on a command line); and a watching client that records every message it sees.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "crypto/secret.h"
#include "crypto/tls_identity.h"

extern char** environ;

namespace hearth::notify::mqtt_testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

inline bool broker_available() { return ::access(kMosquitto, X_OK) == 0; }

// Runs argv to completion with stdout/stderr to `log`; its exit status, or -1.
inline int run_and_wait(const std::vector<std::string>& args, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline bool port_open(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

class Broker {
public:
    ~Broker() { stop(); }

    core::Status start() {
        std::string tmpl = (fs::temp_directory_path() / "hearth-mqtt-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            return core::make_error(core::ErrorCode::kInternal, "mkdtemp failed");
        }
        dir_ = tmpl;
        user_ = "hearth";
        password_ = crypto::random_token_base64url(18);
        const fs::path passwd_file = dir_ / "passwd";
        {
            std::ofstream out(passwd_file);
            out << user_ << ":" << password_ << "\n";  // plain, hashed in place just below
        }
        ::chmod(passwd_file.c_str(), 0600);
        if (run_and_wait({"/usr/bin/mosquitto_passwd", "-U", passwd_file.string()}, log()) != 0) {
            return core::make_error(core::ErrorCode::kInternal,
                                    "mosquitto_passwd -U failed: " + log_text());
        }
        // A TLS listener too, with a certificate made by the hub's own code (SAN 127.0.0.1).
        if (auto id = crypto::load_or_create_tls_identity(dir_ / "tls"); !id) {
            return id.error();
        }
        const struct passwd* pw = ::getpwuid(::geteuid());
        for (int tries = 0; tries < 3; ++tries) {
            port_ = free_port();
            tls_port_ = free_port();
            const fs::path conf = dir_ / "mosquitto.conf";
            {
                std::ofstream out(conf);
                out << "listener " << port_ << " 127.0.0.1\n"
                    << "allow_anonymous false\n"
                    << "password_file " << passwd_file.string() << "\n"
                    << "persistence false\n"
                    // As root, mosquitto would switch to the `mosquitto` user, who cannot
                    // read files in our private temporary directory.
                    << "user " << (pw != nullptr ? pw->pw_name : "root") << "\n"
                    << "listener " << tls_port_ << " 127.0.0.1\n"
                    << "certfile " << (dir_ / "tls" / "cert.pem").string() << "\n"
                    << "keyfile " << (dir_ / "tls" / "key.pem").string() << "\n"
                    << "log_dest stderr\n"
                    << "log_type all\n";
            }
            if (spawn({kMosquitto, "-c", conf.string()}) && wait_ready(port_) &&
                wait_ready(tls_port_)) {
                return {};
            }
            stop_process();
        }
        return core::make_error(core::ErrorCode::kUnavailable,
                                "mosquitto did not start: " + log_text());
    }

    void stop() {
        stop_process();
        if (!dir_.empty()) {
            std::error_code ec;
            fs::remove_all(dir_, ec);
            dir_.clear();
        }
    }

    std::uint16_t port() const { return port_; }
    std::uint16_t tls_port() const { return tls_port_; }
    std::string ca_file() const { return (dir_ / "tls" / "cert.pem").string(); }
    const std::string& user() const { return user_; }
    const std::string& password() const { return password_; }
    std::string log_text() const {
        std::ifstream in(log());
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    fs::path log() const { return dir_ / "broker.log"; }

    bool spawn(const std::vector<std::string>& args) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log().c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<char*> argv;
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = 0;
        }
        return rc == 0;
    }

    bool wait_ready(std::uint16_t port) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;  // exited (the port was taken after all?)
                return false;
            }
            if (port_open(port)) {
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    void stop_process() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + 3s;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        pid_ = 0;
    }

    fs::path dir_;
    pid_t pid_ = 0;
    std::uint16_t port_ = 0;
    std::uint16_t tls_port_ = 0;
    std::string user_;
    std::string password_;
};

struct Message {
    std::string topic;
    std::string payload;
    bool retain = false;
};

// A second MQTT client: subscribes to `filter` and records what arrives.
class Watcher {
public:
    Watcher(const Broker& broker, const std::string& filter) {
        mosquitto_lib_init();
        mosq_ = mosquitto_new(nullptr, true, this);
        mosquitto_username_pw_set(mosq_, broker.user().c_str(), broker.password().c_str());
        mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int rc) {
            auto* w = static_cast<Watcher*>(self);
            if (rc == 0) {
                mosquitto_subscribe(m, nullptr, w->filter_.c_str(), 1);
            }
        });
        mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
            auto* w = static_cast<Watcher*>(self);
            {
                std::lock_guard lock(w->mu_);
                w->subscribed_ = true;
            }
            w->cv_.notify_all();
        });
        mosquitto_message_callback_set(
            mosq_, [](mosquitto*, void* self, const mosquitto_message* msg) {
                auto* w = static_cast<Watcher*>(self);
                Message m{msg->topic,
                          std::string(static_cast<const char*>(msg->payload),
                                      static_cast<std::size_t>(msg->payloadlen)),
                          msg->retain};
                {
                    std::lock_guard lock(w->mu_);
                    w->messages_.push_back(std::move(m));
                }
                w->cv_.notify_all();
            });
        filter_ = filter;
        ok_ = mosquitto_connect(mosq_, "127.0.0.1", broker.port(), 30) == MOSQ_ERR_SUCCESS &&
              mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS;
        std::unique_lock lock(mu_);
        ok_ = ok_ && cv_.wait_for(lock, 5s, [&] { return subscribed_; });
    }

    ~Watcher() {
        mosquitto_disconnect(mosq_);
        mosquitto_loop_stop(mosq_, false);
        mosquitto_destroy(mosq_);
    }

    bool ok() const { return ok_; }

    void publish(const std::string& topic, const std::string& payload, bool retain = false) {
        mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, retain);
    }

    // The first message (from the start of the recording) matching `pred`.
    std::optional<Message> wait_for(const std::function<bool(const Message&)>& pred,
                                    std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mu_);
        std::optional<Message> found;
        cv_.wait_for(lock, timeout, [&] {
            for (const auto& m : messages_) {
                if (pred(m)) {
                    found = m;
                    return true;
                }
            }
            return false;
        });
        return found;
    }

    std::optional<Message> wait_for(const std::string& topic, const std::string& payload,
                                    std::chrono::milliseconds timeout = 5s) {
        return wait_for([&](const Message& m) { return m.topic == topic && m.payload == payload; },
                        timeout);
    }

    // The last message on `topic` so far.
    std::optional<Message> last(const std::string& topic) {
        std::lock_guard lock(mu_);
        for (auto it = messages_.rbegin(); it != messages_.rend(); ++it) {
            if (it->topic == topic) {
                return *it;
            }
        }
        return std::nullopt;
    }

    std::vector<Message> messages() {
        std::lock_guard lock(mu_);
        return messages_;
    }

private:
    mosquitto* mosq_ = nullptr;
    std::string filter_;
    bool ok_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    bool subscribed_ = false;        // GUARDED_BY(mu_)
    std::vector<Message> messages_;  // GUARDED_BY(mu_)
};

}  // namespace hearth::notify::mqtt_testing
