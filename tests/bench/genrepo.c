/*
 * genrepo: write a repository layout of N Kubernetes objects for the
 * manifest-gen benchmark (make bench).
 *
 * usage: genrepo [-n objects] [-s seed] DIR
 *
 * The output depends only on -n and -s (default 10000 and 1): the random
 * numbers come from our own xorshift64*, never from rand(), and nothing
 * depends on the clock or on readdir order. A smaller -n with the same seed
 * gives the same kind of mix, so 1,000, 3,000 and 10,000 objects compare.
 *
 * The layout is kustomize style, apps/<team>/namespace.yaml and
 * apps/<team>/<app>/..., with each app written one of four ways: a file per
 * object (sometimes under base/) beside a kustomization.yaml that has no
 * kind, one multi-document file (with a comment-only document in it), a
 * "kind: List" file, or a deployment file plus a config/ folder of
 * ConfigMaps. Deployments have two containers, env, resources, probes and
 * comments; ConfigMaps have many keys and block scalars. Helm charts
 * (Chart.yaml, values.yaml, templates/ that are not YAML) are written too:
 * manifest-gen must skip them, and their files are not counted.
 *
 * Every object has a distinct Flux ID, and each item of a List counts as
 * one object, so manifest-gen must emit exactly N object records.
 *
 * stdout: one line, "objects=N files=F bytes=B chartFiles=C chartBytes=D",
 * where files and bytes count the .yaml/.yml files outside the charts.
 * Exit: 0, 64 (usage), 74 (cannot write).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/num.h"
#include "lib/banned.h"

static const char usage_line[] = "usage: genrepo [-n objects] [-s seed] DIR";

static const char *const teams[] = {
	"payments", "search", "identity", "platform", "data", "growth",
	"mobile", "infra", "ml", "checkout", "catalog", "notify"
};
#define NTEAMS (sizeof(teams) / sizeof(teams[0]))

static const char *const words[] = {
	"ledger", "gateway", "indexer", "auth", "session", "billing", "quota",
	"router", "cache", "events", "profile", "ranker", "crawler", "mailer",
	"invoice", "stock", "pricing", "ingest", "export", "audit", "tokens",
	"feature", "cart", "orders", "shipping", "reports", "webhook", "sync"
};
static const char *const roles[] = {
	"api", "worker", "web", "cron", "consumer", "proxy", "grpc", "admin"
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* what is written: the totals for the summary line */
static struct {
	unsigned long objects, files, bytes, chart_files, chart_bytes;
} total;

/* xorshift64* (Vigna), seeded through splitmix64 so that seed 0 works */
static uint64_t rng_state;

static void
rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng_state = z ^ (z >> 31);
	if (rng_state == 0)
		rng_state = 1;
}

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* a number in [0, n) */
static unsigned
rnd(unsigned n)
{
	return (unsigned)((rng_next() >> 32) % n);
}

/* true with probability pct/100 */
static int
chance(unsigned pct)
{
	return rnd(100) < pct;
}

static const char *
pick(const char *const *list, size_t n)
{
	return list[rnd((unsigned)n)];
}

static void
mkdirs(const char *path)
{
	char tmp[4096];
	size_t i, len = strlen(path);

	if (len >= sizeof(tmp)) {
		fprintf(stderr, "genrepo: path too long '%s'\n", path);
		exit(EXIT_IOERR);
	}
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "genrepo: cannot create '%s': %s\n",
			    tmp, strerror(errno));
			exit(EXIT_IOERR);
		}
		tmp[i] = path[i];
	}
}

/* Write b to path (its folders made as needed) and count it. */
static void
write_file(const char *path, const struct buf *b, int chart)
{
	const char *slash = strrchr(path, '/');
	struct buf dir = BUF_INIT;
	FILE *fp;

	if (slash != NULL) {
		buf_add(&dir, path, (size_t)(slash - path));
		mkdirs(dir.s);
		buf_release(&dir);
	}
	fp = fopen(path, "w");
	if (fp == NULL || fwrite(b->s, 1, b->len, fp) != b->len ||
	    fclose(fp) != 0) {
		fprintf(stderr, "genrepo: cannot write '%s': %s\n", path,
		    strerror(errno));
		exit(EXIT_IOERR);
	}
	if (chart) {
		total.chart_files++;
		total.chart_bytes += b->len;
	} else {
		total.files++;
		total.bytes += b->len;
	}
}

