// `circuitscope serve` as a client sees it: the JSON API on tiny runs trained here with the binary,
// checked against the model itself, and the server's answers to bad requests (malformed JSON,
// unknown runs and snapshots, texts over n_ctx, oversized bodies, path traversal, slow clients,
// many clients at once), after each of which it must keep serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../common/word_corpus.h"
#include "../common/run_cli.h"
#include "analysis/head_kinds.h"
#include "core/error.h"
#include "data/tokenizer.h"
#include "model/forward.h"
#include "run/run_dir.h"
#include "viewer/api_error.h"
#include "viewer/assets.h"
#include "viewer/server.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Sends raw bytes (so that nothing normalises the path or completes the request), waits up to
// `wait` for the answer and returns everything the server sent before closing or going quiet.
std::string raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (::poll(&p, 1, std::max(1, left)) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  ::close(fd);
  return out;
}

int status_of(const std::string& response) {
  return response.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(response.c_str() + 9) : -1;
}

std::string body_of(const std::string& response) {
  const size_t k = response.find("\r\n\r\n");
  return k == std::string::npos ? "" : response.substr(k + 4);
}

class ViewerServer : public ::testing::Test {
 protected:
  static fs::path root, run2, run1;
  static std::unique_ptr<cs::viewer::Server> server;
  static int port;

