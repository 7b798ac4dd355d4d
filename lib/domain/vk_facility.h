/*
 * vk_facility.h — the facility reference table (docs/design.md §4 "Facilities") in memory: facility
 * code → kab/kota (district), from the CSV in configuration (`facilities.file`, header
 * code,name,kind,district), with the Kemenkes code pattern for codes the table does not list.
 *
 * The projector loads the same CSV into the read model's `facility` table and resolves a
 * grant's facility the same way (table first, then vk_facility_district_by_pattern), so a
 * service that keeps access grants in memory (vaksin-verification) decides exactly as the
 * projector does which grants stand. The loader follows what the projector's COPY accepts:
 * the first record is the header, columns by position, code and district trimmed of spaces; a
 * row it would fail on (too few columns, a code listed twice) fails the load here as well, and
 * so does a district that is not 4 digits (the table's char(4) column, and vk_access_apply,
 * which compares it with a grant's 4-digit district).
 */
#ifndef VK_FACILITY_H
#define VK_FACILITY_H

#include <stddef.h>

typedef struct vk_facility_map vk_facility_map;

/** @brief An empty map. NULL when out of memory. */
vk_facility_map *vk_facility_map_new(void);
void vk_facility_map_destroy(vk_facility_map *m);

/** @brief Adds @p code → @p district (4 digits). Returns 0, or -1 with @p err (bad district,
 *  code already listed, out of memory). */
int vk_facility_map_put(vk_facility_map *m, const char *code, const char *district, char *err,
                        size_t errlen);

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

/**
 * @brief The kab/kota of facility @p code: the table's (when @p m lists it; @p m may be NULL),
 * else the Kemenkes pattern's written into @p buf; NULL when neither knows the code. The
 * result is valid until @p m or @p buf changes.
 */
const char *vk_facility_district(const vk_facility_map *m, const char *code, char buf[5]);

#endif