/* Append src to dst as a List item: "- " before the first line, two
 * spaces before every other line that is not empty. */
static void
add_as_item(struct buf *dst, const struct buf *src)
{
	const char *p = src->s, *end = src->s + src->len, *nl;
	int first = 1;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		if (first)
			buf_adds(dst, "- ");
		else if (*p != '\n')
			buf_adds(dst, "  ");
		buf_add(dst, p, (size_t)(nl - p));
		first = 0;
		p = nl;
	}
}

static void
add_labels(struct buf *b, const char *indent, const char *app,
    const char *team)
{
	buf_addf(b, "%sapp.kubernetes.io/name: %s\n", indent, app);
	buf_addf(b, "%sapp.kubernetes.io/part-of: %s\n", indent, team);
	buf_addf(b, "%sapp.kubernetes.io/managed-by: sluice\n", indent);
}

static void
gen_namespace(struct buf *b, const char *team)
{
	buf_addf(b, "# namespace of team %s\n", team);
	buf_addf(b, "apiVersion: v1\nkind: Namespace\nmetadata:\n"
	    "  name: %s\n  labels:\n    team: %s\n"
	    "    istio-injection: %s\n", team, team,
	    chance(50) ? "enabled" : "disabled");
}

static void
gen_env(struct buf *b, const char *app, unsigned n)
{
	static const char *const levels[] = { "debug", "info", "warn" };
	unsigned i;

	buf_adds(b, "          env:\n");
	buf_addf(b, "            - name: APP_NAME\n              value: %s\n",
	    app);
	buf_adds(b, "            - name: POD_NAMESPACE\n"
	    "              valueFrom:\n                fieldRef:\n"
	    "                  fieldPath: metadata.namespace\n");
	for (i = 0; i < n; i++) {
		switch (rnd(5)) {
		case 0:
			buf_addf(b, "            - name: LOG_LEVEL_%u\n"
			    "              value: %s\n", i,
			    levels[rnd(NELEM(levels))]);
			break;
		case 1:
			buf_addf(b, "            - name: POOL_SIZE_%u\n"
			    "              value: \"%u\"\n", i, 4 + rnd(60));
			break;
		case 2:
			buf_addf(b, "            - name: FEATURE_%s_%u\n"
			    "              value: '%s'   # toggled per env\n",
			    chance(50) ? "CANARY" : "FASTPATH", i,
			    chance(50) ? "true" : "false");
			break;
		case 3:
			buf_addf(b, "            - name: UPSTREAM_%u_URL\n"
			    "              value: \"http://%s-%s.%s.svc:8080/v%u\"\n",
			    i, pick(words, NELEM(words)),
			    pick(roles, NELEM(roles)),
			    pick(teams, NTEAMS), 1 + rnd(3));
			break;
		default:
			buf_addf(b, "            - name: SETTING_%u\n"
			    "              valueFrom:\n"
			    "                configMapKeyRef:\n"
			    "                  name: %s-config\n"
			    "                  key: setting.%u\n", i, app, i);
		}
	}
}

static void
gen_probe(struct buf *b, const char *which, const char *path,
    const char *port, unsigned delay)
{
	buf_addf(b, "          %s:\n", which);
	if (path != NULL)
		buf_addf(b, "            httpGet:\n              path: %s\n"
		    "              port: %s\n", path, port);
	else
		buf_addf(b, "            tcpSocket:\n              port: %s\n",
		    port);
	buf_addf(b, "            initialDelaySeconds: %u\n"
	    "            periodSeconds: %u\n            timeoutSeconds: %u\n"
	    "            failureThreshold: %u\n", delay, 5 + rnd(4) * 5,
	    1 + rnd(3), 3 + rnd(3));
}