  static void SetUpTestSuite() {
    root = fs::temp_directory_path() / ("cs-viewer-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    const std::string corpus = cs::test::word_corpus();
    std::ofstream((root / "corpus.txt").string()) << corpus;
    run2 = root / "two";
    run1 = root / "one";
    for (const auto& [dir, layers] : {std::pair{run2, 2}, std::pair{run1, 1}}) {
      const cs::test::CliResult r = cs::test::run_cli(
          "train --corpus " + (root / "corpus.txt").string() + " --bytes --out " + dir.string() +
          " --n-layers " + std::to_string(layers) +
          " --n-heads 2 --d-model 16 --d-head 8 --n-ctx 64 --batch 4 --steps 20 --snapshots 5 --eval-count 16"
          " --eval-fraction 0.25 --threads 1");
      ASSERT_EQ(r.code, 0) << r.output;
    }
    cs::viewer::ServerOptions o;
    o.port = 0;
    o.read_timeout_seconds = 1;
    o.request_threads = 8;
    o.compute_threads = 1;
    server = std::make_unique<cs::viewer::Server>(std::vector<std::string>{run2.string(), run1.string()}, o);
    port = server->bind();
    server->start();
  }
  static void TearDownTestSuite() {
    server.reset();
    fs::remove_all(root);
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    c.set_connection_timeout(5, 0);
    return c;
  }
  static json get(const std::string& path, int expect = 200) {
    auto c = client();
    auto r = c.Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8") << path;
    EXPECT_FALSE(r->has_header("Content-Encoding")) << path;
    return json::parse(r->body);
  }
  static json post(const std::string& body, int expect = 200) {
    auto c = client();
    auto r = c.Post("/api/forward", body, "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << r->body.substr(0, 300);
    EXPECT_FALSE(r->has_header("Content-Encoding"));  // compressing megabytes of patterns costs seconds
    return json::parse(r->body);
  }
  // The server still answers a normal request.
  static void still_serving() {
    const json j = get("/api/runs");
    EXPECT_EQ(j["runs"].size(), 2u);
  }
};
fs::path ViewerServer::root, ViewerServer::run2, ViewerServer::run1;
std::unique_ptr<cs::viewer::Server> ViewerServer::server;
int ViewerServer::port = 0;

TEST_F(ViewerServer, ListsRunsAndSnapshots) {
  const json runs = get("/api/runs");
  ASSERT_EQ(runs["runs"].size(), 2u);
  EXPECT_EQ(runs["runs"][0]["name"], "two");
  EXPECT_EQ(runs["runs"][0]["model"]["n_layers"], 2);
  EXPECT_EQ(runs["runs"][1]["model"]["n_layers"], 1);
  EXPECT_EQ(runs["runs"][0]["tokenizer"], "bytes");
  const json s = get("/api/run/0/snapshots");
  ASSERT_EQ(s["snapshots"].size(), 5u);
  EXPECT_EQ(s["snapshots"].back()["step"], 20);
  EXPECT_EQ(s["snapshots"].back()["tokens"], 20 * 4 * 64);
  EXPECT_EQ(get("/api/run/one/snapshots")["run"], 1);  // by name
  // The hook table of the model, as the cache and the Python module name its points.
  const json hooks = get("/api/run/one/hooks")["hooks"];
  EXPECT_EQ(hooks.front()["name"], "hook_embed");
  EXPECT_EQ(hooks.back()["name"], "hook_logits");
  EXPECT_FALSE(hooks.back()["replaceable"].get<bool>());
  bool pattern = false;
  for (const json& h : hooks)
    if (h["name"] == "blocks.0.attn.hook_pattern") {
      pattern = true;
      EXPECT_EQ(h["shape"], json::parse(R"(["batch", 2, "pos", "pos"])")) << h.dump();
      EXPECT_EQ(h["layer"], 0);
    }
  EXPECT_TRUE(pattern) << hooks.dump();
  const json p = get("/api/probes");
  ASSERT_EQ(p["probes"].size(), 3u);
  EXPECT_EQ(p["probes"][0]["name"], "repeated_paragraph");
  EXPECT_FALSE(p["probes"][2]["text"].get<std::string>().empty());
}

TEST_F(ViewerServer, ForwardMatchesTheModel) {
  const std::string text = "abc abd abc abd";
  const json j = post(json{{"run", 0}, {"snapshot", 7}, {"text", text}, {"positions", {0, 3, 15}}}.dump());
  const int64_t T = 1 + int64_t(text.size());
  ASSERT_EQ(j["tokens"].size(), size_t(T));
  EXPECT_EQ(j["tokens"][0]["piece"], "<bos>");
  EXPECT_EQ(j["tokens"][1]["text"], "a");
  EXPECT_EQ(j["snapshot"]["step"], 7);
  EXPECT_TRUE(j["loss"][0].is_null());

  // The same pass, run here.
  const cs::run::RunDir run(run2.string());
  const cs::run::Snapshot snap = run.snapshot(7);
  std::vector<int32_t> ids = {256};
  for (char ch : text) ids.push_back(int32_t(static_cast<unsigned char>(ch)));
  cs::Activations<float> acts(snap.params.cfg, 1, T - 1);
  acts.set_windows(ids.data());
  cs::forward(snap.params, acts);
  for (int64_t i = 1; i < T; ++i) EXPECT_NEAR(j["loss"][i].get<double>(), acts.loss[size_t(i - 1)], 1e-4) << i;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h)
      for (int64_t q = 0; q + 1 < T; ++q) {
        double row = 0;
        for (int64_t k = 0; k < T; ++k) {
          const double a = j["patterns"][l][h][q][k].get<double>();
          row += a;
          if (k > q) EXPECT_EQ(a, 0.0);
          else EXPECT_NEAR(a, acts.pattern[size_t(l)][size_t((h * (T - 1) + q) * (T - 1) + k)], 1e-6);
        }
        EXPECT_NEAR(row, 1.0, 1e-5);
      }
  // The predictions are sorted and sum below 1.
  ASSERT_EQ(j["predictions"].size(), size_t(T));
  EXPECT_GE(j["predictions"][3][0]["p"].get<double>(), j["predictions"][3][1]["p"].get<double>());
}

TEST_F(ViewerServer, LogitAttributionAddsUp) {
  const json j = post(json{{"run", 0}, {"text", "hello hello"}, {"patterns", "none"}, {"positions", {2, 7, 11}}}.dump());
  EXPECT_FALSE(j.contains("patterns"));
  ASSERT_EQ(j["attribution"].size(), 3u);
  for (const json& a : j["attribution"]) {
    EXPECT_NEAR(a["sum"].get<double>(), a["logit"].get<double>(), 1e-4);
    double s = a["direct"].get<double>() + a["bias"].get<double>();
    for (const auto& layer : a["heads"])
      for (const auto& h : layer) s += h.get<double>();
    EXPECT_NEAR(s, a["logit"].get<double>(), 1e-4);
    // Two layers: a layer-1 head's total is its embedding term plus its virtual heads.
    ASSERT_EQ(a["n_virtual_heads"], 4u);
  }
  EXPECT_EQ(j["attribution"][0]["target"], "next token");
  EXPECT_EQ(j["attribution"][0]["token"]["piece"], "l");
  EXPECT_EQ(j["attribution"][2]["target"], "top prediction");  // after the last token

  // Every virtual head, through the library: the split is exact.
  cs::viewer::ApiOptions wide;
  wide.virtual_heads = 100;
  cs::viewer::Api api({run2.string()}, wide);
  const json all = json::parse(api.forward(json{{"text", "hello hello"}, {"patterns", "none"}, {"positions", {5}}}.dump()));
  const json& a = all["attribution"][0];
  for (int h2 = 0; h2 < 2; ++h2) {
    double s = a["embedding_terms"][1][h2].get<double>();
    for (const json& v : a["virtual_heads"])
      if (v["layer2"] == 1 && v["head2"] == h2) s += v["value"].get<double>();
    EXPECT_NEAR(s, a["heads"][1][h2].get<double>(), 1e-5) << h2;
  }
  // A chosen token.
  const json c = post(json{{"text", "hello"}, {"patterns", "none"}, {"positions", {1}}, {"token", 120}}.dump());
  EXPECT_EQ(c["attribution"][0]["target"], "chosen");
  EXPECT_EQ(c["attribution"][0]["token"]["id"], 120);
  // One layer: no virtual heads, said so.
  const json one = post(json{{"run", 1}, {"text", "hello"}, {"patterns", "none"}, {"positions", {1}}}.dump());
  EXPECT_TRUE(one["attribution"][0]["embedding_terms"].is_null());
  EXPECT_NE(one["attribution"][0]["note"].get<std::string>().find("one layer"), std::string::npos);
}

TEST_F(ViewerServer, BytePatternsMatchTheFloats) {
  const std::string text = "xyz xyz xyz";
  const json f = post(json{{"text", text}}.dump());
  const json u = post(json{{"text", text}, {"patterns", "u8"}}.dump());
  ASSERT_EQ(u["patterns"]["format"], "u8-lower");
  const std::string b64 = u["patterns"]["data"];
  std::vector<int> bytes;
  auto val = [](char ch) {
    const std::string a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    return int(a.find(ch));
  };
  for (size_t i = 0; i + 3 < b64.size(); i += 4) {
    const int v = val(b64[i]) << 18 | val(b64[i + 1]) << 12 | (b64[i + 2] == '=' ? 0 : val(b64[i + 2]) << 6) |
                  (b64[i + 3] == '=' ? 0 : val(b64[i + 3]));
    bytes.push_back(v >> 16);
    if (b64[i + 2] != '=') bytes.push_back((v >> 8) & 255);
    if (b64[i + 3] != '=') bytes.push_back(v & 255);
  }
  const int64_t T = 1 + int64_t(text.size());
  ASSERT_EQ(bytes.size(), size_t(4 * T * (T + 1) / 2));
  size_t k = 0;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t jj = 0; jj <= i; ++jj, ++k)
          EXPECT_NEAR(bytes[k] / 255.0, f["patterns"][l][h][i][jj].get<double>(), 0.5 / 255 + 1e-6);
}

