#include "lib/rank.h"

#include <stddef.h>
#include <strings.h>

#include "lib/banned.h"

static const struct {
	const char *kind;
	int rank;
} ranks[] = {
	{ "Namespace", 0 },
	{ "CustomResourceDefinition", 1 },
	{ "ServiceAccount", 1 },
	{ "ClusterRole", 1 },
	{ "Role", 1 },
	{ "PersistentVolume", 1 },
	{ "Service", 1 },
	{ "ResourceQuota", 2 },
	{ "LimitRange", 2 },
	{ "Secret", 2 },
	{ "ConfigMap", 2 },
	{ "RoleBinding", 2 },
	{ "ClusterRoleBinding", 2 },
	{ "PersistentVolumeClaim", 2 },
	{ "Ingress", 2 },
	{ "DaemonSet", 3 },
	{ "Deployment", 3 },
	{ "ReplicationController", 3 },
	{ "ReplicaSet", 3 },
	{ "Job", 3 },
	{ "CronJob", 3 },
	{ "StatefulSet", 3 },
};

int
rank_of_kind(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++)
		if (strcasecmp(kind, ranks[i].kind) == 0)
			return ranks[i].rank;
	return RANK_MAX;
}
