#!/usr/bin/python3
# tokserver.py PORT KEY CRT: a Docker registry token server for the loopback
# tests (test-servers.md 1.4). PORT 0 picks a free port; the first line on
# stdout is "listening on 127.0.0.1:PORT". Users: alice/s3cret; anonymous
# clients get pull only. Each token request is logged on stdout as
# "token user=<user or -> scope=<scope> service=<service>".
import base64, json, subprocess, sys, time, os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs
PORT, KEY, CRT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
USERS = {"alice": "s3cret"}
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
der = subprocess.run(["openssl", "x509", "-in", CRT, "-outform", "DER"],
                     capture_output=True, check=True).stdout
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            n, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if USERS.get(n) != p:
                print("token refused user=%s" % n, flush=True)
                self.send_response(401); self.end_headers(); return
            user = n
        access = []
        for s in q.get("scope", []):
            typ, name, actions = s.split(":", 2) if s.count(":") >= 2 else (s, "", "")
            if typ == "repository":
                acts = actions.split(",")
                if user is None: acts = [a for a in acts if a == "pull"]
                access.append({"type": typ, "name": name, "actions": acts})
        print("token user=%s scope=%s service=%s" % (user or "-",
              ",".join(q.get("scope", [])), q.get("service", [""])[0]), flush=True)
        now = int(time.time())
        hdr = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "test-issuer", "sub": user or "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": os.urandom(8).hex(), "access": access}
        si = (b64u(json.dumps(hdr).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=si,
                             capture_output=True, check=True).stdout
        tok = si.decode() + "." + b64u(sig)
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = HTTPServer(("127.0.0.1", PORT), H)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
