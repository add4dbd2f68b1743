#!/usr/bin/env python3
"""kube-apiserver.py: a stand-in for kube-apiserver (v1.26+) for sluice's tests.

No kube-apiserver can be installed on the test machines, so this server answers
the requests that sluice's kube-apply and gc make, and those kubectl makes for
`apply --server-side`, `get` and `delete`, the way the real server does:
discovery (legacy and aggregated), server-side apply with managedFields and
field-manager conflicts, merge and strategic-merge patches, create, replace,
get, list (label and field selectors, pagination, metadata-only and Table
forms), delete, dryRun=All, namespaces that must exist, CRDs that register new
kinds once Established, authentication (bearer tokens, client certificates),
a read-only user, and Status error bodies with the real codes, reasons and
messages. Each behaviour names the Kubernetes documentation or source it
follows.

Python 3 standard library only. HTTPS only (TLS 1.2+, ALPN http/1.1),
HTTP/1.1 keep-alive, one thread per connection, one lock around the store.

Usage:
    kube-apiserver.py --port P --cert C --key K --ca CA --tokens FILE
                      [--establish-delay 0.3] [--verbose]

Prints "listening on 127.0.0.1:P" once it accepts connections; SIGTERM stops it.

Test-only control endpoints (no authentication; never on a real server):
    POST /_test/faults   {"status": 429, "retryAfter": 1, "count": 3,
                          "match": "PATCH", "delay": 0}
                         the next COUNT requests that match fail with STATUS
    GET  /_test/faults   the faults still pending
    DELETE /_test/faults drop them
    GET  /_test/stats    request counters, and lastMutationNs (when the
                         last mutating request was answered, Unix time in
                         ns, for benchmarks); POST /_test/stats/reset
                         zeroes them
    POST /_test/reset    empty store (default namespaces only), no faults,
                         zero counters
"""

import argparse
import base64
import copy
import datetime
import http.server
import itertools
import json
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

# ---------------------------------------------------------------------------
# Resource catalogue
# ---------------------------------------------------------------------------

# Verbs of an ordinary resource, as the real server lists them in discovery:
# https://kubernetes.io/docs/reference/using-api/api-concepts/#api-verbs
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch",
         "update", "watch"]

# (group, version, plural, singular, Kind, namespaced, shortNames, categories,
#  has status subresource). Scopes and short names as in the API reference:
# https://kubernetes.io/docs/reference/kubernetes-api/ and
# `kubectl api-resources` on a v1.26+ cluster.
BUILTINS = [
    ("", "v1", "namespaces", "namespace", "Namespace", False, ["ns"], [], True),
    ("", "v1", "configmaps", "configmap", "ConfigMap", True, ["cm"], [], False),
    ("", "v1", "secrets", "secret", "Secret", True, [], [], False),
    ("", "v1", "services", "service", "Service", True, ["svc"], ["all"], True),
    ("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True,
     ["sa"], [], False),
    ("", "v1", "pods", "pod", "Pod", True, ["po"], ["all"], True),
    ("", "v1", "persistentvolumeclaims", "persistentvolumeclaim",
     "PersistentVolumeClaim", True, ["pvc"], [], True),
    ("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume",
     False, ["pv"], [], True),
    ("", "v1", "nodes", "node", "Node", False, ["no"], [], True),
    ("", "v1", "endpoints", "endpoints", "Endpoints", True, ["ep"], [], False),
    ("", "v1", "events", "event", "Event", True, ["ev"], [], False),
    ("", "v1", "limitranges", "limitrange", "LimitRange", True, ["limits"], [],
     False),
    ("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", True,
     ["quota"], [], True),
    ("apps", "v1", "deployments", "deployment", "Deployment", True, ["deploy"],
     ["all"], True),
    ("apps", "v1", "daemonsets", "daemonset", "DaemonSet", True, ["ds"],
     ["all"], True),
    ("apps", "v1", "statefulsets", "statefulset", "StatefulSet", True, ["sts"],
     ["all"], True),
    ("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ["rs"],
     ["all"], True),
    ("batch", "v1", "jobs", "job", "Job", True, [], ["all"], True),
    ("batch", "v1", "cronjobs", "cronjob", "CronJob", True, ["cj"], ["all"],
     True),
    ("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True, [], [],
     False),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding",
     "RoleBinding", True, [], [], False),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole",
     "ClusterRole", False, [], [], False),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings",
     "clusterrolebinding", "ClusterRoleBinding", False, [], [], False),
    ("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", True,
     ["ing"], [], True),
    ("networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
     "NetworkPolicy", True, ["netpol"], [], False),
    ("networking.k8s.io", "v1", "ingressclasses", "ingressclass",
     "IngressClass", False, [], [], False),
    ("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget",
     "PodDisruptionBudget", True, ["pdb"], [], True),
    ("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
     "HorizontalPodAutoscaler", True, ["hpa"], ["all"], True),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions",
     "customresourcedefinition", "CustomResourceDefinition", False,
     ["crd", "crds"], ["api-extensions"], True),
    ("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass",
     False, ["sc"], [], False),
    ("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass",
     "PriorityClass", False, ["pc"], [], False),
    ("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
     "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", False, [],
     ["api-extensions"], False),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
     "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", False,
     [], ["api-extensions"], False),
]

# Resources whose DELETE answers with the deleted object rather than a
# Status: the registries that set ReturnDeletedObject: true, e.g.
# pkg/registry/core/pod/storage/storage.go, serviceaccount, storageclass, and
# every custom resource (apiextensions-apiserver
# pkg/registry/customresource/etcd.go); namespaces and CRDs have their own
# Delete that returns the object (pkg/registry/core/namespace/storage).
RETURNS_DELETED = {("", "pods"), ("", "serviceaccounts"),
                   ("storage.k8s.io", "storageclasses"), ("", "namespaces"),
                   ("apiextensions.k8s.io", "customresourcedefinitions")}

# Kinds whose objects carry no metadata.generation (no spec to track).
NO_GENERATION = {"ConfigMap", "Secret", "Namespace", "ServiceAccount",
                 "Endpoints", "Event", "Role", "RoleBinding", "ClusterRole",
                 "ClusterRoleBinding"}

GIT_VERSION = "v1.26.15"

# RFC 1123 names: k8s.io/apimachinery/pkg/util/validation/validation.go
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric character "
    "(e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
# Namespaces and Services need a label (validation.ValidateNamespaceName,
# ValidateServiceName in pkg/apis/core/validation/validation.go).
LABEL_NAMED = {("", "namespaces"), ("", "services")}


class Resource:
    """One served resource (group, version, plural) and what discovery says."""

    def __init__(self, group, version, plural, singular, kind, namespaced,
                 short=(), categories=(), status=False, custom=False):
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.short = list(short)
        self.categories = list(categories)
        self.status = status
        self.custom = custom

    @property
    def api_version(self):
        """The apiVersion string of the objects: "v1" or "group/version"."""
        return self.group + "/" + self.version if self.group else self.version

    @property
    def gr(self):
        """group/resource as errors print it: "configmaps", "deployments.apps"."""
        return self.plural + "." + self.group if self.group else self.plural

    def legacy_discovery(self):
        """An APIResource entry of an APIResourceList."""
        r = {"name": self.plural, "singularName": self.singular,
             "namespaced": self.namespaced, "kind": self.kind,
             "verbs": VERBS}
        if self.short:
            r["shortNames"] = self.short
        if self.categories:
            r["categories"] = self.categories
        r["storageVersionHash"] = base64.b64encode(
            (self.group + self.plural).encode()[:8]).decode()
        return r

    def aggregated_discovery(self):
        """An APIResourceDiscovery entry (apidiscovery.k8s.io v2/v2beta1):
        staging/src/k8s.io/api/apidiscovery/v2/types.go."""
        r = {"resource": self.plural,
             "responseKind": {"group": self.group, "version": self.version,
                              "kind": self.kind},
             "scope": "Namespaced" if self.namespaced else "Cluster",
             "singularResource": self.singular, "verbs": VERBS}
        if self.short:
            r["shortNames"] = self.short
        if self.categories:
            r["categories"] = self.categories
        if self.status:
            r["subresources"] = [{
                "subresource": "status",
                "responseKind": {"group": self.group, "version": self.version,
                                 "kind": self.kind},
                "verbs": ["get", "patch", "update"]}]
        return r


# ---------------------------------------------------------------------------
# Errors: metav1.Status bodies as k8s.io/apimachinery/pkg/api/errors/errors.go
# builds them. https://kubernetes.io/docs/reference/using-api/api-concepts/
# ("Responses" / Status kind).
# ---------------------------------------------------------------------------

