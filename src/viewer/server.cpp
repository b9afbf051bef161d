#include "viewer/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/gemm.h"
#include "viewer/api_error.h"
#include "viewer/assets.h"

namespace cs::viewer {

namespace {

using ojson = nlohmann::ordered_json;

// The body is moved in: httplib's set_content would copy it, megabytes for a long text's patterns.
// With the charset spelled out httplib does not compress it: brotli took 2.4 s over the 11 MB of a
// 1,000-token text's patterns, twenty times the forward pass, to save a transfer over loopback.
void reply(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.body = std::move(body);
  res.headers.erase("Content-Type");
  res.set_header("Content-Type", "application/json; charset=utf-8");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, dump(ojson{{"error", message}, {"status", status}}));
}

std::string megabytes(size_t bytes) {
  return bytes % (1 << 20) == 0 ? std::to_string(bytes >> 20) + " MB" : std::to_string(bytes) + " bytes";
}

// Whether a decoded request path climbs out of its folder: a ".." segment, or a backslash that
// some file systems read as a separator. httplib has decoded %2e%2e into ".." already.
bool climbs(const std::string& path) {
  if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos) return true;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) return true;
    start = end + 1;
  }
  return false;
}

Query query_of(const httplib::Request& req) {
  Query q;
  for (const auto& [k, v] : req.params) q[k] = v;
  return q;
}

}  // namespace

// httplib listens with a backlog of 5: a burst of clients (a page loading, a test with fifty)
// overflows it and connections stall or drop. The socket is listened on again with a deep queue.
class HttpServer : public httplib::Server {
 public:
  void deepen_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

struct Server::Impl {
  ServerOptions options;
  Api api;
  HttpServer http;
  int port = -1;
  std::thread thread;

  Impl(const std::vector<std::string>& runs, ServerOptions o) : options(std::move(o)), api(runs, options.api) {
    routes();
  }

  // Runs a handler and turns what it throws into a status and a message.
  template <class F>
  void guarded(httplib::Response& res, F&& f) {
    // OpenMP's thread count is per calling thread: a request thread starts with the default.
    if (options.compute_threads > 0) set_num_threads(options.compute_threads);
    try {
      f();
    } catch (const ApiError& e) {
      reply_error(res, e.status, e.what());
    } catch (const Error& e) {
      reply_error(res, 400, e.what());
    } catch (const std::bad_alloc&) {
      reply_error(res, 503, "out of memory answering this request; try a shorter text");
    } catch (const std::exception& e) {
      reply_error(res, 500, std::string("internal error: ") + e.what());
    }
  }

  void get_json(const std::string& pattern, std::function<ojson(const httplib::Request&)> f) {
    http.Get(pattern, [this, f](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { reply(res, 200, dump(f(req))); });
    });
  }

  void routes() {
    connections();
    api_routes();
    forward_route();
    page_route();
    error_handlers();
  }

  void connections() {
    http.set_payload_max_length(options.max_body_bytes);
    http.set_read_timeout(options.read_timeout_seconds, 0);
    http.set_write_timeout(60, 0);
    // Browsers hold connections open between requests; each holds a request thread meanwhile.
    http.set_keep_alive_timeout(2);
    // httplib's default also sets SO_REUSEPORT, with which a second server on a port already in
    // use binds without complaint and the kernel splits the requests between the two.
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    const int threads = std::max(2, options.request_threads);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
    http.set_default_headers({{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}});
  }

