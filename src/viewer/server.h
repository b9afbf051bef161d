#pragma once
// `circuitscope serve`: the viewer's page and JSON API over HTTP (cpp-httplib), on 127.0.0.1
// unless told otherwise. It reads nothing but the run folders it was given and the page compiled
// into the binary. Bad requests get a 4xx with a JSON {"error": message} and the server carries
// on: malformed JSON, unknown runs or snapshots, texts longer than the context, bodies over the
// limit, paths that climb out of the page, clients too slow to send their request.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "viewer/api.h"

namespace cs::viewer {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                  // 0: any free port
  size_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  int read_timeout_seconds = 10;    // a request not received within this gets 408 (or 400)
  int request_threads = 8;          // requests answered at once; more wait in a queue
  int compute_threads = 0;          // OpenMP threads per request; 0: the process's default
  ApiOptions api;
};

class Server {
 public:
  // Reads every run's configuration and tokenizer (cs::Error when one is not a run).
  Server(const std::vector<std::string>& runs, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the address; returns the port (the one chosen when the options said 0). cs::Error when
  // the address cannot be bound.
  int bind();
  // Serves until stop(); bind() first.
  void listen();
  // listen() on a thread of its own; returns once requests are being accepted.
  void start();
  void stop();

  std::string url() const;  // http://host:port/
  const Api& api() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cs::viewer