static void
gen_resources(struct buf *b, unsigned cpu, unsigned mem)
{
	buf_addf(b, "          resources:\n            requests:\n"
	    "              cpu: %um\n              memory: %uMi\n"
	    "            limits:\n              cpu: \"%u\"\n"
	    "              memory: %uMi\n", cpu, mem, 1 + cpu / 500, mem * 4);
}

static void
gen_deployment(struct buf *b, const char *app, const char *team,
    unsigned ncm)
{
	unsigned major = rnd(4), minor = rnd(20), patch = rnd(10);

	buf_addf(b, "# %s: %s service of team %s\n", app,
	    pick(roles, NELEM(roles)), team);
	buf_adds(b, "# Changes here are rolled out by sluice; do not kubectl "
	    "edit.\n");
	buf_addf(b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
	    "  name: %s\n  namespace: %s\n  labels:\n", app, team);
	add_labels(b, "    ", app, team);
	buf_addf(b, "    app.kubernetes.io/version: \"%u.%u.%u\"\n",
	    major, minor, patch);
	buf_adds(b, "  annotations:\n");
	if (chance(30)) {
		buf_adds(b, "    fluxcd.io/automated: \"true\"\n");
		buf_addf(b, "    fluxcd.io/tag.app: semver:~%u.%u\n", major,
		    minor);
	}
	buf_addf(b, "    description: >-\n      The %s %s for team %s,\n"
	    "      owned by %s-oncall.\n", pick(words, NELEM(words)),
	    pick(roles, NELEM(roles)), team, team);
	buf_addf(b, "spec:\n  replicas: %u   # HPA takes over above this\n"
	    "  revisionHistoryLimit: 5\n  selector:\n    matchLabels:\n"
	    "      app.kubernetes.io/name: %s\n", 1 + rnd(6), app);
	buf_adds(b, "  strategy:\n    type: RollingUpdate\n"
	    "    rollingUpdate:\n      maxSurge: 25%\n"
	    "      maxUnavailable: 0\n");
	buf_adds(b, "  template:\n    metadata:\n      labels:\n");
	add_labels(b, "        ", app, team);
	buf_addf(b, "      annotations:\n"
	    "        prometheus.io/scrape: \"true\"\n"
	    "        prometheus.io/port: \"9090\"\n"
	    "        checksum/config: %016llx%016llx\n",
	    (unsigned long long)rng_next(), (unsigned long long)rng_next());
	buf_addf(b, "    spec:\n      serviceAccountName: %s\n"
	    "      securityContext:\n        runAsNonRoot: true\n"
	    "        runAsUser: 10001\n        fsGroup: 10001\n"
	    "      terminationGracePeriodSeconds: %u\n", app, 30 + rnd(3) * 15);
	if (chance(25))
		buf_addf(b, "      affinity:\n        podAntiAffinity:\n"
		    "          preferredDuringSchedulingIgnoredDuringExecution:\n"
		    "            - weight: 100\n"
		    "              podAffinityTerm:\n"
		    "                topologyKey: kubernetes.io/hostname\n"
		    "                labelSelector:\n"
		    "                  matchLabels:\n"
		    "                    app.kubernetes.io/name: %s\n", app);

	/* the application container */
	buf_adds(b, "      containers:\n        # the application\n");
	buf_addf(b, "        - name: app\n"
	    "          image: registry.example.com/%s/%s:%u.%u.%u\n"
	    "          imagePullPolicy: IfNotPresent\n"
	    "          args: [\"--config=/etc/%s/config.yaml\", "
	    "\"--listen=:8080\", \"--metrics=:9090\"]\n",
	    team, app, major, minor, patch, app);
	buf_adds(b, "          ports:\n"
	    "            - name: http\n              containerPort: 8080\n"
	    "              protocol: TCP\n"
	    "            - name: metrics\n              containerPort: 9090\n"
	    "              protocol: TCP\n");
	gen_env(b, app, 2 + rnd(5));
	gen_resources(b, 50 + rnd(20) * 50, 64 << rnd(4));
	buf_adds(b, "          # probes tuned for slow cold starts\n");
	gen_probe(b, "livenessProbe", "/healthz", "http", 10 + rnd(5) * 10);
	gen_probe(b, "readinessProbe", "/readyz", "http", 5);
	buf_addf(b, "          volumeMounts:\n            - name: config\n"
	    "              mountPath: /etc/%s\n              readOnly: true\n"
	    "            - name: tmp\n              mountPath: /tmp\n", app);

	/* the sidecar */
	if (chance(50)) {
		buf_addf(b, "        - name: envoy   # mesh sidecar\n"
		    "          image: docker.io/envoyproxy/envoy:v1.%u.%u\n"
		    "          args:\n            - --config-path\n"
		    "            - /etc/envoy/envoy.yaml\n"
		    "            - --log-level\n            - warn\n",
		    24 + rnd(6), rnd(5));
		buf_adds(b, "          ports:\n"
		    "            - name: envoy-admin\n"
		    "              containerPort: 9901\n");
		gen_resources(b, 50, 64);
		gen_probe(b, "livenessProbe", NULL, "9901", 5);
		gen_probe(b, "readinessProbe", "/ready", "9901", 2);
	} else {
		buf_adds(b, "        - name: log-shipper   # ships /var/log/app\n"
		    "          image: docker.io/fluent/fluent-bit:3.0.4\n");
		buf_addf(b, "          env:\n            - name: APP\n"
		    "              value: %s\n            - name: TEAM\n"
		    "              value: %s\n", app, team);
		gen_resources(b, 20, 32);
		buf_adds(b, "          livenessProbe:\n            exec:\n"
		    "              command: [\"/bin/sh\", \"-c\", "
		    "\"test -S /tmp/fluent.sock\"]\n"
		    "            periodSeconds: 30\n");
		gen_probe(b, "readinessProbe", "/api/v1/health", "2020", 3);
	}
	buf_addf(b, "      volumes:\n        - name: config\n"
	    "          configMap:\n            name: %s-config\n"
	    "        - name: tmp\n          emptyDir: {}\n", app);
	if (ncm > 1)
		buf_addf(b, "        # %u more ConfigMaps are read through env\n",
		    ncm - 1);
}