TEST_F(ViewerServer, MalformedJsonIsA400) {
  for (const std::string body : {"{\"run\": 0, \"text\": ", "not json", "[1, 2]", "{\"run\": 0}", "{\"text\": 5}",
                                 "{\"text\": \"a\", \"patterns\": \"png\"}", "{\"text\": \"a\", \"positions\": [\"x\"]}",
                                 "{\"text\": \"a\", \"run\": -1}", "{\"text\": \"a\", \"run\": 1e999}"}) {
    const json j = post(body, 400);
    EXPECT_FALSE(j["error"].get<std::string>().empty()) << body;
  }
  EXPECT_NE(post("{\"run\": 0, \"text\": ", 400)["error"].get<std::string>().find("malformed JSON"), std::string::npos);
  EXPECT_NE(post("{\"text\": \"ab\", \"positions\": [9]}", 400)["error"].get<std::string>().find("position 9"),
            std::string::npos);
  still_serving();
}

TEST_F(ViewerServer, UnknownRunSnapshotOrHeadIsA404) {
  json j = post(json{{"run", 7}, {"text", "a"}}.dump(), 404);
  EXPECT_NE(j["error"].get<std::string>().find("no run '7'"), std::string::npos) << j;
  j = post(json{{"run", "nope"}, {"text", "a"}}.dump(), 404);
  EXPECT_NE(j["error"].get<std::string>().find("0 (two), 1 (one)"), std::string::npos) << j;
  j = post(json{{"run", 0}, {"snapshot", 999}, {"text", "a"}}.dump(), 404);
  EXPECT_NE(j["error"].get<std::string>().find("no snapshot at step 999"), std::string::npos) << j;
  EXPECT_NE(j["error"].get<std::string>().find("steps 0 to 20"), std::string::npos) << j;
  j = post(json{{"snapshot", "first"}, {"text", "a"}}.dump(), 400);
  get("/api/run/9/snapshots", 404);
  get("/api/head?run=0&snapshot=last&layer=2&head=0", 404);
  get("/api/head?run=0&snapshot=last&layer=x&head=0", 400);
  get("/api/head?run=0&snapshot=3&layer=0", 400);
  get("/api/icl?run=5", 404);
  get("/api/nothing", 404);
  get("/api/forward", 405);
  still_serving();
}