class ApiError(Exception):
    """An error answered as a Status object with an HTTP code."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        """The Status object for the response body."""
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {},
             "status": "Failure", "message": self.message}
        if self.reason:
            s["reason"] = self.reason
        if self.details is not None:
            s["details"] = self.details
        s["code"] = self.code
        return s


def _details(res, name=None):
    d = {}
    if name:
        d["name"] = name
    if res is not None and res.group:
        d["group"] = res.group
    if res is not None:
        d["kind"] = res.plural
    return d


def not_found(res, name):
    """errors.NewNotFound: `configmaps "x" not found`."""
    return ApiError(404, "NotFound", '%s "%s" not found' % (res.gr, name),
                    _details(res, name))


def already_exists(res, name):
    """errors.NewAlreadyExists: `configmaps "x" already exists`."""
    return ApiError(409, "AlreadyExists",
                    '%s "%s" already exists' % (res.gr, name),
                    _details(res, name))


def no_resource():
    """404 for a path the server does not serve (errors.NewNotFound with an
    empty resource, as the not-found handler answers)."""
    return ApiError(404, "NotFound",
                    "the server could not find the requested resource", {})


def bad_request(message):
    """errors.NewBadRequest."""
    return ApiError(400, "BadRequest", message)


def invalid(res, name, errs):
    """errors.NewInvalid: `Kind.group "name" is invalid: <field errors>`,
    details.causes one per field error (field.ErrorList.ToAggregate prints
    one error bare and several as [a, b])."""
    kind = res.kind + ("." + res.group if res.group else "")
    texts = ["%s: %s" % (f, m) for f, _, m in errs]
    agg = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    causes = [{"reason": r, "message": m, "field": f} for f, r, m in errs]
    d = {"name": name, "kind": res.kind, "causes": causes}
    if res.group:
        d["group"] = res.group
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (kind, name, agg),
                    d)


def forbidden(res, name, user, verb, ns):
    """errors.NewForbidden with the authorizer's reason, as
    staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/
    errors.go forbiddenMessage builds it."""
    if ns:
        why = ('User "%s" cannot %s resource "%s" in API group "%s" in the '
               'namespace "%s"' % (user, verb, res.plural, res.group, ns))
    else:
        why = ('User "%s" cannot %s resource "%s" in API group "%s" at the '
               'cluster scope' % (user, verb, res.plural, res.group))
    if name:
        msg = '%s "%s" is forbidden: %s' % (res.gr, name, why)
    else:
        msg = "%s is forbidden: %s" % (res.gr, why)
    return ApiError(403, "Forbidden", msg, _details(res, name))


# ---------------------------------------------------------------------------
# Field sets (managedFields, FieldsV1):
# https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
# A path is a tuple of FieldsV1 keys: "f:<name>" for a map field,
# 'k:{"name":"x"}' for an item of a list keyed by name. A path ending in an
# item key stands for the item itself (the "." entry of FieldsV1).
# Lists whose items are all maps with a "name" are treated as associative
# lists keyed by name (containers, env, volumes, ports...); other lists are
# atomic, as `x-kubernetes-list-type: atomic`.
# ---------------------------------------------------------------------------

# Fields never tracked by field management (fieldmanager's stripSet:
# staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/stripmeta.go)
IGNORED_TOP = {"apiVersion", "kind", "status"}
IGNORED_META = {"name", "namespace", "uid", "resourceVersion", "generation",
                "creationTimestamp", "managedFields", "selfLink",
                "deletionTimestamp", "deletionGracePeriodSeconds"}


def _keyed(lst):
    return (isinstance(lst, list) and lst and
            all(isinstance(i, dict) and isinstance(i.get("name"), str)
                for i in lst))


def _item_key(item):
    return "k:" + json.dumps({"name": item["name"]}, separators=(",", ":"))


def leaves(obj):
    """{path: value} of the tracked fields of obj; item paths map to None."""
    out = {}

    def walk(v, p):
        if isinstance(v, dict) and v:
            for k, sub in v.items():
                walk(sub, p + ("f:" + k,))
        elif _keyed(v):
            for item in v:
                ip = p + (_item_key(item),)
                out[ip] = None
                for k, sub in item.items():
                    walk(sub, ip + ("f:" + k,))
        else:
            out[p] = v

    for k, v in obj.items():
        if k in IGNORED_TOP:
            continue
        if k == "metadata" and isinstance(v, dict):
            for mk, mv in v.items():
                if mk not in IGNORED_META:
                    walk(mv, ("f:metadata", "f:" + mk))
            continue
        walk(v, ("f:" + k,))
    return out


def to_fieldsv1(paths):
    """A FieldsV1 tree from a set of paths."""
    tree = {}
    for p in sorted(paths):
        node = tree
        for seg in p:
            node = node.setdefault(seg, {})
        if p and p[-1].startswith("k:"):
            node["."] = {}
    return tree


def from_fieldsv1(tree, prefix=()):
    """The set of paths of a FieldsV1 tree."""
    out = set()
    for k, v in tree.items():
        if k == ".":
            out.add(prefix)
            continue
        p = prefix + (k,)
        if v and any(x != "." for x in v):
            out |= from_fieldsv1(v, p)
        else:
            out.add(p)
    return out


def get_at(obj, path):
    """(True, value) at path in obj, or (False, None)."""
    node = obj
    for seg in path:
        if seg.startswith("f:"):
            if not isinstance(node, dict) or seg[2:] not in node:
                return False, None
            node = node[seg[2:]]
        else:
            key = json.loads(seg[2:])
            if not isinstance(node, list):
                return False, None
            for item in node:
                if isinstance(item, dict) and all(item.get(a) == b
                                                  for a, b in key.items()):
                    node = item
                    break
            else:
                return False, None
    return True, node


def remove_at(obj, path):
    """Remove the field or list item at path from obj, if there."""
    ok, parent = get_at(obj, path[:-1])
    if not ok:
        return
    seg = path[-1]
    if seg.startswith("f:") and isinstance(parent, dict):
        parent.pop(seg[2:], None)
    elif seg.startswith("k:") and isinstance(parent, list):
        key = json.loads(seg[2:])
        parent[:] = [i for i in parent if not (
            isinstance(i, dict) and all(i.get(a) == b for a, b in key.items()))]


def merge_into(base, patch):
    """Apply's merge of a configuration onto the live object: maps merged
    field by field, keyed lists item by item, anything else replaced."""
    for k, v in patch.items():
        cur = base.get(k)
        if isinstance(v, dict) and isinstance(cur, dict):
            merge_into(cur, v)
        elif _keyed(v) and _keyed(cur):
            by_name = {i["name"]: i for i in cur}
            for item in v:
                if item["name"] in by_name:
                    merge_into(by_name[item["name"]], item)
                else:
                    cur.append(copy.deepcopy(item))
        else:
            base[k] = copy.deepcopy(v)


def json_merge_patch(target, patch):
    """RFC 7386 JSON merge patch (application/merge-patch+json)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = json_merge_patch(target.get(k), v)
    return out


