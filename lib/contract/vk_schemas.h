/*
 * vk_schemas.h — the Avro contract (schemas/NAME.avsc) and the SQL migrations
 * (db/migrations/NNN_NAME.sql) compiled into every binary.
 *
 * The table is generated at build time by cmake/embed_schemas.cmake; it ends with {NULL, NULL}.
 */
#ifndef VK_SCHEMAS_H
#define VK_SCHEMAS_H

typedef struct vk_embedded_schema {
    const char *file; /* e.g. "target.events.avsc" */
    const char *json; /* the schema text */
} vk_embedded_schema;

extern const vk_embedded_schema vk_embedded_schemas[];

/** The read model's SQL migrations (db/migrations/NNN_name.sql), in file-name order. */
extern const vk_embedded_schema vk_embedded_migrations[];

#endif