static void
gen_service(struct buf *b, const char *app, const char *team)
{
	buf_addf(b, "apiVersion: v1\nkind: Service\nmetadata:\n"
	    "  name: %s\n  namespace: %s\n  labels:\n", app, team);
	add_labels(b, "    ", app, team);
	buf_addf(b, "spec:\n  type: %s\n  selector:\n"
	    "    app.kubernetes.io/name: %s\n  ports:\n"
	    "    - name: http\n      port: 80\n      targetPort: http\n"
	    "      protocol: TCP\n"
	    "    - name: metrics   # scraped by prometheus\n"
	    "      port: 9090\n      targetPort: metrics\n",
	    chance(85) ? "ClusterIP" : "NodePort", app);
}

/* One block scalar under key (unique within its ConfigMap). */
static void
gen_block(struct buf *b, const char *key)
{
	unsigned i, lines = 6 + rnd(24);

	switch (rnd(3)) {
	case 0:
		buf_addf(b, "  %s.properties: |\n", key);
		buf_adds(b, "    # generated defaults; keep sorted\n");
		for (i = 0; i < lines; i++)
			buf_addf(b, "    %s.%s.%s=%u\n", key,
			    pick(words, NELEM(words)),
			    pick(roles, NELEM(roles)), rnd(100000));
		break;
	case 1:
		buf_addf(b, "  %s.yaml: |\n    server:\n      port: 8080\n"
		    "    upstreams:\n", key);
		for (i = 0; i < lines / 2; i++)
			buf_addf(b, "      - name: %s-%u\n"
			    "        url: http://%s.%s.svc:8080\n",
			    pick(words, NELEM(words)), i,
			    pick(words, NELEM(words)), pick(teams, NTEAMS));
		break;
	default:
		buf_addf(b, "  %s.json: |-\n    {\n", key);
		for (i = 0; i < lines; i++)
			buf_addf(b, "      \"%s_%u\": %u%s\n",
			    pick(words, NELEM(words)), i, rnd(1000),
			    i + 1 < lines ? "," : "");
		buf_adds(b, "    }\n");
	}
}

