/*
 * vk_catalog.h — the vaccine catalog and the screening consistency limits (docs/design.md §4),
 * loaded from configuration, never constants in code.
 *
 * The catalog is a CSV (config/vaccines.csv: code,name,doses,min_interval_days) whose codes are
 * part of the public contract; the limits are config keys (screening.max.temperature.c,
 * screening.max.systolic, screening.max.diastolic). Figures are the Indonesian programme's of
 * 2021; operators change them in configuration.
 */
#ifndef VK_CATALOG_H
#define VK_CATALOG_H

#include "vk_config.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct vk_vaccine {
    char code[32];         /* e.g. CORONAVAC */
    char name[96];         /* e.g. CoronaVac (Sinovac) */
    int doses;             /* doses in the primary series */
    int min_interval_days; /* minimum days between two doses (0 for a single-dose vaccine) */
} vk_vaccine;

/** A PROCEED screening with temperature >= max_temperature_c, or systolic >= max_systolic, or
 *  diastolic >= max_diastolic is inconsistent and refused. */
typedef struct vk_screening_limits {
    double max_temperature_c; /* 37.5 */
    int max_systolic;         /* 180 */
    int max_diastolic;        /* 110 */
} vk_screening_limits;

typedef struct vk_catalog {
    vk_vaccine *vaccines;
    size_t n;
    vk_screening_limits limits;
} vk_catalog;

/** @brief The design's defaults: the eleven contract codes and 37.5 °C / 180 / 110 (the same
 *  rows as config/vaccines.csv). Returns 0, or -1 when out of memory. */
int vk_catalog_defaults(vk_catalog *cat);

/** The longest minimum interval a catalog may give (ten years): a larger figure is a typo. */
#define VK_CATALOG_MAX_INTERVAL_DAYS 3650

/**
 * @brief Loads the catalog CSV at @p path (header code,name,doses,min_interval_days, columns in
 * any order; codes upper-case letters, digits and '_', unique; doses 1..VK_MAX_DOSES; interval
 * 0..VK_CATALOG_MAX_INTERVAL_DAYS, and > 0 when doses > 1; a quoted name may hold a comma).
 * Limits are set to the defaults. @p cat need not be initialized (an earlier catalog is not
 * freed). Returns 0, or -1 with @p err naming the file, the line and the problem, and @p cat
 * left empty.
 */
int vk_catalog_load(vk_catalog *cat, const char *path, char *err, size_t errlen);

/**
 * @brief The catalog a program runs with: `vaccines.file` when configured (else the defaults;
 * a relative path is taken from the working directory) and the screening.* limits from @p cfg
 * (else the defaults): temperature 35..42 °C, pressures 50..300 mmHg, diastolic below systolic.
 * A malformed or out-of-range value is an error, never replaced by the default. @p cfg may be NULL
 * (all defaults). Returns 0, or -1 with @p err and
 * @p cat left empty.
 */
int vk_catalog_from_config(vk_catalog *cat, const vk_config *cfg, char *err, size_t errlen);

/** @brief The vaccine with this code, or NULL. */
const vk_vaccine *vk_catalog_find(const vk_catalog *cat, const char *code);

/** @brief Frees the vaccines and leaves @p cat empty (freeing it again is harmless). */
void vk_catalog_free(vk_catalog *cat);

#endif
