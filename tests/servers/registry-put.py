#!/usr/bin/python3
# registry-put.py HOST REPOS TAGS: for each repository bench/rNNNN
# (0 <= NNNN < REPOS) on the plain-HTTP registry HOST, read the manifest
# tagged 1.0.0 and PUT the same bytes under the tags 1.0.1 .. 1.0.(TAGS-1),
# over one keep-alive connection (distribution-spec v1.0, "Pushing
# manifests"). Tagging by PUT is how a registry client adds a tag; it
# takes milliseconds where a skopeo copy per tag takes tens.
import http.client, sys

host, repos, tags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
OCI = "application/vnd.oci.image.manifest.v1+json"
conn = http.client.HTTPConnection(host, timeout=30)
for i in range(repos):
    name = "bench/r%04d" % i
    conn.request("GET", "/v2/%s/manifests/1.0.0" % name,
                 headers={"Accept": OCI})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("registry-put.py: GET %s:1.0.0: %d" % (name, r.status))
    mt = r.getheader("Content-Type", OCI)
    for k in range(1, tags):
        conn.request("PUT", "/v2/%s/manifests/1.0.%d" % (name, k), body=body,
                     headers={"Content-Type": mt})
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            sys.exit("registry-put.py: PUT %s:1.0.%d: %d" % (name, k, r.status))
