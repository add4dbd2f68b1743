#!/usr/bin/python3
# registry-bench.py REPOS TAGS PAGE: a stand-in registry at the scale of
# tests/bench/img-scan.bash (1,000 repositories x 500 tags), which
# docker-registry cannot hold in a test's time. It answers the read side
# of the OCI distribution spec (distribution-spec v1.0, "Pulling
# manifests", "Listing tags") as docker-registry does, and fast: one
# asyncio process, keep-alive, no per-request thread.
#
# Repositories "bench/rNNNN" (0 <= NNNN < REPOS), each with TAGS tags
# "1.0.K". Every tag is its own image: a config blob whose "created" is
# 2024-01-01 plus K minutes, and an OCI image manifest pointing at it.
#   GET  /v2/                              200 {}
#   GET  /v2/NAME/tags/list[?n=&last=]     at most min(n, PAGE) tags,
#        sorted, after "last"; a next page gets a relative
#        Link: </v2/NAME/tags/list?n=N&last=T>; rel="next" (the form
#        docker-registry writes for _catalog)
#   HEAD|GET /v2/NAME/manifests/TAG|DIGEST with Docker-Content-Digest
#   GET  /v2/NAME/blobs/DIGEST             the config blob
#   GET  /_stats                           {"tags": N, "head": N, "get": N,
#        "blob": N, "other": N, "bytes": N}
# Unknown names, tags and digests get the registry's 404 error documents.
# Binds 127.0.0.1 on a free port and prints "listening on 127.0.0.1:PORT".
import asyncio, hashlib, json, sys
from urllib.parse import urlsplit, parse_qs, quote

REPOS, TAGS, PAGE = (int(a) for a in sys.argv[1:4])
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
stats = {"tags": 0, "head": 0, "get": 0, "blob": 0, "other": 0, "bytes": 0}
tag_names = sorted("1.0.%d" % k for k in range(TAGS))
images = {}     # (repo, tag) -> (manifest digest, manifest, config digest)
by_digest = {}  # (repo, digest) -> (media type, body)


def repo_ok(name):
    return (name.startswith("bench/r") and name[7:].isdigit() and
            int(name[7:]) < REPOS)


def image(repo, tag):
    key = (repo, tag)
    if key not in images:
        k = int(tag.rsplit(".", 1)[1])
        cfg = json.dumps({
            "created": "2024-01-01T%02d:%02d:00Z" % (k // 60 % 24, k % 60),
            "architecture": "amd64", "os": "linux",
            "config": {"Labels": {"repo": repo, "tag": tag}},
            "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        cd = "sha256:" + hashlib.sha256(cfg).hexdigest()
        man = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cd, "size": len(cfg)},
            "layers": []}).encode()
        md = "sha256:" + hashlib.sha256(man).hexdigest()
        images[key] = md
        by_digest[(repo, md)] = (MANIFEST, man)
        by_digest[(repo, cd)] = ("application/octet-stream", cfg)
    return images[key]


def error(status, code, msg):
    return status, {"Content-Type": "application/json"}, json.dumps(
        {"errors": [{"code": code, "message": msg}]}).encode()


def answer(method, target):
    u = urlsplit(target)
    path, q = u.path, parse_qs(u.query)
    if path == "/_stats":
        return 200, {"Content-Type": "application/json"}, json.dumps(
            stats).encode()
    if path == "/v2/":
        return 200, {"Content-Type": "application/json"}, b"{}"
    if not path.startswith("/v2/"):
        return error(404, "NOT_FOUND", "not found")
    rest = path[4:]
    if rest.endswith("/tags/list"):
        name = rest[:-len("/tags/list")]
        stats["tags"] += 1
        if not repo_ok(name):
            return error(404, "NAME_UNKNOWN", "repository name not known")
        n = min(int(q.get("n", [str(PAGE)])[0]), PAGE)
        tags = tag_names
        if "last" in q:
            tags = [t for t in tags if t > q["last"][0]]
        page, more = tags[:n], len(tags) > n
        hs = {"Content-Type": "application/json"}
        if more:
            hs["Link"] = '</v2/%s/tags/list?n=%d&last=%s>; rel="next"' % (
                name, n, quote(page[-1]))
        return 200, hs, json.dumps({"name": name, "tags": page}).encode()
    for kind in ("/manifests/", "/blobs/"):
        i = rest.rfind(kind)
        if i > 0:
            name, ref = rest[:i], rest[i + len(kind):]
            break
    else:
        stats["other"] += 1
        return error(404, "NOT_FOUND", "not found")
    if kind == "/blobs/":
        stats["blob"] += 1
    else:
        stats["head" if method == "HEAD" else "get"] += 1
    if not repo_ok(name):
        return error(404, "NAME_UNKNOWN", "repository name not known")
    if kind == "/manifests/" and not ref.startswith("sha256:"):
        if ref not in tag_names:
            return error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        ref = image(name, ref)
    if (name, ref) not in by_digest:
        return error(404, "MANIFEST_UNKNOWN" if kind == "/manifests/" else
                     "BLOB_UNKNOWN", "unknown")
    mt, body = by_digest[(name, ref)]
    return 200, {"Content-Type": mt, "Docker-Content-Digest": ref}, body


REASONS = {200: "OK", 404: "Not Found", 400: "Bad Request"}


class Conn(asyncio.Protocol):
    def connection_made(self, tr):
        self.tr, self.buf = tr, b""

    def data_received(self, data):
        self.buf += data
        if not self.buf[:1].isalpha():
            # a TLS hello from a client trying HTTPS first
            self.tr.close()
            return
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            line = head.split("\r\n", 1)[0].split(" ")
            if len(line) != 3:
                self.tr.close()
                return
            method, target = line[0], line[1]
            status, hs, body = answer(method, target)
            out = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "X")),
                   "Docker-Distribution-Api-Version: registry/2.0",
                   "Content-Length: %d" % len(body)]
            out += ["%s: %s" % kv for kv in hs.items()]
            msg = ("\r\n".join(out) + "\r\n\r\n").encode()
            if method != "HEAD":
                msg += body
            stats["bytes"] += len(msg)
            self.tr.write(msg)


async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(Conn, "127.0.0.1", 0, backlog=1024)
    print("listening on 127.0.0.1:%d" % srv.sockets[0].getsockname()[1],
          flush=True)
    await srv.serve_forever()

asyncio.run(main())
