#include "lib/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

static unsigned long
hash(const char *s, size_t n)
{
	unsigned long h = 14695981039346656037UL;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211UL;
	}
	return h;
}

static struct strmap_slot *
find(const struct strmap *m, const char *key, size_t n, unsigned long h)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct strmap_slot *s = &m->slots[i];

		if (s->key == NULL)
			return s;
		if (s->hash == h && s->len == n && memcmp(s->key, key, n) == 0)
			return s;
	}
}

void *
strmap_getn(const struct strmap *m, const char *key, size_t n)
{
	struct strmap_slot *s = find(m, key, n, hash(key, n));

	return s && s->key ? s->value : NULL;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	return strmap_getn(m, key, strlen(key));
}

static void
grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < old.cap; i++) {
		struct strmap_slot *s = &old.slots[i];

		if (s->key != NULL)
			*find(m, s->key, s->len, s->hash) = *s;
	}
	free(old.slots);
}

int
strmap_putn(struct strmap *m, const char *key, size_t n, void *value,
    void **old)
{
	unsigned long h = hash(key, n);
	struct strmap_slot *s;

	if ((m->count + 1) * 4 > m->cap * 3)
		grow(m);
	s = find(m, key, n, h);
	if (s->key != NULL) {
		if (old)
			*old = s->value;
		s->value = value;
		return 0;
	}
	s->key = xmemdup(key, n);
	s->len = n;
	s->hash = h;
	s->value = value;
	m->count++;
	if (old)
		*old = NULL;
	return 1;
}

int
strmap_put(struct strmap *m, const char *key, void *value, void **old)
{
	return strmap_putn(m, key, strlen(key), value, old);
}

void
strmap_release(struct strmap *m, void (*free_value)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		free(m->slots[i].key);
		if (free_value)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

void *
ordmap_get(struct ordmap *m, const char *key, size_t size, int *added)
{
	void *item = strmap_get(&m->map, key);

	*added = item == NULL;
	if (item != NULL)
		return item;
	item = xcalloc(1, size);
	strmap_put(&m->map, key, item, NULL);
	m->keys = xreallocarray(m->keys, m->n + 1, sizeof(*m->keys));
	m->keys[m->n++] = xstrdup(key);
	return item;
}

void *
ordmap_named(struct ordmap *m, const char *key, size_t size)
{
	int added;
	void *item = ordmap_get(m, key, size, &added);

	if (added)
		*(char **)item = xstrdup(key);
	return item;
}

void *
ordmap_at(const struct ordmap *m, size_t i)
{
	return i < m->n ? strmap_get(&m->map, m->keys[i]) : NULL;
}

void
ordmap_release(struct ordmap *m, void (*free_item)(void *))
{
	size_t i;

	strmap_release(&m->map, free_item ? free_item : free);
	for (i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	m->keys = NULL;
	m->n = 0;
}