def strategic_merge_patch(target, patch):
    """A strategic merge patch, simplified: like a JSON merge patch, but lists
    of named items merge by name, and `$patch: delete` items are removed.
    https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        cur = target.get(k)
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and _keyed(cur) and all(
                isinstance(i, dict) and "name" in i for i in v):
            merged = [copy.deepcopy(i) for i in cur]
            for item in v:
                idx = next((n for n, i in enumerate(merged)
                            if i["name"] == item["name"]), None)
                if item.get("$patch") == "delete":
                    if idx is not None:
                        merged.pop(idx)
                elif idx is None:
                    merged.append(copy.deepcopy(item))
                else:
                    merged[idx] = strategic_merge_patch(merged[idx], item)
            out[k] = merged
        else:
            out[k] = strategic_merge_patch(cur, v)
    return out


# ---------------------------------------------------------------------------
# Label and field selectors:
# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
# https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/
# ---------------------------------------------------------------------------

_SEL_RE = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<nkey>[^\s,!=()]+)"
    r"|(?P<key>[^\s,!=()]+)\s*(?:(?P<op>==|!=|=)\s*(?P<val>[^\s,!=()]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<vals>[^()]*)\)|))\s*$")


def _split_selector(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def parse_label_selector(s):
    """A list of predicates over a labels dict, or ApiError 400."""
    preds = []
    for part in _split_selector(s or ""):
        m = _SEL_RE.match(part)
        if not m:
            raise bad_request(
                "unable to parse requirement: found '%s', expected: "
                "identifier" % part.strip())
        if m.group("not"):
            k = m.group("nkey")
            preds.append(lambda L, k=k: k not in L)
        elif m.group("op"):
            k, v, op = m.group("key"), m.group("val"), m.group("op")
            if op == "!=":
                preds.append(lambda L, k=k, v=v: L.get(k) != v)
            else:
                preds.append(lambda L, k=k, v=v: L.get(k) == v)
        elif m.group("setop"):
            k = m.group("key")
            vals = {x.strip() for x in m.group("vals").split(",")}
            if m.group("setop") == "in":
                preds.append(lambda L, k=k, vs=vals: L.get(k) in vs)
            else:
                preds.append(lambda L, k=k, vs=vals: L.get(k) not in vs)
        else:
            k = m.group("key")
            preds.append(lambda L, k=k: k in L)
    return preds


def parse_field_selector(s):
    """Predicates over (namespace, name); only the fields every resource
    supports (metadata.name, metadata.namespace)."""
    preds = []
    for part in _split_selector(s or ""):
        m = re.match(r"^\s*([^!=\s]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'"
                              % (s, part))
        field, op, val = m.groups()
        if field not in ("metadata.name", "metadata.namespace"):
            raise bad_request(
                '"%s" is not a known field selector: only "metadata.name", '
                '"metadata.namespace"' % field)
        idx = 1 if field == "metadata.name" else 0
        if op == "!=":
            preds.append(lambda key, i=idx, v=val: key[i] != v)
        else:
            preds.append(lambda key, i=idx, v=val: key[i] == v)
    return preds


# ---------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------

def now_rfc3339():
    """metav1.Time as JSON: RFC 3339, seconds, UTC."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _age(ts):
    """duration.HumanDuration of the time since ts, as kubectl's AGE column."""
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    s = max(s, 0)
    if s < 120:
        return "%ds" % s
    if s < 600:
        return "%dm%ds" % (s // 60, s % 60) if s % 60 else "%dm" % (s // 60)
    if s < 3 * 3600:
        return "%dm" % (s // 60)
    if s < 48 * 3600:
        return "%dh" % (s // 3600)
    return "%dd" % (s // 86400)


class Store:
    """Objects by (group, plural) then (namespace, name), the resource
    catalogue (built-ins plus Established CRDs), and the resourceVersion
    counter. All access under self.lock."""

    def __init__(self, establish_delay, namespace_delay):
        self.lock = threading.RLock()
        self.establish_delay = establish_delay
        self.namespace_delay = namespace_delay
        self.reset()

    def reset(self):
        """Back to a fresh cluster: the built-in kinds and the namespaces
        default and kube-system (plus kube-public, kube-node-lease, as every
        cluster has them)."""
        with self.lock:
            self.rv = 100
            self.objects = {}
            self.resources = {}     # (group, version, plural) -> Resource
            self.generation = 0     # bumped when CRDs come and go
            for b in BUILTINS:
                self.add_resource(Resource(*b))
            for ns in ("default", "kube-system", "kube-public",
                       "kube-node-lease"):
                obj = {"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": ns}}
                self.finish_namespace(obj)
                self.stamp_new(obj, None, {})
                self.objects.setdefault(("", "namespaces"), {})[("", ns)] = obj

    def add_resource(self, res):
        """Serve a resource."""
        self.resources[(res.group, res.version, res.plural)] = res
        self.generation += 1

    def next_rv(self):
        """The next resourceVersion (a global counter, as etcd's revision)."""
        self.rv += 1
        return str(self.rv)

    def find(self, group, version, plural):
        """The Resource for a path's group/version/plural, or None."""
        return self.resources.get((group, version, plural))

    def by_kind(self, api_version, kind):
        """The Resource serving apiVersion/kind, or None."""
        group, _, version = api_version.rpartition("/")
        for r in self.resources.values():
            if r.group == group and r.version == version and r.kind == kind:
                return r
        return None

    def groups(self):
        """{group: [versions]} of what is served, groups in a stable order."""
        out = {}
        for (g, v, _) in self.resources:
            vs = out.setdefault(g, [])
            if v not in vs:
                vs.append(v)
        return out

    def namespace_exists(self, ns):
        """A Namespace object named ns exists."""
        return ("", ns) in self.objects.get(("", "namespaces"), {})

    def bucket(self, res):
        """The {(ns, name): object} dict of a resource."""
        return self.objects.setdefault((res.group, res.plural), {})

    @staticmethod
    def finish_namespace(obj):
        """What the namespace registry adds: the immutable
        kubernetes.io/metadata.name label (NamespaceDefaultLabelName, 1.21+),
        spec.finalizers [kubernetes], status.phase Active.
        https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#automatic-labelling
        """
        md = obj.setdefault("metadata", {})
        labels = md.get("labels") or {}
        labels["kubernetes.io/metadata.name"] = md.get("name", "")
        md["labels"] = labels
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}

    def stamp_new(self, obj, res, _opts, dry_run=False):
        """Server-set metadata of a new object: uid, creationTimestamp,
        resourceVersion, generation (api-concepts: "Resource versions")."""
        md = obj["metadata"]
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_rfc3339()
        md["resourceVersion"] = str(self.rv + 1) if dry_run else self.next_rv()
        kind = obj.get("kind")
        if kind not in NO_GENERATION or (res is not None and res.custom):
            md["generation"] = 1
        else:
            md.pop("generation", None)


def spec_of(obj):
    """Everything but metadata and status: a change to it bumps generation."""
    return {k: v for k, v in obj.items()
            if k not in ("metadata", "status", "apiVersion", "kind")}


# ---------------------------------------------------------------------------
# The API server
# ---------------------------------------------------------------------------

class Faults:
    """Injected failures: the next COUNT requests matching MATCH answer with
    STATUS (after DELAY seconds)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = []

    def add(self, spec):
        """Queue a fault from the control endpoint's JSON."""
        f = {"status": int(spec.get("status", 500)),
             "count": int(spec.get("count", 1)),
             "retryAfter": spec.get("retryAfter"),
             "match": spec.get("match") or "",
             "delay": float(spec.get("delay", 0) or 0),
             "message": spec.get("message")}
        with self.lock:
            self.pending.append(f)
        return f

    def take(self, method, target):
        """The fault for this request, if one matches (and count it)."""
        with self.lock:
            for f in self.pending:
                m = f["match"]
                if (not m or m == method or
                        (m not in ("GET", "POST", "PUT", "PATCH", "DELETE")
                         and m in method + " " + target)):
                    f["count"] -= 1
                    if f["count"] <= 0:
                        self.pending.remove(f)
                    return dict(f)
        return None


def fault_error(f):
    """The Status of an injected fault, as the real server writes them:
    429 from API Priority and Fairness / max-in-flight
    (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/
    errors.go, errors.NewTooManyRequests with Retry-After), 500 InternalError,
    503 ServiceUnavailable, 504 Timeout."""
    code = f["status"]
    ra = f.get("retryAfter")
    headers = {}
    details = None
    if ra is not None:
        headers["Retry-After"] = str(ra)
        details = {"retryAfterSeconds": int(ra)}
    table = {
        429: ("TooManyRequests", "Too many requests, please try again later."),
        500: ("InternalError", "Internal error occurred: injected fault"),
        503: ("ServiceUnavailable",
              "the server is currently unable to handle the request"),
        504: ("Timeout", "Timeout: request did not complete within the "
                         "allowed duration"),
        409: ("Conflict", "injected conflict"),
        401: ("Unauthorized", "Unauthorized"),
        403: ("Forbidden", "forbidden: injected fault"),
    }
    reason, msg = table.get(code, ("", "injected fault"))
    return ApiError(code, reason, f.get("message") or msg, details, headers)


class Stats:
    """Request counters for /_test/stats."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Zero every counter."""
        with self.lock:
            self.c = {"total": 0, "reads": 0, "mutations": 0, "discovery": 0,
                      "faults": 0, "connections": 0, "apply": 0,
                      "dryRun": 0, "verbs": {}, "codes": {}, "resources": {},
                      "lastMutationNs": 0}

    def count(self, key, n=1):
        """Add n to a top-level counter."""
        with self.lock:
            self.c[key] += n

    def record(self, verb, resource, code):
        """Count one API request."""
        with self.lock:
            c = self.c
            c["total"] += 1
            c["codes"][str(code)] = c["codes"].get(str(code), 0) + 1
            if verb == "discovery":
                c["discovery"] += 1
                return
            c["verbs"][verb] = c["verbs"].get(verb, 0) + 1
            if resource:
                c["resources"][resource] = c["resources"].get(resource, 0) + 1
            if verb in ("get", "list", "watch"):
                c["reads"] += 1
            else:
                c["mutations"] += 1
                c["lastMutationNs"] = time.time_ns()

    def snapshot(self):
        """A copy of the counters."""
        with self.lock:
            return copy.deepcopy(self.c)


class Users:
    """Authentication: a static token file in kube-apiserver's
    --token-auth-file format (token,user,uid,"group1,group2"), and client
    certificates (CN = user, O = groups).
    https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file
    https://kubernetes.io/docs/reference/access-authn-authz/authentication/#x509-client-certificates
    """

    def __init__(self, path):
        self.tokens = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                fields = next(iter(__import__("csv").reader([line])))
                tok, user = fields[0], fields[1]
                groups = [g for g in (fields[3] if len(fields) > 3
                                      else "").split(",") if g]
                self.tokens[tok] = (user, groups)


def can_write(groups):
    """Authorization: system:masters may do anything (the superuser group,
    https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles);
    every other authenticated user may only read (as if bound to "view")."""
    return "system:masters" in groups


def parse_accept(accept):
    """The media types of an Accept header, each (type, {param: value})."""
    out = []
    for part in (accept or "").split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        params = {}
        for b in bits[1:]:
            if "=" in b:
                k, v = b.split("=", 1)
                params[k.strip()] = v.strip()
        out.append((bits[0].lower(), params))
    return out


def want_as(accept, kinds):
    """The first Accept entry asking for one of kinds (as=...), as
    (as, version), or None if a plain JSON answer comes first.
    https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
    """
    for mt, p in parse_accept(accept):
        if mt not in ("application/json", "*/*", "application/*"):
            continue
        a = p.get("as")
        if a is None:
            return None
        if a in kinds and p.get("g") in ("meta.k8s.io", "apidiscovery.k8s.io"):
            return a, p.get("v"), p.get("g")
    return None


class Api:
    """Request handling, independent of HTTP: each method returns
    (code, body dict, extra headers) or raises ApiError."""

    def __init__(self, store):
        self.store = store

    # -- discovery ---------------------------------------------------------
    # https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api

    def version(self):
        """GET /version: version.Info."""
        return {"major": "1", "minor": GIT_VERSION.split(".")[1],
                "gitVersion": GIT_VERSION,
                "gitCommit": "0000000000000000000000000000000000000000",
                "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z",
                "goVersion": "go1.21.9", "compiler": "gc",
                "platform": "linux/amd64"}

    def api_versions(self):
        """GET /api: APIVersions."""
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0",
                     "serverAddress": "127.0.0.1:443"}]}

    def api_group(self, g, versions):
        """An APIGroup entry."""
        gvs = [{"groupVersion": g + "/" + v, "version": v} for v in versions]
        return {"name": g, "versions": gvs, "preferredVersion": gvs[0]}

    def api_groups(self):
        """GET /apis: APIGroupList."""
        with self.store.lock:
            groups = [(g, vs) for g, vs in self.store.groups().items() if g]
        return {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [self.api_group(g, vs) for g, vs in groups]}

    def resource_list(self, group, version):
        """GET /api/v1, /apis/G/V: APIResourceList, or None."""
        with self.store.lock:
            rs = [r for (g, v, _), r in self.store.resources.items()
                  if g == group and v == version]
        if not rs:
            return None
        out = []
        for r in rs:
            out.append(r.legacy_discovery())
            if r.status:
                out.append({"name": r.plural + "/status", "singularName": "",
                            "namespaced": r.namespaced, "kind": r.kind,
                            "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": (group + "/" + version) if group else version,
                "resources": out}

    def aggregated(self, core, version):
        """GET /api or /apis as an APIGroupDiscoveryList
        (apidiscovery.k8s.io/v2 since 1.30, v2beta1 since 1.26; KEP-3352,
        https://kubernetes.io/docs/concepts/overview/kubernetes-api/#aggregated-discovery).
        """
        with self.store.lock:
            groups = self.store.groups()
            items = []
            for g, vs in groups.items():
                if core != (g == ""):
                    continue
                versions = []
                for v in vs:
                    rs = [r.aggregated_discovery()
                          for (rg, rv, _), r in self.store.resources.items()
                          if rg == g and rv == v]
                    versions.append({"version": v, "resources": rs,
                                     "freshness": "Current"})
                md = {"creationTimestamp": None}
                if g:
                    md["name"] = g
                items.append({"metadata": md, "versions": versions})
        return {"kind": "APIGroupDiscoveryList",
                "apiVersion": "apidiscovery.k8s.io/" + version,
                "metadata": {}, "items": items}

    # -- objects -----------------------------------------------------------

    def get(self, res, ns, name):
        """GET one object."""
        with self.store.lock:
            obj = self.store.bucket(res).get((ns or "", name))
            if obj is None:
                raise not_found(res, name)
            return obj

    def list(self, res, ns, q):
        """GET a collection: label/field selectors, limit/continue
        (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks).
        Items in key order, as etcd returns them. Returns (items, listmeta)."""
        lsel = parse_label_selector(q.get("labelSelector"))
        fsel = parse_field_selector(q.get("fieldSelector"))
        limit = int(q.get("limit") or 0)
        start = None
        if q.get("continue"):
            try:
                tok = json.loads(base64.b64decode(q["continue"]))
                start = tuple(tok["start"])
            except (ValueError, KeyError, TypeError) as e:
                raise bad_request("continue key is not valid: %s" % e) from e
        with self.store.lock:
            rv = str(self.store.rv)
            keys = sorted(k for k in self.store.bucket(res)
                          if ns is None or k[0] == ns)
            bucket = self.store.bucket(res)
            items = []
            for k in keys:
                if start is not None and k <= start:
                    continue
                obj = bucket[k]
                labels = obj["metadata"].get("labels") or {}
                if all(p(labels) for p in lsel) and all(p(k) for p in fsel):
                    items.append((k, obj))
        meta = {"resourceVersion": rv}
        if limit and len(items) > limit:
            last = items[limit - 1][0]
            meta["continue"] = base64.b64encode(json.dumps(
                {"v": "meta.k8s.io/v1", "rv": int(rv),
                 "start": list(last)}).encode()).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return [o for _, o in items], meta

    def check_namespace(self, res, ns, name):
        """Creating a namespaced object needs an existing namespace that is
        not being deleted (the NamespaceLifecycle admission plugin, which
        checks creates only:
        https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#namespacelifecycle
        and plugin/pkg/admission/namespace/lifecycle/admission.go)."""
        if not res.namespaced or ns is None:
            return
        nso = self.store.objects.get(("", "namespaces"), {}).get(("", ns))
        if nso is None:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                           {"name": ns, "kind": "namespaces"})
        if nso["metadata"].get("deletionTimestamp"):
            err = forbidden(res, name, "", "", ns)
            err.message = ('%s "%s" is forbidden: unable to create new content '
                           'in namespace %s because it is being terminated'
                           % (res.gr, name, ns))
            err.details["causes"] = [{
                "type": "NamespaceTerminating",
                "message": "namespace %s is being terminated" % ns,
                "field": "metadata.namespace"}]
            raise err

    def validate(self, res, obj, name, ns, old=None):
        """Validation the real registries do, enough for real failures."""
        errs = []
        md = obj.get("metadata") or {}
        if not name:
            errs.append(("metadata.name", "FieldValueRequired",
                         "Required value: name or generateName is required"))
        else:
            label = (res.group, res.plural) in LABEL_NAMED
            rx, msg = ((DNS1123_LABEL, DNS1123_LABEL_MSG) if label else
                       (DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MSG))
            if not rx.match(name) or len(name) > (63 if label else 253):
                errs.append(("metadata.name", "FieldValueInvalid",
                             'Invalid value: "%s": %s' % (name, msg)))
        if res.namespaced and md.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not "
                              "match the namespace sent on the request")
        labels = md.get("labels")
        if labels is not None and not isinstance(labels, dict):
            raise bad_request("metadata.labels must be a map")
        for k, v in (labels or {}).items():
            if not isinstance(v, str):
                raise bad_request(
                    '%s in version "%s" cannot be handled as a %s: json: '
                    'cannot unmarshal %s into Go struct field '
                    'ObjectMeta.metadata.labels of type string'
                    % (res.kind, res.version, res.kind, _gotype(v)))
        if res.kind == "Deployment" and res.group == "apps":
            errs += validate_deployment(obj)
        if res.kind == "CustomResourceDefinition":
            errs += validate_crd(obj, name)
        if old is not None and res.kind == "Namespace":
            pass
        if errs:
            raise invalid(res, name, errs)

    def admit(self, res, obj, name):
        """A validating webhook "deny.sluice.test" that refuses any object
        labelled sluice.test/deny: "true". The error is built as
        staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/errors/
        statuserror.go ToStatusErr does for a webhook that sets no code:
        403 Forbidden, `<resource> "<name>" is forbidden: admission webhook
        "<webhook>" denied the request: <message>`."""
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels.get("sluice.test/deny") == "true":
            msg = ('%s "%s" is forbidden: admission webhook "deny.sluice.test" '
                   'denied the request: objects labelled sluice.test/deny=true '
                   'are refused' % (res.gr, name or "Unknown"))
            raise ApiError(403, "Forbidden", msg, _details(res, name or
                                                          "Unknown"))