TEST_F(ViewerServer, TextFarOverTheContextIsRefused) {
  const json j = post(json{{"text", std::string(5000, 'a')}}.dump(), 400);
  EXPECT_NE(j["error"].get<std::string>().find("5000 tokens"), std::string::npos) << j;
  EXPECT_NE(j["error"].get<std::string>().find("at most 63 tokens"), std::string::npos) << j;
  // Exactly at the limit is fine.
  EXPECT_EQ(post(json{{"text", std::string(63, 'a')}, {"patterns", "none"}}.dump())["tokens"].size(), 64u);
  post(json{{"text", std::string(64, 'a')}}.dump(), 400);
  still_serving();
}

TEST_F(ViewerServer, OversizedBodyIsA413) {
  const std::string big = json{{"text", std::string(2 << 20, 'a')}}.dump();
  auto c = client();
  auto r = c.Post("/api/forward", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("1 MB limit"), std::string::npos) << r->body;
  // Without a Content-Length (chunked), the limit holds as the body arrives.
  auto c2 = client();
  size_t sent = 0;
  auto r2 = c2.Post("/api/forward", [&](size_t, httplib::DataSink& sink) {
    if (sent >= (3u << 20)) {
      sink.done();
      return true;
    }
    const std::string chunk(64 << 10, 'a');
    sent += chunk.size();
    return sink.write(chunk.data(), chunk.size());
  }, "application/json");
  if (r2) {  // the server may close before the client finishes sending
    EXPECT_EQ(r2->status, 413);
  }
  still_serving();
}

TEST_F(ViewerServer, PathTraversalIsRefused) {
  for (const std::string path : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                 "/api/../../etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%2E%2E/config.json",
                                 "/a/..\\..\\etc/passwd"}) {
    const std::string r = raw_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                       std::chrono::seconds(5));
    EXPECT_EQ(status_of(r), 400) << path << "\n" << r;
    EXPECT_EQ(r.find("root:"), std::string::npos) << path;
    EXPECT_NE(body_of(r).find("path traversal refused"), std::string::npos) << path << "\n" << r;
  }
  // Files of the run folders are not pages.
  for (const std::string& path : std::vector<std::string>{"/config.json", "/two/config.json", run2.string() + "/config.json"}) {
    const std::string r = raw_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                       std::chrono::seconds(5));
    EXPECT_EQ(status_of(r), 404) << path;
    EXPECT_EQ(r.find("run_id"), std::string::npos) << path;
  }
  still_serving();
}

TEST_F(ViewerServer, APortInUseIsAnError) {
  cs::viewer::ServerOptions o;
  o.port = port;
  cs::viewer::Server second({run1.string()}, o);
  try {
    second.bind();
    FAIL() << "a second server bound port " << port;
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
        << e.what();
  }
  still_serving();
}

std::string content_type_of(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";  // what a module script must have
  if (ext == ".css") return "text/css; charset=utf-8";
  return "";
}

