/*
 * resolver.h — vaksin-registration's ticket → NIK lookup in the read model, with a cache.
 */
#ifndef VK_REGISTRATION_RESOLVER_H
#define VK_REGISTRATION_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct reg_resolver reg_resolver;

/**
 * @brief A resolver on the read model at @p conninfo, caching at most @p cache_max tickets
 * (0: no cache). A lost connection is re-established on the next lookup, trying for at most
 * @p retry_ms. Tries to connect once now, so a wrong conninfo shows at start-up; an unreachable
 * database is only a warning (the first lookup tries again). NULL when out of memory.
 */
reg_resolver *reg_resolver_new(const char *conninfo, size_t cache_max, int64_t retry_ms);
void reg_resolver_destroy(reg_resolver *r);

/**
 * @brief A reg_resolve_fn (handler.h) with @p arg a reg_resolver: 1 and the NIK when a target
 * has this ticket, 0 when none has, -1 with @p err when the database cannot be asked.
 */
int reg_resolver_lookup(void *arg, const char *ticket, char nik_out[17], char *err, size_t errlen);

#endif