def _gotype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "null"


def validate_deployment(obj):
    """pkg/apis/apps/validation/validation.go ValidateDeploymentSpec:
    selector required and matching the template's labels, containers
    required."""
    errs = []
    spec = obj.get("spec") or {}
    sel = spec.get("selector")
    tmpl = spec.get("template") or {}
    tlabels = (tmpl.get("metadata") or {}).get("labels") or {}
    if not sel:
        errs.append(("spec.selector", "FieldValueRequired", "Required value"))
    else:
        ml = sel.get("matchLabels") or {}
        if not ml and not sel.get("matchExpressions"):
            errs.append(("spec.selector", "FieldValueInvalid",
                         "Invalid value: \"null\": empty selector is invalid "
                         "for deployment"))
        elif any(tlabels.get(k) != v for k, v in ml.items()):
            errs.append(("spec.template.metadata.labels", "FieldValueInvalid",
                         "Invalid value: %s: `selector` does not match "
                         "template `labels`" % _gomap(tlabels)))
    if not ((tmpl.get("spec") or {}).get("containers")):
        errs.append(("spec.template.spec.containers", "FieldValueRequired",
                     "Required value"))
    return errs


def _gomap(m):
    return "map[string]string{%s}" % ", ".join(
        '"%s":"%s"' % (k, v) for k, v in sorted(m.items()))


def validate_crd(obj, name):
    """apiextensions validation, the part that matters here: the name must
    be <plural>.<group>."""
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    errs = []
    if not spec.get("group"):
        errs.append(("spec.group", "FieldValueRequired", "Required value"))
    if not names.get("plural"):
        errs.append(("spec.names.plural", "FieldValueRequired",
                     "Required value"))
    if not names.get("kind"):
        errs.append(("spec.names.kind", "FieldValueRequired", "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        errs.append(("spec.scope", "FieldValueNotSupported",
                     'Unsupported value: "%s": supported values: '
                     '"Cluster", "Namespaced"' % spec.get("scope", "")))
    if not spec.get("versions"):
        errs.append(("spec.versions", "FieldValueInvalid",
                     "Invalid value: []apiextensions.CustomResourceDefinition"
                     "Version(nil): must have exactly one version marked as "
                     "storage version"))
    if names.get("plural") and spec.get("group") and \
            name != names["plural"] + "." + spec["group"]:
        errs.append(("metadata.name", "FieldValueInvalid",
                     'Invalid value: "%s": must be spec.names.plural+"."+'
                     'spec.group' % name))
    return errs


def check_data_strings(res, obj, apply):
    """ConfigMap/Secret data values must be strings. A JSON body that fails
    to decode answers 400 with the decoder's message (runtime codec:
    `<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot
    unmarshal ...`); an apply configuration that fails the typed conversion
    answers 500 with structured-merge-diff's message, as
    staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/
    structuredmerge.go returns a plain error ("failed to create typed patch
    object (ns/name; /v1, Kind=ConfigMap): .data.k: expected string, ...")."""
    if res.group != "" or res.kind not in ("ConfigMap", "Secret"):
        return
    for field in ("data", "binaryData", "stringData"):
        d = obj.get(field)
        if d is None:
            continue
        if not isinstance(d, dict):
            if apply:
                raise _typed_err(res, obj, ".%s: expected map, got %s"
                                 % (field, _unstructured(d)))
            raise bad_request(
                '%s in version "v1" cannot be handled as a %s: json: cannot '
                'unmarshal %s into Go struct field %s.%s of type '
                'map[string]string' % (res.kind, res.kind, _gotype(d),
                                       res.kind, field))
        for k, v in d.items():
            if not isinstance(v, str):
                if apply:
                    raise _typed_err(res, obj, ".%s.%s: expected string, got %s"
                                     % (field, k, _unstructured(v)))
                raise bad_request(
                    '%s in version "v1" cannot be handled as a %s: json: '
                    'cannot unmarshal %s into Go struct field %s.%s of type '
                    'string' % (res.kind, res.kind, _gotype(v), res.kind,
                                field))


def _unstructured(v):
    return "&value.valueUnstructured{Value:%s}" % json.dumps(v)


def _typed_err(res, obj, detail):
    md = obj.get("metadata") or {}
    nn = "%s/%s" % (md.get("namespace", ""), md.get("name", ""))
    return ApiError(500, "", "failed to create typed patch object (%s; %s, "
                    "Kind=%s): %s" % (nn, res.api_version if res.group else
                                      "/" + res.version, res.kind, detail))


# ---------------------------------------------------------------------------
# Mutations (under the store lock)
# ---------------------------------------------------------------------------

def _entries(obj):
    """managedFields as [(manager, operation, apiVersion, time, paths)]."""
    out = []
    for e in (obj.get("metadata") or {}).get("managedFields") or []:
        out.append([e.get("manager", ""), e.get("operation", "Update"),
                    e.get("apiVersion", ""), e.get("time"),
                    from_fieldsv1(e.get("fieldsV1") or {}),
                    e.get("subresource")])
    return out


def _set_entries(obj, entries):
    mf = []
    for manager, op, av, t, paths, sub in entries:
        if not paths:
            continue
        e = {"manager": manager, "operation": op, "apiVersion": av}
        if t:
            e["time"] = t
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = to_fieldsv1(paths)
        if sub:
            e["subresource"] = sub
        mf.append(e)
    if mf:
        obj["metadata"]["managedFields"] = mf
    else:
        obj["metadata"].pop("managedFields", None)


def _manager_label(e):
    """How conflict messages name a manager (printManager in
    staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/
    conflict.go): Apply managers by name, Update managers with
    "using <apiVersion>"."""
    if e[1] == "Update":
        return '"%s" using %s' % (e[0], e[2])
    return '"%s"' % e[0]


def _path_string(path):
    """fieldpath.Path.String(): .spec.replicas, .spec.containers[name="x"]."""
    out = ""
    for seg in path:
        if seg.startswith("f:"):
            out += "." + seg[2:]
        else:
            key = json.loads(seg[2:])
            out += "[" + ",".join('%s=%s' % (k, json.dumps(v))
                                  for k, v in key.items()) + "]"
    return out