static void
gen_configmap(struct buf *b, const char *app, const char *team,
    unsigned k)
{
	unsigned i, keys = 5 + rnd(20), blocks = 1 + rnd(2);
	char key[64];

	if (k == 0)
		buf_addf(b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
		    "  name: %s-config\n", app);
	else
		buf_addf(b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
		    "  name: %s-config-%u\n", app, k);
	buf_addf(b, "  namespace: %s\n  labels:\n", team);
	add_labels(b, "    ", app, team);
	buf_adds(b, "data:\n");
	for (i = 0; i < keys; i++) {
		switch (rnd(4)) {
		case 0:
			buf_addf(b, "  setting.%u: \"%u\"\n", i, rnd(65536));
			break;
		case 1:
			buf_addf(b, "  setting.%u: %s-%s\n", i,
			    pick(words, NELEM(words)),
			    pick(roles, NELEM(roles)));
			break;
		case 2:
			buf_addf(b, "  setting.%u: 'on'   # quoted: a bare on "
			    "is a bool\n", i);
			break;
		default:
			buf_addf(b, "  setting.%u: \"https://%s.example.com/"
			    "%s?team=%s\"\n", i, pick(words, NELEM(words)),
			    pick(roles, NELEM(roles)), team);
		}
	}
	for (i = 0; i < blocks; i++) {
		snprintf(key, sizeof(key), "%s-%u", pick(words, NELEM(words)),
		    i);
		buf_addf(b, "  # block %u\n", i);
		gen_block(b, key);
	}
}

enum obj_kind { OBJ_DEPLOYMENT, OBJ_SERVICE, OBJ_CONFIGMAP };

struct object {
	enum obj_kind kind;
	unsigned k;		/* ConfigMap number within the app */
	const char *ext;	/* "yaml", or now and then "yml" */
	struct buf text;
};

static const char *const obj_file[] = {
	"deployment", "service", "configmap"
};

static void
write_kustomization(const char *dir, const struct object *objs, unsigned n)
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	unsigned i;

	buf_adds(&b, "# kustomize entry point; sluice reads the files "
	    "directly, and a\n# document without a kind is not an object\n"
	    "resources:\n");
	for (i = 0; i < n; i++) {
		if (objs[i].kind == OBJ_CONFIGMAP && objs[i].k > 0)
			buf_addf(&b, "  - configmap-%u.yaml\n", objs[i].k);
		else
			buf_addf(&b, "  - %s.%s\n", obj_file[objs[i].kind],
			    objs[i].ext);
	}
	buf_adds(&b, "commonAnnotations:\n  sluice.bench/generated: \"true\"\n");
	buf_addf(&path, "%s/kustomization.yaml", dir);
	write_file(path.s, &b, 0);
	buf_release(&path);
	buf_release(&b);
}

