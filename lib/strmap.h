/*
 * strmap.h: a hash map from strings to pointers (open addressing, FNV-1a).
 * Keys are copied and owned by the map; values are borrowed unless the
 * caller says otherwise to strmap_release (a free function for values).
 */
#ifndef SLUICE_STRMAP_H
#define SLUICE_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	char *key;		/* NULL: empty */
	size_t len;
	unsigned long hash;
	void *value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, count;
};
#define STRMAP_INIT { NULL, 0, 0 }

/* The value stored under key (n bytes), or NULL. */
void *strmap_getn(const struct strmap *m, const char *key, size_t n);
void *strmap_get(const struct strmap *m, const char *key);
/*
 * Store value under key. If the key was there, its old value is returned
 * through *old (may be NULL) and replaced; returns 1 if it was new, 0 if
 * it replaced.
 */
int strmap_put(struct strmap *m, const char *key, void *value, void **old);
int strmap_putn(struct strmap *m, const char *key, size_t n, void *value,
    void **old);
/* Free the keys, and each value with free_value unless it is NULL. */
void strmap_release(struct strmap *m, void (*free_value)(void *));

/*
 * A strmap that also keeps its keys in the order they first came, for
 * tools whose output follows their input's order (one record per source,
 * in the order the sources appeared). Items are the map's values.
 */
struct ordmap {
	struct strmap map;
	char **keys;		/* copies, in first-come order */
	size_t n;
};
#define ORDMAP_INIT { STRMAP_INIT, NULL, 0 }

/*
 * The item under key; made (size bytes, zeroed, owned by the map) when
 * there is none, with *added set to 1 (else 0).
 */
void *ordmap_get(struct ordmap *m, const char *key, size_t size, int *added);
/*
 * ordmap_get for items whose first member is "char *name": a new item
 * gets a copy of key there (the caller's free_item frees it).
 */
void *ordmap_named(struct ordmap *m, const char *key, size_t size);
/* The i-th item in first-come order. */
void *ordmap_at(const struct ordmap *m, size_t i);
/* Free each item with free_item (NULL: free), and the map. */
void ordmap_release(struct ordmap *m, void (*free_item)(void *));

#endif