TEST_F(ViewerServer, ServesItsOwnPage) {
  auto c = client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<script type=\"module\">"), std::string::npos);
  EXPECT_NE(r->body.find("from \"./main.js\""), std::string::npos);
  EXPECT_EQ(r->body, std::string(cs::viewer::find_asset("index.html")->bytes));
  // Every file of the page's folder is embedded and served as itself, each module as JavaScript.
  const fs::path web = fs::path(CS_TEST_DATA) / ".." / ".." / "src" / "viewer" / "web";
  size_t modules = 0;
  for (const fs::directory_entry& f : fs::directory_iterator(web)) {
    const std::string name = f.path().filename().string();
    ASSERT_NE(cs::viewer::find_asset(name), nullptr) << name << " is not embedded";
    auto a = c.Get(("/" + name).c_str());
    ASSERT_TRUE(a) << name;
    EXPECT_EQ(a->status, 200) << name;
    EXPECT_EQ(a->get_header_value("Content-Type"), content_type_of(name)) << name;
    std::ifstream in(f.path(), std::ios::binary);
    EXPECT_EQ(a->body, std::string(std::istreambuf_iterator<char>(in), {})) << name;
    modules += f.path().extension() == ".js";
  }
  EXPECT_GE(modules, 10u);
  EXPECT_EQ(cs::viewer::asset_names().size(), size_t(std::distance(fs::directory_iterator(web), {})));
  // Nothing on the page comes from another host: it works offline.
  for (const std::string& name : cs::viewer::asset_names()) {
    std::string body(cs::viewer::find_asset(name)->bytes);
    // The SVG namespace is a name, not an address that is fetched.
    for (size_t k; (k = body.find("http://www.w3.org/2000/svg")) != std::string::npos;) body.erase(k, 26);
    EXPECT_EQ(body.find("http://"), std::string::npos) << name;
    EXPECT_EQ(body.find("https://"), std::string::npos) << name;
  }
  auto missing = c.Get("/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// The page names kinds and shows thresholds only as the server gives them: they must be the
// analysis's own, so that a head's kinds follow from its scores by the served thresholds.
TEST_F(ViewerServer, HeadKindsAndThresholdsAreTheAnalysisOnes) {
  const json k = get("/api/head_kinds");
  const json& th = k["thresholds"];
  EXPECT_EQ(th["previous_token"], 0.5);
  EXPECT_EQ(th["induction"], 0.3);
  EXPECT_EQ(th["copying_r"], 0.25);
  EXPECT_EQ(th["ov_copying_score"], 0.5);
  EXPECT_EQ(th["positional"], 0.9);
  cs::analysis::KindThresholds served;
  served.previous_token = th["previous_token"];
  served.induction = th["induction"];
  served.copying_r = th["copying_r"];
  served.ov_copying = th["ov_copying_score"];
  served.positional = th["positional"];
  EXPECT_EQ(served.to_json(), cs::analysis::KindThresholds{}.to_json());

  // The kinds listed are those head_kinds() gives, in its order, with the thumbnails' labels.
  std::vector<std::string> names, labels;
  for (const json& kind : k["kinds"]) {
    names.push_back(kind["name"]);
    labels.push_back(kind["label"]);
    EXPECT_NE(kind["rule"].get<std::string>().find(">="), std::string::npos) << kind;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"previous-token", "induction", "copying", "positional"}));
  EXPECT_EQ(labels, (std::vector<std::string>{"prev", "induct", "copy", "pos"}));
  std::vector<std::string> produced = cs::analysis::head_kinds({1, 1, 0, 1, std::nullopt});
  produced.push_back(cs::analysis::head_kinds({0, 0, 1, 0, std::nullopt}).at(0));
  EXPECT_EQ(produced, names);

  // Each score's threshold is the one of the kind it names; the curves offered exist.
  const json hot = get("/api/heads_over_training?run=0")["data"];
  const json panel = get("/api/head?run=0&snapshot=last&layer=0&head=0");
  std::map<std::string, double> threshold;
  for (const json& s : k["scores"]) {
    EXPECT_TRUE(panel["scores"].contains(s["key"])) << s;
    if (s["over_training"].get<bool>()) EXPECT_TRUE(hot.contains(s["key"])) << s;
    if (!s["threshold"].is_null()) threshold[s["key"]] = s["threshold"];
  }
  EXPECT_EQ(threshold, (std::map<std::string, double>{{"prefix_matching", 0.3}, {"previous_token", 0.5},
                                                      {"positional", 0.9}, {"copying_r", 0.25},
                                                      {"ov_copying_score", 0.5}}));
  EXPECT_EQ(k["composition_bold_sigmas"], 3);

  // Every head's kinds, as the server named them, follow from its scores by the served thresholds.
  auto score = [](const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); };
  const json all = get("/api/heads?run=0&snapshot=last");
  ASSERT_EQ(all["heads"].size(), 4u);
  for (const json& h : all["heads"]) {
    const json& sc = h["scores"];
    const cs::analysis::HeadScores scores{score(sc["prefix_matching"]), score(sc["previous_token"]),
                                          score(sc["positional"]), score(sc["copying_r"]),
                                          score(sc["ov_copying_score"])};
    EXPECT_EQ(h["kinds"].get<std::vector<std::string>>(), cs::analysis::head_kinds(scores, served)) << h;
  }
}