/* One app of at most n objects (n >= 1) under apps/<team>/<app>. */
static void
gen_app(const char *root, unsigned idx, const char *team, unsigned n)
{
	struct object objs[8];
	struct buf dir = BUF_INIT, path = BUF_INIT, b = BUF_INIT;
	char app[64];
	unsigned i, k, ncm, layout = rnd(100);

	snprintf(app, sizeof(app), "%s-%s-%04u", pick(words, NELEM(words)),
	    pick(roles, NELEM(roles)), idx);
	buf_addf(&dir, "%s/apps/%s/%s", root, team, app);

	/* Deployment, Service (mostly), then ConfigMaps, at most n */
	objs[0].kind = OBJ_DEPLOYMENT;
	i = 1;
	if (chance(80))
		objs[i++].kind = OBJ_SERVICE;
	ncm = 1 + (chance(50) ? rnd(4) : 0);
	for (k = 0; k < ncm && i < NELEM(objs); k++) {
		objs[i].kind = OBJ_CONFIGMAP;
		objs[i].k = k;
		i++;
	}
	if (n > i)
		n = i;
	ncm = 0;
	for (i = 0; i < n; i++)
		ncm += objs[i].kind == OBJ_CONFIGMAP;
	for (i = 0; i < n; i++) {
		buf_init(&objs[i].text, 4096);
		objs[i].ext = chance(10) ? "yml" : "yaml";
		switch (objs[i].kind) {
		case OBJ_DEPLOYMENT:
			gen_deployment(&objs[i].text, app, team, ncm);
			break;
		case OBJ_SERVICE:
			gen_service(&objs[i].text, app, team);
			break;
		case OBJ_CONFIGMAP:
			gen_configmap(&objs[i].text, app, team, objs[i].k);
			break;
		}
	}

	if (layout < 40) {
		/* a file per object, kustomize style */
		if (chance(30))
			buf_adds(&dir, "/base");
		for (i = 0; i < n; i++) {
			buf_reset(&path);
			if (objs[i].kind == OBJ_CONFIGMAP && objs[i].k > 0)
				buf_addf(&path, "%s/configmap-%u.yaml", dir.s,
				    objs[i].k);
			else
				buf_addf(&path, "%s/%s.%s", dir.s,
				    obj_file[objs[i].kind], objs[i].ext);
			write_file(path.s, &objs[i].text, 0);
		}
		write_kustomization(dir.s, objs, n);
	} else if (layout < 75) {
		/* one multi-document file */
		buf_addf(&b, "# %s: every object of the app in one file\n---\n",
		    app);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_adds(&b, "---\n");
			if (i == 1)
				buf_adds(&b, "# a document of comments only "
				    "is not an object\n---\n");
			buf_add(&b, objs[i].text.s, objs[i].text.len);
		}
		buf_addf(&path, "%s/%s.yaml", dir.s, app);
		write_file(path.s, &b, 0);
	} else if (layout < 90) {
		/* kind: List */
		buf_addf(&b, "# %s as one List\napiVersion: v1\nkind: List\n"
		    "metadata: {}\nitems:\n", app);
		for (i = 0; i < n; i++)
			add_as_item(&b, &objs[i].text);
		buf_addf(&path, "%s/list.yaml", dir.s);
		write_file(path.s, &b, 0);
	} else {
		/* the workload, and its config in a folder of its own */
		for (i = 0; i < n; i++) {
			if (objs[i].kind == OBJ_CONFIGMAP)
				continue;
			buf_reset(&path);
			buf_addf(&path, "%s/%s.yaml", dir.s,
			    obj_file[objs[i].kind]);
			write_file(path.s, &objs[i].text, 0);
		}
		for (i = 0; i < n; i++) {
			if (objs[i].kind != OBJ_CONFIGMAP)
				continue;
			if (b.len > 0)
				buf_adds(&b, "---\n");
			buf_add(&b, objs[i].text.s, objs[i].text.len);
		}
		if (b.len > 0) {
			buf_reset(&path);
			buf_addf(&path, "%s/config/configmaps.yml", dir.s);
			write_file(path.s, &b, 0);
		}
	}
	total.objects += n;
	for (i = 0; i < n; i++)
		buf_release(&objs[i].text);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&b);
}

/*
 * A Helm chart: manifest-gen must skip the folder (it holds Chart.yaml and
 * values.yaml), so neither the templates, which are not YAML, nor the one
 * plain manifest in it may become objects.
 */