def apply_patch(api_version, live, config, manager, force, now):
    """Server-side apply of config by manager onto live (None to create).
    Returns the new object (not yet stamped), or raises the 409 Conflict
    https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
    """
    applied = leaves(config)
    new_paths = set(applied)
    if live is None:
        obj = copy.deepcopy(config)
        obj.setdefault("metadata", {}).pop("managedFields", None)
        _set_entries(obj, [[manager, "Apply", api_version, now, new_paths,
                            None]])
        return obj
    entries = _entries(live)
    conflicts = []
    for e in entries:
        if e[0] == manager and e[1] == "Apply":
            continue
        for p in sorted(e[4] & new_paths):
            if applied[p] is None:
                continue
            ok, cur = get_at(live, p)
            if ok and cur != applied[p]:
                conflicts.append((e, p))
    if conflicts and not force:
        causes = [{"type": "FieldManagerConflict",
                   "message": "conflict with %s" % _manager_label(e),
                   "field": _path_string(p)} for e, p in conflicts]
        if len(conflicts) == 1:
            e, p = conflicts[0]
            msg = "Apply failed with 1 conflict: conflict with %s: %s" % (
                _manager_label(e), _path_string(p))
        else:
            by = {}
            for e, p in conflicts:
                by.setdefault(_manager_label(e), []).append(_path_string(p))
            lines = []
            for m in sorted(by):
                lines.append("conflicts with %s:" % m)
                lines += ["- " + p for p in by[m]]
            msg = "Apply failed with %d conflicts: %s" % (len(conflicts),
                                                         "\n".join(lines))
        raise ApiError(409, "Conflict", msg, {"causes": causes})
    for e, p in conflicts:
        e[4].discard(p)
    obj = copy.deepcopy(live)
    mine = next((e for e in entries if e[0] == manager and e[1] == "Apply"),
                None)
    others = set()
    for e in entries:
        if e is not mine:
            others |= e[4]
    if mine is not None:
        gone = mine[4] - new_paths - others
        # deepest first, so that an item goes after its fields
        for p in sorted(gone, key=len, reverse=True):
            if p[-1].startswith("k:") and any(
                    q[:len(p)] == p and len(q) > len(p) for q in others):
                continue
            remove_at(obj, p)
    body = {k: v for k, v in config.items() if k not in ("status",)}
    md = dict(body.get("metadata") or {})
    for k in IGNORED_META:
        md.pop(k, None)
    body["metadata"] = md
    merge_into(obj, body)
    if mine is None:
        entries.append([manager, "Apply", api_version, now, new_paths, None])
    else:
        if mine[4] != new_paths or mine[2] != api_version:
            mine[3] = now
        mine[2] = api_version
        mine[4] = new_paths
    _set_entries(obj, entries)
    return obj


def apply_is_noop(api_version, live, config, manager):
    """config applied by manager would change nothing in live: the manager
    already owns exactly these fields (same apiVersion), and every applied
    value is the live one."""
    md = live.get("metadata") or {}
    for e in md.get("managedFields") or ():
        if e.get("manager") == manager and e.get("operation") == "Apply":
            if e.get("apiVersion") != api_version:
                return False
            applied = leaves(config)
            if from_fieldsv1(e.get("fieldsV1") or {}) != set(applied):
                return False
            for p, v in applied.items():
                if v is None:
                    continue
                ok, cur = get_at(live, p)
                if not ok or cur != v:
                    return False
            return True
    return False


def update_fields(api_version, live, new, manager, now):
    """Field ownership after an Update (create, PUT, merge/strategic patch):
    the manager takes every field it changed, no conflicts; removed fields
    leave every set.
    https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
    """
    after = leaves(new)
    if live is None:
        entries = []
        changed = set(after)
        removed = set()
    else:
        entries = _entries(live)
        before = leaves(live)
        changed = {p for p, v in after.items()
                   if p not in before or before[p] != v}
        removed = set(before) - set(after)
    for e in entries:
        e[4] -= changed | removed
    mine = next((e for e in entries if e[0] == manager and e[1] == "Update"),
                None)
    if changed:
        if mine is None:
            entries.append([manager, "Update", api_version, now, set(changed),
                            None])
        else:
            mine[4] |= changed
            mine[3] = now
            mine[2] = api_version
    _set_entries(new, entries)


def same_but_times(a, b):
    """a and b are equal but for managedFields times (what a no-op write may
    leave different), compared without copying them."""
    ma, mb = a.get("metadata") or {}, b.get("metadata") or {}
    if {k: v for k, v in a.items() if k != "metadata"} != \
            {k: v for k, v in b.items() if k != "metadata"}:
        return False
    if {k: v for k, v in ma.items() if k != "managedFields"} != \
            {k: v for k, v in mb.items() if k != "managedFields"}:
        return False
    fa, fb = ma.get("managedFields") or [], mb.get("managedFields") or []
    return len(fa) == len(fb) and all(
        {k: v for k, v in x.items() if k != "time"} ==
        {k: v for k, v in y.items() if k != "time"} for x, y in zip(fa, fb))


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

