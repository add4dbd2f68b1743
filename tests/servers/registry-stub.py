#!/usr/bin/python3
# registry-stub.py PAGE: a stand-in registry for what docker-registry 2.8
# cannot show: paginated tag lists and faults (test-servers.md 1.6: it
# ignores n and last). Binds 127.0.0.1 on a free port; the first line on
# stdout is "listening on 127.0.0.1:PORT", then one line per request:
# "METHOD PATH STATUS".
#   GET /v2/                      200 {}
#   GET /v2/NAME/tags/list        tags "t00".."tNN" (NN from a name ending in
#       "-COUNT", else 10), at most min(n, PAGE) per page, sorted, "last"
#       honoured. A next page gets Link: <URL>; rel="next", with an
#       absolute URL when NAME contains "abs", else a relative one.
#   POST /_fault?status=S&count=C[&retry_after=R]   the next C requests to
#       /v2/NAME/... answer S (429 with Retry-After R when given).
#   GET /_stats                   {"requests": N, "faults": F}
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs, quote
PAGE = int(sys.argv[1]) if len(sys.argv) > 1 else 3
state = {"faults": [], "requests": 0, "faulted": 0}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def send(self, status, body, headers=()):
        b = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for k, v in headers: self.send_header(k, v)
        self.end_headers(); self.wfile.write(b)
        print("%s %s %d" % (self.command, self.path, status), flush=True)
    def do_POST(self):
        u = urlparse(self.path); q = parse_qs(u.query)
        if u.path == "/_fault":
            for _ in range(int(q.get("count", ["1"])[0])):
                state["faults"].append((int(q["status"][0]), q.get("retry_after", [None])[0]))
            return self.send(200, {})
        self.send(404, {})
    def do_GET(self):
        u = urlparse(self.path); q = parse_qs(u.query)
        if u.path == "/_stats":
            return self.send(200, {"requests": state["requests"], "faults": state["faulted"]})
        if u.path == "/v2/":
            return self.send(200, {})
        if not u.path.startswith("/v2/"):
            return self.send(404, {})
        state["requests"] += 1
        if state["faults"]:
            st, ra = state["faults"].pop(0); state["faulted"] += 1
            hs = [("Retry-After", ra)] if ra is not None else []
            code = "TOOMANYREQUESTS" if st == 429 else "UNAVAILABLE"
            return self.send(st, {"errors": [{"code": code, "message": "injected"}]}, hs)
        if not u.path.endswith("/tags/list"):
            return self.send(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
        name = u.path[len("/v2/"):-len("/tags/list")]
        tail = name.rsplit("-", 1)
        count = int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 10
        tags = ["t%02d" % i for i in range(count)]
        n = min(int(q.get("n", [str(PAGE)])[0]), PAGE)
        last = q.get("last", [None])[0]
        if last is not None: tags = [t for t in tags if t > last]
        page, rest = tags[:n], tags[n:]
        hs = []
        if rest:
            link = "/v2/%s/tags/list?n=%d&last=%s" % (name, n, quote(page[-1]))
            if "abs" in name:
                link = "http://%s%s" % (self.headers.get("Host"), link)
            hs.append(("Link", '<%s>; rel="next"' % link))
        self.send(200, {"name": name, "tags": page}, hs)
    def log_message(self, *a): pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