static void
gen_chart(const char *dir, const char *name)
{
	struct buf path = BUF_INIT, b = BUF_INIT;

	buf_addf(&b, "apiVersion: v2\nname: %s\n"
	    "description: A chart in the repository; sluice skips it\n"
	    "type: application\nversion: 0.%u.%u\nappVersion: \"1.%u.0\"\n",
	    name, rnd(10), rnd(10), rnd(30));
	buf_addf(&path, "%s/Chart.yaml", dir);
	write_file(path.s, &b, 1);

	buf_reset(&b);
	buf_reset(&path);
	buf_addf(&b, "# Default values for %s.\nreplicaCount: 1\nimage:\n"
	    "  repository: registry.example.com/charts/%s\n"
	    "  pullPolicy: IfNotPresent\n  tag: \"\"\nservice:\n"
	    "  type: ClusterIP\n  port: 80\nresources: {}\n"
	    "autoscaling:\n  enabled: false\n", name, name);
	buf_addf(&path, "%s/values.yaml", dir);
	write_file(path.s, &b, 1);

	buf_reset(&b);
	buf_reset(&path);
	buf_adds(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
	    "  name: {{ include \"chart.fullname\" . }}\n  labels:\n"
	    "    {{- include \"chart.labels\" . | nindent 4 }}\nspec:\n"
	    "  {{- if not .Values.autoscaling.enabled }}\n"
	    "  replicas: {{ .Values.replicaCount }}\n  {{- end }}\n"
	    "  template:\n    spec:\n      containers:\n"
	    "        - name: {{ .Chart.Name }}\n"
	    "          image: \"{{ .Values.image.repository }}:"
	    "{{ .Values.image.tag | default .Chart.AppVersion }}\"\n"
	    "          resources:\n"
	    "            {{- toYaml .Values.resources | nindent 12 }}\n");
	buf_addf(&path, "%s/templates/deployment.yaml", dir);
	write_file(path.s, &b, 1);

	buf_reset(&b);
	buf_reset(&path);
	buf_addf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
	    "  name: %s-static\n  namespace: default\ndata:\n"
	    "  note: if this is an object, the chart was not skipped\n",
	    name);
	buf_addf(&path, "%s/templates/static.yaml", dir);
	write_file(path.s, &b, 1);

	buf_reset(&b);
	buf_reset(&path);
	buf_adds(&b, "{{- define \"chart.fullname\" -}}\n"
	    "{{- .Release.Name | trunc 63 | trimSuffix \"-\" }}\n"
	    "{{- end }}\n");
	buf_addf(&path, "%s/templates/_helpers.tpl", dir);
	write_file(path.s, &b, 1);

	buf_release(&path);
	buf_release(&b);
}

int
main(int argc, char *argv[])
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	const char *root;
	long n = 10000, seed = 1;
	unsigned idx = 0, t, i, ncharts;
	int ch, has_ns[NTEAMS] = { 0 };

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			if (num_parse_long(optarg, 1, 10000000, &n) < 0) {
				fprintf(stderr, "genrepo: bad -n '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (num_parse_long(optarg, 0, LONG_MAX, &seed) < 0) {
				fprintf(stderr, "genrepo: bad -s '%s'\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "%s\n", usage_line);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s\n", usage_line);
		return EXIT_USAGE;
	}
	root = argv[optind];
	mkdirs(root);
	rng_seed((uint64_t)seed);

	while (total.objects < (unsigned long)n) {
		t = rnd(NTEAMS);
		if (!has_ns[t]) {
			has_ns[t] = 1;
			buf_reset(&b);
			buf_reset(&path);
			gen_namespace(&b, teams[t]);
			buf_addf(&path, "%s/apps/%s/namespace.yaml", root,
			    teams[t]);
			write_file(path.s, &b, 0);
			total.objects++;
			continue;
		}
		gen_app(root, idx++, teams[t],
		    (unsigned)((unsigned long)n - total.objects));
	}

	/* one chart per 2,500 objects or part: at the top, and in apps/ */
	ncharts = 1 + (unsigned)(n / 2500);
	for (i = 0; i < ncharts; i++) {
		buf_reset(&path);
		buf_reset(&b);
		buf_addf(&b, "bench-%u", i);
		if (i % 2 == 0)
			buf_addf(&path, "%s/charts/%s", root, b.s);
		else
			buf_addf(&path, "%s/apps/%s/charts/%s", root,
			    teams[rnd(NTEAMS)], b.s);
		gen_chart(path.s, b.s);
	}

	printf("objects=%lu files=%lu bytes=%lu chartFiles=%lu "
	    "chartBytes=%lu\n", total.objects, total.files, total.bytes,
	    total.chart_files, total.chart_bytes);
	buf_release(&path);
	buf_release(&b);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "genrepo: cannot write stdout: %s\n",
		    strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}