_AUDIT_IDS = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    """One HTTPS connection; requests in sequence (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-test"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(),
                                          format % args))

    # Every method goes through dispatch.
    def do_GET(self):
        """GET"""
        self.dispatch("GET")

    def do_POST(self):
        """POST"""
        self.dispatch("POST")

    def do_PUT(self):
        """PUT"""
        self.dispatch("PUT")

    def do_PATCH(self):
        """PATCH"""
        self.dispatch("PATCH")

    def do_DELETE(self):
        """DELETE"""
        self.dispatch("DELETE")

    # -- plumbing ----------------------------------------------------------

    def send_json(self, code, body, ctype="application/json", headers=None):
        """Write one response with a JSON body and a Content-Length."""
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", "%032x" % next(_AUDIT_IDS))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_raw(self, code, data, ctype):
        """Write a non-JSON response."""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        """The request body (bytes)."""
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def authenticate(self):
        """(user, groups) or None."""
        auth = self.headers.get("Authorization", "")
        if auth:
            if not auth.startswith("Bearer "):
                return None
            return self.server.users.tokens.get(auth[7:].strip())
        cert = self.connection.getpeercert() if hasattr(
            self.connection, "getpeercert") else None
        if cert:
            cn, orgs = None, []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            if cn:
                return cn, orgs
        return None

    # -- dispatch ----------------------------------------------------------

    def dispatch(self, method):
        """Route one request, count it, and answer errors as Status."""
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(
            url.query, keep_blank_values=True).items()}
        if path.startswith("/_test/"):
            self.read_body_cached = self.read_body()
            return self.control(method, path)
        verb, resource = "discovery", None
        code = 500
        try:
            body = self.read_body()
            who = self.authenticate()
            if who is None:
                # https://kubernetes.io/docs/reference/access-authn-authz/authentication/
                # (requests that fail authentication answer 401)
                raise ApiError(401, "Unauthorized", "Unauthorized")
            verb, resource = classify(method, path, q)
            if method == "PATCH" and (self.headers.get("Content-Type") or "") \
                    .startswith("application/apply-patch+yaml"):
                srv.stats.count("apply")
            f = srv.faults.take(method, self.path)
            if f is not None:
                srv.stats.count("faults")
                if f["delay"]:
                    time.sleep(f["delay"])
                raise fault_error(f)
            self.req_verb, self.req_res = verb, resource
            try:
                code, out, ctype, headers, verb, resource = self.route(
                    method, path, q, body, who)
            finally:
                verb, resource = self.req_verb, self.req_res
            self.send_json(code, out, ctype, headers)
        except ApiError as e:
            code = e.code
            self.send_json(e.code, e.status(), "application/json", e.headers)
        except _Raw as r:
            code = r.code
            self.send_raw(r.code, r.data, r.ctype)
        except _Handled:
            code = 200
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            code = 500
            err = ApiError(500, "InternalError",
                           "Internal error occurred: %s" % e,
                           {"causes": [{"message": str(e)}]})
            self.send_json(500, err.status())
        finally:
            srv.stats.record(verb, resource, code)

    def control(self, method, path):
        """The /_test/ endpoints."""
        srv = self.server
        if path == "/_test/faults" and method == "POST":
            spec = json.loads(self.read_body_cached or b"{}")
            self.send_json(201, srv.faults.add(spec))
        elif path == "/_test/faults" and method == "GET":
            with srv.faults.lock:
                self.send_json(200, {"faults": list(srv.faults.pending)})
        elif path == "/_test/faults" and method == "DELETE":
            with srv.faults.lock:
                srv.faults.pending.clear()
            self.send_json(200, {})
        elif path == "/_test/stats" and method == "GET":
            self.send_json(200, srv.stats.snapshot())
        elif path == "/_test/stats/reset" and method == "POST":
            srv.stats.reset()
            self.send_json(200, {})
        elif path == "/_test/reset" and method == "POST":
            srv.store.reset()
            with srv.faults.lock:
                srv.faults.pending.clear()
            srv.stats.reset()
            self.send_json(200, {})
        else:
            self.send_json(404, no_resource().status())

    def route(self, method, path, q, body, who):
        """Answer one authenticated API request:
        (code, body, content-type, headers, verb, resource-for-stats)."""
        api = self.server.api
        accept = self.headers.get("Accept", "")
        parts = [p for p in path.split("/") if p]
        if method == "GET":
            if path in ("/version", "/version/"):
                return 200, api.version(), "application/json", {}, \
                    "discovery", None
            if path in ("/healthz", "/readyz", "/livez"):
                raise _Raw(200, b"ok", "text/plain; charset=utf-8")
            if path in ("/openapi/v2", "/openapi/v3") or \
                    path.startswith("/openapi/"):
                return self.openapi(path, accept)
            if path in ("/api", "/apis"):
                agg = want_as(accept, ("APIGroupDiscoveryList",))
                # aggregated discovery is beta in v1.27, GA in v1.30; a
                # v1.26 server ignores the Accept entry and answers the
                # legacy document
                # https://kubernetes.io/docs/concepts/overview/kubernetes-api/#aggregated-discovery
                if agg and agg[1] in ("v2", "v2beta1") and \
                        getattr(self.server, "aggregated_discovery", True):
                    ctype = ("application/json;g=apidiscovery.k8s.io;v=%s;"
                             "as=APIGroupDiscoveryList" % agg[1])
                    return 200, api.aggregated(path == "/api", agg[1]), \
                        ctype, {"Vary": "Accept"}, "discovery", None
                out = api.api_versions() if path == "/api" else \
                    api.api_groups()
                return 200, out, "application/json", {"Vary": "Accept"}, \
                    "discovery", None
            if len(parts) == 2 and parts[0] == "api" or \
                    len(parts) == 3 and parts[0] == "apis":
                group = "" if parts[0] == "api" else parts[1]
                out = api.resource_list(group, parts[-1])
                if out is None:
                    raise no_resource()
                return 200, out, "application/json", {}, "discovery", None
            if len(parts) == 2 and parts[0] == "apis":
                with self.server.store.lock:
                    vs = self.server.store.groups().get(parts[1])
                if not vs:
                    raise no_resource()
                g = api.api_group(parts[1], vs)
                g.update({"kind": "APIGroup", "apiVersion": "v1"})
                return 200, g, "application/json", {}, "discovery", None
        return self.resource_request(method, parts, q, body, who, accept)

    def openapi(self, path, accept):
        """/openapi/v2 and /openapi/v3: minimal documents. kubectl reads
        them for client-side validation and to learn whether the server
        supports the fieldValidation parameter; every PATCH lists it, as a
        v1.26+ server's do.
        https://kubernetes.io/docs/concepts/overview/kubernetes-api/#openapi-interface-definition
        """
        if path == "/openapi/v2":
            if "protobuf" in accept and "json" not in accept.split(",")[0]:
                raise _Raw(200, openapi_v2_protobuf(),
                           "application/com.github.proto-openapi.spec.v2."
                           "v1.0+protobuf")
            return 200, {"swagger": "2.0",
                         "info": {"title": "Kubernetes",
                                  "version": GIT_VERSION},
                         "paths": {}, "definitions": {}}, \
                "application/json", {}, "discovery", None
        store = self.server.store
        if path == "/openapi/v3":
            with store.lock:
                gv = {(g, v) for g, v, _ in store.resources}
            paths = {}
            for g, v in sorted(gv):
                key = "api/v1" if not g else "apis/%s/%s" % (g, v)
                paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (
                    key, "%08X" % (store.generation * 2654435761 % 2**32))}
            return 200, {"paths": paths}, "application/json", {}, \
                "discovery", None
        rest = path[len("/openapi/v3/"):].strip("/").split("/")
        if rest[0] == "api":
            group, version = "", rest[1] if len(rest) > 1 else ""
        elif len(rest) == 3:
            group, version = rest[1], rest[2]
        else:
            raise no_resource()
        with store.lock:
            rs = [r for (g, v, _), r in store.resources.items()
                  if g == group and v == version]
        if not rs:
            raise no_resource()
        return 200, openapi_v3_doc(rs), "application/json", {}, \
            "discovery", None

    def resource_request(self, method, parts, q, body, who, accept):
        """/api/v1/..., /apis/G/V/...: the object and collection endpoints
        (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris)."""
        api = self.server.api
        store = self.server.store
        if parts and parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts and parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise no_resource()
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2]:
            ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise no_resource()
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        with store.lock:
            res = store.find(group, version, plural)
        if res is None or (ns is not None and not res.namespaced):
            raise no_resource()
        if sub is not None and not (sub == "status" and res.status):
            raise no_resource()
        if res.namespaced and ns is None and name is not None:
            raise no_resource()
        if method == "GET":
            verb = "get" if name else ("watch" if q.get("watch") in
                                       ("1", "true") else "list")
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
                    "DELETE": "delete" if name else "deletecollection"}.get(
                        method)
            if verb is None:
                raise ApiError(405, "MethodNotAllowed",
                               "the server does not allow this method on the "
                               "requested resource")
        if verb == "create" and name is not None:
            raise ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the "
                           "requested resource")
        if verb in ("update", "patch") and name is None:
            raise ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the "
                           "requested resource")
        self.req_verb, self.req_res = verb, res.plural
        user, groups = who
        if verb not in ("get", "list", "watch") and not can_write(groups):
            raise forbidden(res, name, user, verb, ns)
        stat = res.plural
        if verb == "watch":
            self.watch(res, ns, q)
            raise _Handled()
        if verb == "get":
            obj = api.get(res, ns, name)
            return self.render_one(res, obj, accept, 200) + (verb, stat)
        if verb == "list":
            items, meta = api.list(res, ns, q)
            return self.render_list(res, items, meta, accept, q) + \
                (verb, stat)
        dry = q.get("dryRun") == "All"
        if q.get("dryRun") not in (None, "", "All"):
            raise bad_request('Invalid dryRun value: %s' % q.get("dryRun"))
        if dry:
            self.server.stats.count("dryRun")
        if verb == "deletecollection":
            return self.delete_collection(res, ns, q, dry, body) + \
                (verb, stat)
        if verb == "delete":
            return self.delete(res, ns, name, q, body, dry) + (verb, stat)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        code, obj = self.write(method, res, ns, name, sub, q, body, ctype, dry,
                               user)
        return code, strip_for_output(obj), "application/json", {}, verb, stat

    # -- reads -------------------------------------------------------------

    def watch(self, res, ns, q):
        """?watch=true: a stream of {"type": ADDED|MODIFIED|DELETED,
        "object": ...} lines, chunked, until timeoutSeconds (default 30 s
        here) or the client goes away. Starting from resourceVersion; with
        none (or "0"), every current object comes first as ADDED.
        https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
        The store is polled every 20 ms rather than notified."""
        store = self.server.store
        lsel = parse_label_selector(q.get("labelSelector"))
        fsel = parse_field_selector(q.get("fieldSelector"))
        try:
            timeout = float(q.get("timeoutSeconds") or 30)
        except ValueError as e:
            raise bad_request("invalid timeoutSeconds: %s" % e) from e
        start = q.get("resourceVersion") or "0"
        try:
            start = int(start)
        except ValueError as e:
            raise bad_request("invalid resourceVersion: %s" % e) from e

        def snapshot():
            with store.lock:
                out = {}
                for k, o in store.bucket(res).items():
                    if ns is not None and k[0] != ns:
                        continue
                    labels = o["metadata"].get("labels") or {}
                    if all(p(labels) for p in lsel) and \
                            all(p(k) for p in fsel):
                        out[k] = o
                return out

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

        def emit(kind, obj):
            line = json.dumps({"type": kind, "object": obj},
                              separators=(",", ":")).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))

        seen = {}
        for k, o in snapshot().items():
            if start == 0 or int(o["metadata"]["resourceVersion"]) > start:
                emit("ADDED", o)
            seen[k] = o
        end = time.monotonic() + timeout
        try:
            while time.monotonic() < end and not self.server.stopping:
                time.sleep(0.02)
                now = snapshot()
                for k, o in now.items():
                    if k not in seen:
                        emit("ADDED", o)
                    elif o is not seen[k] and o["metadata"][
                            "resourceVersion"] != seen[k]["metadata"][
                                "resourceVersion"]:
                        emit("MODIFIED", o)
                for k in [k for k in seen if k not in now]:
                    emit("DELETED", seen[k])
                seen = now
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def render_one(self, res, obj, accept, code):
        """One object as JSON, PartialObjectMetadata or a Table."""
        w = want_as(accept, ("PartialObjectMetadata", "Table"))
        if w and w[0] == "PartialObjectMetadata":
            return code, partial(obj, w[1]), \
                "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=" \
                + w[1], {}
        if w and w[0] == "Table":
            return code, table(res, [obj], {"resourceVersion":
                                            obj["metadata"]["resourceVersion"]},
                               w[1], "Metadata"), "application/json", {}
        return code, strip_for_output(obj), "application/json", {}

    def render_list(self, res, items, meta, accept, q):
        """A list as <Kind>List, PartialObjectMetadataList or a Table.
        https://kubernetes.io/docs/reference/using-api/api-concepts/#collections
        """
        w = want_as(accept, ("PartialObjectMetadataList", "Table"))
        if w and w[0] == "PartialObjectMetadataList":
            return 200, {"kind": "PartialObjectMetadataList",
                         "apiVersion": "meta.k8s.io/" + w[1],
                         "metadata": meta,
                         "items": [partial(o, w[1]) for o in items]}, \
                "application/json;as=PartialObjectMetadataList;" \
                "g=meta.k8s.io;v=" + w[1], {}
        if w and w[0] == "Table":
            return 200, table(res, items, meta, w[1],
                              q.get("includeObject") or "Metadata"), \
                "application/json", {}
        out = []
        for o in items:
            o = strip_for_output(o)
            if not res.custom:
                # typed lists carry no apiVersion/kind on their items
                o = {k: v for k, v in o.items()
                     if k not in ("apiVersion", "kind")}
            out.append(o)
        return 200, {"kind": res.kind + "List", "apiVersion": res.api_version,
                     "metadata": meta, "items": out}, "application/json", {}

    # -- writes ------------------------------------------------------------

    def write(self, method, res, ns, name, sub, q, body, ctype, dry, user):
        """POST, PUT and PATCH (apply, merge, strategic, JSON patch)."""
        store = self.server.store
        api = self.server.api
        manager = q.get("fieldManager")
        ua = self.headers.get("User-Agent") or ""
        is_apply = method == "PATCH" and ctype == "application/apply-patch+yaml"
        if is_apply:
            if not manager:
                # https://kubernetes.io/docs/reference/using-api/server-side-apply/#using-server-side-apply-in-a-controller
                raise bad_request("PatchOptions.meta.k8s.io \"\" is invalid: "
                                  "fieldManager: Required value: is required "
                                  "for apply patch")
            force = q.get("force") in ("true", "1")
        elif q.get("force"):
            raise bad_request("PatchOptions.meta.k8s.io \"\" is invalid: "
                              "force: Forbidden: may not be specified for "
                              "non-apply patch")
        if not manager:
            # the default manager is the User-Agent's first word
            # (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go
            # prefixFromUserAgent)
            manager = ua.split("/")[0] or "unknown"
        if method in ("POST", "PUT") and ctype not in (
                "application/json", "application/yaml", ""):
            # this server decodes JSON (and YAML) only; the real one also
            # takes application/vnd.kubernetes.protobuf
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format "
                           "- accepted media types include: application/json, "
                           "application/yaml")
        payload = decode_body(body, ctype, method, is_apply)
        if method in ("POST", "PUT") or is_apply:
            if not isinstance(payload, dict):
                raise bad_request("Object 'Kind' is missing in '%s'" %
                                  body[:100].decode("utf-8", "replace"))
            if method == "POST":
                name = ((payload.get("metadata") or {}).get("name") or "")
            self.check_kind(res, payload, body)
            check_data_strings(res, payload, is_apply)
            md = payload.get("metadata") or {}
            if name and md.get("name") not in (None, name):
                raise bad_request(
                    "the name of the object (%s) does not match the name on "
                    "the URL (%s)" % (md.get("name"), name))
        now = now_rfc3339()
        with store.lock:
            bucket = store.bucket(res)
            live = bucket.get((ns or "", name)) if name else None
            if live is None:
                api.check_namespace(res, ns, name)
            if method == "POST":
                if name and (ns or "", name) in bucket:
                    api.validate(res, payload, name, ns)
                    raise already_exists(res, name)
                new = copy.deepcopy(payload)
                new.setdefault("metadata", {})
                for k in IGNORED_META - {"name", "namespace"}:
                    new["metadata"].pop(k, None)
                code = 201
            elif method == "PUT":
                new = copy.deepcopy(payload)
                if live is None:
                    # PUT creates (AllowCreateOnUpdate) only for some kinds;
                    # most answer NotFound
                    raise not_found(res, name)
                rv = (new.get("metadata") or {}).get("resourceVersion")
                if rv and rv != live["metadata"]["resourceVersion"]:
                    # optimistic concurrency:
                    # https://kubernetes.io/docs/reference/using-api/api-concepts/#conflicts
                    raise ApiError(409, "Conflict",
                                   'Operation cannot be fulfilled on %s "%s": '
                                   'the object has been modified; please apply '
                                   'your changes to the latest version and try '
                                   'again' % (res.gr, name),
                                   _details(res, name))
                code = 200
            elif is_apply and live is not None and apply_is_noop(
                    res.api_version, live, payload, manager):
                # the fast path of a no-op apply: nothing to copy or merge
                return 200, live
            elif is_apply:
                new = apply_patch(res.api_version, live, payload, manager,
                                  force, now)
                code = 201 if live is None else 200
            else:
                if live is None:
                    raise not_found(res, name)
                base = strip_for_output(live)
                if ctype == "application/merge-patch+json":
                    new = json_merge_patch(base, payload)
                elif ctype == "application/strategic-merge-patch+json":
                    if res.custom:
                        raise ApiError(
                            415, "UnsupportedMediaType",
                            "the body of the request was in an unknown format"
                            " - accepted media types include: "
                            "application/json-patch+json, "
                            "application/merge-patch+json, "
                            "application/apply-patch+yaml")
                    new = strategic_merge_patch(base, payload)
                elif ctype == "application/json-patch+json":
                    new = json_patch(base, payload)
                else:
                    raise ApiError(
                        415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format - "
                        "accepted media types include: "
                        "application/json-patch+json, "
                        "application/merge-patch+json, "
                        "application/apply-patch+yaml")
                check_data_strings(res, new, False)
                code = 200
            new.setdefault("metadata", {})
            new["apiVersion"] = res.api_version
            new["kind"] = res.kind
            new["metadata"]["name"] = name
            if res.namespaced:
                new["metadata"]["namespace"] = ns
            else:
                new["metadata"].pop("namespace", None)
            if live is not None and sub != "status" and "status" in live:
                new["status"] = copy.deepcopy(live["status"])
            elif live is None and not res.custom and \
                    res.kind != "Namespace":
                new.pop("status", None)
            if res.kind == "Namespace":
                store.finish_namespace(new)
            if res.kind == "Deployment" and isinstance(new.get("spec"), dict):
                new["spec"].setdefault("replicas", 1)
            api.validate(res, new, name, ns, live)
            api.admit(res, new, name)
            if not is_apply:
                update_fields(res.api_version, live, new, manager, now)
            if live is not None:
                for k in ("uid", "creationTimestamp", "resourceVersion",
                          "generation", "deletionTimestamp"):
                    if k in live["metadata"]:
                        new["metadata"][k] = live["metadata"][k]
                    else:
                        new["metadata"].pop(k, None)
                if same_but_times(new, live):
                    # a no-op write keeps the object and its resourceVersion
                    # (https://kubernetes.io/docs/reference/using-api/server-side-apply/
                    # "... without changing the object")
                    return 200, live
                if "generation" in new["metadata"] and \
                        spec_of(new) != spec_of(live):
                    new["metadata"]["generation"] += 1
                new["metadata"]["resourceVersion"] = \
                    str(store.rv + 1) if dry else store.next_rv()
            else:
                store.stamp_new(new, res, q, dry)
            if res.kind == "CustomResourceDefinition" and not dry:
                crd_written(self.server, new, live)
            if not dry:
                bucket[(ns or "", name)] = new
            return code, new

    def check_kind(self, res, payload, body):
        """The body's apiVersion and kind must be the endpoint's (the
        codec's check; a mismatch is a 400 as the real server answers)."""
        kind = payload.get("kind")
        av = payload.get("apiVersion")
        if not kind:
            raise bad_request("Object 'Kind' is missing in '%s'" %
                              body[:200].decode("utf-8", "replace"))
        if av and (av != res.api_version or kind != res.kind):
            raise bad_request(
                "the API version in the data (%s) does not match the expected "
                "API version (%s)" % (av, res.api_version)
                if av != res.api_version else
                "the kind in the data (%s) does not match the expected kind "
                "(%s)" % (kind, res.kind))

    def delete(self, res, ns, name, q, body, dry):
        """DELETE one object. Namespaced and cluster objects go at once (no
        finalizers, no graceful deletion here); the answer is the object for
        the registries with ReturnDeletedObject, else a Success Status
        (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go).
        propagationPolicy Orphan/Background/Foreground are accepted.
        https://kubernetes.io/docs/concepts/architecture/garbage-collection/#cascading-deletion
        """
        opts = {}
        if body.strip():
            try:
                opts = json.loads(body)
            except ValueError as e:
                raise bad_request("error decoding DeleteOptions: %s" % e) \
                    from e
        policy = q.get("propagationPolicy") or opts.get("propagationPolicy")
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise bad_request(
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: '
                'Unsupported value: "%s": supported values: "Foreground", '
                '"Background", "Orphan", "nil"' % policy)
        store = self.server.store
        with store.lock:
            bucket = store.bucket(res)
            obj = bucket.get((ns or "", name))
            if obj is None:
                raise not_found(res, name)
            pre = (opts.get("preconditions") or {})
            if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
                raise ApiError(
                    409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": Precondition '
                    'failed: UID in precondition: %s, UID in object meta: %s'
                    % (res.gr, name, pre["uid"], obj["metadata"]["uid"]),
                    _details(res, name))
            out = copy.deepcopy(obj)
            if res.kind == "Namespace":
                # Deleting a namespace marks it Terminating; the namespace
                # controller deletes its content, then the namespace.
                # https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
                if not out["metadata"].get("deletionTimestamp"):
                    out["metadata"]["deletionTimestamp"] = now_rfc3339()
                    out["metadata"]["deletionGracePeriodSeconds"] = 0
                out["status"] = {"phase": "Terminating"}
                if not dry:
                    out["metadata"]["resourceVersion"] = store.next_rv()
                    bucket[("", name)] = out
                    finalize_namespace_later(self.server, name,
                                             out["metadata"]["uid"])
            elif not dry:
                del bucket[(ns or "", name)]
                if res.kind == "CustomResourceDefinition":
                    crd_deleted(self.server, obj)
                store.next_rv()
        if (res.group, res.plural) in RETURNS_DELETED or res.custom:
            return 200, strip_for_output(out), "application/json", {}
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                     "status": "Success",
                     "details": dict(_details(res, name),
                                     uid=obj["metadata"]["uid"])}, \
            "application/json", {}

    def delete_collection(self, res, ns, q, dry, body):
        """DELETE a collection (with selectors): the deleted objects as a
        list."""
        items, meta = self.server.api.list(res, ns, q)
        store = self.server.store
        if not dry:
            with store.lock:
                b = store.bucket(res)
                for o in items:
                    b.pop((o["metadata"].get("namespace", ""),
                           o["metadata"]["name"]), None)
                store.next_rv()
        return self.render_list(res, items, meta, "", q)


