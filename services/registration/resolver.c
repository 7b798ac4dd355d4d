/*
 * resolver.c — vaksin-registration's ticket → NIK lookup: `SELECT nik FROM target WHERE ticket
 * = $1` (a prepared statement on the unique index of target.ticket) behind a cache.
 *
 * Design and trade-offs
 * - Only hits are cached. A ticket → NIK pair never changes once the target exists (the ticket
 *   is a keyed hash of the NIK), so a hit can be kept for ever; a miss must be asked again next
 *   time, because the ticket may be imported in the meantime (an import and the first desk
 *   visit often happen the same morning).
 * - The cache is bounded the simplest way: a vk_strmap (ticket → NIK as a number, 16 digits fit
 *   a long) emptied when it holds cache_max entries. At 100,000 entries it takes under 10 MB.
 *   A desk registers each person a few times over months, so recency buys little; an LRU would
 *   add code for a hit rate nobody has measured. After a clear the cache fills again from the
 *   database at one indexed query per ticket.
 * - A failed query (server gone, statement refused) drops the connection and returns -1: the
 *   handler asks the loop to retry the batch, and the next lookup reconnects (vk_pg_connect's
 *   backoff, for at most retry_ms), so an outage costs a slow retry loop, never a dead letter
 *   and never a busy one.
 */
#include "resolver.h"

#include "vk_err.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_service.h"
#include "vk_strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cache keeps a NIK as the number its 16 digits spell. */
_Static_assert(sizeof(long) >= 8, "a NIK needs a 64-bit long");

struct reg_resolver {
    char *conninfo;
    PGconn *db;
    vk_pg_stmt by_ticket;
    vk_strmap *cache; /* canonical ticket → NIK as a number; NULL when caching is off */
    size_t cache_max;
    int64_t retry_ms;
};

reg_resolver *reg_resolver_new(const char *conninfo, size_t cache_max, int64_t retry_ms) {
    reg_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->conninfo = strdup(conninfo);
    r->by_ticket = (vk_pg_stmt)VK_PG_STMT("registration_nik_by_ticket",
                                          "SELECT nik FROM target WHERE ticket = $1", 1);
    r->cache_max = cache_max;
    r->retry_ms = retry_ms;
    r->cache = cache_max ? vk_strmap_new(cache_max < 65536 ? cache_max : 65536) : NULL;
    if (!r->conninfo || (cache_max && !r->cache)) {
        reg_resolver_destroy(r);
        return NULL;
    }
    r->db = vk_pg_connect(r->conninfo, 0, &vk_stop);
    if (!r->db)
        vk_warn("msg=\"read model not reachable yet; the first ticket lookup tries again\"");
    return r;
}

void reg_resolver_destroy(reg_resolver *r) {
    if (!r)
        return;
    if (r->db)
        PQfinish(r->db);
    vk_strmap_destroy(r->cache);
    free(r->conninfo);
    free(r);
}

static bool is_nik(const char *s) {
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n == 16;
}

static void cache_put(reg_resolver *r, const char *ticket, const char *nik) {
    if (!r->cache)
        return;
    if (vk_strmap_count(r->cache) >= r->cache_max) {
        vk_debug("msg=\"ticket cache full, emptied\" entries=%zu", r->cache_max);
        vk_strmap_clear(r->cache);
    }
    if (vk_strmap_put(r->cache, ticket, strtol(nik, NULL, 10)))
        vk_strmap_clear(r->cache); /* out of memory: run without the entries, not without memory */
}

int reg_resolver_lookup(void *arg, const char *ticket, char nik_out[17], char *err, size_t errlen) {
    reg_resolver *r = arg;
    long cached;
    if (r->cache && vk_strmap_get(r->cache, ticket, &cached)) {
        snprintf(nik_out, 17, "%016ld", cached);
        return 1;
    }
    if (!r->db) {
        r->db = vk_pg_connect(r->conninfo, r->retry_ms, &vk_stop);
        if (!r->db)
            return vk_errf(err, errlen, "read model not reachable");
    }
    const char *params[] = {ticket};
    PGresult *res = vk_pg_run(r->db, &r->by_ticket, PGRES_TUPLES_OK, params);
    if (!res) {
        /* Whatever broke, a fresh connection is the way back; vk_pg_run logged the error. */
        PQfinish(r->db);
        r->db = NULL;
        r->by_ticket.on = NULL; /* prepare again on the next connection, whatever its address */
        return vk_errf(err, errlen, "ticket lookup failed");
    }
    int found = PQntuples(res) > 0;
    if (found) {
        const char *nik = PQgetvalue(res, 0, 0);
        snprintf(nik_out, 17, "%s", nik);
        if (is_nik(nik))
            cache_put(r, ticket, nik);
    }
    PQclear(res);
    return found;
}