  void api_routes() {
    // Before any route: no path that climbs out of its folder reaches a handler, API or page.
    http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!climbs(req.path)) return httplib::Server::HandlerResponse::Unhandled;
      reply_error(res, 400, "path traversal refused: the viewer serves only its own page and API");
      return httplib::Server::HandlerResponse::Handled;
    });
    get_json("/api/runs", [this](const httplib::Request&) { return api.runs(); });
    get_json(R"(/api/run/([^/]+)/snapshots)", [this](const httplib::Request& req) {
      return api.snapshots(req.matches[1]);
    });
    get_json(R"(/api/run/([^/]+)/hooks)", [this](const httplib::Request& req) { return api.hooks(req.matches[1]); });
    get_json("/api/probes", [this](const httplib::Request&) { return api.probes(); });
    get_json("/api/heads", [this](const httplib::Request& req) { return api.heads(query_of(req)); });
    get_json("/api/head", [this](const httplib::Request& req) { return api.head(query_of(req)); });
    get_json("/api/icl", [this](const httplib::Request& req) { return api.icl(query_of(req)); });
    get_json("/api/heads_over_training",
             [this](const httplib::Request& req) { return api.heads_over_training(query_of(req)); });
    get_json("/api/head_kinds", [this](const httplib::Request&) { return api.head_kinds(); });
    get_json("/api/forward", [](const httplib::Request&) -> ojson {
      throw ApiError(405, "POST a JSON body {\"run\", \"snapshot\", \"text\"} to /api/forward");
    });
    get_json("/api/.*", [](const httplib::Request& req) -> ojson {
      throw ApiError(404, "no API endpoint " + req.path + " (docs/viewer.md lists them)");
    });
  }

  void forward_route() {
    const size_t limit = options.max_body_bytes;
    const int timeout = options.read_timeout_seconds;
    // The body is read here rather than by httplib, so that a body too large (413) and one that
    // stops arriving (408) each get their own answer.
    http.Post("/api/forward", [this, limit, timeout](const httplib::Request&, httplib::Response& res,
                                                     const httplib::ContentReader& read) {
      std::string body;
      bool too_large = false;
      const bool whole = read([&](const char* data, size_t n) {
        if (body.size() + n > limit) return !(too_large = true);
        body.append(data, n);
        return true;
      });
      if (!whole) {
        res.set_header("Connection", "close");
        if (too_large || res.status == 413)
          reply_error(res, 413, "the request body is over the " + megabytes(limit) + " limit");
        else
          reply_error(res, 408, "the request body did not arrive within the " + std::to_string(timeout) +
                                    " s read timeout");
        return;
      }
      guarded(res, [&] { reply(res, 200, api.forward(body)); });
    });
    http.Post(".*", [](const httplib::Request& req, httplib::Response& res) {
      reply_error(res, req.path.rfind("/api/", 0) == 0 ? 405 : 404,
                  "nothing to POST at " + req.path + "; only /api/forward takes a body");
    });
  }

  void page_route() {
    http.Get(".*", [](const httplib::Request& req, httplib::Response& res) {
      const std::string name = req.path == "/" ? "index.html" : req.path.substr(1);
      const Asset* a = find_asset(name);
      if (!a) {
        reply_error(res, 404, "no page at " + req.path + "; the viewer is at /");
        return;
      }
      res.status = 200;
      res.set_content(std::string(a->bytes), std::string(a->content_type).c_str());
    });
  }

  void error_handlers() {
    const size_t limit = options.max_body_bytes;
    const int timeout = options.read_timeout_seconds;
    http.set_error_handler(httplib::Server::HandlerWithResponse([limit, timeout](const httplib::Request& req,
                                                                                 httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string message;
      switch (res.status) {
        case 400:
          message = "could not read the request: a malformed request line or headers, or they did not arrive "
                    "within the " + std::to_string(timeout) + " s read timeout";
          break;
        case 404: message = "no page at " + req.path + "; the viewer is at /"; break;
        case 405: message = "method not allowed"; break;
        case 413: message = "the request body is over the " + megabytes(limit) + " limit"; break;
        case 414: message = "the request line is too long"; break;
        default: message = "request failed with status " + std::to_string(res.status); break;
      }
      reply_error(res, res.status, message);
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        reply_error(res, 500, std::string("internal error: ") + e.what());
      } catch (...) {
        reply_error(res, 500, "internal error");
      }
    });
  }
};

Server::Server(const std::vector<std::string>& runs, ServerOptions options)
    : impl_(std::make_unique<Impl>(runs, std::move(options))) {}

Server::~Server() { stop(); }

int Server::bind() {
  const ServerOptions& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host);
  } else {
    impl_->port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  CS_CHECK(impl_->port > 0, "cannot listen on " << o.host << ":" << o.port
                                                << " (address in use, or not an address of this machine)");
  impl_->http.deepen_backlog();
  return impl_->port;
}

void Server::listen() {
  CS_CHECK(impl_->port > 0, "bind() the server before listen()");
  impl_->http.listen_after_bind();
}

void Server::start() {
  if (impl_->port <= 0) bind();
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
  const auto t0 = std::chrono::steady_clock::now();
  while (!impl_->http.is_running()) {
    CS_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10),
             "the server did not start listening on " << url());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Server::stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string Server::url() const {
  const std::string& h = impl_->options.host;
  const std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : h;
  return "http://" + host + ":" + std::to_string(impl_->port) + "/";
}

const Api& Server::api() const { return impl_->api; }

}  // namespace cs::viewer