def classify(method, path, q):
    """(verb, resource) of a request from its path alone, as the real
    server's RequestInfoFactory does (staging/src/k8s.io/apiserver/pkg/
    endpoints/request/requestinfo.go); ("discovery", None) for the rest."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        rest = parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        rest = parts[3:]
    else:
        return "discovery", None
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]
    named = len(rest) >= 2
    if method == "GET":
        if q.get("watch") in ("1", "true"):
            return "watch", rest[0]
        return ("get" if named else "list"), rest[0]
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if named else "deletecollection"}.get(
                method, method.lower()), rest[0]


class _Raw(Exception):
    """A non-JSON answer (health checks, protobuf OpenAPI)."""

    def __init__(self, code, data, ctype):
        super().__init__(ctype)
        self.code, self.data, self.ctype = code, data, ctype


def decode_body(body, ctype, method, is_apply):
    """The request body as JSON. Apply bodies may be YAML; kubectl and
    client-go send JSON (which is YAML), and a small YAML subset is read
    otherwise."""
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError as e:
        if is_apply:
            try:
                return simple_yaml(text)
            except ValueError as e2:
                raise bad_request("error decoding YAML: %s" % e2) from e2
        raise bad_request(
            "couldn't get version/kind; json parse error: %s" % e) from e


def simple_yaml(text):
    """Block-style YAML maps, lists and scalars (no anchors, no flow
    collections beyond [] and {}), enough for hand-written apply bodies."""
    lines = []
    for raw in text.splitlines():
        s = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") \
            else ""
        if s.strip() and s.strip() != "---":
            lines.append((len(s) - len(s.lstrip()), s.strip()))

    def scalar(v):
        if v in ("", "~", "null"):
            return None
        if v in ("true", "false"):
            return v == "true"
        if v == "[]":
            return []
        if v == "{}":
            return {}
        if v[0] in "\"'" and v[-1] == v[0]:
            return json.loads(v) if v[0] == '"' else v[1:-1]
        if re.match(r"^-?\d+$", v):
            return int(v)
        if re.match(r"^-?\d+\.\d+$", v):
            return float(v)
        return v

    def block(i, indent):
        if i >= len(lines):
            return None, i
        if lines[i][1].startswith("- ") or lines[i][1] == "-":
            out = []
            while i < len(lines) and lines[i][0] == indent and \
                    (lines[i][1].startswith("- ") or lines[i][1] == "-"):
                rest = lines[i][1][2:].strip()
                if not rest:
                    v, i = block(i + 1, lines[i + 1][0] if i + 1 < len(lines)
                                 else indent + 2)
                    out.append(v)
                elif re.match(r"^[^\"'\s][^:]*:(\s|$)", rest):
                    lines[i] = (indent + 2, rest)
                    v, i = block(i, indent + 2)
                    out.append(v)
                else:
                    out.append(scalar(rest))
                    i += 1
            return out, i
        out = {}
        while i < len(lines) and lines[i][0] == indent:
            m = re.match(r"^(\"[^\"]*\"|'[^']*'|[^:]+):(?:\s+(.*))?$",
                         lines[i][1])
            if not m:
                raise ValueError("cannot parse line %r" % lines[i][1])
            key = m.group(1).strip("\"'")
            if m.group(2) is not None and m.group(2) != "":
                out[key] = scalar(m.group(2))
                i += 1
            elif i + 1 < len(lines) and (lines[i + 1][0] > indent or (
                    lines[i + 1][0] == indent and
                    lines[i + 1][1].startswith("-"))):
                out[key], i = block(i + 1, lines[i + 1][0])
            else:
                out[key] = None
                i += 1
        return out, i

    value, _ = block(0, lines[0][0] if lines else 0)
    return value if value is not None else {}


def json_patch(target, ops):
    """RFC 6902 JSON patch (application/json-patch+json): add, remove,
    replace, test."""
    doc = copy.deepcopy(target)
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type "
                          "jsonpatch.Patch")
    for op in ops:
        toks = [t.replace("~1", "/").replace("~0", "~")
                for t in op.get("path", "").split("/")[1:]]
        parent = doc
        for t in toks[:-1]:
            parent = parent[int(t)] if isinstance(parent, list) else parent[t]
        last = toks[-1] if toks else None
        kind = op.get("op")
        if kind in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op.get("value"))
                elif kind == "add":
                    parent.insert(int(last), op.get("value"))
                else:
                    parent[int(last)] = op.get("value")
            else:
                parent[last] = op.get("value")
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        elif kind == "test":
            cur = parent[int(last)] if isinstance(parent, list) else \
                parent.get(last)
            if cur != op.get("value"):
                raise ApiError(422, "Invalid", "the server rejected our "
                               "request due to an error in our request")
    return doc


def strip_for_output(obj):
    """The object as served (already in its served form)."""
    return obj


def partial(obj, version):
    """PartialObjectMetadata of an object.
    https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
    (and the as=PartialObjectMetadata variant used by metadata-only
    clients, staging/src/k8s.io/client-go/metadata)."""
    return {"kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/" + (version or "v1"),
            "metadata": obj["metadata"]}


def table(res, items, meta, version, include):
    """A meta.k8s.io Table as `kubectl get` asks for it; the columns of the
    real printers for ConfigMaps and Deployments (pkg/printers/internalversion
    /printers.go), Name and Age otherwise.
    https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
    """
    name_col = {"name": "Name", "type": "string", "format": "name",
                "description": "Name must be unique within a namespace.",
                "priority": 0}
    age_col = {"name": "Age", "type": "string", "format": "",
               "description": "CreationTimestamp is a timestamp representing "
                              "the server time when this object was created.",
               "priority": 0}
    cols = [name_col]
    extra = None
    if res.kind == "ConfigMap" and not res.group:
        cols.append({"name": "Data", "type": "integer", "format": "",
                     "description": "Data contains the configuration data.",
                     "priority": 0})

        def extra(o):
            return [len(o.get("data") or {}) + len(o.get("binaryData") or {})]
    elif res.kind == "Deployment":
        cols += [{"name": n, "type": t, "format": "", "description": n,
                  "priority": 0} for n, t in
                 (("Ready", "string"), ("Up-to-date", "integer"),
                  ("Available", "integer"))]

        def extra(o):
            st = o.get("status") or {}
            want = (o.get("spec") or {}).get("replicas", 1)
            return ["%d/%d" % (st.get("readyReplicas", 0), want),
                    st.get("updatedReplicas", 0),
                    st.get("availableReplicas", 0)]
    elif res.kind == "Namespace":
        cols.append({"name": "Status", "type": "string", "format": "",
                     "description": "The status of the namespace",
                     "priority": 0})

        def extra(o):
            return [(o.get("status") or {}).get("phase", "")]
    cols.append(age_col)
    rows = []
    for o in items:
        cells = [o["metadata"]["name"]]
        if extra:
            cells += extra(o)
        cells.append(_age(o["metadata"].get("creationTimestamp")))
        row = {"cells": cells}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = partial(o, "v1")
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/" + (version or "v1"),
            "metadata": meta, "columnDefinitions": cols, "rows": rows}


def openapi_v3_doc(resources):
    """A minimal OpenAPI v3 document for one group-version: a path per
    resource whose PATCH names the fieldValidation and dryRun parameters,
    with x-kubernetes-group-version-kind, so that kubectl's
    QueryParamVerifierV3 (staging/src/k8s.io/cli-runtime/pkg/resource/
    query_param_verifier_v3.go) finds server-side field validation."""
    paths = {}
    for r in resources:
        base = "/api/" + r.version if not r.group else \
            "/apis/%s/%s" % (r.group, r.version)
        p = base + ("/namespaces/{namespace}/" if r.namespaced else "/") + \
            r.plural + "/{name}"
        gvk = {"group": r.group, "version": r.version, "kind": r.kind}
        params = [{"name": n, "in": "query", "schema": {"type": "string"},
                   "uniqueItems": True}
                  for n in ("dryRun", "fieldManager", "fieldValidation",
                            "force")]
        op = {"operationId": "patch" + r.kind, "parameters": params,
              "x-kubernetes-action": "patch",
              "x-kubernetes-group-version-kind": gvk,
              "responses": {"200": {"description": "OK"}}}
        paths[p] = {"patch": op,
                    "get": {"operationId": "read" + r.kind,
                            "x-kubernetes-action": "get",
                            "x-kubernetes-group-version-kind": gvk,
                            "responses": {"200": {"description": "OK"}}}}
    return {"openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": paths, "components": {"schemas": {}}}


def _pb_bytes(field, data):
    """A protobuf length-delimited field."""
    n = len(data)
    varint = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            varint += bytes([b | 0x80])
        else:
            varint += bytes([b])
            break
    return bytes([(field << 3) | 2]) + varint + data


def openapi_v2_protobuf():
    """A minimal gnostic openapi_v2.Document in protobuf (swagger "2.0",
    info): no definitions, so kubectl's client-side schema validation has
    nothing to check (it skips kinds it has no schema for)."""
    info = _pb_bytes(1, b"Kubernetes") + _pb_bytes(2, GIT_VERSION.encode())
    return _pb_bytes(1, b"2.0") + _pb_bytes(2, info)


# ---------------------------------------------------------------------------
# CRDs: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
# A CRD's kinds are served once it is Established, which the real server
# does asynchronously (the establishing controller in apiextensions-apiserver
# pkg/controller/establish); here after --establish-delay seconds.
# ---------------------------------------------------------------------------

def crd_resources(crd):
    """The Resources a CRD serves."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served", True):
            continue
        out.append(Resource(spec.get("group", ""), v.get("name", ""),
                            names.get("plural", ""),
                            names.get("singular") or
                            names.get("kind", "").lower(),
                            names.get("kind", ""),
                            spec.get("scope") == "Namespaced",
                            names.get("shortNames") or [],
                            names.get("categories") or [],
                            bool((v.get("subresources") or {}).get("status")),
                            custom=True))
    return out


