/*
 * vk_catalog.h — the vaccine catalog and the screening consistency limits (design §4), loaded
 * from configuration, never constants in code.
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

/** @brief The design's defaults: the eleven contract codes and 37.5 °C / 180 / 110. */
int vk_catalog_defaults(vk_catalog *cat);

/**
 * @brief Loads the catalog CSV at @p path (header code,name,doses,min_interval_days; codes
 * upper-case letters, digits and '_'; doses >= 1; interval >= 0, and > 0 when doses > 1).
 * Returns 0, or -1 with @p err naming the line and the problem.
 */
int vk_catalog_load(vk_catalog *cat, const char *path, char *err, size_t errlen);

/**
 * @brief The catalog a program runs with: `vaccines.file` when configured (else the defaults)
 * and the screening.* limits from @p cfg (else the defaults). Returns 0, or -1 with @p err.
 */
int vk_catalog_from_config(vk_catalog *cat, const vk_config *cfg, char *err, size_t errlen);

/** @brief The vaccine with this code, or NULL. */
const vk_vaccine *vk_catalog_find(const vk_catalog *cat, const char *code);

void vk_catalog_free(vk_catalog *cat);

#endif