TEST_F(ViewerServer, SlowClientsTimeOutAndOthersAreServed) {
  // A body that stops arriving: 408 after the 1 s read timeout.
  std::string slow_body;
  std::thread slow([&] {
    slow_body = raw_exchange(port,
                             "POST /api/forward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100\r\n\r\n{\"text\":",
                             std::chrono::seconds(8));
  });
  // Headers that stop arriving: 400 after the timeout.
  std::string slow_headers;
  std::thread slow2([&] {
    slow_headers = raw_exchange(port, "GET /api/runs HTTP/1.1\r\nHost: x\r\n", std::chrono::seconds(8));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  still_serving();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  slow.join();
  slow2.join();
  EXPECT_EQ(status_of(slow_body), 408) << slow_body;
  EXPECT_NE(body_of(slow_body).find("did not arrive within the 1 s read timeout"), std::string::npos) << slow_body;
  EXPECT_EQ(status_of(slow_headers), 400) << slow_headers;
  EXPECT_NE(body_of(slow_headers).find("read timeout"), std::string::npos) << slow_headers;
  still_serving();
}

TEST_F(ViewerServer, FiftyConcurrentRequestsAreAllAnswered) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&, i] {
      auto c = client();
      httplib::Result r = i % 5 == 0
                              ? c.Get(("/api/run/" + std::to_string(i % 2) + "/snapshots").c_str())
                              : c.Post("/api/forward",
                                       json{{"run", i % 2},
                                            {"snapshot", std::vector<int>{0, 1, 3, 7, 20}[size_t(i % 5)]},
                                            {"text", "text number " + std::to_string(i)},
                                            {"patterns", i % 3 ? "u8" : "float"},
                                            {"positions", {2}}}
                                           .dump(),
                                       "application/json");
      if (r && r->status == 200 && !json::parse(r->body).contains("error")) ++ok;
      else ADD_FAILURE() << i << ": " << (r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : httplib::to_string(r.error()));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 50);
  // Every run keeps at most four snapshots in memory.
  EXPECT_LE(get("/api/run/0/snapshots")["in_memory"].size(), 4u);
}

TEST_F(ViewerServer, HeadPanelsHoldScoresCircuitsAndComposition) {
  const json h = get("/api/head?run=0&snapshot=last&layer=0&head=1");
  EXPECT_EQ(h["name"], "0.1");
  for (const char* key : {"prefix_matching", "previous_token", "positional", "copying_r", "ov_copying_score",
                          "qk_copying_score"})
    EXPECT_TRUE(h["scores"].contains(key)) << key;
  EXPECT_EQ(h["eigenvalues"]["ov"].size(), 8u);  // d_head
  EXPECT_EQ(h["eigenvalues"]["qk"].size(), 8u);
  EXPECT_FALSE(h["skip_trigrams"].empty());
  ASSERT_EQ(h["composition"]["into"].size(), 2u);  // both heads of layer 1
  EXPECT_TRUE(h["composition"]["from"].empty());
  EXPECT_TRUE(h["common"].contains("composition_baseline"));
  EXPECT_TRUE(h["kinds"].is_array());
  const json later = get("/api/head?run=0&snapshot=last&layer=1&head=0");
  EXPECT_EQ(later["composition"]["from"].size(), 2u);
  const json all = get("/api/heads?run=0&snapshot=3");
  EXPECT_EQ(all["heads"].size(), 4u);
  EXPECT_EQ(all["snapshot"], 3);
  const json one = get("/api/head?run=1&layer=0&head=0");
  EXPECT_TRUE(one["composition"]["into"].empty());
  EXPECT_NE(one["common"]["composition_note"].get<std::string>().find("2+ layers"), std::string::npos);
}

