/*
 * vk_facility.h — the facility reference table (docs/design.md §4 "Facilities") in memory: facility
 * code → kab/kota (district), from the CSV in configuration (`facilities.file`, header
 * code,name,kind,district), with the Kemenkes code pattern for codes the table does not list.
 *
 * This is the one reader of that CSV: the projector writes what it parsed into the read
 * model's `facility` table and resolves a grant's facility the same way (table first, then
 * vk_facility_district_by_pattern), so a service that keeps access grants in memory
 * (vaksin-verification) decides exactly as the projector does which grants stand. The first
 * record is the header; columns by position; every field trimmed of spaces (as PostgreSQL's
 * trim()). A row with too few columns, an empty code, name or kind, a code listed twice or a
 * district that is not 4 digits (the table's char(4) column, and vk_access_apply, which
 * compares it with a grant's 4-digit district) fails the whole load.
 */
#ifndef VK_FACILITY_H
#define VK_FACILITY_H

#include <stddef.h>

typedef struct vk_facility_map vk_facility_map;

/** One facility of the table (a row of the CSV, trimmed). */
typedef struct vk_facility {
    char *code, *name, *kind;
    char district[5]; /* 4-digit kab/kota */
} vk_facility;

/** @brief An empty map. NULL when out of memory. */
vk_facility_map *vk_facility_map_new(void);
void vk_facility_map_destroy(vk_facility_map *m);

/** @brief Adds a facility. Returns 0, or -1 with @p err (empty code, name or kind, a district
 *  that is not 4 digits, a code already listed, out of memory). */
int vk_facility_map_put(vk_facility_map *m, const char *code, const char *name, const char *kind,
                        const char *district, char *err, size_t errlen);

/**
 * @brief Parses a reference CSV held in memory (the separator is ','; a byte-order mark is
 * skipped) and adds every row after the header. Returns 0, or -1 with @p err naming the line.
 */
int vk_facility_map_load_csv(vk_facility_map *m, const void *data, size_t len, char *err,
                             size_t errlen);

/** @brief vk_facility_map_load_csv on the contents of the file at @p path. */
int vk_facility_map_load_file(vk_facility_map *m, const char *path, char *err, size_t errlen);

/** @brief How many facilities the table lists. */
size_t vk_facility_map_count(const vk_facility_map *m);
/** @brief The @p i-th facility (0 ≤ i < count), in the order of the CSV. */
const vk_facility *vk_facility_map_at(const vk_facility_map *m, size_t i);

/**
 * @brief The kab/kota of facility @p code: the table's (when @p m lists it; @p m may be NULL),
 * else the Kemenkes pattern's written into @p buf; NULL when neither knows the code. The
 * result is valid until @p m or @p buf changes.
 */
const char *vk_facility_district(const vk_facility_map *m, const char *code, char buf[5]);

#endif