def crd_written(server, crd, old):
    """After a CRD is stored: (re)establish it after the delay. Called with
    the store lock held."""
    store = server.store
    if old is not None:
        for r in crd_resources(old):
            store.resources.pop((r.group, r.version, r.plural), None)
        store.generation += 1
    if old is not None and _established(old):
        for r in crd_resources(crd):
            store.add_resource(r)
        _set_crd_status(crd, True)
        return
    _set_crd_status(crd, False)
    name = crd["metadata"]["name"]
    uid = crd["metadata"]["uid"] if "uid" in crd["metadata"] else None

    def establish():
        with store.lock:
            cur = store.bucket_get_crd(name)
            if cur is None or (uid and cur["metadata"].get("uid") != uid):
                return
            new = copy.deepcopy(cur)
            for r in crd_resources(new):
                store.add_resource(r)
            _set_crd_status(new, True)
            new["metadata"]["resourceVersion"] = store.next_rv()
            store.bucket(CRD_RES)[("", name)] = new

    t = threading.Timer(store.establish_delay, establish)
    t.daemon = True
    t.start()


def _established(crd):
    for c in (crd.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Established" and c.get("status") == "True":
            return True
    return False


def _set_crd_status(crd, established):
    """status.conditions NamesAccepted and Established, and acceptedNames."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", names.get("kind", "") + "List")
    t = now_rfc3339()
    conds = [{"type": "NamesAccepted", "status": "True",
              "lastTransitionTime": t, "reason": "NoConflicts",
              "message": "no conflicts found"}]
    if established:
        conds.append({"type": "Established", "status": "True",
                      "lastTransitionTime": t, "reason": "InitialNamesAccepted",
                      "message": "the initial names have been accepted"})
    else:
        conds.append({"type": "Established", "status": "False",
                      "lastTransitionTime": t, "reason": "Installing",
                      "message": "the initial names have been accepted"})
    crd["status"] = {"conditions": conds, "acceptedNames": names,
                     "storedVersions": [v["name"] for v in
                                        spec.get("versions") or []
                                        if v.get("storage")]}


def finalize_namespace_later(server, name, uid):
    """The namespace controller: after --namespace-delay seconds, delete
    everything in the namespace, then the namespace."""
    store = server.store

    def finalize():
        with store.lock:
            nso = store.objects.get(("", "namespaces"), {}).get(("", name))
            if nso is None or nso["metadata"].get("uid") != uid:
                return
            for (_, _), b in store.objects.items():
                for k in [k for k in b if k[0] == name]:
                    del b[k]
            del store.objects[("", "namespaces")][("", name)]
            store.next_rv()

    t = threading.Timer(store.namespace_delay, finalize)
    t.daemon = True
    t.start()


def crd_deleted(server, crd):
    """After a CRD is deleted: stop serving its kinds, drop its objects."""
    store = server.store
    for r in crd_resources(crd):
        store.resources.pop((r.group, r.version, r.plural), None)
        store.objects.pop((r.group, r.plural), None)
    store.generation += 1


CRD_RES = Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                   "customresourcedefinition", "CustomResourceDefinition",
                   False)


def _bucket_get_crd(self, name):
    return self.bucket(CRD_RES).get(("", name))


Store.bucket_get_crd = _bucket_get_crd


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------

class Server(http.server.ThreadingHTTPServer):
    """A threading HTTPS server: TLS handshakes in the connection's thread
    (not in accept), TCP_NODELAY, one SSL context built once."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, addr, ctx, store, users, verbose):
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.store = store
        self.api = Api(store)
        self.users = users
        self.faults = Faults()
        self.stats = Stats()
        self.verbose = verbose
        self.stopping = False

    def finish_request(self, request, client_address):
        """Handshake, then serve the connection."""
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request.settimeout(60)
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            if self.verbose:
                sys.stderr.write("tls handshake failed: %s\n" % e)
            return
        self.stats.count("connections")
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        """Connection errors are the clients' business; stay quiet."""
        if self.verbose:
            super().handle_error(request, client_address)


def main(argv=None):
    """Parse the command line, build the TLS context once, serve."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--establish-delay", type=float, default=0.3)
    ap.add_argument("--namespace-delay", type=float, default=0.1,
                    help="seconds a deleted namespace stays Terminating")
    ap.add_argument("--no-aggregated-discovery", action="store_true",
                    help="answer as a v1.26 server, which has only the "
                    "per-group discovery documents")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    # client certificates are optional, but verified against the CA when sent
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(a.ca)
    ctx.set_alpn_protocols(["http/1.1"])

    store = Store(a.establish_delay, a.namespace_delay)
    srv = Server((a.host, a.port), ctx, store, Users(a.tokens), a.verbose)
    srv.aggregated_discovery = not a.no_aggregated_discovery

    def stop(_sig, _frame):
        srv.stopping = True
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on %s:%d" % (a.host, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