TEST_F(ViewerServer, IclAndHeadsOverTraining) {
  const json icl = get("/api/icl?run=0");
  ASSERT_FALSE(icl["icl"].is_null()) << icl;
  EXPECT_EQ(icl["icl"]["steps"].size(), 5u);
  EXPECT_EQ(icl["icl"]["icl_score"].size(), 5u);
  const json hot = get("/api/heads_over_training?run=1");
  ASSERT_FALSE(hot["data"].is_null()) << hot;
  EXPECT_EQ(hot["data"]["prefix_matching"].size(), 5u);
  EXPECT_NE(hot["source"].get<std::string>().find("computed"), std::string::npos);
}

TEST_F(ViewerServer, ADirectPathModelHasNoHeadsButALogit) {
  const fs::path zero = root / "zero";
  const cs::test::CliResult r = cs::test::run_cli(
      "train --corpus " + (root / "corpus.txt").string() + " --bytes --out " + zero.string() +
      " --n-layers 0 --d-model 16 --n-ctx 64 --batch 4 --steps 5 --snapshots 2 --eval-count 16"
      " --eval-fraction 0.25 --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const cs::viewer::Api api({zero.string()});
  const json j = json::parse(api.forward(json{{"text", "abc"}, {"positions", {1}}}.dump()));
  EXPECT_TRUE(j["patterns"].empty());
  EXPECT_NEAR(j["attribution"][0]["direct"].get<double>(), j["attribution"][0]["logit"].get<double>(), 1e-5);
  EXPECT_NE(j["attribution"][0]["note"].get<std::string>().find("no layers"), std::string::npos);
  EXPECT_TRUE(api.heads({{"run", "0"}})["heads"].empty());
  try {
    api.head({{"layer", "0"}, {"head", "0"}});
    FAIL() << "a head of a model without layers";
  } catch (const cs::viewer::ApiError& e) {
    EXPECT_EQ(e.status, 404);
  }
}

TEST(ViewerTokens, CharactersSplitOverByteTokensGoToTheLastOne) {
  const auto tok = cs::data::make_byte_tokenizer();
  std::vector<int32_t> ids = {tok->bos_id()};
  for (int32_t id : tok->encode("aé€\n")) ids.push_back(id);
  const std::vector<std::string> t = cs::viewer::token_texts(*tok, ids);
  ASSERT_EQ(t.size(), 8u);  // BOS, a, 2 bytes of é, 3 of €, newline
  EXPECT_EQ(t[0], "");
  EXPECT_EQ(t[1], "a");
  EXPECT_EQ(t[2], "");
  EXPECT_EQ(t[3], "é");
  EXPECT_EQ(t[4], "");
  EXPECT_EQ(t[5], "");
  EXPECT_EQ(t[6], "€");
  EXPECT_EQ(t[7], "\n");
  // A stray continuation byte and a cut-off character become U+FFFD.
  const std::vector<std::string> bad = cs::viewer::token_texts(*tok, {0x80, 'b', 0xE2, 0x82});
  EXPECT_EQ(bad[0], "\xEF\xBF\xBD");
  EXPECT_EQ(bad[1], "b");
  EXPECT_EQ(bad[3], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(ViewerLru, EvictsTheLeastRecentAndForgetsFailures) {
  cs::viewer::LruCache<int, int> cache(2);
  int made = 0;
  auto make = [&](int v) { return [&made, v] { ++made; return v * 10; }; };
  EXPECT_EQ(*cache.get(1, make(1)), 10);
  EXPECT_EQ(*cache.get(2, make(2)), 20);
  EXPECT_EQ(*cache.get(1, make(1)), 10);  // cached; 1 is now the most recent
  EXPECT_EQ(made, 2);
  cache.get(3, make(3));  // evicts 2
  EXPECT_EQ(cache.keys(), (std::vector<int>{3, 1}));
  EXPECT_THROW(cache.get(4, []() -> int { throw std::runtime_error("no"); }), std::runtime_error);
  EXPECT_EQ(cache.size(), 1u);  // the failure is not kept (and 1 was evicted to make room)
  EXPECT_EQ(*cache.get(4, make(4)), 40);
}

TEST(ViewerLru, ComputesOnceForConcurrentCallers) {
  cs::viewer::LruCache<int, int> cache(4);
  std::atomic<int> made{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&] {
      EXPECT_EQ(*cache.get(7, [&] {
        ++made;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return 70;
      }),
                70);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(made.load(), 1);
}

}  // namespace
