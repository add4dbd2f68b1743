/*
 * rank.h: Flux v1's apply order (reference §5.4, rankOfKind): Namespaces
 * first, then CRDs, ServiceAccounts, roles, PersistentVolumes and
 * Services, then quotas, Secrets, ConfigMaps, bindings, claims and
 * Ingresses, then workloads, then everything else (custom resources,
 * HelmReleases, HPAs...). Deletes go in the reverse order.
 */
#ifndef SLUICE_RANK_H
#define SLUICE_RANK_H

#define RANK_MAX 4

/* The rank of kind (compared without regard to case), 0 to RANK_MAX. */
int rank_of_kind(const char *kind);

#endif
