// The HTTP surface: requests, responses and the route table, independent of Beast.
//
// Handlers run on the `net` executor: they must not block on a pipeline. Reading
// a file for a response body is done by a BodySource pulled one chunk at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::api {

enum class Method : std::uint8_t { kInvalid = 0, kGet, kHead, kPost, kPut, kPatch, kDelete };

// "GET", "HEAD", ...; "INVALID" for kInvalid.
std::string_view to_string(Method method);

struct Request {
    Method method = Method::kInvalid;
    std::string target;  // raw target, e.g. "/api/cameras/1/recordings?start=..."
    std::string path;    // decoded path without the query
    std::map<std::string, std::string> query;   // decoded query parameters (last one wins)
    std::map<std::string, std::string> params;  // path parameters from the route pattern
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;                           // bounded by ServerLimits::max_body_bytes
    std::string remote_address;
    std::string request_id;  // short random id, echoed in errors and logs
    bool websocket_upgrade = false;  // "Connection: Upgrade" + "Upgrade: websocket"

    std::optional<std::string_view> header(std::string_view lower_name) const;
};

// Pulls a response body in chunks. next() returns an empty vector at the end;
// an error mid-stream ends the response (the connection is closed).
// Thread: next() runs on the connection's net strand, one call at a time, and is called
// again only once the previous chunk is written (back-pressure).
// Keep chunks modest (64-256 KiB) and each call short. To fail, throw: the server logs it
// and cuts the connection (a size() that turns out wrong is treated the same way).
class BodySource {
public:
    virtual ~BodySource() = default;
    virtual std::optional<std::uint64_t> size() const = 0;  // known length, if any
    virtual std::vector<std::uint8_t> next() = 0;
};

// The server's side of an open WebSocket, handed to a WebSocketHandler. Thread: any; every
// call is carried to the connection's strand.
class WebSocketPeer {
public:
    virtual ~WebSocketPeer() = default;
    virtual void send_text(std::string text) = 0;
    virtual void send_binary(std::vector<std::uint8_t> bytes) = 0;
    // Runs `work` on the connection's strand, where the handler's callbacks run too.
    virtual void post(std::function<void()> work) = 0;
    // Bytes handed to send_* and not yet written: a producer holds back above its budget.
    virtual std::size_t queued_bytes() const = 0;
    virtual void close() = 0;
};

// What a route that upgrades to a WebSocket runs. Callbacks run on the connection's strand,
// one at a time; on_close comes exactly once (after on_open, if the handshake succeeded).
// A copy of what a deferred response needs from its request (the request is gone by then).
inline Request stub_of(const Request& req) {
    Request stub;
    stub.request_id = req.request_id;
    return stub;
}

class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    virtual void on_open(std::shared_ptr<WebSocketPeer> peer) = 0;
    virtual void on_text(std::string_view /*text*/) {}
    // Everything queued has been written: a producer that held back may go on.
    virtual void on_writable() {}
    virtual void on_close() = 0;
    // Asked every few seconds while open; false closes the connection (a revoked session,
    // a removed account, a right taken away).
    virtual bool still_allowed() { return true; }
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
    std::string body;                      // used when `stream` is null
    std::unique_ptr<BodySource> stream;    // streamed body (chunked unless size() is known)
    // When set, the real response is what this returns, computed off the net threads (the
    // server's offload pool) because it is slow: password hashing. Other fields are ignored.
    std::function<Response()> deferred;
    // When set on a WebSocket upgrade request, the server completes the handshake and hands
    // the connection to this handler (a plain request gets 400). Other fields are ignored.
    std::shared_ptr<WebSocketHandler> upgrade;

    static Response json(int status, std::string body);
    static Response later(std::function<Response()> work);
    // {"error": message, "request_id": id} plus any extra JSON fields in `extra`.
    static Response error(int status, std::string_view message, const Request& req,
                          std::string_view extra_json_fields = {});
};

using Handler = std::function<Response(const Request&)>;

// Routes like "/api/cameras/{id}/recordings". A segment in braces matches one
// non-empty path segment and is passed in Request::params.
// Thread: add() on the control thread before the server starts; route() is const and is
// called from every net thread at once.
class Router {
public:
    void add(Method method, std::string pattern, Handler handler);
    // Answers every request whose path no pattern matches, in place of the server's 404
    // (for example the redirect-only listener, which has no routes at all).
    void set_fallback(Handler handler) { fallback_ = std::move(handler); }
    // Finds the handler; fills req.params. 404 / 405 responses are built by the server.
    // Where several patterns match, literal segments beat {params}, leftmost first. A HEAD
    // request without a HEAD route is given the GET handler (req.method stays kHead; the
    // server drops the body).
    enum class Match : std::uint8_t { kInvalid = 0, kFound, kNoPath, kWrongMethod };
    Match route(Request& req, const Handler** handler) const;

    // Methods that some route accepts for this decoded path, sorted (HEAD implied by GET);
    // empty when no pattern matches. Feeds the Allow header of a 405.
    std::vector<Method> allowed_methods(std::string_view path) const;

private:
    struct Route {
        Method method;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
    Handler fallback_;
};

}  // namespace hearth::api
